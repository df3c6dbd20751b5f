"""Rename and drop tables."""

from __future__ import annotations

import pytest
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError, TableAlreadyExistsError
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType
from pyi_helpers import arrow_for, rows

SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=True),
    NestedField(2, "v", StringType(), required=False),
)
DATA = [{"id": 1, "v": "one"}, {"id": 2, "v": "two"}]


def _make(catalog: Catalog, ident):
    table = catalog.create_table(ident, schema=SCHEMA)
    table.append(arrow_for(table, DATA))
    return table


def test_rename_table_same_namespace(catalog: Catalog, ns: str) -> None:
    original = _make(catalog, (ns, "before"))
    snapshot_id = original.current_snapshot().snapshot_id

    renamed = catalog.rename_table((ns, "before"), (ns, "after"))
    assert renamed.name() == (ns, "after")

    assert catalog.table_exists((ns, "before")) is False
    assert catalog.table_exists((ns, "after")) is True
    with pytest.raises(NoSuchTableError):
        catalog.load_table((ns, "before"))
    assert [tuple(i) for i in catalog.list_tables(ns)] == [(ns, "after")]

    loaded = catalog.load_table((ns, "after"))
    assert rows(loaded) == DATA
    assert loaded.current_snapshot().snapshot_id == snapshot_id
    assert loaded.metadata.table_uuid == original.metadata.table_uuid

    # the renamed table is writable under its new name
    loaded.append(arrow_for(loaded, [{"id": 3, "v": "three"}]))
    assert rows(catalog.load_table((ns, "after"))) == DATA + [{"id": 3, "v": "three"}]

    # the old name is free again
    catalog.create_table((ns, "before"), schema=SCHEMA)
    assert rows(catalog.load_table((ns, "before"))) == []


def test_rename_table_across_namespaces(catalog: Catalog, namespaces) -> None:
    src = namespaces.create()
    dst = namespaces.create()
    original = _make(catalog, (src, "t"))

    catalog.rename_table((src, "t"), (dst, "moved"))

    assert catalog.table_exists((src, "t")) is False
    assert catalog.list_tables(src) == []
    assert [tuple(i) for i in catalog.list_tables(dst)] == [(dst, "moved")]
    moved = catalog.load_table((dst, "moved"))
    assert moved.metadata.table_uuid == original.metadata.table_uuid
    assert rows(moved) == DATA

    # source namespace is now empty and can be dropped
    catalog.drop_namespace(src)
    assert catalog.namespace_exists(src) is False


def test_rename_into_nested_namespace(catalog: Catalog, namespaces) -> None:
    parent = namespaces.create()
    catalog.create_namespace((parent, "child"))
    _make(catalog, (parent, "t"))
    catalog.rename_table((parent, "t"), (parent, "child", "t2"))
    assert [tuple(i) for i in catalog.list_tables((parent, "child"))] == [(parent, "child", "t2")]
    assert catalog.list_tables(parent) == []
    assert rows(catalog.load_table((parent, "child", "t2"))) == DATA


def test_rename_errors(catalog: Catalog, ns: str, namespaces) -> None:
    _make(catalog, (ns, "a"))
    catalog.create_table((ns, "b"), schema=SCHEMA)

    with pytest.raises(TableAlreadyExistsError):
        catalog.rename_table((ns, "a"), (ns, "b"))
    with pytest.raises(NoSuchTableError):
        catalog.rename_table((ns, "missing"), (ns, "c"))
    with pytest.raises(NoSuchNamespaceError):
        catalog.rename_table((ns, "a"), (namespaces.name(), "c"))

    # nothing changed
    assert sorted(tuple(i) for i in catalog.list_tables(ns)) == [(ns, "a"), (ns, "b")]
    assert rows(catalog.load_table((ns, "a"))) == DATA
    assert rows(catalog.load_table((ns, "b"))) == []


def test_drop_table(catalog: Catalog, ns: str) -> None:
    _make(catalog, (ns, "gone"))
    _make(catalog, (ns, "kept"))
    catalog.drop_table((ns, "gone"))

    assert catalog.table_exists((ns, "gone")) is False
    with pytest.raises(NoSuchTableError):
        catalog.load_table((ns, "gone"))
    with pytest.raises(NoSuchTableError):
        catalog.drop_table((ns, "gone"))
    assert [tuple(i) for i in catalog.list_tables(ns)] == [(ns, "kept")]
    assert rows(catalog.load_table((ns, "kept"))) == DATA

    # re-create under the same name: a brand new, empty table
    fresh = catalog.create_table((ns, "gone"), schema=SCHEMA)
    assert fresh.current_snapshot() is None
    assert rows(fresh) == []


def test_purge_table(catalog: Catalog, ns: str) -> None:
    _make(catalog, (ns, "purged"))
    catalog.purge_table((ns, "purged"))
    assert catalog.table_exists((ns, "purged")) is False
    with pytest.raises(NoSuchTableError):
        catalog.load_table((ns, "purged"))
