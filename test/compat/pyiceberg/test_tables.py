"""Table create / load / list / exists and a typed, partitioned write-read round trip."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError, TableAlreadyExistsError
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table.sorting import SortField, SortOrder
from pyiceberg.transforms import BucketTransform, DayTransform, IdentityTransform
from pyiceberg.types import (
    BinaryType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    IntegerType,
    ListType,
    LongType,
    MapType,
    NestedField,
    StringType,
    StructType,
    TimestampType,
    TimestamptzType,
)
from pyi_helpers import arrow_for, needs_pyiceberg_core, rows

UTC = dt.timezone.utc

RICH_SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=True),
    NestedField(2, "name", StringType(), required=False),
    NestedField(3, "ts", TimestampType(), required=False),
    NestedField(4, "price", DecimalType(10, 2), required=False),
    NestedField(5, "tags", ListType(element_id=20, element_type=StringType(), element_required=False), required=False),
    NestedField(
        6,
        "point",
        StructType(
            NestedField(21, "x", DoubleType(), required=False),
            NestedField(22, "label", StringType(), required=False),
        ),
        required=False,
    ),
    NestedField(7, "active", BooleanType(), required=False),
    NestedField(8, "born", DateType(), required=False),
    NestedField(9, "tstz", TimestamptzType(), required=False),
    NestedField(10, "score", DoubleType(), required=False),
    NestedField(
        11,
        "attrs",
        MapType(key_id=23, key_type=StringType(), value_id=24, value_type=IntegerType(), value_required=False),
        required=False,
    ),
    NestedField(12, "blob", BinaryType(), required=False),
    identifier_field_ids=[1],
)

RICH_SPEC = PartitionSpec(
    PartitionField(source_id=3, field_id=1000, transform=DayTransform(), name="ts_day"),
    PartitionField(source_id=1, field_id=1001, transform=BucketTransform(4), name="id_bucket"),
)

RICH_ROWS = [
    {
        "id": 1,
        "name": "alpha",
        "ts": dt.datetime(2024, 1, 1, 10, 30, 0, 123456),
        "price": Decimal("12.34"),
        "tags": ["a", "b"],
        "point": {"x": 1.5, "label": "p1"},
        "active": True,
        "born": dt.date(1990, 5, 17),
        "tstz": dt.datetime(2024, 1, 1, 10, 30, tzinfo=UTC),
        "score": 0.1,
        "attrs": [("k1", 1), ("k2", 2)],
        "blob": b"\x00\x01\xff",
    },
    {
        "id": 2,
        "name": "beta",
        "ts": dt.datetime(2024, 1, 1, 23, 59, 59, 999999),
        "price": Decimal("-0.01"),
        "tags": [],
        "point": {"x": -2.25, "label": None},
        "active": False,
        "born": dt.date(2000, 2, 29),
        "tstz": dt.datetime(2024, 1, 2, 0, 0, tzinfo=UTC),
        "score": -1e300,
        "attrs": [],
        "blob": b"",
    },
    {
        "id": 3,
        "name": "gamma ✓",
        "ts": dt.datetime(2024, 1, 2, 0, 0, 0),
        "price": Decimal("99999999.99"),
        "tags": ["x", None, "z"],
        "point": None,
        "active": None,
        "born": dt.date(1970, 1, 1),
        "tstz": None,
        "score": None,
        "attrs": [("only", None)],
        "blob": None,
    },
    {
        "id": 9007199254740993,  # 2**53 + 1: not representable as a double
        "name": None,
        "ts": dt.datetime(2024, 2, 29, 12, 0, 0),
        "price": None,
        "tags": None,
        "point": {"x": None, "label": "only-label"},
        "active": True,
        "born": None,
        "tstz": dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
        "score": 3.0,
        "attrs": None,
        "blob": b"big",
    },
    {
        "id": -5,
        "name": "null ts",
        "ts": None,
        "price": Decimal("0.00"),
        "tags": ["n"],
        "point": {"x": 0.0, "label": ""},
        "active": False,
        "born": dt.date(2024, 12, 31),
        "tstz": dt.datetime(2024, 6, 1, 8, 0, tzinfo=UTC),
        "score": 2.5,
        "attrs": [("a", -1)],
        "blob": b"\xde\xad\xbe\xef",
    },
]


def normalise(r: dict) -> dict:
    """pyarrow returns map columns as lists of (key, value) tuples; make them comparable."""
    out = dict(r)
    if out.get("attrs") is not None:
        out["attrs"] = sorted((k, v) for k, v in out["attrs"])
    return out


def expected_rich_rows() -> list[dict]:
    return sorted((normalise(r) for r in RICH_ROWS), key=lambda r: r["id"])


@needs_pyiceberg_core
def test_create_partitioned_table_append_and_read_back(catalog: Catalog, ns: str) -> None:
    ident = (ns, "rich")
    sort_order = SortOrder(SortField(source_id=1, transform=IdentityTransform()))
    table = catalog.create_table(
        ident,
        schema=RICH_SCHEMA,
        partition_spec=RICH_SPEC,
        sort_order=sort_order,
        properties={"owner": "compat-suite", "write.parquet.compression-codec": "zstd"},
    )

    assert table.name() == ident
    assert table.current_snapshot() is None
    assert table.scan().to_arrow().num_rows == 0
    assert table.properties["owner"] == "compat-suite"
    assert table.metadata.location, "server must assign a table location"

    # schema / spec / sort order survive a round trip through the catalog
    loaded = catalog.load_table(ident)
    assert loaded.schema().as_struct() == table.schema().as_struct()
    assert [f.name for f in loaded.schema().fields] == [f.name for f in RICH_SCHEMA.fields]
    # same types (nested field ids are reassigned by the client on create, so compare the created table)
    assert str(loaded.schema()) == str(table.schema())
    assert [type(f.field_type) for f in loaded.schema().fields] == [type(f.field_type) for f in RICH_SCHEMA.fields]
    assert loaded.schema().identifier_field_names() == {"id"}
    assert [(f.name, str(f.transform)) for f in loaded.spec().fields] == [
        ("ts_day", "day"),
        ("id_bucket", "bucket[4]"),
    ]
    assert len(loaded.sort_order().fields) == 1
    assert loaded.properties["owner"] == "compat-suite"
    assert loaded.properties["write.parquet.compression-codec"] == "zstd"
    assert loaded.metadata.location == table.metadata.location

    table.append(arrow_for(table, RICH_ROWS))

    got = [normalise(r) for r in rows(table)]
    assert got == expected_rich_rows()

    # the same data through a freshly loaded table object
    reloaded = catalog.load_table(ident)
    assert [normalise(r) for r in rows(reloaded)] == expected_rich_rows()
    snap = reloaded.current_snapshot()
    assert snap is not None
    assert snap.summary is not None
    assert snap.summary.operation.value == "append"
    assert snap.summary["added-records"] == str(len(RICH_ROWS))
    assert snap.summary["total-records"] == str(len(RICH_ROWS))

    # partition pruning on the day() transform works against the stored metadata
    jan1 = reloaded.scan(row_filter="ts >= '2024-01-01T00:00:00' and ts < '2024-01-02T00:00:00'")
    assert [r["id"] for r in rows(jan1)] == [1, 2]

    # data files are actually partitioned: one file per distinct (day, bucket)
    files = reloaded.inspect.files()
    day_t = DayTransform().transform(TimestampType())
    bucket_t = BucketTransform(4).transform(LongType())
    expected_partitions = set()
    for r in RICH_ROWS:
        ts = r["ts"]
        day = None if ts is None else day_t(int((ts - dt.datetime(1970, 1, 1)) / dt.timedelta(microseconds=1)))
        expected_partitions.add((day, bucket_t(r["id"])))
    assert files.num_rows == len(expected_partitions)
    assert sum(files.column("record_count").to_pylist()) == len(RICH_ROWS)


@needs_pyiceberg_core
def test_append_twice_accumulates(catalog: Catalog, ns: str) -> None:
    table = catalog.create_table((ns, "t"), schema=RICH_SCHEMA, partition_spec=RICH_SPEC)
    table.append(arrow_for(table, RICH_ROWS[:2]))
    first = table.current_snapshot()
    table.append(arrow_for(table, RICH_ROWS[2:]))
    second = table.current_snapshot()
    assert first is not None and second is not None
    assert second.parent_snapshot_id == first.snapshot_id
    assert second.sequence_number == first.sequence_number + 1

    loaded = catalog.load_table((ns, "t"))
    assert [normalise(r) for r in rows(loaded)] == expected_rich_rows()
    assert [s.snapshot_id for s in loaded.metadata.snapshots] == [first.snapshot_id, second.snapshot_id]
    assert loaded.metadata.last_sequence_number == second.sequence_number


def test_create_table_from_arrow_schema(catalog: Catalog, ns: str) -> None:
    arrow_schema = pa.schema(
        [
            pa.field("id", pa.int64(), nullable=False),
            pa.field("s", pa.string()),
            pa.field("ts", pa.timestamp("us")),
        ]
    )
    table = catalog.create_table((ns, "from_arrow"), schema=arrow_schema)
    data = pa.Table.from_pylist(
        [{"id": 2, "s": "b", "ts": dt.datetime(2020, 1, 1)}, {"id": 1, "s": None, "ts": None}],
        schema=arrow_schema,
    )
    table.append(data)
    assert rows(catalog.load_table((ns, "from_arrow"))) == [
        {"id": 1, "s": None, "ts": None},
        {"id": 2, "s": "b", "ts": dt.datetime(2020, 1, 1)},
    ]


def test_table_exists(catalog: Catalog, ns: str) -> None:
    assert catalog.table_exists((ns, "t")) is False
    catalog.create_table((ns, "t"), schema=RICH_SCHEMA)
    assert catalog.table_exists((ns, "t")) is True
    assert catalog.table_exists(f"{ns}.t") is True
    assert catalog.table_exists((ns, "other")) is False
    assert catalog.table_exists((ns + "_missing", "t")) is False


def test_list_tables(catalog: Catalog, namespaces) -> None:
    ns = namespaces.create()
    other = namespaces.create()
    assert catalog.list_tables(ns) == []
    for name in ("t_b", "t_a", "t_c"):
        catalog.create_table((ns, name), schema=RICH_SCHEMA)
    catalog.create_table((other, "elsewhere"), schema=RICH_SCHEMA)

    assert sorted(tuple(i) for i in catalog.list_tables(ns)) == [(ns, "t_a"), (ns, "t_b"), (ns, "t_c")]
    assert [tuple(i) for i in catalog.list_tables(other)] == [(other, "elsewhere")]


def test_list_tables_in_nested_namespace(catalog: Catalog, namespaces) -> None:
    parent = namespaces.create()
    catalog.create_namespace((parent, "child"))
    catalog.create_table((parent, "child", "t"), schema=RICH_SCHEMA)
    catalog.create_table((parent, "top"), schema=RICH_SCHEMA)

    assert [tuple(i) for i in catalog.list_tables((parent, "child"))] == [(parent, "child", "t")]
    assert [tuple(i) for i in catalog.list_tables(parent)] == [(parent, "top")]

    table = catalog.load_table((parent, "child", "t"))
    assert table.name() == (parent, "child", "t")
    table.append(arrow_for(table, RICH_ROWS[:1]))
    assert [r["id"] for r in rows(catalog.load_table((parent, "child", "t")))] == [1]

    catalog.drop_table((parent, "child", "t"))
    assert catalog.table_exists((parent, "child", "t")) is False


def test_create_existing_table_fails(catalog: Catalog, ns: str) -> None:
    table = catalog.create_table((ns, "t"), schema=RICH_SCHEMA)
    table.append(arrow_for(table, RICH_ROWS[:1]))
    with pytest.raises(TableAlreadyExistsError):
        catalog.create_table((ns, "t"), schema=RICH_SCHEMA)
    # original table untouched
    assert [r["id"] for r in rows(catalog.load_table((ns, "t")))] == [1]


def test_create_table_in_missing_namespace_fails(catalog: Catalog, namespaces) -> None:
    with pytest.raises(NoSuchNamespaceError):
        catalog.create_table((namespaces.name(), "t"), schema=RICH_SCHEMA)


def test_load_missing_table_fails(catalog: Catalog, ns: str, namespaces) -> None:
    with pytest.raises(NoSuchTableError):
        catalog.load_table((ns, "does_not_exist"))
    # table in a namespace that does not exist
    with pytest.raises(NoSuchTableError):
        catalog.load_table((namespaces.name(), "does_not_exist"))


def test_drop_missing_table_fails(catalog: Catalog, ns: str) -> None:
    with pytest.raises(NoSuchTableError):
        catalog.drop_table((ns, "does_not_exist"))


def test_table_properties_update(catalog: Catalog, ns: str) -> None:
    table = catalog.create_table((ns, "t"), schema=RICH_SCHEMA, properties={"a": "1", "b": "2"})
    with table.transaction() as tx:
        tx.set_properties(c="3", a="10")
        tx.remove_properties("b")
    loaded = catalog.load_table((ns, "t"))
    assert loaded.properties["a"] == "10"
    assert loaded.properties["c"] == "3"
    assert "b" not in loaded.properties


def test_table_location_matches_backend(catalog: Catalog, ns: str) -> None:
    """Guards the CI matrix: with S3_ENDPOINT set, tables must really live in S3 (and vice versa).
    CATALOG_EXPECT_LOCATION_PREFIX (e.g. s3://warehouse/) makes the check stricter."""
    import os

    table = catalog.create_table((ns, "where"), schema=RICH_SCHEMA)
    location = table.metadata.location
    expected = os.environ.get("CATALOG_EXPECT_LOCATION_PREFIX")
    if expected:
        assert location.startswith(expected), location
    elif os.environ.get("S3_ENDPOINT"):
        assert location.startswith("s3://"), location
    else:
        assert location.startswith("file:"), location
    assert table.metadata_location.startswith(location + "/metadata/")
