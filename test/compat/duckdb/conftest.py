"""Fixtures for the DuckDB compatibility suite.

DuckDB (PyPI's `duckdb`) drives an already running catalog through
`ATTACH ... (TYPE iceberg)`; PyIceberg writes the tables DuckDB reads and reads back what
DuckDB wrote. Configuration comes from the environment:

  CATALOG_URI            REST catalog base URI (default http://127.0.0.1:8181)
  CATALOG_WAREHOUSE      warehouse name, ATTACHed as `cat` (default "default")
  S3_ENDPOINT            set for an S3 warehouse: PyIceberg gets endpoint, credentials and
                         region from here; DuckDB gets credentials only (below)
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION   (defaults testing/testing/us-east-1)

Extensions: iceberg, httpfs, avro and parquet are LOADed from the files of the pip packages
duckdb-extension-* (same version as duckdb, pinned in test/compat/requirements.txt), with
autoinstall and autoload off, so nothing is fetched from DuckDB's extension repository.
A missing or mismatched package fails every test, never skips it.

S3: DuckDB is given the key id and secret as the global settings s3_access_key_id and
s3_secret_access_key, nothing else: no endpoint, region or URL style. Those must come from
the `config` of the catalog's LoadTableResult, which the iceberg extension turns into a
secret per table. httpfs copies AWS_* variables into its settings when it loads (and the
iceberg extension falls back to AWS_REGION), so this module removes every AWS_* and DUCKDB_*
variable from its own environment at import: what DuckDB uses then came from us or the
catalog. (A `CREATE SECRET` holding only the key id and secret does not work; see
test_s3.py.)

Each test gets a fresh in-memory DuckDB database (DuckDB keeps the per-table secrets it
creates for the life of the database, and one test's secret must not help another's read)
and its own uniquely named namespaces, dropped afterwards on a best-effort basis.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pyiceberg.catalog import Catalog, load_catalog
from pyiceberg.schema import Schema
from pyiceberg.types import IcebergType, ListType, MapType, StructType

CATALOG_URI = os.environ.get("CATALOG_URI", "http://127.0.0.1:8181").rstrip("/")
WAREHOUSE = os.environ.get("CATALOG_WAREHOUSE", "default")
S3_ENDPOINT = os.environ.get("S3_ENDPOINT", "")
ON_S3 = bool(S3_ENDPOINT)
S3_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID", "testing")
S3_SECRET = os.environ.get("AWS_SECRET_ACCESS_KEY", "testing")
S3_REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"

for _name in list(os.environ):
    if _name.startswith(("AWS_", "DUCKDB_")):
        del os.environ[_name]

# parquet is also compiled into the Python wheel; LOADing its file then changes nothing,
# but keeps the suite working with a wheel that leaves it out.
EXTENSIONS = ("parquet", "avro", "httpfs", "iceberg")


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def extension_files() -> dict[str, Path]:
    """The .duckdb_extension file of each pip package, for this duckdb version."""
    wanted = f"v{duckdb.__version__}"
    files: dict[str, Path] = {}
    for name in EXTENSIONS:
        spec = importlib.util.find_spec(f"duckdb_extension_{name}")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"the package duckdb-extension-{name} is not installed")
        root = Path(next(iter(spec.submodule_search_locations)))
        found = sorted(root.glob(f"extensions/*/{name}.duckdb_extension"))
        matching = [f for f in found if f.parent.name == wanted]
        if not matching:
            raise RuntimeError(
                f"duckdb-extension-{name} has no {name}.duckdb_extension for duckdb {wanted} "
                f"(found: {[str(f.relative_to(root)) for f in found]})"
            )
        files[name] = matching[0]
    return files


@pytest.fixture(scope="session")
def duckdb_extensions() -> dict[str, Path]:
    try:
        return extension_files()
    except RuntimeError as exc:
        pytest.fail(f"DuckDB extensions unavailable: {exc}", pytrace=False)


def new_duckdb(extensions: dict[str, Path], scratch: Path, *, s3_settings: bool = True) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory database with the extensions loaded and nothing else configured.

    s3_settings: on S3, set the key id and secret as global settings (the suite's way of
    giving DuckDB credentials); False leaves S3 entirely unconfigured.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            # Nothing is installed, but keep DuckDB away from ~/.duckdb all the same.
            "extension_directory": str(scratch),
        }
    )
    for path in extensions.values():
        con.execute(f"LOAD {sql_string(str(path))}")
    con.execute("SET TimeZone = 'UTC'")
    if ON_S3 and s3_settings:
        # GLOBAL: a plain SET is per connection, and DuckDB's Python cursors are connections.
        con.execute(f"SET GLOBAL s3_access_key_id = {sql_string(S3_KEY_ID)}")
        con.execute(f"SET GLOBAL s3_secret_access_key = {sql_string(S3_SECRET)}")
    return con


def attach(con: duckdb.DuckDBPyConnection) -> None:
    """The catalog has no authentication: AUTHORIZATION_TYPE 'none' (the default, oauth2,
    refuses to attach without a client id and secret)."""
    con.execute(
        f"ATTACH {sql_string(WAREHOUSE)} AS cat "
        f"(TYPE iceberg, ENDPOINT {sql_string(CATALOG_URI)}, AUTHORIZATION_TYPE 'none')"
    )


@pytest.fixture
def duck(
    duckdb_extensions: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh DuckDB with the catalog attached as `cat`."""
    # DuckDB 1.5.5 plans a CTAS against a placeholder table without a location and makes its
    # data directory, "data", relative to the working directory (on any warehouse): keep
    # that empty directory out of the repository.
    monkeypatch.chdir(tmp_path)
    con = new_duckdb(duckdb_extensions, tmp_path / "duckdb-extensions")
    attach(con)
    yield con
    con.close()


def fetch(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.sql(sql).fetchall()


# --- PyIceberg ------------------------------------------------------------------------


def pyiceberg_properties() -> dict[str, str]:
    props = {"type": "rest", "uri": CATALOG_URI, "warehouse": WAREHOUSE}
    if ON_S3:
        props.update(
            {
                "s3.endpoint": S3_ENDPOINT,
                "s3.access-key-id": S3_KEY_ID,
                "s3.secret-access-key": S3_SECRET,
                "s3.region": S3_REGION,
                "s3.force-virtual-addressing": "false",
                "s3.resolve-region": "false",
            }
        )
    return props


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    try:
        return load_catalog("duckdb-suite", **pyiceberg_properties())
    except Exception as exc:  # pragma: no cover - environment problem
        pytest.exit(f"Cannot load the REST catalog at {CATALOG_URI}: {type(exc).__name__}: {exc}", returncode=2)


def pyiceberg_rows(catalog: Catalog, identifier: str, key: str = "id") -> list[dict[str, Any]]:
    arrow = catalog.load_table(identifier).scan().to_arrow()
    return sorted(arrow.to_pylist(), key=lambda row: (row[key] is not None, row[key]))


def type_name(t: IcebergType) -> str:
    """An Iceberg type without field ids or optionality: `struct<x: int, y: string>`."""
    if isinstance(t, StructType):
        return "struct<" + ", ".join(f"{f.name}: {type_name(f.field_type)}" for f in t.fields) + ">"
    if isinstance(t, ListType):
        return f"list<{type_name(t.element_type)}>"
    if isinstance(t, MapType):
        return f"map<{type_name(t.key_type)}, {type_name(t.value_type)}>"
    return str(t)


def columns(schema: Schema) -> list[tuple[str, str, bool]]:
    return [(f.name, type_name(f.field_type), f.required) for f in schema.fields]


def _drop_namespace_tree(cat: Catalog, ns: tuple[str, ...]) -> None:
    """Best effort: child namespaces, then tables, then the namespace itself."""
    try:
        children = [tuple(c) for c in cat.list_namespaces(ns)]
    except Exception:
        children = []
    for child in children:
        if len(child) > len(ns) and child[: len(ns)] == ns:
            _drop_namespace_tree(cat, child)
    try:
        tables = cat.list_tables(ns)
    except Exception:
        tables = []
    for identifier in tables:
        try:
            cat.drop_table(identifier)
        except Exception:
            pass
    try:
        cat.drop_namespace(ns)
    except Exception:
        pass


class NamespaceFactory:
    """Uniquely named namespaces for one test, all dropped afterwards."""

    def __init__(self, cat: Catalog, test_name: str) -> None:
        self._cat = cat
        self._prefix = "duck_" + "".join(c if c.isalnum() else "_" for c in test_name)[:40]
        self.created: list[tuple[str, ...]] = []

    def name(self) -> str:
        """A fresh name, tracked for cleanup but not created."""
        name = f"{self._prefix}_{uuid.uuid4().hex[:10]}"
        self.created.append((name,))
        return name

    def create(self) -> str:
        name = self.name()
        self._cat.create_namespace(name)
        return name

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
    """A fresh, empty namespace created through PyIceberg."""
    return namespaces.create()
