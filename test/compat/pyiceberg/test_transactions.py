"""Create-table transactions (stage-create + assert-create) and multi-update commits.

Multi-table transactions are not exposed by PyIceberg, so they are not covered here.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import CommitFailedException, TableAlreadyExistsError
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import MonthTransform
from pyiceberg.types import LongType, NestedField, StringType, TimestampType
from pyi_helpers import arrow_for, needs_pyiceberg_core, rows

SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=True),
    NestedField(2, "v", StringType(), required=False),
    NestedField(3, "ts", TimestampType(), required=False),
)
SPEC = PartitionSpec(PartitionField(source_id=3, field_id=1000, transform=MonthTransform(), name="ts_month"))
DATA = [
    {"id": 1, "v": "a", "ts": dt.datetime(2023, 12, 31, 23, 0)},
    {"id": 2, "v": "b", "ts": dt.datetime(2024, 1, 1, 0, 0)},
    {"id": 3, "v": None, "ts": None},
]


def staged_arrow(txn, data: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(data, schema=txn.table_metadata.schema().as_arrow())


@needs_pyiceberg_core
def test_create_table_transaction_with_append(catalog: Catalog, ns: str) -> None:
    ident = (ns, "ctas")
    txn = catalog.create_table_transaction(ident, schema=SCHEMA, partition_spec=SPEC, properties={"created-by": "ctas"})
    # staged: not visible until committed
    assert catalog.table_exists(ident) is False
    assert catalog.list_tables(ns) == []

    txn.set_properties(extra="yes")
    txn.append(staged_arrow(txn, DATA))
    table = txn.commit_transaction()

    assert catalog.table_exists(ident) is True
    assert [tuple(i) for i in catalog.list_tables(ns)] == [ident]
    loaded = catalog.load_table(ident)
    assert rows(loaded) == DATA
    assert len(loaded.metadata.snapshots) == 1
    assert loaded.current_snapshot().snapshot_id == table.current_snapshot().snapshot_id
    assert loaded.current_snapshot().summary["total-records"] == "3"
    assert loaded.properties["created-by"] == "ctas"
    assert loaded.properties["extra"] == "yes"
    assert [(f.name, str(f.transform)) for f in loaded.spec().fields] == [("ts_month", "month")]
    assert loaded.metadata.location == table.metadata.location

    # and it is a normal table afterwards
    loaded.append(arrow_for(loaded, [{"id": 4, "v": "d", "ts": None}]))
    assert [r["id"] for r in rows(catalog.load_table(ident))] == [1, 2, 3, 4]


def test_create_table_transaction_without_data(catalog: Catalog, ns: str) -> None:
    ident = (ns, "ctas_empty")
    txn = catalog.create_table_transaction(ident, schema=SCHEMA)
    txn.commit_transaction()
    loaded = catalog.load_table(ident)
    assert loaded.current_snapshot() is None
    assert rows(loaded) == []
    assert [f.name for f in loaded.schema().fields] == ["id", "v", "ts"]


def test_create_table_transaction_for_existing_table_fails(catalog: Catalog, ns: str) -> None:
    ident = (ns, "exists")
    table = catalog.create_table(ident, schema=SCHEMA)
    table.append(arrow_for(table, DATA[:1]))
    with pytest.raises(TableAlreadyExistsError):
        catalog.create_table_transaction(ident, schema=SCHEMA)
    assert rows(catalog.load_table(ident)) == DATA[:1]


def test_create_table_transaction_loses_race(catalog: Catalog, ns: str) -> None:
    """Table created by someone else between stage-create and commit: assert-create must fail."""
    ident = (ns, "race")
    txn = catalog.create_table_transaction(ident, schema=SCHEMA)
    txn.append(staged_arrow(txn, DATA))
    winner = catalog.create_table(ident, schema=SCHEMA)
    winner.append(arrow_for(winner, DATA[:1]))
    # PyIceberg maps the 409 from the commit endpoint to CommitFailedException
    with pytest.raises((CommitFailedException, TableAlreadyExistsError)):
        txn.commit_transaction()
    assert rows(catalog.load_table(ident)) == DATA[:1]


def test_multi_update_transaction_on_existing_table(catalog: Catalog, ns: str) -> None:
    ident = (ns, "multi")
    table = catalog.create_table(ident, schema=SCHEMA)
    table.append(arrow_for(table, DATA[:1]))
    with table.transaction() as tx:
        tx.set_properties(k="v")
        with tx.update_schema() as upd:
            upd.add_column("extra", LongType())
        tx.append(
            pa.Table.from_pylist(
                [{"id": 10, "v": "x", "ts": None, "extra": 7}],
                schema=tx.table_metadata.schema().as_arrow(),
            )
        )
    loaded = catalog.load_table(ident)
    assert loaded.properties["k"] == "v"
    assert [f.name for f in loaded.schema().fields] == ["id", "v", "ts", "extra"]
    assert rows(loaded) == [
        {"id": 1, "v": "a", "ts": dt.datetime(2023, 12, 31, 23, 0), "extra": None},
        {"id": 10, "v": "x", "ts": None, "extra": 7},
    ]
    assert len(loaded.metadata.snapshots) == 2
