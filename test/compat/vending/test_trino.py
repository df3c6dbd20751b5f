"""Trino 476 (Iceberg connector, native S3) with no S3 key: `iceberg.rest-catalog.vended-
credentials-enabled=true` makes it ask for vended credentials and use them for each table's
files; the S3 settings name the endpoint, region and path style only. It creates and fills a
table, reads a clone of it (files under the source's location) and writes the clone.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import WAREHOUSE

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT / "scripts" / "test-env"))
sys.path.insert(0, str(REPO_ROOT / "test" / "compat" / "trino"))
import ensure_trino  # noqa: E402
import trino_server  # noqa: E402
from trino_server import TrinoServer  # noqa: E402


@pytest.fixture(scope="module")
def trino_uri(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        home = Path(os.environ["TRINO_HOME"]) if os.environ.get("TRINO_HOME") else ensure_trino.ensure_installed()
        java_home = ensure_trino.java_home()
    except ensure_trino.InstallError as exc:
        pytest.fail(f"cannot install Trino {ensure_trino.TRINO_VERSION}: {exc}", pytrace=False)
    lake = {
        "connector.name": "iceberg",
        "iceberg.catalog.type": "rest",
        "iceberg.rest-catalog.uri": stack.uri,
        "iceberg.rest-catalog.warehouse": WAREHOUSE,
        "iceberg.rest-catalog.vended-credentials-enabled": "true",
        "fs.native-s3.enabled": "true",
        "s3.endpoint": stack.minio.endpoint,
        "s3.region": "us-east-1",
        "s3.path-style-access": "true",
    }
    server = TrinoServer(home, java_home, tmp_path_factory.mktemp("trino"), {"lake": lake})
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(f"cannot start Trino: {exc}", pytrace=False)
    try:
        yield server.uri
    finally:
        server.stop()


def query(trino_uri: str, sql: str) -> list[tuple[Any, ...]]:
    return trino_server.query(trino_uri, "lake", sql, user="vending")


def test_trino_writes_reads_and_clones_with_vended_keys_only(stack, trino_uri, namespace):
    query(trino_uri, f"CREATE TABLE lake.{namespace}.orders (id BIGINT, name VARCHAR)")
    query(trino_uri, f"INSERT INTO lake.{namespace}.orders VALUES (1, 'one'), (2, 'two'), (3, 'three')")
    assert query(trino_uri, f"SELECT id FROM lake.{namespace}.orders ORDER BY id") == [(1,), (2,), (3,)]
    stack.clone(namespace, "orders", namespace, "orders_clone")
    assert query(trino_uri, f"SELECT id FROM lake.{namespace}.orders_clone ORDER BY id") == [(1,), (2,), (3,)]
    query(trino_uri, f"INSERT INTO lake.{namespace}.orders_clone VALUES (4, 'four')")
    assert query(trino_uri, f"SELECT count(*) FROM lake.{namespace}.orders_clone") == [(4,)]
    assert query(trino_uri, f"SELECT count(*) FROM lake.{namespace}.orders") == [(3,)]
    clone_location = stack.location(namespace, "orders_clone")
    assert any(k.endswith(".parquet") for k in stack.keys_under(f"{clone_location}/data")), "Trino's rows went under the clone's location"
