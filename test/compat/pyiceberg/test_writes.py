"""Overwrite and row-level delete through PyIceberg (copy-on-write)."""

from __future__ import annotations

from pyiceberg.catalog import Catalog
from pyiceberg.expressions import EqualTo, GreaterThanOrEqual
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import LongType, NestedField, StringType
from pyi_helpers import arrow_for, rows

SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=True),
    NestedField(2, "category", StringType(), required=False),
    NestedField(3, "value", StringType(), required=False),
)
SPEC = PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="category"))

INITIAL = [
    {"id": 1, "category": "a", "value": "v1"},
    {"id": 2, "category": "a", "value": "v2"},
    {"id": 3, "category": "b", "value": "v3"},
    {"id": 4, "category": "b", "value": "v4"},
    {"id": 5, "category": "c", "value": "v5"},
]


def _make(catalog: Catalog, ns: str, name: str, partitioned: bool = True):
    table = catalog.create_table((ns, name), schema=SCHEMA, partition_spec=SPEC if partitioned else PartitionSpec())
    table.append(arrow_for(table, INITIAL))
    return table


def test_full_overwrite(catalog: Catalog, ns: str) -> None:
    table = _make(catalog, ns, "ow")
    first = table.current_snapshot().snapshot_id
    new = [{"id": 10, "category": "z", "value": "new"}, {"id": 11, "category": None, "value": None}]
    table.overwrite(arrow_for(table, new))

    loaded = catalog.load_table((ns, "ow"))
    assert rows(loaded) == new
    # old data still reachable by time travel
    assert rows(loaded.scan(snapshot_id=first)) == INITIAL
    ops = [s.summary.operation.value for s in loaded.metadata.snapshots]
    assert ops[0] == "append"
    assert ops[-1] == "append"
    assert "delete" in ops or "overwrite" in ops
    assert loaded.current_snapshot().summary["total-records"] == "2"


def test_partial_overwrite_with_filter(catalog: Catalog, ns: str) -> None:
    table = _make(catalog, ns, "ow_filter", partitioned=False)
    replacement = [{"id": 30, "category": "b", "value": "replaced"}]
    table.overwrite(arrow_for(table, replacement), overwrite_filter=EqualTo("category", "b"))
    expected = [r for r in INITIAL if r["category"] != "b"] + replacement
    assert rows(catalog.load_table((ns, "ow_filter"))) == sorted(expected, key=lambda r: r["id"])


def test_delete_whole_partition_and_rows(catalog: Catalog, ns: str) -> None:
    table = _make(catalog, ns, "del")
    before = table.current_snapshot().snapshot_id

    # whole-partition delete (metadata only)
    table.delete(delete_filter=EqualTo("category", "a"))
    assert rows(catalog.load_table((ns, "del"))) == [r for r in INITIAL if r["category"] != "a"]

    # row-level delete inside a partition (rewrites the data file)
    table.delete(delete_filter="id = 4")
    loaded = catalog.load_table((ns, "del"))
    assert rows(loaded) == [{"id": 3, "category": "b", "value": "v3"}, {"id": 5, "category": "c", "value": "v5"}]
    assert loaded.current_snapshot().summary["total-records"] == "2"

    # delete matching nothing keeps the data
    loaded.delete(delete_filter=GreaterThanOrEqual("id", 1000))
    assert rows(catalog.load_table((ns, "del"))) == [
        {"id": 3, "category": "b", "value": "v3"},
        {"id": 5, "category": "c", "value": "v5"},
    ]

    assert rows(catalog.load_table((ns, "del")).scan(snapshot_id=before)) == INITIAL


def test_delete_everything(catalog: Catalog, ns: str) -> None:
    table = _make(catalog, ns, "del_all", partitioned=False)
    table.delete()
    loaded = catalog.load_table((ns, "del_all"))
    assert rows(loaded) == []
    assert loaded.current_snapshot() is not None
    assert loaded.current_snapshot().summary["total-records"] == "0"
    # and append again afterwards
    loaded.append(arrow_for(loaded, INITIAL[:1]))
    assert rows(catalog.load_table((ns, "del_all"))) == INITIAL[:1]
