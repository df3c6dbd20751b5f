"""Schemas, tables and row-level writes from Trino, checked row by row and against the catalog."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from trino.exceptions import TrinoUserError
from trino_helpers import CATALOG, NESTED_CATALOG


def test_create_table_in_new_schema(trino, rest, schema):
    # The issue: CREATE SCHEMA then CREATE TABLE failed with "Cannot create a table on a
    # non-empty location" while namespaces had no location, and left the table registered.
    location = rest.namespace_location(schema)
    assert location.endswith("/" + schema)
    assert (schema,) in trino.query(f"SHOW SCHEMAS FROM {CATALOG}")

    trino.execute(f"CREATE TABLE {CATALOG}.{schema}.t (id bigint, name varchar)")
    assert rest.tables(schema) == ["t"]
    assert rest.metadata(schema, "t")["location"].startswith(f"{location}/t")
    assert trino.query(f"SELECT * FROM {CATALOG}.{schema}.t") == []

    trino.execute(f"INSERT INTO {CATALOG}.{schema}.t VALUES (1, 'one'), (2, 'two')")
    assert trino.query(f"SELECT id, name FROM {CATALOG}.{schema}.t ORDER BY id") == [(1, "one"), (2, "two")]


def test_create_schema_with_location(trino, rest, schemas, schema):
    root = rest.namespace_location(schema).rsplit("/", 1)[0]
    name = schemas.name()
    custom = f"{root}/custom_{name}"
    trino.execute(f"CREATE SCHEMA {CATALOG}.{name} WITH (location = '{custom}')")
    assert rest.namespace_location(name) == custom
    assert f"location = '{custom}'" in trino.scalar(f"SHOW CREATE SCHEMA {CATALOG}.{name}")

    trino.execute(f"CREATE TABLE {CATALOG}.{name}.t (id integer)")
    trino.execute(f"INSERT INTO {CATALOG}.{name}.t VALUES 7, 8")
    assert trino.query(f"SELECT id FROM {CATALOG}.{name}.t ORDER BY id") == [(7,), (8,)]
    table_location = rest.metadata(name, "t")["location"]
    assert table_location.startswith(custom + "/t")
    files = trino.query(f'SELECT file_path FROM {CATALOG}.{name}."t$files"')
    assert files and all(path.startswith(table_location + "/data/") for (path,) in files)


def test_partitioned_table(trino, rest, schema):
    t = f"{CATALOG}.{schema}.events"
    trino.execute(
        f"CREATE TABLE {t} (id bigint, region varchar, ts timestamp(6), amount decimal(10, 2)) "
        "WITH (partitioning = ARRAY['region', 'day(ts)', 'bucket(id, 4)'])"
    )
    trino.execute(
        f"INSERT INTO {t} VALUES "
        "(1, 'eu', TIMESTAMP '2024-03-01 10:00:00.123456', DECIMAL '10.50'), "
        "(2, 'us', TIMESTAMP '2024-03-01 23:59:59', DECIMAL '-3.00'), "
        "(3, 'eu', TIMESTAMP '2024-03-02 00:00:00', DECIMAL '0.01')"
    )
    trino.execute(f"INSERT INTO {t} VALUES (4, 'us', TIMESTAMP '2024-03-02 12:30:00', NULL)")
    assert trino.query(f"SELECT * FROM {t} ORDER BY id") == [
        (1, "eu", datetime(2024, 3, 1, 10, 0, 0, 123456), Decimal("10.50")),
        (2, "us", datetime(2024, 3, 1, 23, 59, 59), Decimal("-3.00")),
        (3, "eu", datetime(2024, 3, 2), Decimal("0.01")),
        (4, "us", datetime(2024, 3, 2, 12, 30), None),
    ]
    assert trino.query(f"SELECT id FROM {t} WHERE region = 'eu' AND ts >= TIMESTAMP '2024-03-02 00:00:00'") == [(3,)]

    metadata = rest.metadata(schema, "events")
    spec = next(s for s in metadata["partition-specs"] if s["spec-id"] == metadata["default-spec-id"])
    assert [f["transform"] for f in spec["fields"]] == ["identity", "day", "bucket[4]"]
    # Trino's CREATE TABLE commits an empty snapshot, then one per INSERT.
    assert len(metadata["snapshots"]) == 3
    assert trino.scalar(f'SELECT count(*) FROM {CATALOG}.{schema}."events$files"') == 4

    with pytest.raises(TrinoUserError, match="already exists"):
        trino.execute(f"CREATE TABLE {t} (id bigint)")
    trino.execute(f"CREATE TABLE IF NOT EXISTS {t} (id bigint)")
    assert trino.scalar(f"SELECT count(*) FROM {t}") == 4


def test_ctas(trino, rest, schema):
    src = f"{CATALOG}.{schema}.src"
    trino.execute(f"CREATE TABLE {src} (k varchar, v bigint, d date)")
    trino.execute(
        f"INSERT INTO {src} VALUES ('a', 1, DATE '2024-01-01'), ('a', 2, DATE '2024-01-02'), ('b', 5, DATE '2024-01-01')"
    )
    assert trino.scalar(
        f"CREATE TABLE {CATALOG}.{schema}.totals WITH (partitioning = ARRAY['k']) AS "
        f"SELECT k, sum(v) AS total, max(d) AS last FROM {src} GROUP BY k"
    ) == 2
    assert trino.query(f"SELECT k, total, last FROM {CATALOG}.{schema}.totals ORDER BY k") == [
        ("a", 3, date(2024, 1, 2)),
        ("b", 5, date(2024, 1, 1)),
    ]
    metadata = rest.metadata(schema, "totals")
    assert len(metadata["snapshots"]) == 1
    assert metadata["snapshots"][0]["summary"]["total-records"] == "2"

    trino.execute(f"CREATE TABLE {CATALOG}.{schema}.empty AS SELECT * FROM {src} WITH NO DATA")
    assert trino.query(f"SELECT * FROM {CATALOG}.{schema}.empty") == []
    assert [f["name"] for f in rest.metadata(schema, "empty")["schemas"][-1]["fields"]] == ["k", "v", "d"]


def test_update_delete_merge(trino, rest, schema):
    t = f"{CATALOG}.{schema}.accounts"
    trino.execute(f"CREATE TABLE {t} (id bigint, owner varchar, balance bigint) WITH (partitioning = ARRAY['bucket(id, 2)'])")
    trino.execute(f"INSERT INTO {t} VALUES (1, 'ann', 100), (2, 'bob', 200), (3, 'cy', 300), (4, 'di', 400)")

    assert trino.scalar(f"UPDATE {t} SET balance = balance + 1 WHERE id IN (2, 3)") == 2
    assert trino.query(f"SELECT id, balance FROM {t} ORDER BY id") == [(1, 100), (2, 201), (3, 301), (4, 400)]

    assert trino.scalar(f"DELETE FROM {t} WHERE owner = 'ann'") == 1
    assert trino.query(f"SELECT id FROM {t} ORDER BY id") == [(2,), (3,), (4,)]

    merged = trino.scalar(
        f"MERGE INTO {t} a USING (VALUES (3, 'cy', -1), (4, 'di', 0), (5, 'eve', 500)) AS s(id, owner, delta) "
        "ON a.id = s.id "
        "WHEN MATCHED AND s.delta = 0 THEN DELETE "
        "WHEN MATCHED THEN UPDATE SET balance = a.balance + s.delta "
        "WHEN NOT MATCHED THEN INSERT (id, owner, balance) VALUES (s.id, s.owner, s.delta)"
    )
    assert merged == 3
    assert trino.query(f"SELECT * FROM {t} ORDER BY id") == [(2, "bob", 201), (3, "cy", 300), (5, "eve", 500)]

    # create, insert, update, delete, merge: one snapshot each, each the child of the last.
    snapshots = rest.metadata(schema, "accounts")["snapshots"]
    assert len(snapshots) == 5
    assert all(s.get("parent-snapshot-id") == p["snapshot-id"] for p, s in zip(snapshots, snapshots[1:]))


def test_alter_table_columns(trino, rest, schema):
    t = f"{CATALOG}.{schema}.people"
    trino.execute(f"CREATE TABLE {t} (id bigint, name varchar)")
    trino.execute(f"INSERT INTO {t} VALUES (1, 'ann')")
    trino.execute(f"ALTER TABLE {t} ADD COLUMN age integer")
    trino.execute(f"ALTER TABLE {t} RENAME COLUMN name TO full_name")
    trino.execute(f"INSERT INTO {t} (id, full_name, age) VALUES (2, 'bob', 42)")
    assert trino.query(f"SELECT id, full_name, age FROM {t} ORDER BY id") == [(1, "ann", None), (2, "bob", 42)]
    assert trino.query(f"SELECT id FROM {t} WHERE full_name = 'ann'") == [(1,)]

    metadata = rest.metadata(schema, "people")
    current = next(s for s in metadata["schemas"] if s["schema-id"] == metadata["current-schema-id"])
    assert [(f["id"], f["name"]) for f in current["fields"]] == [(1, "id"), (2, "full_name"), (3, "age")]


def test_rename_table(trino, rest, schemas, schema):
    trino.execute(f"CREATE TABLE {CATALOG}.{schema}.a (id bigint)")
    trino.execute(f"INSERT INTO {CATALOG}.{schema}.a VALUES 1, 2")
    uuid_before = rest.metadata(schema, "a")["table-uuid"]

    trino.execute(f"ALTER TABLE {CATALOG}.{schema}.a RENAME TO {CATALOG}.{schema}.b")
    assert rest.table(schema, "a").status_code == 404
    assert rest.metadata(schema, "b")["table-uuid"] == uuid_before
    assert trino.query(f"SHOW TABLES FROM {CATALOG}.{schema}") == [("b",)]

    other = schemas.create()
    trino.execute(f"ALTER TABLE {CATALOG}.{schema}.b RENAME TO {CATALOG}.{other}.c")
    assert rest.tables(schema) == []
    assert rest.metadata(other, "c")["table-uuid"] == uuid_before
    trino.execute(f"INSERT INTO {CATALOG}.{other}.c VALUES 3")
    assert trino.query(f"SELECT id FROM {CATALOG}.{other}.c ORDER BY id") == [(1,), (2,), (3,)]


def test_drop_table_and_schema(trino, rest, schemas):
    name = schemas.create()
    trino.execute(f"CREATE TABLE {CATALOG}.{name}.gone (id bigint)")
    trino.execute(f"INSERT INTO {CATALOG}.{name}.gone VALUES 1")
    trino.execute(f"DROP TABLE {CATALOG}.{name}.gone")
    assert rest.table(name, "gone").status_code == 404
    assert trino.query(f"SHOW TABLES FROM {CATALOG}.{name}") == []
    trino.execute(f"CREATE TABLE {CATALOG}.{name}.gone (other varchar)")
    assert trino.query(f"SELECT * FROM {CATALOG}.{name}.gone") == []
    trino.execute(f"DROP TABLE {CATALOG}.{name}.gone")
    trino.execute(f"DROP SCHEMA {CATALOG}.{name}")
    assert name not in [s for (s,) in trino.query(f"SHOW SCHEMAS FROM {CATALOG}")]
    assert rest.get(f"namespaces/{rest.ns(name)}").status_code == 404


def test_nested_namespaces(trino, rest, schema):
    # Trino's nested-namespace mode: schema "a.b" is the namespace [a, b] (levels joined by
    # %1F in the path, children listed with ?parent=).
    child = f'{NESTED_CATALOG}."{schema}.child"'
    trino.execute(f"CREATE SCHEMA {child}")
    assert rest.namespace_location([schema, "child"]) == rest.namespace_location(schema) + "/child"
    assert trino.query(f"SHOW SCHEMAS FROM {NESTED_CATALOG} LIKE '{schema}%'") == [(schema,), (f"{schema}.child",)]

    trino.execute(f"CREATE TABLE {child}.t (id bigint)")
    trino.execute(f"INSERT INTO {child}.t VALUES 1, 2")
    assert trino.query(f"SELECT id FROM {child}.t ORDER BY id") == [(1,), (2,)]
    assert rest.tables([schema, "child"]) == ["t"]
    assert rest.metadata([schema, "child"], "t")["location"].startswith(rest.namespace_location([schema, "child"]) + "/t")

    trino.execute(f"ALTER TABLE {child}.t RENAME TO {NESTED_CATALOG}.{schema}.up")
    assert rest.tables([schema, "child"]) == []
    assert trino.query(f"SELECT id FROM {CATALOG}.{schema}.up ORDER BY id") == [(1,), (2,)]
    trino.execute(f"DROP SCHEMA {child}")
    assert rest.get(f"namespaces/{rest.ns([schema, 'child'])}").status_code == 404
