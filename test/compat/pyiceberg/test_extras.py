"""Further catalog behaviour PyIceberg relies on: paging, escaping, v1 tables,
sort orders, snapshot expiry, concurrent writers, register_table, metadata log."""

from __future__ import annotations

import threading

import pytest
from pyiceberg.catalog import Catalog, load_catalog
from pyiceberg.exceptions import TableAlreadyExistsError
from pyiceberg.schema import Schema
from pyiceberg.serializers import FromInputFile
from pyiceberg.table.sorting import SortDirection
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import LongType, NestedField, StringType
from pyi_helpers import arrow_for, catalog_properties, rows

SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=True),
    NestedField(2, "v", StringType(), required=False),
)


def _batch(table, ids):
    return arrow_for(table, [{"id": i, "v": f"v{i}"} for i in ids])


def _expected(ids):
    return [{"id": i, "v": f"v{i}"} for i in sorted(ids)]


def test_paging_of_namespaces_and_tables(catalog: Catalog, namespaces) -> None:
    parent = namespaces.create()
    children = [f"c{i:02d}" for i in range(7)]
    for c in children:
        catalog.create_namespace((parent, c))
    tables = [f"t{i:02d}" for i in range(7)]
    for t in tables:
        catalog.create_table((parent, t), schema=SCHEMA)

    paged = load_catalog("paged", **{**catalog_properties(), "rest-page-size": "2"})
    assert sorted(tuple(n) for n in paged.list_namespaces(parent)) == [(parent, c) for c in children]
    assert sorted(tuple(i) for i in paged.list_tables(parent)) == [(parent, t) for t in tables]


@pytest.mark.parametrize(
    "ns_suffix,table_name",
    [
        ("with space", "tbl with space"),
        ("dash-and.dot", "t-1"),
        ("ünïcødé_✓", "täble"),
        ("pct%20amp&q?hash#", "t%2F"),
        ("slash/inside", "t/inside"),
    ],
    ids=["space", "dot", "unicode", "url-metachars", "slash"],
)
def test_special_characters_in_names(catalog: Catalog, namespaces, ns_suffix: str, table_name: str) -> None:
    parent = namespaces.create()
    # dots separate levels in PyIceberg's string form, so always use tuples here
    nested = (parent, ns_suffix)
    catalog.create_namespace(nested, {"k": "v"})
    assert [tuple(n) for n in catalog.list_namespaces(parent)] == [nested]
    assert catalog.namespace_exists(nested) is True
    assert catalog.load_namespace_properties(nested).get("k") == "v"

    ident = (*nested, table_name)
    table = catalog.create_table(ident, schema=SCHEMA)
    table.append(_batch(table, [1, 2]))
    assert [tuple(i) for i in catalog.list_tables(nested)] == [ident]
    assert catalog.table_exists(ident) is True
    loaded = catalog.load_table(ident)
    assert rows(loaded) == _expected([1, 2])
    # The metadata file the catalog wrote must be readable by the client at exactly the
    # URI the catalog hands out (PyIceberg does not percent-decode file:// / s3:// paths,
    # so a location containing %XX escapes splits metadata and data into different dirs).
    on_disk = FromInputFile.table_metadata(loaded.io.new_input(loaded.metadata_location))
    assert on_disk.current_snapshot_id == loaded.current_snapshot().snapshot_id
    data_files = loaded.inspect.files().column("file_path").to_pylist()
    assert data_files and all(f.startswith(loaded.metadata.location + "/") for f in data_files)

    renamed = (*nested, table_name + "_renamed")
    catalog.rename_table(ident, renamed)
    assert rows(catalog.load_table(renamed)) == _expected([1, 2])
    catalog.drop_table(renamed)
    assert catalog.table_exists(renamed) is False
    catalog.drop_namespace(nested)
    assert catalog.namespace_exists(nested) is False


def test_format_version_1_table_and_upgrade(catalog: Catalog, ns: str) -> None:
    ident = (ns, "v1")
    table = catalog.create_table(ident, schema=SCHEMA, properties={"format-version": "1"})
    assert table.format_version == 1
    table.append(_batch(table, [1]))
    loaded = catalog.load_table(ident)
    assert loaded.format_version == 1
    assert rows(loaded) == _expected([1])

    with loaded.transaction() as tx:
        tx.upgrade_table_version(format_version=2)
    upgraded = catalog.load_table(ident)
    assert upgraded.format_version == 2
    upgraded.append(_batch(upgraded, [2]))
    upgraded.delete(delete_filter="id = 1")
    assert rows(catalog.load_table(ident)) == _expected([2])


def test_sort_order_update(catalog: Catalog, ns: str) -> None:
    ident = (ns, "sorted")
    table = catalog.create_table(ident, schema=SCHEMA)
    with table.update_sort_order() as upd:
        upd.desc("id", IdentityTransform()).asc("v", IdentityTransform())
    loaded = catalog.load_table(ident)
    order = loaded.sort_order()
    assert order.order_id == 1
    assert [(loaded.schema().find_column_name(f.source_id), f.direction) for f in order.fields] == [
        ("id", SortDirection.DESC),
        ("v", SortDirection.ASC),
    ]
    assert loaded.metadata.default_sort_order_id == 1


def test_expire_snapshots(catalog: Catalog, ns: str) -> None:
    ident = (ns, "expire")
    table = catalog.create_table(ident, schema=SCHEMA)
    ids = []
    for i in range(3):
        table.append(_batch(table, [i]))
        ids.append(table.current_snapshot().snapshot_id)
    table.maintenance.expire_snapshots().by_id(ids[0]).commit()

    loaded = catalog.load_table(ident)
    assert [s.snapshot_id for s in loaded.metadata.snapshots] == ids[1:]
    assert loaded.snapshot_by_id(ids[0]) is None
    assert loaded.current_snapshot().snapshot_id == ids[2]
    # the data is unaffected (expiry only removes history)
    assert rows(loaded) == _expected([0, 1, 2])
    assert rows(loaded.scan(snapshot_id=ids[1])) == _expected([0, 1])


def test_concurrent_appends_are_serialised(catalog: Catalog, ns: str) -> None:
    """N writers race on one table; with client retries every append must land exactly once."""
    ident = (ns, "race")
    catalog.create_table(
        ident,
        schema=SCHEMA,
        properties={
            "commit.retry.num-retries": "50",
            "commit.retry.min-wait-ms": "5",
            "commit.retry.max-wait-ms": "200",
        },
    )
    writers = 6
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def writer(i: int) -> None:
        try:
            # each thread has its own client (requests sessions are not thread-safe)
            cat = load_catalog(f"w{i}", **catalog_properties())
            t = cat.load_table(ident)
            barrier.wait(timeout=60)
            t.append(_batch(t, [i]))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert not errors, errors

    final = catalog.load_table(ident)
    assert rows(final) == _expected(range(writers))
    snaps = final.metadata.snapshots
    assert len(snaps) == writers
    # a single linear history: every snapshot's parent is the previous one
    by_id = {s.snapshot_id: s for s in snaps}
    chain = []
    cur = final.current_snapshot()
    while cur is not None:
        chain.append(cur.snapshot_id)
        cur = by_id.get(cur.parent_snapshot_id) if cur.parent_snapshot_id is not None else None
    assert len(chain) == writers
    assert sorted(s.sequence_number for s in snaps) == list(range(1, writers + 1))
    assert final.current_snapshot().summary["total-records"] == str(writers)


def test_metadata_log_and_metadata_files(catalog: Catalog, ns: str) -> None:
    ident = (ns, "mlog")
    table = catalog.create_table(ident, schema=SCHEMA)
    locations = [table.metadata_location]
    for i in range(3):
        table.append(_batch(table, [i]))
        locations.append(table.metadata_location)
    assert len(set(locations)) == 4, "every commit must write a new metadata file"

    loaded = catalog.load_table(ident)
    assert loaded.metadata_location == locations[-1]
    assert [e.metadata_file for e in loaded.metadata.metadata_log] == locations[:-1]
    # every metadata file is readable and describes the table as of that commit
    for n, loc in enumerate(locations):
        md = FromInputFile.table_metadata(loaded.io.new_input(loc))
        assert md.table_uuid == loaded.metadata.table_uuid
        assert len(md.snapshots) == n


def test_register_table(catalog: Catalog, ns: str) -> None:
    src = (ns, "src")
    table = catalog.create_table(src, schema=SCHEMA)
    table.append(_batch(table, [1, 2]))
    table.append(_batch(table, [3]))
    metadata_location = catalog.load_table(src).metadata_location

    with pytest.raises(TableAlreadyExistsError):
        catalog.register_table(src, metadata_location)

    catalog.drop_table(src)  # not purged: files stay
    registered = catalog.register_table((ns, "registered"), metadata_location)
    assert registered.metadata_location == metadata_location
    loaded = catalog.load_table((ns, "registered"))
    assert rows(loaded) == _expected([1, 2, 3])
    assert len(loaded.metadata.snapshots) == 2
    loaded.append(_batch(loaded, [4]))
    assert rows(catalog.load_table((ns, "registered"))) == _expected([1, 2, 3, 4])


def test_refs_only_loading_then_commit_keeps_history(catalog: Catalog, ns: str) -> None:
    """snapshot-loading-mode=refs returns only referenced snapshots; a commit made from such a
    partial view must not drop the unreferenced snapshots from the table."""
    ident = (ns, "refs_mode")
    table = catalog.create_table(ident, schema=SCHEMA)
    ids = []
    for i in range(3):
        table.append(_batch(table, [i]))
        ids.append(table.current_snapshot().snapshot_id)
    table.manage_snapshots().create_tag(ids[0], "first").commit()

    refs_catalog = load_catalog("refs", **{**catalog_properties(), "snapshot-loading-mode": "refs"})
    partial = refs_catalog.load_table(ident)
    got = {s.snapshot_id for s in partial.metadata.snapshots}
    assert {ids[0], ids[2]} <= got <= set(ids)
    assert partial.current_snapshot().snapshot_id == ids[2]
    assert rows(partial) == _expected([0, 1, 2])

    partial.append(_batch(partial, [3]))
    full = catalog.load_table(ident)
    assert [s.snapshot_id for s in full.metadata.snapshots][:3] == ids
    assert len(full.metadata.snapshots) == 4
    assert full.current_snapshot().parent_snapshot_id == ids[2]
    assert rows(full) == _expected([0, 1, 2, 3])
    assert rows(full.scan(snapshot_id=ids[1])) == _expected([0, 1])


def test_create_table_with_explicit_location(catalog: Catalog, ns: str) -> None:
    probe = catalog.create_table((ns, "probe"), schema=SCHEMA)
    # a sibling directory of a server-assigned table location is inside the warehouse
    base = probe.metadata.location.rsplit("/", 1)[0]
    location = f"{base}/custom_location_{ns}"
    table = catalog.create_table((ns, "custom"), schema=SCHEMA, location=location)
    assert table.metadata.location == location
    table.append(_batch(table, [1]))
    loaded = catalog.load_table((ns, "custom"))
    assert loaded.metadata.location == location
    assert loaded.metadata_location.startswith(location + "/metadata/")
    assert rows(loaded) == _expected([1])
    files = loaded.inspect.files().column("file_path").to_pylist()
    assert files and all(f.startswith(location + "/") for f in files)
