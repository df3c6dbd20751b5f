"""Shared fixtures for the PyIceberg end-to-end compatibility suite.

The suite talks to an already running Iceberg REST catalog. Configuration comes
from the environment:

  CATALOG_URI            REST catalog base URI (default http://127.0.0.1:8181)
  CATALOG_WAREHOUSE      warehouse name sent to /v1/config (default "default")
  S3_ENDPOINT            if set, S3-compatible endpoint used for data/metadata IO;
                         credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
                         region from AWS_REGION (default us-east-1)

Every test gets its own uniquely named namespace (uuid suffix) so reruns against
a persistent backend never collide; the namespace and its tables are dropped at
the end of the test on a best-effort basis.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from pyiceberg.catalog import Catalog, load_catalog
from pyi_helpers import catalog_properties


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    props = catalog_properties()
    try:
        cat = load_catalog("test", **props)
    except Exception as exc:  # pragma: no cover - environment problem
        pytest.exit(
            f"Cannot load REST catalog at {props['uri']} (warehouse={props['warehouse']!r}): "
            f"{type(exc).__name__}: {exc}",
            returncode=2,
        )
    return cat


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def _drop_namespace_tree(cat: Catalog, ns: tuple[str, ...]) -> None:
    """Best-effort recursive cleanup of a namespace (children, tables, itself)."""
    try:
        children = cat.list_namespaces(ns)
    except Exception:
        children = []
    for child in children:
        child = tuple(child)
        if len(child) > len(ns) and child[: len(ns)] == ns:
            _drop_namespace_tree(cat, child)
    try:
        tables = cat.list_tables(ns)
    except Exception:
        tables = []
    for ident in tables:
        try:
            cat.drop_table(ident)
        except Exception:
            pass
    try:
        cat.drop_namespace(ns)
    except Exception:
        pass


class NamespaceFactory:
    """Creates uniquely named namespaces and cleans all of them up afterwards."""

    def __init__(self, cat: Catalog, test_name: str) -> None:
        self._cat = cat
        # keep names short and identifier-safe
        self._prefix = "pyi_" + "".join(c if c.isalnum() else "_" for c in test_name)[:40]
        self.created: list[tuple[str, ...]] = []

    def name(self) -> str:
        return _unique(self._prefix)

    def create(self, properties: dict[str, str] | None = None) -> str:
        ns = self.name()
        self._cat.create_namespace(ns, properties or {})
        self.created.append((ns,))
        return ns

    def track(self, ns: str | tuple[str, ...]) -> None:
        self.created.append((ns,) if isinstance(ns, str) else tuple(ns))

    def cleanup(self) -> None:
        for ns in reversed(self.created):
            _drop_namespace_tree(self._cat, ns)


@pytest.fixture
def namespaces(catalog: Catalog, request: pytest.FixtureRequest) -> Iterator[NamespaceFactory]:
    factory = NamespaceFactory(catalog, request.node.name)
    yield factory
    factory.cleanup()


@pytest.fixture
def ns(namespaces: NamespaceFactory) -> str:
    """A fresh, empty namespace (single level) for this test."""
    return namespaces.create()
