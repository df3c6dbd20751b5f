"""Time travel, metadata tables and table maintenance from Trino.

Trino cannot create tags, so the tag is made through PyIceberg (a REST commit of a
set-snapshot-ref update), as any other engine would against this catalog.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from trino.exceptions import TrinoUserError
from trino_helpers import CATALOG, ts_literal


def _table_with_history(trino, schema: str, name: str = "h") -> tuple[str, list[tuple[int, object]]]:
    """create (empty snapshot), then three inserts; returns the table and [(snapshot id, committed_at)]."""
    t = f"{CATALOG}.{schema}.{name}"
    trino.execute(f"CREATE TABLE {t} (id bigint, v varchar)")
    for i in (1, 2, 3):
        trino.execute(f"INSERT INTO {t} VALUES ({i}, 'v{i}')")
    snapshots = trino.query(f'SELECT snapshot_id, committed_at FROM {CATALOG}.{schema}."{name}$snapshots" ORDER BY committed_at')
    assert len(snapshots) == 4
    return t, snapshots


def test_version_as_of_snapshot_and_tag(trino, rest, schema, pyiceberg_catalog):
    t, snapshots = _table_with_history(trino, schema)
    ids = [s for s, _ in snapshots]
    assert trino.query(f"SELECT id FROM {t} FOR VERSION AS OF {ids[0]}") == []
    assert trino.query(f"SELECT id FROM {t} FOR VERSION AS OF {ids[2]} ORDER BY id") == [(1,), (2,)]
    assert trino.query(f"SELECT id FROM {t} FOR VERSION AS OF {ids[3]} ORDER BY id") == [(1,), (2,), (3,)]

    table = pyiceberg_catalog.load_table((schema, "h"))
    table.manage_snapshots().create_tag(ids[1], "v1").commit()
    refs = rest.metadata(schema, "h")["refs"]
    assert refs["v1"] == {"snapshot-id": ids[1], "type": "tag"}

    assert trino.query(f"SELECT id, v FROM {t} FOR VERSION AS OF 'v1'") == [(1, "v1")]
    assert trino.query(f"SELECT id FROM {t} FOR VERSION AS OF 'main' ORDER BY id") == [(1,), (2,), (3,)]
    assert sorted(trino.query(f'SELECT name, type, snapshot_id FROM {CATALOG}.{schema}."h$refs"')) == [
        ("main", "BRANCH", ids[3]),
        ("v1", "TAG", ids[1]),
    ]
    # Writes after the tag leave it where it was.
    trino.execute(f"DELETE FROM {t} WHERE id = 1")
    assert trino.query(f"SELECT id FROM {t} FOR VERSION AS OF 'v1'") == [(1,)]
    assert trino.query(f"SELECT id FROM {t} ORDER BY id") == [(2,), (3,)]
    with pytest.raises(TrinoUserError):
        trino.query(f"SELECT id FROM {t} FOR VERSION AS OF 'no_such_ref'")


def test_timestamp_as_of(trino, schema):
    t, snapshots = _table_with_history(trino, schema)
    expected = [[], [(1,)], [(1,), (2,)], [(1,), (2,), (3,)]]
    for (_, committed_at), rows in zip(snapshots, expected):
        assert trino.query(f"SELECT id FROM {t} FOR TIMESTAMP AS OF {ts_literal(committed_at)} ORDER BY id") == rows
    # Just before the second commit, the table was as the first left it.
    before_second = ts_literal(snapshots[1][1] - timedelta(milliseconds=1))
    assert trino.query(f"SELECT id FROM {t} FOR TIMESTAMP AS OF {before_second}") == []
    with pytest.raises(TrinoUserError, match="(?i)no version history"):
        trino.query(f"SELECT id FROM {t} FOR TIMESTAMP AS OF {ts_literal(snapshots[0][1] - timedelta(seconds=1))}")


def test_metadata_tables(trino, rest, schema):
    t, snapshots = _table_with_history(trino, schema)
    ids = [s for s, _ in snapshots]
    metadata = rest.metadata(schema, "h")

    rows = trino.query(f'SELECT snapshot_id, parent_id, operation FROM {CATALOG}.{schema}."h$snapshots" ORDER BY committed_at')
    assert rows == [(ids[0], None, "append")] + [(ids[i], ids[i - 1], "append") for i in (1, 2, 3)]
    assert [s["snapshot-id"] for s in metadata["snapshots"]] == ids
    assert metadata["current-snapshot-id"] == ids[3]

    history = trino.query(f'SELECT snapshot_id, parent_id, is_current_ancestor FROM {CATALOG}.{schema}."h$history" ORDER BY made_current_at')
    assert history == [(ids[0], None, True)] + [(ids[i], ids[i - 1], True) for i in (1, 2, 3)]

    files = trino.query(f'SELECT file_path, record_count, file_format FROM {CATALOG}.{schema}."h$files" ORDER BY file_path')
    assert len(files) == 3
    assert all(path.startswith(metadata["location"] + "/data/") and count == 1 and fmt == "PARQUET" for path, count, fmt in files)
    assert trino.query(f'SELECT name, type, snapshot_id FROM {CATALOG}.{schema}."h$refs"') == [("main", "BRANCH", ids[3])]
    manifests = trino.query(f'SELECT added_data_files_count FROM {CATALOG}.{schema}."h$manifests"')
    assert sum(n for (n,) in manifests) >= 1


def test_optimize(trino, rest, schema):
    t, snapshots = _table_with_history(trino, schema)
    trino.execute(f"DELETE FROM {t} WHERE id = 2")
    # Three data files (content 0) and the delete's position delete file (content 1).
    assert trino.query(f'SELECT content, count(*) FROM {CATALOG}.{schema}."h$files" GROUP BY content ORDER BY content') == [(0, 3), (1, 1)]

    trino.execute(f"ALTER TABLE {t} EXECUTE optimize")
    assert trino.query(f"SELECT id, v FROM {t} ORDER BY id") == [(1, "v1"), (3, "v3")]
    assert trino.query(f'SELECT record_count, content FROM {CATALOG}.{schema}."h$files"') == [(2, 0)]
    last = rest.metadata(schema, "h")["snapshots"][-1]
    assert last["summary"]["operation"] == "replace"
    # The rewrite keeps history: the snapshot before it still reads as it did.
    assert trino.query(f"SELECT id FROM {t} FOR VERSION AS OF {snapshots[3][0]} ORDER BY id") == [(1,), (2,), (3,)]
