"""DuckDB 1.5.5 (iceberg extension) with no S3 key at all: no secret, no s3_* setting, no AWS_*
variable. It asks for vended credentials (its default ACCESS_DELEGATION_MODE) and builds a
scoped secret per `storage-credentials` entry, so a clone's files under its source's location
are read with the clone's keys. It creates and fills a table, reads a clone of it, and writes
the clone; the source stays as it was.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

EXTENSIONS = ("parquet", "avro", "httpfs", "iceberg")

# httpfs copies AWS_* and DUCKDB_* variables into its settings when it loads.
for _name in list(os.environ):
    if _name.startswith(("AWS_", "DUCKDB_")):
        del os.environ[_name]


def q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def extension_files() -> list[Path]:
    wanted = f"v{duckdb.__version__}"
    files = []
    for name in EXTENSIONS:
        spec = importlib.util.find_spec(f"duckdb_extension_{name}")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"the package duckdb-extension-{name} is not installed")
        root = Path(next(iter(spec.submodule_search_locations)))
        found = [f for f in root.glob(f"extensions/*/{name}.duckdb_extension") if f.parent.name == wanted]
        if not found:
            raise RuntimeError(f"duckdb-extension-{name} has no {name}.duckdb_extension for duckdb {wanted}")
        files.append(found[0])
    return files


@pytest.fixture
def duck(stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[duckdb.DuckDBPyConnection]:
    try:
        files = extension_files()
    except RuntimeError as exc:
        pytest.fail(f"DuckDB extensions unavailable: {exc}", pytrace=False)
    monkeypatch.chdir(tmp_path)
    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false", "extension_directory": str(tmp_path / "ext")})
    for path in files:
        con.execute(f"LOAD {q(str(path))}")
    con.execute(f"ATTACH 'default' AS cat (TYPE iceberg, ENDPOINT {q(stack.uri)}, AUTHORIZATION_TYPE 'none')")
    yield con
    con.close()


def test_duckdb_writes_reads_and_clones_with_vended_keys_only(stack, duck, namespace):
    assert duck.execute("SELECT count(*) FROM duckdb_secrets()").fetchone()[0] == 0, "DuckDB starts with no secret"
    duck.execute(f"CREATE TABLE cat.{namespace}.orders (id BIGINT, name VARCHAR)")
    duck.execute(f"INSERT INTO cat.{namespace}.orders VALUES (1, 'one'), (2, 'two'), (3, 'three')")
    assert duck.execute(f"SELECT id FROM cat.{namespace}.orders ORDER BY id").fetchall() == [(1,), (2,), (3,)]

    stack.clone(namespace, "orders", namespace, "orders_clone")
    assert duck.execute(f"SELECT id FROM cat.{namespace}.orders_clone ORDER BY id").fetchall() == [(1,), (2,), (3,)]
    duck.execute(f"INSERT INTO cat.{namespace}.orders_clone VALUES (4, 'four')")
    assert duck.execute(f"SELECT count(*) FROM cat.{namespace}.orders_clone").fetchone()[0] == 4
    assert duck.execute(f"SELECT count(*) FROM cat.{namespace}.orders").fetchone()[0] == 3
    clone_location = stack.location(namespace, "orders_clone")
    assert any(k.endswith(".parquet") for k in stack.keys_under(f"{clone_location}/data")), "DuckDB's rows went under the clone's location"
