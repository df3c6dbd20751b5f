"""Namespace API through PyIceberg's REST catalog client."""

from __future__ import annotations

import pytest
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import (
    NamespaceAlreadyExistsError,
    NamespaceNotEmptyError,
    NoSuchNamespaceError,
)
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField

# Properties a server may legitimately add on its own to a namespace.
SERVER_ADDED_KEYS = {"location"}


def user_props(props: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in props.items() if k not in SERVER_ADDED_KEYS}


def test_create_namespace_with_properties_and_load(catalog: Catalog, namespaces) -> None:
    ns = namespaces.name()
    catalog.create_namespace(ns, {"owner": "alice", "comment": "hello world", "unicode": "ünï©ødé"})
    namespaces.track(ns)

    props = catalog.load_namespace_properties(ns)
    assert user_props(props) == {"owner": "alice", "comment": "hello world", "unicode": "ünï©ødé"}
    assert catalog.namespace_exists(ns) is True
    assert (ns,) in [tuple(n) for n in catalog.list_namespaces()]


def test_create_namespace_without_properties(catalog: Catalog, namespaces) -> None:
    ns = namespaces.create()
    assert user_props(catalog.load_namespace_properties(ns)) == {}


def test_list_namespaces_top_level_and_nested(catalog: Catalog, namespaces) -> None:
    parent = namespaces.create()
    other = namespaces.create()
    catalog.create_namespace((parent, "b"), {"level": "2"})
    catalog.create_namespace((parent, "c"))
    catalog.create_namespace((parent, "b", "deep"))

    top = [tuple(n) for n in catalog.list_namespaces()]
    assert (parent,) in top
    assert (other,) in top
    # only direct children are listed: nested namespaces never appear at top level
    assert (parent, "b") not in top
    assert all(len(n) == 1 for n in top), top

    children = sorted(tuple(n) for n in catalog.list_namespaces(parent))
    assert children == [(parent, "b"), (parent, "c")]

    grandchildren = [tuple(n) for n in catalog.list_namespaces((parent, "b"))]
    assert grandchildren == [(parent, "b", "deep")]

    assert [tuple(n) for n in catalog.list_namespaces((parent, "c"))] == []

    assert user_props(catalog.load_namespace_properties((parent, "b"))) == {"level": "2"}
    assert catalog.namespace_exists((parent, "b")) is True
    assert catalog.namespace_exists((parent, "b", "deep")) is True
    assert catalog.namespace_exists((parent, "nope")) is False

    # dotted string form is the same namespace as the tuple form
    assert user_props(catalog.load_namespace_properties(f"{parent}.b")) == {"level": "2"}


def test_list_namespaces_of_missing_parent(catalog: Catalog, namespaces) -> None:
    missing = namespaces.name()
    with pytest.raises(NoSuchNamespaceError):
        catalog.list_namespaces(missing)


def test_update_namespace_properties(catalog: Catalog, namespaces) -> None:
    ns = namespaces.create({"a": "1", "b": "2", "keep": "k"})

    summary = catalog.update_namespace_properties(ns, removals={"b", "does-not-exist"}, updates={"a": "10", "c": "3"})
    assert sorted(summary.updated) == ["a", "c"]
    assert sorted(summary.removed) == ["b"]
    assert sorted(summary.missing or []) == ["does-not-exist"]

    assert user_props(catalog.load_namespace_properties(ns)) == {"a": "10", "c": "3", "keep": "k"}

    # updates only
    summary = catalog.update_namespace_properties(ns, updates={"d": "4"})
    assert sorted(summary.updated) == ["d"]
    assert sorted(summary.removed) == []
    assert sorted(summary.missing or []) == []

    # removals only
    summary = catalog.update_namespace_properties(ns, removals={"a", "keep"})
    assert sorted(summary.removed) == ["a", "keep"]
    assert sorted(summary.updated) == []
    assert user_props(catalog.load_namespace_properties(ns)) == {"c": "3", "d": "4"}


def test_update_properties_of_missing_namespace(catalog: Catalog, namespaces) -> None:
    with pytest.raises(NoSuchNamespaceError):
        catalog.update_namespace_properties(namespaces.name(), updates={"a": "b"})


def test_namespace_exists(catalog: Catalog, namespaces) -> None:
    ns = namespaces.create()
    assert catalog.namespace_exists(ns) is True
    assert catalog.namespace_exists(namespaces.name()) is False


def test_drop_empty_namespace(catalog: Catalog, namespaces) -> None:
    ns = namespaces.create({"x": "y"})
    catalog.drop_namespace(ns)
    assert catalog.namespace_exists(ns) is False
    assert (ns,) not in [tuple(n) for n in catalog.list_namespaces()]
    with pytest.raises(NoSuchNamespaceError):
        catalog.load_namespace_properties(ns)
    # the name can be reused afterwards
    catalog.create_namespace(ns, {"x": "z"})
    assert user_props(catalog.load_namespace_properties(ns)) == {"x": "z"}


def test_drop_nested_namespace(catalog: Catalog, namespaces) -> None:
    parent = namespaces.create()
    catalog.create_namespace((parent, "child"))
    catalog.drop_namespace((parent, "child"))
    assert catalog.namespace_exists((parent, "child")) is False
    assert catalog.namespace_exists(parent) is True
    assert [tuple(n) for n in catalog.list_namespaces(parent)] == []


def test_drop_non_empty_namespace_fails(catalog: Catalog, namespaces) -> None:
    ns = namespaces.create()
    schema = Schema(NestedField(1, "id", LongType(), required=False))
    catalog.create_table((ns, "t"), schema)
    with pytest.raises(NamespaceNotEmptyError):
        catalog.drop_namespace(ns)
    assert catalog.namespace_exists(ns) is True
    assert catalog.table_exists((ns, "t")) is True

    catalog.drop_table((ns, "t"))
    catalog.drop_namespace(ns)
    assert catalog.namespace_exists(ns) is False


def test_drop_missing_namespace_fails(catalog: Catalog, namespaces) -> None:
    with pytest.raises(NoSuchNamespaceError):
        catalog.drop_namespace(namespaces.name())


def test_create_existing_namespace_fails(catalog: Catalog, namespaces) -> None:
    ns = namespaces.create({"v": "1"})
    with pytest.raises(NamespaceAlreadyExistsError):
        catalog.create_namespace(ns, {"v": "2"})
    # the original namespace is untouched
    assert user_props(catalog.load_namespace_properties(ns)) == {"v": "1"}


def test_load_missing_namespace_fails(catalog: Catalog, namespaces) -> None:
    missing = namespaces.name()
    with pytest.raises(NoSuchNamespaceError):
        catalog.load_namespace_properties(missing)
    with pytest.raises(NoSuchNamespaceError):
        catalog.load_namespace_properties((missing, "child"))


def test_list_tables_of_missing_namespace_fails(catalog: Catalog, namespaces) -> None:
    with pytest.raises(NoSuchNamespaceError):
        catalog.list_tables(namespaces.name())
