"""Zero-copy clones seen from PyIceberg: clones are ordinary tables to the engine.

Clones are created through the catalog's extension API (/ext/v1); everything else goes
through PyIceberg.
"""

from __future__ import annotations

import os
import time

import pyarrow as pa
import requests
from pyiceberg.catalog import Catalog

from pyi_helpers import rows

BASE = os.environ.get("CATALOG_URI", "http://127.0.0.1:8181").rstrip("/")
PREFIX = os.environ.get("CATALOG_WAREHOUSE", "default")
SCHEMA = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("v", pa.string())])


def data(*ids: int) -> pa.Table:
    return pa.table({"id": list(ids), "v": [f"v{i}" for i in ids]}, schema=SCHEMA)


def ids(table) -> list[int]:
    return [r["id"] for r in rows(table.scan().to_arrow())]


def clone(ns: str, name: str, body: dict) -> requests.Response:
    return requests.post(f"{BASE}/ext/v1/{PREFIX}/namespaces/{ns}/tables/{name}/clone", json=body, timeout=30)


def test_clone_then_write_both_sides(catalog: Catalog, ns: str) -> None:
    source = catalog.create_table(f"{ns}.src", schema=SCHEMA)
    source.append(data(1, 2))
    response = clone(ns, "src", {"destination": {"namespace": [ns], "name": "copy"}})
    assert response.status_code == 200, response.text

    copy = catalog.load_table(f"{ns}.copy")
    assert ids(copy) == [1, 2]
    assert copy.properties.get("gc.enabled") == "false"
    assert catalog.load_table(f"{ns}.src").properties.get("gc.enabled") == "false"

    copy.append(data(10))
    catalog.load_table(f"{ns}.src").append(data(20))
    assert ids(catalog.load_table(f"{ns}.copy")) == [1, 2, 10]
    assert ids(catalog.load_table(f"{ns}.src")) == [1, 2, 20]
    # The clone writes under its own location.
    assert not catalog.load_table(f"{ns}.copy").location().startswith(catalog.load_table(f"{ns}.src").location())


def test_clone_at_snapshot_tag_and_time_reads_the_old_rows(catalog: Catalog, ns: str) -> None:
    source = catalog.create_table(f"{ns}.hist", schema=SCHEMA)
    source.append(data(1))
    first = source.current_snapshot().snapshot_id
    source.manage_snapshots().create_tag(first, "v1").commit()
    time.sleep(0.05)
    between = int(time.time() * 1000)
    time.sleep(0.05)
    catalog.load_table(f"{ns}.hist").append(data(2))

    for name, point in [("by_id", {"snapshot-id": first}), ("by_tag", {"tag": "v1"}), ("by_time", {"timestamp-ms": between})]:
        response = clone(ns, "hist", {"destination": {"namespace": [ns], "name": name}, "point": point})
        assert response.status_code == 200, response.text
        cloned = catalog.load_table(f"{ns}.{name}")
        assert ids(cloned) == [1], name
        assert cloned.current_snapshot().snapshot_id == first, name
    assert ids(catalog.load_table(f"{ns}.hist")) == [1, 2]


def test_clone_reads_after_the_source_is_dropped(catalog: Catalog, ns: str) -> None:
    source = catalog.create_table(f"{ns}.doomed", schema=SCHEMA)
    source.append(data(7, 8))
    assert clone(ns, "doomed", {"destination": {"namespace": [ns], "name": "survivor"}}).status_code == 200
    catalog.drop_table(f"{ns}.doomed")
    assert ids(catalog.load_table(f"{ns}.survivor")) == [7, 8]


def test_namespace_clone_and_errors(catalog: Catalog, ns: str) -> None:
    for name in ("a", "b"):
        catalog.create_table(f"{ns}.{name}", schema=SCHEMA).append(data(1))
    target = f"{ns}_copy"
    try:
        response = requests.post(f"{BASE}/ext/v1/{PREFIX}/namespaces/{ns}/clone", json={"destination": [target]}, timeout=30)
        assert response.status_code == 200, response.text
        assert sorted(t[1] for t in catalog.list_tables(target)) == ["a", "b"]
        assert ids(catalog.load_table(f"{target}.a")) == [1]
        again = requests.post(f"{BASE}/ext/v1/{PREFIX}/namespaces/{ns}/clone", json={"destination": [target]}, timeout=30)
        assert again.status_code == 409
        assert again.json()["error"]["type"] == "AlreadyExistsException"
    finally:
        for name in ("a", "b"):
            try:
                catalog.drop_table(f"{target}.{name}")
            except Exception:
                pass
        try:
            catalog.drop_namespace(target)
        except Exception:
            pass
