"""Storage access with authentication on (the catalog `secure`, CATALOG_AUTHENTICATION=catalog):
what the catalog vends or signs follows the caller's grants. PyIceberg as `writer` creates and
fills a table; as `reader` (granted read on the namespace) it reads it and cannot write it,
its vended keys being read-only; Spark as `writer` signs in with its client credentials, and
its S3FileIO's signer signs in the same way, for every request it has signed.
"""

from __future__ import annotations

import uuid

import pyarrow as pa
import pytest
from auth_servers import Rest
from conftest import rows
from pyiceberg.catalog import load_catalog
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField

SCHEMA = Schema(NestedField(1, "id", LongType(), required=False))


def engine(secure, client: str):
    return load_catalog(
        client, type="rest", uri=secure.catalog.uri, warehouse="secure",
        credential=f"{client}:{secure.clients[client]}", scope="catalog",
    )


@pytest.fixture
def secure_namespace(secure):
    name = f"sec_{uuid.uuid4().hex[:10]}"
    writer = Rest(secure.catalog, secure.token("writer"))
    assert writer.http.post(f"{writer.base}/namespaces", json={"namespace": [name]}, timeout=30).status_code == 200
    writer.grant("reader", ["read"], namespace=name)
    yield name
    writer.drop_namespace_tree(name)


def test_a_readers_vended_keys_read_and_write_nothing(stack, secure, secure_namespace):
    writer = engine(secure, "writer")
    table = writer.create_table((secure_namespace, "facts"), SCHEMA)
    table.append(pa.table({"id": pa.array([1, 2, 3], pa.int64())}))
    location = table.metadata.location
    files = stack.keys_under(location)

    reader = engine(secure, "reader")
    seen = reader.load_table((secure_namespace, "facts"))
    assert sorted(seen.scan().to_arrow()["id"].to_pylist()) == [1, 2, 3]
    assert "s3.session-token" in seen.io.properties
    with pytest.raises(Exception) as refused:
        seen.append(pa.table({"id": pa.array([4], pa.int64())}))
    assert "denied" in str(refused.value).lower() or "403" in str(refused.value) or "forbidden" in str(refused.value).lower(), str(refused.value)[:1000]
    assert stack.keys_under(location) == files, "nothing was written by the reader"
    assert sorted(writer.load_table((secure_namespace, "facts")).scan().to_arrow()["id"].to_pylist()) == [1, 2, 3]


def test_spark_signs_in_for_its_signer_with_authentication_on(stack, secure, spark):
    """Spark's S3FileIO signer takes the catalog's `credential` and token endpoint (Iceberg
    1.11's S3V4RestSignerClient builds its own OAuth2 session from them). That session is one
    per JVM, made by the first signing FileIO: this test runs before test_spark.py's signing
    catalog (without authentication) for that reason; see the README."""
    name = "secure_signed"
    for key, value in {
        "": "org.apache.iceberg.spark.SparkCatalog",
        ".type": "rest",
        ".uri": secure.catalog.uri,
        ".warehouse": "secure",
        ".cache-enabled": "false",
        ".io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        ".credential": f"writer:{secure.clients['writer']}",
        ".oauth2-server-uri": f"{secure.catalog.uri}/v1/oauth/tokens",
        ".scope": "catalog",
        ".header.X-Iceberg-Access-Delegation": "remote-signing",
    }.items():
        spark.conf.set(f"spark.sql.catalog.{name}{key}", value)
    ns = f"sec_{uuid.uuid4().hex[:10]}"
    spark.sql(f"CREATE NAMESPACE {name}.{ns}")
    spark.sql(f"CREATE TABLE {name}.{ns}.t (id BIGINT) USING iceberg")
    spark.sql(f"INSERT INTO {name}.{ns}.t VALUES (1), (2)")
    assert rows(spark, f"SELECT count(*) FROM {name}.{ns}.t") == [(2,)]
    signs = [e for e in secure.catalog.log_lines() if e.get("msg") == "request" and str(e.get("path", "")).endswith(f"/namespaces/{ns}/tables/t/sign")]
    assert signs and all(e.get("status") == 200 for e in signs), "every signature asked for was given, to a signed-in signer"
    spark.sql(f"DROP TABLE {name}.{ns}.t")
    spark.sql(f"DROP NAMESPACE {name}.{ns}")
