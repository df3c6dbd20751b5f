"""Spark 3.5 with Iceberg 1.11 (S3FileIO) and no S3 key: one catalog asks for vended
credentials (`header.X-Iceberg-Access-Delegation=vended-credentials`), one for remote signing
(`...=remote-signing`: the catalog signs each S3 request at the table's /sign route). Through
each, Spark writes a table, reads and writes a clone of it, and then runs `DROP TABLE ...
PURGE` on the source: Spark drops it at the catalog and then deletes every file it reaches
itself (SparkCatalog.purgeTable), which would take the clone's files with them. The catalog
marks a cloned source gc.enabled=false, which Spark honours; once a careless user lifts that,
every delete Spark makes with what the catalog gave it fails at the store: the clone still
reads, every source file is still there, and the catalog's collector is left to decide.
"""

from __future__ import annotations

import pytest
from conftest import BUCKET, SPARK_MODES as MODES, WAREHOUSE, rows


@pytest.mark.parametrize("mode", list(MODES))
def test_spark_writes_reads_clones_and_cannot_purge_what_a_clone_reads(stack, spark, namespace, mode):
    source = f"{mode}.{namespace}.orders"
    clone = f"{mode}.{namespace}.orders_clone"
    spark.sql(f"CREATE TABLE {source} (id BIGINT, name STRING) USING iceberg")
    spark.sql(f"INSERT INTO {source} VALUES (1, 'one'), (2, 'two'), (3, 'three')")
    assert rows(spark, f"SELECT id FROM {source} ORDER BY id") == [(1,), (2,), (3,)]

    stack.clone(namespace, "orders", namespace, "orders_clone")
    assert rows(spark, f"SELECT id FROM {clone} ORDER BY id") == [(1,), (2,), (3,)]
    spark.sql(f"INSERT INTO {clone} VALUES (4, 'four')")
    assert rows(spark, f"SELECT count(*) FROM {clone}") == [(4,)]

    # First lock: a cloned source carries gc.enabled=false, and Spark refuses to purge it.
    with pytest.raises(Exception, match="GC is disabled"):
        spark.sql(f"DROP TABLE {source} PURGE")
    # A careless user lifts it; Spark then drops the table at the catalog and tries to delete
    # every file it reaches with what the catalog gave it: the store refuses each delete.
    spark.sql(f"ALTER TABLE {source} SET TBLPROPERTIES ('gc.enabled'='true')")
    source_location = stack.location(namespace, "orders")
    source_files = stack.keys_under(source_location)
    assert any(k.endswith(".parquet") for k in source_files)
    try:
        spark.sql(f"DROP TABLE {source} PURGE")
    except Exception as exc:  # noqa: BLE001 - a failed delete may surface; what matters is below
        # Vended keys: the store's 403. Signing: the catalog signs nothing for a dropped table.
        assert any(m in str(exc) for m in ("Access Denied", "403", "Forbidden", "NoSuchTableException")), str(exc)[:2000]
    assert stack.rest("GET", f"/v1/{WAREHOUSE}/namespaces/{namespace}/tables/orders").status_code == 404, "dropped at the catalog"
    assert stack.keys_under(source_location) == source_files, f"no file deleted under {source_location}"
    assert rows(spark, f"SELECT id FROM {clone} ORDER BY id") == [(1,), (2,), (3,), (4,)], "the clone still reads"
    signed = [e for e in stack.catalog.log_lines() if e.get("msg") == "request" and str(e.get("path", "")).endswith(f"/namespaces/{namespace}/tables/orders_clone/sign")]
    if mode == "signed":
        assert any(e.get("status") == 200 for e in signed), "Spark's S3 requests went through the catalog's signer"
    else:
        assert signed == [], "vended keys need no signing"
    assert all(k.startswith(source_location.removeprefix(f"s3://{BUCKET}/")) for k in source_files)


@pytest.mark.parametrize("mode", list(MODES))
def test_a_hand_made_delete_through_sparks_file_io_fails(stack, spark, namespace, mode):
    """What a script in the same session could do: delete a file through the table's FileIO."""
    spark.sql(f"CREATE TABLE {mode}.{namespace}.events (id BIGINT) USING iceberg")
    spark.sql(f"INSERT INTO {mode}.{namespace}.events VALUES (1), (2)")
    location = stack.location(namespace, "events")
    files = stack.keys_under(location)
    data_file = next(k for k in files if k.endswith(".parquet"))
    jvm = spark._jvm
    catalog = spark._jsparkSession.sessionState().catalogManager().catalog(mode).icebergCatalog()
    table = catalog.loadTable(jvm.org.apache.iceberg.catalog.TableIdentifier.parse(f"{namespace}.events"))
    with pytest.raises(Exception) as refused:
        table.io().deleteFile(f"s3://{BUCKET}/{data_file}")
    assert any(m in str(refused.value) for m in ("Access Denied", "403", "Forbidden")), str(refused.value)[:2000]
    assert stack.keys_under(location) == files
    assert rows(spark, f"SELECT count(*) FROM {mode}.{namespace}.events") == [(2,)]

