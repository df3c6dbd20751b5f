"""Iceberg views through Spark 3.5's SparkCatalog (views need the Iceberg SQL extensions and a
catalog that lists the view routes in /v1/config): create, read, replace, alter, list, rename,
drop; the identifier space views share with tables; a view read through a namespace clone."""

from __future__ import annotations

import os

import pytest
import requests
from conftest import CATALOG

BASE = os.environ.get("CATALOG_URI", "").rstrip("/")
PREFIX = os.environ.get("CATALOG_WAREHOUSE", "default")


def rows(spark, sql: str) -> list[tuple]:
    return [tuple(r) for r in spark.sql(sql).collect()]


def view_names(spark, ns: str) -> list[str]:
    """The catalog's views of the namespace (SHOW VIEWS also lists the session's temporary views)."""
    return sorted(r["viewName"] for r in spark.sql(f"SHOW VIEWS IN {CATALOG}.{ns}").collect() if not r["isTemporary"])


def load_view(ns: str, name: str) -> dict:
    response = requests.get(f"{BASE}/v1/{PREFIX}/namespaces/{ns}/views/{name}", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_view_lifecycle(spark, ns):
    spark.sql(f"CREATE TABLE {CATALOG}.{ns}.orders (id bigint, amount int) USING iceberg")
    spark.sql(f"INSERT INTO {CATALOG}.{ns}.orders VALUES (1, 10), (2, 20), (3, 30)")
    spark.sql(f"USE {CATALOG}.{ns}")
    # An unqualified name: it resolves against the view's default namespace, which Spark sets
    # to the current one.
    spark.sql("CREATE VIEW big_orders COMMENT 'orders over 15' AS SELECT id, amount FROM orders WHERE amount > 15")
    assert rows(spark, f"SELECT * FROM {CATALOG}.{ns}.big_orders ORDER BY id") == [(2, 20), (3, 30)]
    assert view_names(spark, ns) == ["big_orders"]
    # Not a table: the table listing leaves it out.
    assert [r["tableName"] for r in spark.sql(f"SHOW TABLES IN {CATALOG}.{ns}").collect()] == ["orders"]

    stored = load_view(ns, "big_orders")["metadata"]
    version = stored["versions"][-1]
    assert version["default-namespace"] == [ns]
    assert version["representations"][0]["dialect"] == "spark"
    assert "amount > 15" in version["representations"][0]["sql"]

    spark.sql("ALTER VIEW big_orders SET TBLPROPERTIES ('team' = 'finance')")
    assert load_view(ns, "big_orders")["metadata"]["properties"]["team"] == "finance"
    spark.sql("ALTER VIEW big_orders UNSET TBLPROPERTIES ('team')")
    assert "team" not in load_view(ns, "big_orders")["metadata"]["properties"]

    spark.sql("CREATE OR REPLACE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 25")
    assert rows(spark, f"SELECT * FROM {CATALOG}.{ns}.big_orders") == [(3, 30)]
    replaced = load_view(ns, "big_orders")["metadata"]
    assert replaced["current-version-id"] == 2 and len(replaced["version-log"]) == 2

    spark.sql(f"ALTER VIEW big_orders RENAME TO {CATALOG}.{ns}.large_orders")
    assert view_names(spark, ns) == ["large_orders"]
    assert rows(spark, f"SELECT count(*) FROM {CATALOG}.{ns}.large_orders") == [(1,)]
    spark.sql(f"DROP VIEW {CATALOG}.{ns}.large_orders")
    assert view_names(spark, ns) == []
    spark.sql("USE spark_catalog.default")


def test_views_and_tables_share_names(spark, ns):
    spark.sql(f"CREATE TABLE {CATALOG}.{ns}.t (id bigint) USING iceberg")
    spark.sql(f"CREATE VIEW {CATALOG}.{ns}.v AS SELECT 1 AS one")
    with pytest.raises(Exception, match="(?i)already exists"):
        spark.sql(f"CREATE VIEW {CATALOG}.{ns}.t AS SELECT 1 AS one")
    with pytest.raises(Exception, match="(?i)already exists"):
        spark.sql(f"CREATE TABLE {CATALOG}.{ns}.v (id bigint) USING iceberg")
    spark.sql(f"CREATE VIEW IF NOT EXISTS {CATALOG}.{ns}.v AS SELECT 2 AS two")
    assert rows(spark, f"SELECT * FROM {CATALOG}.{ns}.v") == [(1,)]


def test_namespace_clone_takes_views_reading_the_clone(spark, ns):
    spark.sql(f"CREATE TABLE {CATALOG}.{ns}.facts (id bigint) USING iceberg")
    spark.sql(f"INSERT INTO {CATALOG}.{ns}.facts VALUES (1), (2)")
    spark.sql(f"USE {CATALOG}.{ns}")
    spark.sql("CREATE VIEW fact_count AS SELECT count(*) AS n FROM facts")
    spark.sql("USE spark_catalog.default")
    copy = f"{ns}_copy"
    response = requests.post(f"{BASE}/ext/v1/{PREFIX}/namespaces/{ns}/clone", json={"destination": [copy]}, timeout=60)
    assert response.status_code == 200, response.text
    try:
        assert [v["identifier"]["name"] for v in response.json()["views"]] == ["fact_count"]
        spark.sql(f"INSERT INTO {CATALOG}.{copy}.facts VALUES (3)")
        # The clone's view reads the clone's table (its default namespace points at the
        # clone); the source's view still reads the source.
        assert rows(spark, f"SELECT n FROM {CATALOG}.{copy}.fact_count") == [(3,)]
        assert rows(spark, f"SELECT n FROM {CATALOG}.{ns}.fact_count") == [(2,)]
    finally:
        spark.sql(f"DROP VIEW IF EXISTS {CATALOG}.{copy}.fact_count")
        spark.sql(f"DROP TABLE IF EXISTS {CATALOG}.{copy}.facts")
        spark.sql(f"DROP NAMESPACE IF EXISTS {CATALOG}.{copy}")
