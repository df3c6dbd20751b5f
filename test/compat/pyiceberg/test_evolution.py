"""Schema and partition-spec evolution committed through the REST catalog."""

from __future__ import annotations

import datetime as dt

from pyiceberg.catalog import Catalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import BucketTransform, DayTransform, IdentityTransform
from pyiceberg.types import DoubleType, LongType, NestedField, StringType, TimestampType
from pyi_helpers import arrow_for, needs_pyiceberg_core, rows

BASE_SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=True),
    NestedField(2, "name", StringType(), required=True),
    NestedField(3, "ts", TimestampType(), required=False),
)


def test_schema_evolution_add_rename_make_optional(catalog: Catalog, ns: str) -> None:
    ident = (ns, "evolve")
    table = catalog.create_table(ident, schema=BASE_SCHEMA)
    table.append(
        arrow_for(
            table,
            [
                {"id": 1, "name": "one", "ts": dt.datetime(2024, 3, 1, 1, 2, 3)},
                {"id": 2, "name": "two", "ts": None},
            ],
        )
    )
    old_snapshot_id = table.current_snapshot().snapshot_id
    old_schema_id = table.schema().schema_id

    with table.update_schema() as upd:
        upd.add_column("score", DoubleType(), doc="a new column")
        upd.rename_column("name", "label")
        upd.make_column_optional("name")  # names refer to the schema before this update

    # the committed schema is what the catalog now serves
    loaded = catalog.load_table(ident)
    schema = loaded.schema()
    assert schema.schema_id != old_schema_id
    assert [f.name for f in schema.fields] == ["id", "label", "ts", "score"]
    label = schema.find_field("label")
    assert label.required is False
    assert label.field_id == loaded.metadata.schemas[0].find_field("name").field_id
    score = schema.find_field("score")
    assert isinstance(score.field_type, DoubleType)
    assert score.required is False
    assert score.doc == "a new column"
    assert len(loaded.metadata.schemas) == 2

    # append with the new schema (label can now be null)
    loaded.append(
        arrow_for(
            loaded,
            [
                {"id": 3, "label": "three", "ts": dt.datetime(2024, 3, 2), "score": 1.25},
                {"id": 4, "label": None, "ts": None, "score": -7.5},
            ],
        )
    )

    expected = [
        {"id": 1, "label": "one", "ts": dt.datetime(2024, 3, 1, 1, 2, 3), "score": None},
        {"id": 2, "label": "two", "ts": None, "score": None},
        {"id": 3, "label": "three", "ts": dt.datetime(2024, 3, 2), "score": 1.25},
        {"id": 4, "label": None, "ts": None, "score": -7.5},
    ]
    assert rows(loaded) == expected
    assert rows(catalog.load_table(ident)) == expected

    # time travel to the pre-evolution snapshot reads with that snapshot's schema
    old = catalog.load_table(ident).scan(snapshot_id=old_snapshot_id).to_arrow()
    assert sorted(old.column_names) == ["id", "name", "ts"]
    assert sorted(old.to_pylist(), key=lambda r: r["id"]) == [
        {"id": 1, "name": "one", "ts": dt.datetime(2024, 3, 1, 1, 2, 3)},
        {"id": 2, "name": "two", "ts": None},
    ]


def test_schema_evolution_from_stale_table_object_then_refresh(catalog: Catalog, ns: str) -> None:
    ident = (ns, "evolve2")
    table = catalog.create_table(ident, schema=BASE_SCHEMA)
    with table.update_schema() as upd:
        upd.add_column("extra", StringType())
    with table.update_schema() as upd:
        upd.delete_column("extra")
        upd.add_column("extra2", LongType())
    loaded = catalog.load_table(ident)
    assert [f.name for f in loaded.schema().fields] == ["id", "name", "ts", "extra2"]
    assert len(loaded.metadata.schemas) == 3
    assert loaded.metadata.current_schema_id == loaded.schema().schema_id
    assert loaded.metadata.last_column_id == 5


@needs_pyiceberg_core
def test_partition_spec_evolution(catalog: Catalog, ns: str) -> None:
    ident = (ns, "spec")
    spec = PartitionSpec(PartitionField(source_id=3, field_id=1000, transform=DayTransform(), name="ts_day"))
    table = catalog.create_table(ident, schema=BASE_SCHEMA, partition_spec=spec)
    before = [
        {"id": 1, "name": "a", "ts": dt.datetime(2024, 1, 1, 5)},
        {"id": 2, "name": "b", "ts": dt.datetime(2024, 1, 2, 5)},
    ]
    table.append(arrow_for(table, before))

    with table.update_spec() as upd:
        upd.add_field("id", BucketTransform(8), "id_bucket")
        upd.add_identity("name")

    loaded = catalog.load_table(ident)
    new_spec = loaded.spec()
    assert new_spec.spec_id == 1
    assert [(f.name, str(f.transform)) for f in new_spec.fields] == [
        ("ts_day", "day"),
        ("id_bucket", "bucket[8]"),
        ("name", "identity"),
    ]
    assert sorted(loaded.specs().keys()) == [0, 1]
    assert loaded.metadata.default_spec_id == 1
    assert loaded.metadata.last_partition_id == 1002

    after = [
        {"id": 3, "name": "c", "ts": dt.datetime(2024, 1, 1, 6)},
        {"id": 4, "name": "c", "ts": dt.datetime(2024, 1, 3, 6)},
        {"id": 5, "name": "d", "ts": None},
    ]
    loaded.append(arrow_for(loaded, after))

    final = catalog.load_table(ident)
    assert rows(final) == sorted(before + after, key=lambda r: r["id"])
    files = final.inspect.files()
    spec_ids = files.column("spec_id").to_pylist()
    assert sorted(set(spec_ids)) == [0, 1]
    assert spec_ids.count(0) == 2  # two days in the first append
    # filtered scan across both specs
    assert [r["id"] for r in rows(final.scan(row_filter="name == 'c'"))] == [3, 4]


def test_partition_spec_evolution_remove_field(catalog: Catalog, ns: str) -> None:
    ident = (ns, "spec_rm")
    spec = PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="name"))
    table = catalog.create_table(ident, schema=BASE_SCHEMA, partition_spec=spec)
    table.append(arrow_for(table, [{"id": 1, "name": "x", "ts": None}]))
    with table.update_spec() as upd:
        upd.remove_field("name")
    table.append(arrow_for(table, [{"id": 2, "name": "y", "ts": None}]))
    loaded = catalog.load_table(ident)
    # format v2: removed partition fields become void transforms or the spec is empty
    assert all(str(f.transform) == "void" for f in loaded.spec().fields)
    assert rows(loaded) == [{"id": 1, "name": "x", "ts": None}, {"id": 2, "name": "y", "ts": None}]
