"""Catalog operations Trino drives beyond plain DDL/DML: concurrent commits (409 and retry),
rollback to a snapshot, snapshot expiry and orphan removal, and the register/unregister
procedures (the register endpoint)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from trino.exceptions import TrinoUserError

from trino_helpers import CATALOG, TrinoClient


def test_concurrent_inserts_all_commit(trino, trino_uri, rest, schema):
    # Four INSERTs race for the same table: the catalog answers all but one commit with 409
    # (assert-ref-snapshot-id fails) and Trino retries them on the new head.
    t = f"{CATALOG}.{schema}.busy"
    trino.execute(f"CREATE TABLE {t} (id bigint)")

    def insert(i: int) -> int:
        return TrinoClient(trino_uri).scalar(f"INSERT INTO {t} SELECT x FROM UNNEST(sequence({i * 100}, {i * 100 + 9})) AS u(x)")

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(insert, range(4))) == [10] * 4
    assert trino.scalar(f"SELECT count(DISTINCT id) FROM {t}") == 40
    snapshots = rest.metadata(schema, "busy")["snapshots"]
    assert len(snapshots) == 5
    assert all(s.get("parent-snapshot-id") == p["snapshot-id"] for p, s in zip(snapshots, snapshots[1:]))


def test_rollback_to_snapshot(trino, rest, schema):
    t = f"{CATALOG}.{schema}.undo"
    trino.execute(f"CREATE TABLE {t} (id bigint)")
    trino.execute(f"INSERT INTO {t} VALUES 1")
    good = rest.metadata(schema, "undo")["current-snapshot-id"]
    trino.execute(f"INSERT INTO {t} VALUES 2")
    trino.execute(f"DELETE FROM {t} WHERE id = 1")

    trino.execute(f"ALTER TABLE {t} EXECUTE rollback_to_snapshot({good})")
    assert trino.query(f"SELECT id FROM {t}") == [(1,)]
    assert rest.metadata(schema, "undo")["refs"]["main"]["snapshot-id"] == good
    trino.execute(f"INSERT INTO {t} VALUES 3")
    assert trino.query(f"SELECT id FROM {t} ORDER BY id") == [(1,), (3,)]
    parent = trino.scalar(f'SELECT parent_id FROM {CATALOG}.{schema}."undo$snapshots" ORDER BY committed_at DESC LIMIT 1')
    assert parent == good


def test_unregister_and_register(trino, rest, schema):
    t = f"{CATALOG}.{schema}.kept"
    trino.execute(f"CREATE TABLE {t} (id bigint, v varchar)")
    trino.execute(f"INSERT INTO {t} VALUES (1, 'one'), (2, 'two')")
    loaded = rest.table(schema, "kept").json()
    location, metadata_file = loaded["metadata"]["location"], loaded["metadata-location"].rsplit("/", 1)[1]

    trino.execute(f"CALL {CATALOG}.system.unregister_table(schema_name => '{schema}', table_name => 'kept')")
    assert rest.table(schema, "kept").status_code == 404
    # The files stay: registering the metadata file again brings the table back as it was.
    # (metadata_file_name is given: without it Trino lists <location>/metadata itself, and its
    # local file system answers local:///... URIs, which are not in our file:// warehouse.)
    trino.execute(
        f"CALL {CATALOG}.system.register_table(schema_name => '{schema}', table_name => 'again', "
        f"table_location => '{location}', metadata_file_name => '{metadata_file}')"
    )
    assert rest.metadata(schema, "again")["table-uuid"] == loaded["metadata"]["table-uuid"]
    assert trino.query(f"SELECT id, v FROM {CATALOG}.{schema}.again ORDER BY id") == [(1, "one"), (2, "two")]
    trino.execute(f"INSERT INTO {CATALOG}.{schema}.again VALUES (3, 'three')")
    assert trino.scalar(f"SELECT count(*) FROM {CATALOG}.{schema}.again") == 3


def test_expire_snapshots_and_remove_orphan_files(trino_uri, rest, schema):
    # Trino refuses retention below 7 days unless the session lowers the minimum.
    trino = TrinoClient(trino_uri, {f"{CATALOG}.expire_snapshots_min_retention": "0s", f"{CATALOG}.remove_orphan_files_min_retention": "0s"})
    t = f"{CATALOG}.{schema}.old"
    trino.execute(f"CREATE TABLE {t} (id bigint)")
    for i in (1, 2, 3):
        trino.execute(f"INSERT INTO {t} VALUES {i}")
    first = rest.metadata(schema, "old")["snapshots"][1]["snapshot-id"]

    trino.execute(f"ALTER TABLE {t} EXECUTE expire_snapshots(retention_threshold => '0s')")
    metadata = rest.metadata(schema, "old")
    assert [s["snapshot-id"] for s in metadata["snapshots"]] == [metadata["current-snapshot-id"]]
    assert trino.query(f"SELECT id FROM {t} ORDER BY id") == [(1,), (2,), (3,)]
    with pytest.raises(TrinoUserError):
        trino.query(f"SELECT id FROM {t} FOR VERSION AS OF {first}")

    # Every file still referenced survives (on a local warehouse Trino lists local:/// URIs
    # while the metadata says file:///; it compares names, so nothing live goes).
    trino.execute(f"ALTER TABLE {t} EXECUTE remove_orphan_files(retention_threshold => '0s')")
    assert trino.query(f"SELECT id FROM {t} ORDER BY id") == [(1,), (2,), (3,)]
    trino.execute(f"INSERT INTO {t} VALUES 4")
    assert trino.scalar(f"SELECT count(*) FROM {t}") == 4
