"""DuckDB reads what PyIceberg wrote: listing, types, partitions, time travel, clones."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from decimal import Decimal

import pyarrow as pa
import requests
from pyiceberg.catalog import Catalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import DayTransform, IdentityTransform
from pyiceberg.types import (
    BinaryType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    FixedType,
    FloatType,
    IntegerType,
    ListType,
    LongType,
    MapType,
    NestedField,
    StringType,
    StructType,
    TimestampType,
    TimestamptzType,
    TimeType,
    UUIDType,
)

from conftest import CATALOG_URI, WAREHOUSE, NamespaceFactory, fetch, pyiceberg_rows

UTC = dt.timezone.utc
SIMPLE = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("v", pa.string())])


def simple_rows(*ids: int) -> pa.Table:
    return pa.table({"id": list(ids), "v": [f"v{i}" for i in ids]}, schema=SIMPLE)


def test_attach_lists_schemas_and_tables(duck, catalog: Catalog, namespaces: NamespaceFactory) -> None:
    # Both namespaces are created after the ATTACH: DuckDB must ask again, not cache.
    first, second = namespaces.create(), namespaces.create()
    catalog.create_table(f"{first}.b", schema=SIMPLE)
    catalog.create_table(f"{first}.a", schema=SIMPLE)

    schemas = {row[0] for row in fetch(duck, "SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'cat'")}
    assert {first, second} <= schemas
    assert fetch(duck, f"SHOW TABLES FROM cat.{first}") == [("a",), ("b",)]
    assert fetch(duck, f"SHOW TABLES FROM cat.{second}") == []
    assert fetch(duck, f"SELECT column_name, column_type FROM (DESCRIBE cat.{first}.a)") == [
        ("id", "BIGINT"),
        ("v", "VARCHAR"),
    ]

    catalog.create_table(f"{second}.c", schema=SIMPLE)
    assert fetch(duck, f"SHOW TABLES FROM cat.{second}") == [("c",)]


TYPES = Schema(
    NestedField(1, "id", LongType(), required=True),
    NestedField(2, "i", IntegerType()),
    NestedField(3, "f", FloatType()),
    NestedField(4, "d", DoubleType()),
    NestedField(5, "dec", DecimalType(10, 2)),
    NestedField(6, "big", DecimalType(38, 10)),
    NestedField(7, "s", StringType()),
    NestedField(8, "b", BinaryType()),
    NestedField(9, "bo", BooleanType()),
    NestedField(10, "day", DateType()),
    NestedField(11, "ts", TimestampType()),
    NestedField(12, "tstz", TimestamptzType()),
    NestedField(13, "tm", TimeType()),
    NestedField(14, "u", UUIDType()),
    NestedField(15, "fx", FixedType(4)),
    NestedField(16, "l", ListType(17, IntegerType(), element_required=False)),
    NestedField(18, "st", StructType(NestedField(19, "x", IntegerType()), NestedField(20, "y", StringType()))),
    NestedField(21, "m", MapType(22, StringType(), 23, LongType(), value_required=False)),
)

TYPED_ROWS = [
    {
        "id": 1, "i": 1, "f": 1.5, "d": 2.25, "dec": Decimal("12.34"),
        "big": Decimal("1234567890123456789012345678.0123456789"), "s": "héllo", "b": b"\x00\x01\xff",
        "bo": True, "day": dt.date(2024, 1, 2), "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 123456),
        "tstz": dt.datetime(2024, 1, 2, 3, 4, 5, 654321, tzinfo=UTC), "tm": dt.time(1, 2, 3, 4),
        "u": uuid.UUID(int=1), "fx": b"abcd", "l": [1, None, 3], "st": {"x": 7, "y": "z"},
        "m": [("a", 1), ("b", None)],
    },
    {
        "id": 2**63 - 1, "i": -(2**31), "f": -0.25, "d": -1e300, "dec": Decimal("-99999999.99"),
        "big": Decimal("-0.0000000001"), "s": "", "b": b"", "bo": False, "day": dt.date(1900, 1, 1),
        "ts": dt.datetime(1969, 12, 31, 23, 59, 59, 999999),
        "tstz": dt.datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=UTC), "tm": dt.time(23, 59, 59, 999999),
        "u": uuid.UUID("f79c3e09-677c-4e4b-8a1e-7b1d3f5a8c2e"), "fx": b"\x00\x00\x00\x00", "l": [],
        "st": {"x": None, "y": None}, "m": [],
    },
    {"id": 3, **{field.name: None for field in TYPES.fields if field.name != "id"}},
]


def _duckdb_value(name: str, value):
    """PyIceberg's Python value as DuckDB's Python client returns it (maps are dicts)."""
    return dict(value) if name == "m" and value is not None else value


def test_reads_pyiceberg_types(duck, catalog: Catalog, ns: str) -> None:
    table = catalog.create_table(f"{ns}.types", schema=TYPES)
    arrow_rows = [{**row, "u": row["u"].bytes if row["u"] else None} for row in TYPED_ROWS]
    table.append(pa.Table.from_pylist(arrow_rows, schema=table.schema().as_arrow()))

    assert fetch(duck, f"SELECT column_name, column_type FROM (DESCRIBE cat.{ns}.types)") == [
        ("id", "BIGINT"), ("i", "INTEGER"), ("f", "FLOAT"), ("d", "DOUBLE"), ("dec", "DECIMAL(10,2)"),
        ("big", "DECIMAL(38,10)"), ("s", "VARCHAR"), ("b", "BLOB"), ("bo", "BOOLEAN"), ("day", "DATE"),
        ("ts", "TIMESTAMP"), ("tstz", "TIMESTAMP WITH TIME ZONE"), ("tm", "TIME"), ("u", "UUID"),
        ("fx", "BLOB"), ("l", "INTEGER[]"), ("st", "STRUCT(x INTEGER, y VARCHAR)"),
        ("m", "MAP(VARCHAR, BIGINT)"),
    ]
    names = [field.name for field in TYPES.fields]
    expected = [tuple(_duckdb_value(n, row[n]) for n in names) for row in sorted(TYPED_ROWS, key=lambda r: r["id"])]
    assert fetch(duck, f"SELECT * FROM cat.{ns}.types ORDER BY id") == expected
    # A filter on a typed column (pushed into the scan) still answers exactly.
    assert fetch(duck, f"SELECT id FROM cat.{ns}.types WHERE tstz < TIMESTAMPTZ '1970-01-01 00:00:00+00'") == [(2**63 - 1,)]


def test_reads_partitioned_table(duck, catalog: Catalog, ns: str) -> None:
    schema = Schema(
        NestedField(1, "id", LongType(), required=True),
        NestedField(2, "kind", StringType()),
        NestedField(3, "ts", TimestampType()),
    )
    spec = PartitionSpec(
        PartitionField(2, 1000, IdentityTransform(), "kind"), PartitionField(3, 1001, DayTransform(), "ts_day")
    )
    table = catalog.create_table(f"{ns}.events", schema=schema, partition_spec=spec)
    rows = [(1, "a", dt.datetime(2024, 1, 1, 5)), (2, "b", dt.datetime(2024, 1, 2, 6)), (3, "a", dt.datetime(2024, 1, 3, 7))]
    table.append(pa.Table.from_pylist([dict(zip(("id", "kind", "ts"), r)) for r in rows], schema=table.schema().as_arrow()))

    assert fetch(duck, f"SELECT * FROM cat.{ns}.events ORDER BY id") == rows
    assert fetch(duck, f"SELECT id FROM cat.{ns}.events WHERE kind = 'a' ORDER BY id") == [(1,), (3,)]
    assert fetch(duck, f"SELECT id FROM cat.{ns}.events WHERE ts >= TIMESTAMP '2024-01-02 00:00:00' ORDER BY id") == [(2,), (3,)]


def _instant(ms: int) -> str:
    """A TIMESTAMPTZ literal for epoch milliseconds."""
    return f"TIMESTAMPTZ '{dt.datetime.fromtimestamp(ms / 1000, UTC).isoformat(sep=' ')}'"


def test_time_travel(duck, catalog: Catalog, ns: str) -> None:
    table = catalog.create_table(f"{ns}.hist", schema=SIMPLE)
    snapshots = []
    for batch in ((1, 2), (3,), (4,)):
        table.append(simple_rows(*batch))
        snapshots.append(table.current_snapshot())
        time.sleep(0.02)  # distinct commit timestamps
    first, second, third = snapshots
    t = f"cat.{ns}.hist"

    # Snapshot ids are random 64-bit integers; DuckDB sees them exactly as PyIceberg does.
    assert sorted(fetch(duck, f"SELECT snapshot_id FROM iceberg_snapshots({t})")) == sorted(
        (s.snapshot_id,) for s in snapshots
    )
    assert fetch(duck, f"SELECT id FROM {t} AT (VERSION => {first.snapshot_id}) ORDER BY id") == [(1,), (2,)]
    assert fetch(duck, f"SELECT id FROM {t} AT (VERSION => {second.snapshot_id}) ORDER BY id") == [(1,), (2,), (3,)]
    assert fetch(duck, f"SELECT id FROM {t} AT (TIMESTAMP => {_instant(first.timestamp_ms)}) ORDER BY id") == [(1,), (2,)]
    between = (second.timestamp_ms + third.timestamp_ms) // 2
    assert second.timestamp_ms <= between < third.timestamp_ms
    assert fetch(duck, f"SELECT id FROM {t} AT (TIMESTAMP => {_instant(between)}) ORDER BY id") == [(1,), (2,), (3,)]
    assert fetch(duck, f"SELECT id FROM {t} ORDER BY id") == [(1,), (2,), (3,), (4,)]


def test_reads_and_writes_a_clone(duck, catalog: Catalog, namespaces: NamespaceFactory) -> None:
    source_ns, clone_ns = namespaces.create(), namespaces.create()
    source = catalog.create_table(f"{source_ns}.src", schema=SIMPLE)
    source.append(simple_rows(1, 2))
    source.append(simple_rows(3))
    response = requests.post(
        f"{CATALOG_URI}/ext/v1/{WAREHOUSE}/namespaces/{source_ns}/tables/src/clone",
        json={"destination": {"namespace": [clone_ns], "name": "t2"}},
        timeout=30,
    )
    assert response.status_code == 200, response.text

    # The clone's files are the source's, outside the clone's own location.
    assert fetch(duck, f"SELECT * FROM cat.{clone_ns}.t2 ORDER BY id") == [(1, "v1"), (2, "v2"), (3, "v3")]
    duck.execute(f"INSERT INTO cat.{clone_ns}.t2 VALUES (10, 'v10')")
    duck.execute(f"DELETE FROM cat.{clone_ns}.t2 WHERE id = 1")
    assert fetch(duck, f"SELECT id FROM cat.{clone_ns}.t2 ORDER BY id") == [(2,), (3,), (10,)]
    assert fetch(duck, f"SELECT id FROM cat.{source_ns}.src ORDER BY id") == [(1,), (2,), (3,)]
    assert [r["id"] for r in pyiceberg_rows(catalog, f"{clone_ns}.t2")] == [2, 3, 10]
    assert [r["id"] for r in pyiceberg_rows(catalog, f"{source_ns}.src")] == [1, 2, 3]
