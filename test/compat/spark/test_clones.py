"""Zero-copy clones seen from Spark: the clone is an ordinary Iceberg table, both sides
refuse client-side file deletion (gc.enabled=false), and writes stay on their own side."""

from __future__ import annotations

import os

import pytest
import requests
from conftest import CATALOG

BASE = os.environ.get("CATALOG_URI", "").rstrip("/")
PREFIX = os.environ.get("CATALOG_WAREHOUSE", "default")


def ids(spark, table: str) -> list[int]:
    return [r[0] for r in spark.sql(f"SELECT id FROM {table} ORDER BY id").collect()]


def test_clone_is_independent_and_protected(spark, ns):
    src = f"{CATALOG}.{ns}.src"
    spark.sql(f"CREATE TABLE {src} (id bigint, v string) USING iceberg")
    spark.sql(f"INSERT INTO {src} VALUES (1, 'a'), (2, 'b')")
    first = spark.sql(f"SELECT snapshot_id FROM {src}.snapshots ORDER BY committed_at").collect()[0][0]
    spark.sql(f"INSERT INTO {src} VALUES (3, 'c')")

    response = requests.post(
        f"{BASE}/ext/v1/{PREFIX}/namespaces/{ns}/tables/src/clone",
        json={"destination": {"namespace": [ns], "name": "dev"}},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    past = requests.post(
        f"{BASE}/ext/v1/{PREFIX}/namespaces/{ns}/tables/src/clone",
        json={"destination": {"namespace": [ns], "name": "past"}, "point": {"snapshot-id": first}},
        timeout=30,
    )
    assert past.status_code == 200, past.text

    dev = f"{CATALOG}.{ns}.dev"
    assert ids(spark, dev) == [1, 2, 3]
    assert ids(spark, f"{CATALOG}.{ns}.past") == [1, 2]
    spark.sql(f"INSERT INTO {dev} VALUES (100, 'clone')")
    spark.sql(f"DELETE FROM {src} WHERE id = 1")
    assert ids(spark, dev) == [1, 2, 3, 100]
    assert ids(spark, src) == [2, 3]

    # Both sides share files, so Spark itself refuses to delete them.
    for table in (src, dev):
        with pytest.raises(Exception, match="(?i)gc is disabled"):
            spark.sql(f"CALL {CATALOG}.system.expire_snapshots(table => '{ns}.{table.split('.')[-1]}', retain_last => 1)").collect()
