"""Fixtures for the storage-access suite (stage `vending`): engines that hold no S3 key of
their own read and write tables and clones through what the catalog vends or signs.

On loopback, stopped by pid at the end: MinIO (which enforces STS session policies) with a
bucket `lake`, and one catalog on the embedded database (or VENDING_DATABASE_URL) whose
warehouse is s3://lake/wh, with CATALOG_S3_VENDING=sts and CATALOG_S3_REMOTE_SIGNING=true. The
catalog gets MinIO's root keys in its own environment; this process drops every AWS key from
its environment before any engine starts, so an engine that reached the store did so with
what the catalog gave it.

Authentication is off here (every engine is the anonymous principal, which may write):
what a read-only principal's keys may do is the integration tests' business
(test/integration/vended-credentials-catalog.test.ts, remote-signing.test.ts).
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "auth"))
from auth_servers import Catalog, Rest, catalog_token, free_port, register_client  # noqa: E402
from stores import Minio  # noqa: E402

# Engines must find no key but the catalog's: dropped before any engine (or JVM) starts.
for _name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
    os.environ.pop(_name, None)
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

BUCKET = "lake"
WAREHOUSE = "default"
REPO_ROOT = Path(__file__).resolve().parents[3]
# Spark catalogs of the anonymous catalog, by the delegation they ask for.
SPARK_MODES = {"vended": "vended-credentials", "signed": "remote-signing"}
# The bootstrap administrator of the catalog with authentication on (test-only values).
ADMIN = ("admin", "admin-secret-for-tests-0123456789")


@dataclass
class Stack:
    minio: Minio
    catalog: Catalog

    @property
    def uri(self) -> str:
        return self.catalog.uri

    def rest(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.catalog.uri}{path}", timeout=60, **kwargs)

    def clone(self, namespace: str, table: str, to_namespace: str, to_table: str) -> None:
        answer = self.rest("POST", f"/ext/v1/{WAREHOUSE}/namespaces/{quote(namespace)}/tables/{quote(table)}/clone",
                           json={"destination": {"namespace": [to_namespace], "name": to_table}})
        assert answer.status_code == 200, answer.text

    def create_namespace(self, name: str) -> None:
        answer = self.rest("POST", f"/v1/{WAREHOUSE}/namespaces", json={"namespace": [name]})
        assert answer.status_code == 200, answer.text

    def drop_namespace_tree(self, name: str) -> None:
        tables = self.rest("GET", f"/v1/{WAREHOUSE}/namespaces/{quote(name)}/tables")
        if tables.status_code == 200:
            for ident in tables.json()["identifiers"]:
                self.rest("DELETE", f"/v1/{WAREHOUSE}/namespaces/{quote(name)}/tables/{quote(ident['name'])}")
        self.rest("DELETE", f"/v1/{WAREHOUSE}/namespaces/{quote(name)}")

    def location(self, namespace: str, table: str) -> str:
        answer = self.rest("GET", f"/v1/{WAREHOUSE}/namespaces/{quote(namespace)}/tables/{quote(table)}")
        assert answer.status_code == 200, answer.text
        return answer.json()["metadata"]["location"]

    def keys_under(self, location: str) -> list[str]:
        """Every object under an s3://lake/... location, as the root sees it."""
        prefix = location.removeprefix(f"s3://{BUCKET}/").rstrip("/") + "/"
        client = self.minio.root_client()
        keys: list[str] = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            keys += [item["Key"] for item in page.get("Contents", [])]
        return keys


def catalog_env(minio: Minio) -> dict[str, str]:
    """A catalog that vends (STS) and signs, on MinIO, with MinIO's root keys as its own."""
    return {
        "CATALOG_WAREHOUSE_LOCATION": f"s3://{BUCKET}/wh",
        "CATALOG_S3_ENDPOINT": minio.endpoint,
        "CATALOG_S3_PATH_STYLE": "true",
        "CATALOG_S3_REGION": "us-east-1",
        "CATALOG_S3_VENDING": "sts",
        "CATALOG_S3_VENDING_ROLE_ARN": "arn:aws:iam::000000000000:role/catalog-vended",
        "CATALOG_S3_REMOTE_SIGNING": "true",
        # The catalog's own keys, in its own environment only.
        "AWS_ACCESS_KEY_ID": minio.root_user,
        "AWS_SECRET_ACCESS_KEY": minio.root_password,
    }


@dataclass
class Secure:
    """A second catalog on the same MinIO with authentication on (CATALOG_AUTHENTICATION=catalog)
    and both vending and signing, warehouse `secure`: clients `writer` (may create in the
    warehouse) and `reader` (granted read on a namespace by a test)."""

    catalog: Catalog
    clients: dict[str, str]

    def admin(self) -> Rest:
        return Rest(self.catalog, catalog_token(self.catalog, *ADMIN))

    def token(self, client: str) -> str:
        return catalog_token(self.catalog, client, self.clients[client])


@pytest.fixture(scope="session")
def secure(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secure]:
    base = tmp_path_factory.mktemp("secure")
    env = {**catalog_env(stack.minio), "CATALOG_WAREHOUSE_NAME": "secure", "CATALOG_WAREHOUSE_LOCATION": f"s3://{BUCKET}/secure",
           "CATALOG_AUTHENTICATION": "catalog", "CATALOG_BOOTSTRAP_CLIENT_ID": ADMIN[0], "CATALOG_BOOTSTRAP_CLIENT_SECRET": ADMIN[1]}
    catalog = Catalog("secure", base / "catalog", env)
    try:
        catalog.launch()
        catalog.wait_ready()
        admin_token = catalog_token(catalog, *ADMIN)
        clients = {name: register_client(catalog, admin_token, name, name) for name in ("writer", "reader")}
        Rest(catalog, admin_token).grant("writer", ["create"])
        yield Secure(catalog, clients)
    finally:
        catalog.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("vending")
    minio = Minio(base / "minio", free_port())
    try:
        minio.start()
    except RuntimeError as exc:
        pytest.fail(f"cannot start MinIO: {exc}", pytrace=False)
    minio.root_client().create_bucket(Bucket=BUCKET)
    env = catalog_env(minio)
    if os.environ.get("VENDING_DATABASE_URL"):
        env["CATALOG_DATABASE_URL"] = os.environ["VENDING_DATABASE_URL"]
    catalog = Catalog("vending", base / "catalog", env)
    try:
        catalog.launch()
        catalog.wait_ready()
        yield Stack(minio, catalog)
    finally:
        catalog.stop()
        minio.stop()


@pytest.fixture
def namespace(stack: Stack) -> Iterator[str]:
    """A namespace of the test's own, dropped (tables first) afterwards."""
    name = f"va_{uuid.uuid4().hex[:10]}"
    stack.create_namespace(name)
    yield name
    stack.drop_namespace_tree(name)


def _spark_jars() -> str:
    if os.environ.get("SPARK_JARS"):
        return os.environ["SPARK_JARS"]
    done = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "test-env" / "ensure-spark-jars.sh")], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"cannot fetch the Iceberg Spark jars:\n{done.stderr}", pytrace=False)
    return done.stdout.strip()


@pytest.fixture(scope="session")
def spark(stack):
    """One SparkSession (and JVM) for the suite, with a catalog per mechanism (SPARK_MODES);
    test_secure.py adds one with authentication on at run time."""
    if not os.environ.get("JAVA_HOME"):
        for candidate in sorted(glob.glob("/usr/lib/jvm/java-17-*")):
            if os.path.exists(os.path.join(candidate, "bin", "java")):
                os.environ["JAVA_HOME"] = candidate
                break
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[2]")
        .appName("iceberg-storage-access")
        .config("spark.jars", _spark_jars())
        .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.shuffle.partitions", "2")
    )
    for name, mechanism in SPARK_MODES.items():
        prefix = f"spark.sql.catalog.{name}"
        # No s3.* setting and no key: endpoint, region and path style come from the table answers.
        for key, value in {
            "": "org.apache.iceberg.spark.SparkCatalog",
            ".type": "rest",
            ".uri": stack.uri,
            ".warehouse": WAREHOUSE,
            ".cache-enabled": "false",
            ".io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
            ".header.X-Iceberg-Access-Delegation": mechanism,
        }.items():
            builder = builder.config(prefix + key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def rows(spark, sql: str) -> list[tuple]:
    return [tuple(r) for r in spark.sql(sql).collect()]
