"""Table evolution from Trino: properties, partitioning, sort order, comments, column types,
statistics (ANALYZE commits a statistics file) and what the catalog keeps of it all."""

from __future__ import annotations

from datetime import date

import pytest
from trino.exceptions import TrinoUserError
from trino_helpers import CATALOG


POINTERS = {"schemas": ("schema-id", "current-schema-id"), "partition-specs": ("spec-id", "default-spec-id"),
            "sort-orders": ("order-id", "default-sort-order-id")}


def _current(metadata: dict, kind: str) -> dict:
    """The current schema, default partition spec or default sort order of table metadata."""
    key, pointer = POINTERS[kind]
    return next(item for item in metadata[kind] if item[key] == metadata[pointer])


def test_format_upgrade_and_partition_evolution(trino, rest, schema):
    t = f"{CATALOG}.{schema}.evolving"
    trino.execute(f"CREATE TABLE {t} (id bigint, name varchar, d date) WITH (format_version = 1)")
    trino.execute(f"INSERT INTO {t} VALUES (1, 'a', DATE '2024-01-15'), (2, 'b', DATE '2024-02-15')")
    with pytest.raises(TrinoUserError, match="format version 2"):
        trino.execute(f"DELETE FROM {t} WHERE id = 1")
    assert rest.metadata(schema, "evolving")["format-version"] == 1

    trino.execute(f"ALTER TABLE {t} SET PROPERTIES format_version = 2")
    trino.execute(f"ALTER TABLE {t} SET PROPERTIES partitioning = ARRAY['month(d)']")
    trino.execute(f"INSERT INTO {t} VALUES (3, 'c', DATE '2024-03-15')")
    # Files written before the change keep their (unpartitioned) spec.
    partitions = trino.query(f'SELECT partition.d_month, record_count FROM {CATALOG}.{schema}."evolving$partitions" ORDER BY 1')
    assert partitions == [(650, 1), (None, 2)]
    trino.execute(f"DELETE FROM {t} WHERE id = 1")
    assert trino.query(f"SELECT id, name, d FROM {t} ORDER BY id") == [(2, "b", date(2024, 2, 15)), (3, "c", date(2024, 3, 15))]

    metadata = rest.metadata(schema, "evolving")
    assert metadata["format-version"] == 2
    assert len(metadata["partition-specs"]) == 2
    assert [f["transform"] for f in _current(metadata, "partition-specs")["fields"]] == ["month"]


def test_sort_order_comments_and_properties(trino, rest, schema):
    t = f"{CATALOG}.{schema}.described"
    trino.execute(f"CREATE TABLE {t} (id bigint, name varchar) WITH (sorted_by = ARRAY['id'])")
    trino.execute(f"ALTER TABLE {t} SET PROPERTIES sorted_by = ARRAY['name DESC']")
    trino.execute(f"COMMENT ON TABLE {t} IS 'people we know'")
    trino.execute(f"COMMENT ON COLUMN {t}.name IS 'given name'")
    trino.execute(f"INSERT INTO {t} VALUES (1, 'a'), (2, 'c'), (3, 'b')")

    ddl = trino.scalar(f"SHOW CREATE TABLE {t}")
    assert "COMMENT 'people we know'" in ddl and "name varchar COMMENT 'given name'" in ddl
    assert "sorted_by = ARRAY['name DESC NULLS LAST']" in ddl
    metadata = rest.metadata(schema, "described")
    assert metadata["properties"]["comment"] == "people we know"
    order = _current(metadata, "sort-orders")
    assert [(f["direction"], f["null-order"]) for f in order["fields"]] == [("desc", "nulls-last")]
    assert _current(metadata, "schemas")["fields"][1].get("doc") == "given name"
    properties = dict(trino.query(f'SELECT key, value FROM {CATALOG}.{schema}."described$properties"'))
    assert properties["comment"] == "people we know"
    assert properties["format-version"] == "2"


def test_column_type_changes_and_drop(trino, rest, schema):
    t = f"{CATALOG}.{schema}.typed"
    trino.execute(f"CREATE TABLE {t} (id integer, price real, gone varchar, note varchar)")
    trino.execute(f"INSERT INTO {t} VALUES (1, REAL '1.5', 'x', 'n1')")
    trino.execute(f"ALTER TABLE {t} ALTER COLUMN id SET DATA TYPE bigint")
    trino.execute(f"ALTER TABLE {t} ALTER COLUMN price SET DATA TYPE double")
    trino.execute(f"ALTER TABLE {t} DROP COLUMN gone")
    trino.execute(f"INSERT INTO {t} VALUES (5000000000, 2.25, 'n2')")
    assert trino.query(f"SELECT id, price, note FROM {t} ORDER BY id") == [(1, 1.5, "n1"), (5000000000, 2.25, "n2")]
    fields = _current(rest.metadata(schema, "typed"), "schemas")["fields"]
    assert [(f["id"], f["name"], f["type"]) for f in fields] == [(1, "id", "long"), (2, "price", "double"), (4, "note", "string")]


def test_nested_types(trino, rest, schema, pyiceberg_catalog):
    t = f"{CATALOG}.{schema}.nested"
    trino.execute(
        f"CREATE TABLE {t} (id bigint, r ROW(a integer, b varchar), arr ARRAY(ROW(x double)), "
        "m MAP(varchar, ARRAY(bigint)), u uuid, vb varbinary)"
    )
    trino.execute(
        f"INSERT INTO {t} VALUES (1, ROW(1, 'x'), ARRAY[ROW(1.5), ROW(-2.0)], MAP(ARRAY['k'], ARRAY[ARRAY[1, 2]]), "
        "UUID '12151fd2-7586-11e9-8f9e-2a86e4085a59', X'0102')"
    )
    trino.execute(f"ALTER TABLE {t} ADD COLUMN r.c boolean")
    assert trino.query(f"SELECT id, r.a, r.b, r.c, arr[2].x, m['k'][2], CAST(u AS varchar), vb FROM {t}") == [
        (1, 1, "x", None, -2.0, 2, "12151fd2-7586-11e9-8f9e-2a86e4085a59", b"\x01\x02")
    ]
    row = pyiceberg_catalog.load_table((schema, "nested")).scan().to_arrow().to_pylist()
    assert len(row) == 1
    assert row[0]["r"] == {"a": 1, "b": "x", "c": None}
    assert row[0]["arr"] == [{"x": 1.5}, {"x": -2.0}]
    assert dict(row[0]["m"]) == {"k": [1, 2]}
    assert str(row[0]["u"]) == "12151fd2-7586-11e9-8f9e-2a86e4085a59"


def test_analyze_and_truncate(trino, rest, schema):
    t = f"{CATALOG}.{schema}.stats"
    trino.execute(f"CREATE TABLE {t} (id bigint, name varchar)")
    trino.execute(f"INSERT INTO {t} VALUES (1, 'a'), (2, 'b'), (3, NULL)")
    trino.execute(f"ANALYZE {t}")
    stats = {row[0]: row for row in trino.query(f"SHOW STATS FOR {t}")}
    assert stats["id"][2] == 3.0 and stats["id"][5:] == ("1", "3")
    assert stats[None][4] == 3.0
    metadata = rest.metadata(schema, "stats")
    # ANALYZE commits a statistics (Puffin) file for the current snapshot.
    assert any(s["snapshot-id"] == metadata["current-snapshot-id"] for s in metadata.get("statistics", []))

    trino.execute(f"TRUNCATE TABLE {t}")
    assert trino.query(f"SELECT * FROM {t}") == []
    log = trino.query(f'SELECT file FROM {CATALOG}.{schema}."stats$metadata_log_entries" ORDER BY timestamp')
    current = rest.table(schema, "stats").json()["metadata-location"]
    assert log[-1] == (current,)
    assert len(log) >= 4
