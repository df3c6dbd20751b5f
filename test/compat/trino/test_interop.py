"""Trino and PyIceberg on the same tables, and zero-copy clones made over our extension API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import DateType, DecimalType, DoubleType, LongType, NestedField, StringType, TimestampType
from trino.exceptions import TrinoQueryError
from trino_helpers import CATALOG

PYI_SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=True),
    NestedField(2, "name", StringType(), required=False),
    NestedField(3, "price", DecimalType(10, 2), required=False),
    NestedField(4, "score", DoubleType(), required=False),
    NestedField(5, "day", DateType(), required=False),
    NestedField(6, "ts", TimestampType(), required=False),
)


def _pyiceberg_rows(table) -> list[tuple]:
    arrow = table.refresh().scan().to_arrow()
    return sorted(tuple(row.values()) for row in arrow.to_pylist())


def test_trino_reads_and_writes_pyiceberg_table(trino, schema, pyiceberg_catalog):
    table = pyiceberg_catalog.create_table(
        (schema, "pyi"),
        schema=PYI_SCHEMA,
        partition_spec=PartitionSpec(PartitionField(5, 1000, IdentityTransform(), "day")),
    )
    arrow_schema = PYI_SCHEMA.as_arrow()
    table.append(
        pa.Table.from_pylist(
            [
                {"id": 1, "name": "a", "price": Decimal("1.10"), "score": 0.5, "day": date(2024, 5, 1), "ts": datetime(2024, 5, 1, 8, 0, 0, 1)},
                {"id": 2, "name": None, "price": None, "score": None, "day": date(2024, 5, 2), "ts": None},
            ],
            schema=arrow_schema,
        )
    )
    table.append(
        pa.Table.from_pylist(
            [{"id": 3, "name": "c", "price": Decimal("-0.01"), "score": -1.25, "day": date(2024, 5, 1), "ts": datetime(2024, 5, 3)}],
            schema=arrow_schema,
        )
    )
    t = f"{CATALOG}.{schema}.pyi"
    assert trino.query(f"SELECT id, name, price, score, day, ts FROM {t} ORDER BY id") == [
        (1, "a", Decimal("1.10"), 0.5, date(2024, 5, 1), datetime(2024, 5, 1, 8, 0, 0, 1)),
        (2, None, None, None, date(2024, 5, 2), None),
        (3, "c", Decimal("-0.01"), -1.25, date(2024, 5, 1), datetime(2024, 5, 3)),
    ]
    assert trino.scalar(f'SELECT count(*) FROM {CATALOG}.{schema}."pyi$snapshots"') == 2
    assert trino.query(f"SELECT id FROM {t} WHERE day = DATE '2024-05-01' ORDER BY id") == [(1,), (3,)]

    # Trino writes into the PyIceberg table; PyIceberg sees Trino's rows and deletes.
    trino.execute(f"INSERT INTO {t} VALUES (4, 'd', DECIMAL '4.00', 4.0, DATE '2024-05-04', TIMESTAMP '2024-05-04 00:00:00')")
    trino.execute(f"UPDATE {t} SET name = 'b' WHERE id = 2")
    trino.execute(f"DELETE FROM {t} WHERE id = 1")
    assert [row[:2] for row in _pyiceberg_rows(table)] == [(2, "b"), (3, "c"), (4, "d")]


def test_pyiceberg_reads_trino_table(trino, schema, pyiceberg_catalog):
    t = f"{CATALOG}.{schema}.made_by_trino"
    trino.execute(
        f"CREATE TABLE {t} (id bigint, tag varchar, amount decimal(12, 3), d date, ts timestamp(6)) "
        "WITH (partitioning = ARRAY['tag'], format_version = 2)"
    )
    trino.execute(
        f"INSERT INTO {t} VALUES "
        "(1, 'x', DECIMAL '1.500', DATE '2024-01-01', TIMESTAMP '2024-01-01 01:02:03.456789'), "
        "(2, 'y', DECIMAL '2.000', DATE '2024-01-02', NULL), "
        "(3, 'x', NULL, NULL, TIMESTAMP '2024-01-03 00:00:00')"
    )
    # Row-level changes: Trino writes position delete files (merge-on-read).
    trino.execute(f"UPDATE {t} SET amount = DECIMAL '9.999' WHERE id = 3")
    trino.execute(f"DELETE FROM {t} WHERE id = 2")
    trino.execute(
        f"MERGE INTO {t} a USING (VALUES (1, 'x'), (5, 'z')) AS s(id, tag) ON a.id = s.id "
        "WHEN MATCHED THEN UPDATE SET tag = 'w' "
        "WHEN NOT MATCHED THEN INSERT (id, tag) VALUES (s.id, s.tag)"
    )
    expected = [
        (1, "w", Decimal("1.500"), date(2024, 1, 1), datetime(2024, 1, 1, 1, 2, 3, 456789)),
        (3, "x", Decimal("9.999"), None, datetime(2024, 1, 3)),
        (5, "z", None, None, None),
    ]
    assert trino.query(f"SELECT * FROM {t} ORDER BY id") == expected

    table = pyiceberg_catalog.load_table((schema, "made_by_trino"))
    assert _pyiceberg_rows(table) == expected
    assert [f.name for f in table.schema().fields] == ["id", "tag", "amount", "d", "ts"]
    assert table.format_version == 2


def test_clone_read_and_write(trino, rest, schemas, schema, pyiceberg_catalog):
    src = f"{CATALOG}.{schema}.src"
    trino.execute(f"CREATE TABLE {src} (id bigint, v varchar) WITH (partitioning = ARRAY['bucket(id, 2)'])")
    trino.execute(f"INSERT INTO {src} VALUES (1, 'a'), (2, 'b')")
    first = trino.scalar(f'SELECT snapshot_id FROM {CATALOG}.{schema}."src$snapshots" ORDER BY committed_at DESC LIMIT 1')
    trino.execute(f"INSERT INTO {src} VALUES (3, 'c')")

    other = schemas.create()
    rest.clone(schema, "src", other, "dev")
    rest.clone(schema, "src", other, "past", point={"snapshot-id": first})
    dev, past = f"{CATALOG}.{other}.dev", f"{CATALOG}.{other}.past"
    assert trino.query(f"SELECT id, v FROM {dev} ORDER BY id") == [(1, "a"), (2, "b"), (3, "c")]
    assert trino.query(f"SELECT id, v FROM {past} ORDER BY id") == [(1, "a"), (2, "b")]
    assert rest.metadata(other, "dev")["properties"].get("gc.enabled") == "false"

    # Writes to the clone stay on the clone, and the other way round.
    trino.execute(f"INSERT INTO {dev} VALUES (100, 'clone')")
    trino.execute(f"UPDATE {dev} SET v = 'B' WHERE id = 2")
    trino.execute(f"DELETE FROM {dev} WHERE id = 1")
    trino.execute(f"DELETE FROM {src} WHERE id = 3")
    assert trino.query(f"SELECT id, v FROM {dev} ORDER BY id") == [(2, "B"), (3, "c"), (100, "clone")]
    assert trino.query(f"SELECT id, v FROM {src} ORDER BY id") == [(1, "a"), (2, "b")]
    assert trino.query(f"SELECT id, v FROM {past} ORDER BY id") == [(1, "a"), (2, "b")]

    # New files of the clone are written under the clone's own location.
    dev_location = rest.metadata(other, "dev")["location"]
    src_location = rest.metadata(schema, "src")["location"]
    paths = [p for (p,) in trino.query(f'SELECT file_path FROM {CATALOG}.{other}."dev$files"')]
    assert any(p.startswith(dev_location + "/") for p in paths)
    assert all(p.startswith(dev_location + "/") or p.startswith(src_location + "/") for p in paths)

    trino.execute(f"ALTER TABLE {dev} EXECUTE optimize")
    assert trino.query(f"SELECT id, v FROM {dev} ORDER BY id") == [(2, "B"), (3, "c"), (100, "clone")]
    assert trino.query(f"SELECT id, v FROM {src} ORDER BY id") == [(1, "a"), (2, "b")]
    assert [r[:2] for r in _pyiceberg_rows(pyiceberg_catalog.load_table((other, "dev")))] == [(2, "B"), (3, "c"), (100, "clone")]

    # Both sides share files (gc.enabled=false), so Trino refuses to expire their snapshots.
    for table in (src, dev):
        with pytest.raises(TrinoQueryError, match="GC is disabled"):
            trino.execute(f"ALTER TABLE {table} EXECUTE expire_snapshots(retention_threshold => '7d')")
