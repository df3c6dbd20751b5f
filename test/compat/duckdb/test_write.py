"""DuckDB writes through the catalog; PyIceberg reads back exactly what it wrote."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pyarrow as pa
from pyiceberg.catalog import Catalog

from conftest import NamespaceFactory, columns, fetch, pyiceberg_rows

UTC = dt.timezone.utc


def operations(catalog: Catalog, identifier: str) -> list[str]:
    table = catalog.load_table(identifier)
    return [snapshot.summary.operation.value for snapshot in table.snapshots()]


def test_create_and_drop_schema(duck, catalog: Catalog, namespaces: NamespaceFactory) -> None:
    name = namespaces.name()
    duck.execute(f"CREATE SCHEMA cat.{name}")
    assert catalog.namespace_exists(name)
    assert (name,) in fetch(duck, "SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'cat'")
    duck.execute(f"DROP SCHEMA cat.{name}")
    assert not catalog.namespace_exists(name)


def test_create_table_and_insert(duck, catalog: Catalog, ns: str) -> None:
    duck.execute(f"CREATE TABLE cat.{ns}.t (id BIGINT NOT NULL, name VARCHAR, amount DECIMAL(12, 3))")
    duck.execute(f"INSERT INTO cat.{ns}.t VALUES (1, 'one', 1.5), (2, NULL, -0.001)")
    duck.execute(f"INSERT INTO cat.{ns}.t VALUES (3, 'three', NULL)")

    table = catalog.load_table(f"{ns}.t")
    assert columns(table.schema()) == [
        ("id", "long", True),
        ("name", "string", False),
        ("amount", "decimal(12, 3)", False),
    ]
    assert pyiceberg_rows(catalog, f"{ns}.t") == [
        {"id": 1, "name": "one", "amount": Decimal("1.500")},
        {"id": 2, "name": None, "amount": Decimal("-0.001")},
        {"id": 3, "name": "three", "amount": None},
    ]
    assert operations(catalog, f"{ns}.t") == ["append", "append"]
    assert fetch(duck, f"SELECT count(*) FROM cat.{ns}.t") == [(3,)]


# One row of every type DuckDB writes to Iceberg, and the row of NULLs.
CTAS_SELECT = """
SELECT * FROM (VALUES
  (1::BIGINT, 2::INTEGER, 1.5::FLOAT, 2.25::DOUBLE, 12.34::DECIMAL(10, 2), 'héllo', '\\x00\\x01'::BLOB, true,
   DATE '2024-01-02', TIMESTAMP '2024-01-02 03:04:05.123456', TIMESTAMPTZ '2024-01-02 03:04:05.654321+00',
   TIME '01:02:03.000004', '00000000-0000-0000-0000-000000000001'::UUID, [1, NULL, 3],
   {'x': 7, 'y': 'z'}, MAP {'a': 1, 'b': NULL}),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
) v(id, i, f, d, dec, s, b, bo, day, ts, tstz, tm, u, l, st, m)
"""


def test_ctas_into_a_new_schema(duck, catalog: Catalog, namespaces: NamespaceFactory) -> None:
    # A schema DuckDB just created, so the table is the first thing under its location:
    # the catalog must have made the directories DuckDB writes manifests into.
    name = namespaces.name()
    duck.execute(f"CREATE SCHEMA cat.{name}")
    duck.execute(f"CREATE TABLE cat.{name}.typed AS {CTAS_SELECT}")

    table = catalog.load_table(f"{name}.typed")
    assert [(name, type_) for name, type_, _ in columns(table.schema())] == [
        ("id", "long"), ("i", "int"), ("f", "float"), ("d", "double"), ("dec", "decimal(10, 2)"),
        ("s", "string"), ("b", "binary"), ("bo", "boolean"), ("day", "date"), ("ts", "timestamp"),
        ("tstz", "timestamptz"), ("tm", "time"), ("u", "uuid"), ("l", "list<int>"),
        ("st", "struct<x: int, y: string>"), ("m", "map<string, int>"),
    ]
    assert operations(catalog, f"{name}.typed") == ["append"]
    rows = pyiceberg_rows(catalog, f"{name}.typed")
    assert rows[0] == {
        "id": 1, "i": 2, "f": 1.5, "d": 2.25, "dec": Decimal("12.34"), "s": "héllo", "b": b"\x00\x01",
        "bo": True, "day": dt.date(2024, 1, 2), "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 123456),
        "tstz": dt.datetime(2024, 1, 2, 3, 4, 5, 654321, tzinfo=UTC), "tm": dt.time(1, 2, 3, 4),
        "u": uuid.UUID(int=1), "l": [1, None, 3], "st": {"x": 7, "y": "z"}, "m": [("a", 1), ("b", None)],
    }
    assert rows[1] == {"id": 2, **{k: None for k in rows[0] if k != "id"}}
    assert fetch(duck, f"SELECT id, s, m FROM cat.{name}.typed ORDER BY id") == [
        (1, "héllo", {"a": 1, "b": None}),
        (2, None, None),
    ]


def test_ctas_from_an_iceberg_table(duck, catalog: Catalog, ns: str) -> None:
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("v", pa.string())])
    source = catalog.create_table(f"{ns}.src", schema=schema)
    source.append(pa.table({"id": [1, 2, 3], "v": ["a", "b", "c"]}, schema=schema))

    duck.execute(f"CREATE TABLE cat.{ns}.copy AS SELECT id * 10 AS id, upper(v) AS v FROM cat.{ns}.src WHERE id > 1")
    assert pyiceberg_rows(catalog, f"{ns}.copy") == [{"id": 20, "v": "B"}, {"id": 30, "v": "C"}]
    assert fetch(duck, f"SELECT * FROM cat.{ns}.copy ORDER BY id") == [(20, "B"), (30, "C")]


def test_update_and_delete(duck, catalog: Catalog, ns: str) -> None:
    t = f"cat.{ns}.t"
    duck.execute(f"CREATE TABLE {t} (id BIGINT, v VARCHAR)")
    duck.execute(f"INSERT INTO {t} VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')")
    duck.execute(f"UPDATE {t} SET v = upper(v) WHERE id IN (2, 4)")
    duck.execute(f"DELETE FROM {t} WHERE id = 3")

    assert fetch(duck, f"SELECT * FROM {t} ORDER BY id") == [(1, "a"), (2, "B"), (4, "D")]
    assert pyiceberg_rows(catalog, f"{ns}.t") == [{"id": 1, "v": "a"}, {"id": 2, "v": "B"}, {"id": 4, "v": "D"}]
    assert operations(catalog, f"{ns}.t") == ["append", "overwrite", "delete"]


def test_writes_to_a_pyiceberg_table(duck, catalog: Catalog, ns: str) -> None:
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("ts", pa.timestamp("us", tz="UTC"))])
    table = catalog.create_table(f"{ns}.t", schema=schema)
    table.append(pa.table({"id": [1, 2], "ts": [dt.datetime(2024, 1, 1, tzinfo=UTC)] * 2}, schema=schema))

    t = f"cat.{ns}.t"
    duck.execute(f"INSERT INTO {t} VALUES (3, TIMESTAMPTZ '2024-03-01 12:00:00+00')")
    duck.execute(f"UPDATE {t} SET ts = ts + INTERVAL 1 DAY WHERE id = 1")
    duck.execute(f"DELETE FROM {t} WHERE id = 2")

    assert pyiceberg_rows(catalog, f"{ns}.t") == [
        {"id": 1, "ts": dt.datetime(2024, 1, 2, tzinfo=UTC)},
        {"id": 3, "ts": dt.datetime(2024, 3, 1, 12, tzinfo=UTC)},
    ]
    assert operations(catalog, f"{ns}.t") == ["append", "append", "overwrite", "delete"]


def test_drop_table(duck, catalog: Catalog, ns: str) -> None:
    duck.execute(f"CREATE TABLE cat.{ns}.gone (id BIGINT)")
    duck.execute(f"INSERT INTO cat.{ns}.gone VALUES (1)")
    duck.execute(f"CREATE TABLE cat.{ns}.kept (id BIGINT)")
    duck.execute(f"DROP TABLE cat.{ns}.gone")

    assert not catalog.table_exists(f"{ns}.gone")
    assert fetch(duck, f"SHOW TABLES FROM cat.{ns}") == [("kept",)]
    # The name is free again, and the new table starts empty.
    duck.execute(f"CREATE TABLE cat.{ns}.gone (id BIGINT, v VARCHAR)")
    assert fetch(duck, f"SELECT count(*) FROM cat.{ns}.gone") == [(0,)]
    assert catalog.load_table(f"{ns}.gone").current_snapshot() is None
