"""The collector with PyIceberg writing real data: storage accounting checked against an
independent reachability computation, a clone outliving the purge of its source, and a clone
racing the expiry of the very snapshot it clones."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pyarrow as pa
import pytest
from pyiceberg.catalog import load_catalog

from catalog_server import CatalogServer
from reachability import Reachability, canonical

SCHEMA = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("v", pa.string())])


def rows(start: int, n: int) -> pa.Table:
    ids = list(range(start, start + n))
    return pa.table({"id": ids, "v": [str(i) for i in ids]}, schema=SCHEMA)


def ids(table) -> list[int]:  # type: ignore[no-untyped-def]
    return sorted(table.scan().to_arrow()["id"].to_pylist())


def collect(server, dry_run: bool = False) -> dict:  # type: ignore[no-untyped-def]
    status, run = server.request("POST", "/ext/v1/gc/runs", {"wait": True, "dry-run": dry_run})
    assert status == 200 and run["status"] == "succeeded", run
    return run


def storage(server, warehouse: str, ns: str, name: str) -> dict:  # type: ignore[no-untyped-def]
    status, report = server.request("GET", f"/ext/v1/{warehouse}/namespaces/{ns}/tables/{name}/storage")
    assert status == 200, report
    return report


def test_storage_report_and_a_clone_outliving_the_purge_of_its_source(environment) -> None:
    server, props, list_storage, root, _, _ = environment
    warehouse = props["warehouse"]
    catalog = load_catalog("engines", **props)
    reach = Reachability(catalog._load_file_io(location=root))
    catalog.create_namespace("acct")
    source = catalog.create_table("acct.source", schema=SCHEMA)
    for i in range(3):
        source.append(rows(i * 10, 3))
    status, answer = server.request(
        "POST", f"/ext/v1/{warehouse}/namespaces/acct/tables/source/clone", {"destination": {"namespace": ["acct"], "name": "clone"}}
    )
    assert status == 200, answer
    source = catalog.load_table("acct.source")
    source.overwrite(rows(100, 2))  # the source diverges: new files only it references
    with source.transaction() as tx:
        tx.set_properties({"history.expire.max-snapshot-age-ms": "0"})
    collect(server)  # expires the source's old snapshots; the clone keeps their files alive

    source = catalog.load_table("acct.source")
    clone = catalog.load_table("acct.clone")
    source_files = reach.files_of(source.metadata_location, source.metadata)
    clone_files = reach.files_of(clone.metadata_location, clone.metadata)

    report = storage(server, warehouse, "acct", "source")
    assert report["pending-objects"] == 0
    assert report["referenced"]["files"] == len(source_files)
    assert report["exclusive"]["files"] == len(source_files - clone_files)
    assert report["shared"]["files"] == len(source_files & clone_files)
    location = canonical(source.metadata.location).rstrip("/") + "/"
    kept_for_clone = {f for f in clone_files - source_files if f.startswith(location)}
    assert kept_for_clone, "the clone should still need files the source wrote before it diverged"
    assert report["retained-for-clones"]["files"] == len(kept_for_clone)
    clone_report = storage(server, warehouse, "acct", "clone")
    assert clone_report["referenced"]["files"] == len(clone_files)
    assert clone_report["exclusive"]["files"] == len(clone_files - source_files)

    # Purge the source: only what the clone does not need goes.
    catalog.purge_table("acct.source")
    collect(server)
    stored = list_storage()
    assert clone_files <= stored, sorted(clone_files - stored)[:5]
    assert not (source_files - clone_files) & stored, "the purged source's own files should be gone"
    clone = catalog.load_table("acct.clone")
    assert ids(clone) == [0, 1, 2, 10, 11, 12, 20, 21, 22]
    after = storage(server, warehouse, "acct", "clone")
    assert after["exclusive"]["files"] == after["referenced"]["files"] == len(clone_files)


def test_a_clone_racing_the_expiry_of_its_snapshot_either_pins_it_or_fails_cleanly(environment) -> None:
    server, props, list_storage, root, _, _ = environment
    warehouse = props["warehouse"]
    catalog = load_catalog("race", **props)
    reach = Reachability(catalog._load_file_io(location=root))
    catalog.create_namespace("race")
    outcomes: list[tuple[int, int]] = []
    for round_ in range(6):
        name = f"t{round_}"
        table = catalog.create_table(f"race.{name}", schema=SCHEMA)
        table.append(rows(0, 2))
        first = catalog.load_table(f"race.{name}").current_snapshot().snapshot_id
        table = catalog.load_table(f"race.{name}")
        table.append(rows(2, 2))
        with table.transaction() as tx:
            tx.set_properties({"history.expire.max-snapshot-age-ms": "0"})
        clone_name = f"c{uuid.uuid4().hex[:6]}"
        results: dict[str, tuple[int, object]] = {}
        barrier = threading.Barrier(2)

        def clone() -> None:
            barrier.wait()
            time.sleep(round_ * 0.02)  # later rounds give the expiry a head start
            results["clone"] = server.request(
                "POST",
                f"/ext/v1/{warehouse}/namespaces/race/tables/{name}/clone",
                {"destination": {"namespace": ["race"], "name": clone_name}, "point": {"snapshot-id": first}},
            )

        def expire() -> None:
            barrier.wait()
            results["expire"] = server.request("POST", f"/ext/v1/{warehouse}/namespaces/race/tables/{name}/expire-snapshots", {})

        threads = [threading.Thread(target=clone), threading.Thread(target=expire)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        clone_status, clone_body = results["clone"]
        expire_status, expire_body = results["expire"]
        assert expire_status in (200, 409), expire_body
        # Pinned, or refused cleanly because the snapshot was already gone (never a 500).
        assert clone_status in (200, 400, 404, 409), clone_body
        outcomes.append((clone_status, expire_status))
        collect(server)
        if clone_status == 200:
            cloned = catalog.load_table(f"race.{clone_name}")
            assert ids(cloned) == [0, 1], "the clone reads its snapshot's rows after a collection"
            files = reach.files_of(cloned.metadata_location, cloned.metadata)
            assert files <= list_storage()
        assert ids(catalog.load_table(f"race.{name}")) == [0, 1, 2, 3]
    print(f"clone/expiry outcomes: {outcomes}")


def test_two_server_processes_collecting_at_once_take_turns(environment) -> None:
    server, props, list_storage, root, env, tmp_path = environment
    if os.environ.get("GC_MODEL_EMBEDDED") == "1":
        pytest.skip("the embedded database serves one process")
    catalog = load_catalog("pair", **props)
    reach = Reachability(catalog._load_file_io(location=root))
    catalog.create_namespace("pair")
    table = catalog.create_table("pair.t", schema=SCHEMA, properties={"history.expire.max-snapshot-age-ms": "0"})
    other = CatalogServer(env, tmp_path / "second.log")
    other.start()
    try:
        statuses: list[int] = []
        for round_ in range(5):
            table = catalog.load_table("pair.t")
            table.append(rows(round_ * 10, 3))  # garbage for the next run: the previous snapshot expires
            results: list[tuple[int, object]] = []
            barrier = threading.Barrier(2)

            def run(target: CatalogServer) -> None:
                barrier.wait()
                results.append(target.request("POST", "/ext/v1/gc/runs", {"wait": True, "orphans": "delete"}))

            threads = [threading.Thread(target=run, args=(s,)) for s in (server, other)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            statuses += [status for status, _ in results]
            assert all(status in (200, 409) for status, _ in results), results
            assert any(status == 200 for status, _ in results), results
        status, answer = server.request("GET", "/ext/v1/gc/runs?page-size=1000")
        # Runs that ran to the end (the database may hold runs other tests interrupted with kill -9).
        spans = sorted((r["started-at"], r["finished-at"]) for r in answer["runs"] if r["status"] == "succeeded")
        for earlier, later in zip(spans, spans[1:]):
            assert later[0] >= earlier[1], f"runs overlapped: {earlier} and {later}"
        table = catalog.load_table("pair.t")
        assert ids(table) == sorted(i * 10 + k for i in range(5) for k in range(3))
        assert reach.files_of(table.metadata_location, table.metadata) <= list_storage()
        print(f"two servers: statuses {statuses}")
    finally:
        other.stop()
