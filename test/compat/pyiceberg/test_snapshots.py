"""Tags, branches, time travel, rollback, optimistic concurrency and int64 snapshot ids."""

from __future__ import annotations

import pytest
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.schema import Schema
from pyiceberg.table import Table
from pyiceberg.table.refs import SnapshotRefType
from pyiceberg.types import LongType, NestedField, StringType
from pyi_helpers import PYICEBERG_VERSION, arrow_for, rows, supports_kwarg

NO_RETRY = "commit.retry.num-retries"

SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=True),
    NestedField(2, "v", StringType(), required=False),
)


def _batch(table: Table, ids: list[int]):
    return arrow_for(table, [{"id": i, "v": f"v{i}"} for i in ids])


def _expected(ids: list[int]) -> list[dict]:
    return [{"id": i, "v": f"v{i}"} for i in sorted(ids)]


def test_tags_branches_and_time_travel(catalog: Catalog, ns: str) -> None:
    ident = (ns, "refs")
    table = catalog.create_table(ident, schema=SCHEMA)
    table.append(_batch(table, [1, 2]))
    s1 = table.current_snapshot().snapshot_id
    table.append(_batch(table, [3]))
    s2 = table.current_snapshot().snapshot_id

    table.manage_snapshots().create_tag(s1, "v1").create_branch(s1, "dev").commit()

    loaded = catalog.load_table(ident)
    refs = loaded.refs()
    assert refs["v1"].snapshot_id == s1
    assert refs["v1"].snapshot_ref_type == SnapshotRefType.TAG
    assert refs["dev"].snapshot_id == s1
    assert refs["dev"].snapshot_ref_type == SnapshotRefType.BRANCH
    assert refs["main"].snapshot_id == s2
    assert loaded.current_snapshot().snapshot_id == s2

    # time travel by snapshot id and by tag name: exactly the old rows
    assert rows(loaded.scan(snapshot_id=s1)) == _expected([1, 2])
    assert rows(loaded.scan().use_ref("v1")) == _expected([1, 2])
    assert loaded.snapshot_by_name("v1").snapshot_id == s1
    assert rows(loaded.scan(snapshot_id=s2)) == _expected([1, 2, 3])
    assert rows(loaded) == _expected([1, 2, 3])

    # write to the branch; main must not move
    if not supports_kwarg(Table.append, "branch"):
        pytest.skip("this PyIceberg version cannot write to branches")
    loaded.append(_batch(loaded, [100, 101]), branch="dev")

    after = catalog.load_table(ident)
    dev_snapshot = after.refs()["dev"].snapshot_id
    assert dev_snapshot not in (s1, s2)
    assert after.snapshot_by_id(dev_snapshot).parent_snapshot_id == s1
    assert after.refs()["main"].snapshot_id == s2
    assert after.current_snapshot().snapshot_id == s2
    assert after.refs()["v1"].snapshot_id == s1
    assert rows(after) == _expected([1, 2, 3])
    assert rows(after.scan().use_ref("dev")) == _expected([1, 2, 100, 101])
    assert rows(after.scan().use_ref("v1")) == _expected([1, 2])

    # second write on the branch, from the freshly loaded table
    after.append(_batch(after, [102]), branch="dev")
    final = catalog.load_table(ident)
    assert rows(final.scan().use_ref("dev")) == _expected([1, 2, 100, 101, 102])
    assert rows(final) == _expected([1, 2, 3])

    # remove the tag and the branch
    final.manage_snapshots().remove_tag("v1").remove_branch("dev").commit()
    cleaned = catalog.load_table(ident)
    assert sorted(cleaned.refs().keys()) == ["main"]
    assert rows(cleaned) == _expected([1, 2, 3])


def test_concurrent_tag_creation_conflicts(catalog: Catalog, ns: str) -> None:
    table = catalog.create_table((ns, "dup_tag"), schema=SCHEMA)
    table.append(_batch(table, [1]))
    s1 = table.current_snapshot().snapshot_id
    table.append(_batch(table, [2]))
    s2 = table.current_snapshot().snapshot_id
    stale = catalog.load_table((ns, "dup_tag"))  # does not know about tag "t" yet
    table.manage_snapshots().create_tag(s1, "t").commit()
    # PyIceberg sends assert-ref-snapshot-id(ref="t", snapshot-id=null): the ref exists now -> 409
    with pytest.raises(CommitFailedException):
        stale.manage_snapshots().create_tag(s2, "t").commit()
    assert catalog.load_table((ns, "dup_tag")).refs()["t"].snapshot_id == s1


def test_rollback_main_to_older_snapshot(catalog: Catalog, ns: str) -> None:
    ident = (ns, "rollback")
    table = catalog.create_table(ident, schema=SCHEMA)
    table.append(_batch(table, [1]))
    s1 = table.current_snapshot().snapshot_id
    table.append(_batch(table, [2]))
    table.append(_batch(table, [3]))
    s3 = table.current_snapshot().snapshot_id

    ms = table.manage_snapshots()
    if hasattr(ms, "rollback_to_snapshot"):
        ms.rollback_to_snapshot(s1).commit()
    elif hasattr(ms, "set_current_snapshot"):
        ms.set_current_snapshot(snapshot_id=s1).commit()
    else:  # very old PyIceberg: move main explicitly
        ms.create_branch(s1, "main").commit()

    loaded = catalog.load_table(ident)
    assert loaded.current_snapshot().snapshot_id == s1
    assert loaded.refs()["main"].snapshot_id == s1
    assert rows(loaded) == _expected([1])
    # newer snapshots are still in the metadata and readable by id
    assert rows(loaded.scan(snapshot_id=s3)) == _expected([1, 2, 3])
    # snapshot-log records the rollback
    assert loaded.metadata.snapshot_log[-1].snapshot_id == s1

    # appending after the rollback forks from s1
    loaded.append(_batch(loaded, [4]))
    final = catalog.load_table(ident)
    assert final.current_snapshot().parent_snapshot_id == s1
    assert rows(final) == _expected([1, 4])


def test_rollback_via_set_current_snapshot_ref(catalog: Catalog, ns: str) -> None:
    ident = (ns, "rollback_ref")
    table = catalog.create_table(ident, schema=SCHEMA)
    table.append(_batch(table, [1]))
    s1 = table.current_snapshot().snapshot_id
    table.manage_snapshots().create_tag(s1, "good").commit()
    table.append(_batch(table, [2]))
    ms = table.manage_snapshots()
    if not hasattr(ms, "set_current_snapshot"):
        pytest.skip("set_current_snapshot not available in this PyIceberg version")
    ms.set_current_snapshot(ref_name="good").commit()
    loaded = catalog.load_table(ident)
    assert loaded.current_snapshot().snapshot_id == s1
    assert rows(loaded) == _expected([1])


def test_stale_writer_gets_commit_failed(catalog: Catalog, ns: str) -> None:
    ident = (ns, "stale")
    # PyIceberg >= 0.11 transparently refreshes and retries conflicting appends;
    # turn that off so the catalog's 409 surfaces as CommitFailedException.
    created = catalog.create_table(ident, schema=SCHEMA, properties={NO_RETRY: "0"})
    created.append(_batch(created, [1]))

    t1 = catalog.load_table(ident)
    t2 = catalog.load_table(ident)
    t1.append(_batch(t1, [2]))
    with pytest.raises(CommitFailedException):
        t2.append(_batch(t2, [3]))

    # the failed commit must not have changed anything
    mid = catalog.load_table(ident)
    assert rows(mid) == _expected([1, 2])
    assert mid.current_snapshot().snapshot_id == t1.current_snapshot().snapshot_id

    t2.refresh()
    assert t2.current_snapshot().snapshot_id == t1.current_snapshot().snapshot_id
    t2.append(_batch(t2, [3]))

    final = catalog.load_table(ident)
    assert rows(final) == _expected([1, 2, 3])
    assert final.current_snapshot().summary["total-records"] == "3"
    assert len(final.metadata.snapshots) == 3


def test_stale_writer_auto_retry(catalog: Catalog, ns: str) -> None:
    """With PyIceberg's default commit retries, a conflicting append is rebased and retried."""
    if PYICEBERG_VERSION < (0, 11):
        pytest.skip("commit retries for appends arrived in PyIceberg 0.11")
    ident = (ns, "stale_retry")
    created = catalog.create_table(
        ident, schema=SCHEMA, properties={"commit.retry.min-wait-ms": "10", "commit.retry.max-wait-ms": "100"}
    )
    created.append(_batch(created, [1]))
    t1 = catalog.load_table(ident)
    t2 = catalog.load_table(ident)
    t1.append(_batch(t1, [2]))
    t2.append(_batch(t2, [3]))  # 409 first, then refresh + retry succeeds
    final = catalog.load_table(ident)
    assert rows(final) == _expected([1, 2, 3])
    assert len(final.metadata.snapshots) == 3
    assert final.current_snapshot().parent_snapshot_id == t1.current_snapshot().snapshot_id


def test_stale_schema_update_gets_commit_failed(catalog: Catalog, ns: str) -> None:
    ident = (ns, "stale_schema")
    catalog.create_table(ident, schema=SCHEMA)
    t1 = catalog.load_table(ident)
    t2 = catalog.load_table(ident)
    with t1.update_schema() as u:
        u.add_column("a", LongType())
    with pytest.raises(CommitFailedException):
        with t2.update_schema() as u:
            u.add_column("b", LongType())
    t2.refresh()
    with t2.update_schema() as u:
        u.add_column("b", LongType())
    assert [f.name for f in catalog.load_table(ident).schema().fields] == ["id", "v", "a", "b"]


def test_snapshot_ids_are_exact_int64(catalog: Catalog, ns: str) -> None:
    """Snapshot ids are random 63-bit integers; JSON handling must not round them through doubles."""
    ident = (ns, "int64")
    table = catalog.create_table(ident, schema=SCHEMA)
    generated: list[int] = []
    # keep appending until we've seen at least one id that a double cannot represent (~always the first)
    for i in range(6):
        table.append(_batch(table, [i]))
        snap = table.current_snapshot()
        # the id in the commit response matches what PyIceberg generated and put in the snapshot list
        assert snap.snapshot_id == table.metadata.snapshots[-1].snapshot_id
        assert table.metadata.current_snapshot_id == snap.snapshot_id
        generated.append(snap.snapshot_id)
        if i >= 2 and any(g > 2**53 for g in generated):
            break
    assert any(g > 2**53 for g in generated), generated

    loaded = catalog.load_table(ident)
    assert [s.snapshot_id for s in loaded.metadata.snapshots] == generated
    assert loaded.current_snapshot().snapshot_id == generated[-1]
    assert loaded.metadata.current_snapshot_id == generated[-1]
    assert loaded.refs()["main"].snapshot_id == generated[-1]
    assert [s.parent_snapshot_id for s in loaded.metadata.snapshots] == [None] + generated[:-1]
    assert [e.snapshot_id for e in loaded.metadata.snapshot_log] == generated

    # refs pointing at big ids round-trip exactly too
    loaded.manage_snapshots().create_tag(generated[0], "first").commit()
    again = catalog.load_table(ident)
    assert again.refs()["first"].snapshot_id == generated[0]
    assert rows(again.scan().use_ref("first")) == _expected([0])
    for sid in generated:
        assert again.snapshot_by_id(sid) is not None

    # and the metadata file the catalog points to agrees with the REST response
    from pyiceberg.serializers import FromInputFile

    on_disk = FromInputFile.table_metadata(again.io.new_input(again.metadata_location))
    assert [s.snapshot_id for s in on_disk.snapshots] == generated
    assert on_disk.current_snapshot_id == generated[-1]
