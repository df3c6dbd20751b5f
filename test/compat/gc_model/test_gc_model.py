"""The collector's randomized model test (design: clones-and-gc.md, "How to test it").

Random sequences of create, append, delete rows, overwrite, tag, branch, add_files of one file
to two tables under two spellings (shared_files.py), views created, replaced and dropped
(views.py; namespace clones copy them), table and namespace
clones (at points in time, some with a TTL), expiry, drop, undrop, TTL expiry, collection
runs and `kill -9` of the server (mid-commit and mid-collection) run against a real catalog
on Postgres, written and read by PyIceberg. After every step, the files every live or
restorable table reaches (computed from storage with PyIceberg, not from the catalog's
index) must all exist; after every collection with a zero grace period, no other file may
be left under the warehouse root; and every table reads back exactly the rows the model
expects.

  GC_MODEL_DATABASE_URL   Postgres URL of an empty database (required)
  GC_MODEL_STEPS          steps (default 500); GC_MODEL_SEED  seed (default: random, printed)
  GC_MODEL_S3_ENDPOINT    run against an S3-compatible server instead of a local directory
  GC_MODEL_EMBEDDED=1     run on the embedded database (PGlite, as `npm start` does) instead
  GC_MODEL_VENDING=1      PyIceberg on vended keys only, against MinIO (MINIO_BIN names it)
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import pyarrow as pa
import pytest
from pyiceberg.catalog import load_catalog
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.expressions import In
from pyiceberg.io import load_file_io

import shared_files
import views
from reachability import Reachability, local_files, s3_files, union

SCHEMA = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("v", pa.string())])
MAX_LIVE_TABLES = 6


@dataclass
class TableModel:
    rows: list[int]
    tags: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class DroppedModel:
    table_id: str
    namespace: str
    name: str
    model: TableModel
    purge: bool


class Scenario:
    def __init__(self, rng: random.Random, server: CatalogServer, props: dict[str, str], list_storage, root: str, eyes: dict[str, str] | None = None) -> None:
        self.rng = rng
        self.server = server
        self.props = props
        self.warehouse = props["warehouse"]
        self.list_storage = list_storage
        self.root = root
        self.catalog = load_catalog("model", **props)
        # The model's own view of storage: with engines on vended keys, the root's keys (eyes),
        # since no vended key reads every table's files.
        self.reach = Reachability(load_file_io({**props, **eyes}, location=root) if eyes else self.catalog._load_file_io(location=root))
        self.vending = eyes is not None
        self.live: dict[tuple[str, str], TableModel] = {}
        # Clones with a TTL: the catalog drops them on its own once due, so the model never
        # writes to them; step_ttl_expiry moves them to the dropped ones.
        self.ttl: dict[tuple[str, str], tuple[float, TableModel]] = {}
        self.dropped: list[DroppedModel] = []
        self.namespaces: list[str] = []
        self.next_id = 0
        self.counts: dict[str, int] = {}

    # -- helpers ---------------------------------------------------------------------------
    def rows(self, n: int) -> pa.Table:
        ids = list(range(self.next_id, self.next_id + n))
        self.next_id += n
        return pa.table({"id": ids, "v": [f"r{i}" for i in ids]}, schema=SCHEMA)

    def pick_live(self) -> tuple[str, str] | None:
        return self.rng.choice(sorted(self.live)) if self.live else None

    def table(self, key: tuple[str, str]):
        return self.catalog.load_table(f"{key[0]}.{key[1]}")

    def new_name(self, prefix: str) -> str:
        return f"{prefix}{uuid.uuid4().hex[:8]}"

    def reconnect(self) -> None:
        self.catalog = load_catalog("model", **self.props)

    def restart(self) -> None:
        self.server.kill9()
        self.server.start()
        self.reconnect()

    # -- steps -----------------------------------------------------------------------------
    def step_create(self) -> None:
        if len(self.live) >= MAX_LIVE_TABLES:
            return self.step_append()
        if not self.namespaces or self.rng.random() < 0.3:
            ns = self.new_name("ns")
            self.catalog.create_namespace(ns)
            self.namespaces.append(ns)
        ns = self.rng.choice(self.namespaces)
        name = self.new_name("t")
        props = {}
        if self.rng.random() < 0.5:
            props["write.metadata.previous-versions-max"] = str(self.rng.randint(1, 4))
        self.catalog.create_table(f"{ns}.{name}", schema=SCHEMA, properties=props)
        self.live[(ns, name)] = TableModel(rows=[])

    def step_append(self) -> None:
        key = self.pick_live()
        if key is None:
            return self.step_create()
        data = self.rows(self.rng.randint(1, 5))
        self.table(key).append(data)
        self.live[key].rows += data["id"].to_pylist()

    def step_delete_rows(self) -> None:
        key = self.pick_live()
        if key is None or not self.live[key].rows:
            return self.step_append()
        victims = self.rng.sample(self.live[key].rows, k=max(1, len(self.live[key].rows) // 3))
        self.table(key).delete(In("id", victims))
        self.live[key].rows = [r for r in self.live[key].rows if r not in set(victims)]

    def step_overwrite(self) -> None:
        key = self.pick_live()
        if key is None:
            return self.step_create()
        data = self.rows(self.rng.randint(1, 4))
        self.table(key).overwrite(data)
        self.live[key].rows = data["id"].to_pylist()

    def step_add_files(self) -> None:
        # A file of one table added to another lies outside the other's prefixes: its vended
        # keys may not read it (docs/security.md), so the step is not taken on vended keys.
        if self.vending:
            return self.step_append()
        shared_files.add_files(self)

    def step_view(self) -> None:
        views.step(self)

    def step_tag(self) -> None:
        key = self.pick_live()
        if key is None:
            return self.step_create()
        table = self.table(key)
        snapshot = table.current_snapshot()
        if snapshot is None:
            return self.step_append()
        tag = self.new_name("tag")
        if self.rng.random() < 0.7:
            table.manage_snapshots().create_tag(snapshot.snapshot_id, tag).commit()
            self.live[key].tags[tag] = list(self.live[key].rows)
        else:
            # A branch pins its head like a tag; the model reads main only.
            table.manage_snapshots().create_branch(snapshot.snapshot_id, tag).commit()

    def step_clone_table(self) -> None:
        key = self.pick_live()
        if key is None or len(self.live) >= MAX_LIVE_TABLES:
            return self.step_append()
        model = self.live[key]
        body: dict = {"destination": {"namespace": [key[0]], "name": self.new_name("c")}}
        rows = list(model.rows)
        if model.tags and self.rng.random() < 0.5:
            tag = self.rng.choice(sorted(model.tags))
            body["point"] = {"tag": tag}
            rows = list(model.tags[tag])
        if self.rng.random() < 0.3:
            body["history"] = "all"
        ttl = self.rng.random() < 0.25
        if ttl:
            body["ttl-seconds"] = 1
        status, answer = self.server.request("POST", f"/ext/v1/{self.warehouse}/namespaces/{key[0]}/tables/{key[1]}/clone", body)
        if status == 400 and "has no snapshot" in str(answer):
            return
        assert status == 200, (status, answer)
        clone = (key[0], body["destination"]["name"])
        if ttl:
            self.ttl[clone] = (time.monotonic() + 1, TableModel(rows=rows))
        else:
            self.live[clone] = TableModel(rows=rows)

    def step_clone_namespace(self) -> None:
        if not self.namespaces:
            return self.step_create()
        ns = self.rng.choice(self.namespaces)
        members = [k for k in self.live if k[0] == ns]
        if not members or len(self.live) + len(members) > MAX_LIVE_TABLES + 2:
            return self.step_append()
        destination = self.new_name("nsc")
        status, answer = self.server.request("POST", f"/ext/v1/{self.warehouse}/namespaces/{ns}/clone", {"destination": [destination]})
        assert status == 200, (status, answer)
        self.namespaces.append(destination)
        for table in answer["tables"]:
            source = (ns, table["source"]["name"])
            # The source may be a TTL clone not yet due: it is live in the catalog too.
            model = self.live[source] if source in self.live else self.ttl[source][1]
            self.live[(destination, table["identifier"]["name"])] = TableModel(rows=list(model.rows))

    def step_expire(self) -> None:
        key = self.pick_live()
        if key is None:
            return self.step_append()
        table = self.table(key)
        with table.transaction() as tx:
            tx.set_properties({"history.expire.max-snapshot-age-ms": "0", "history.expire.min-snapshots-to-keep": "1"})
        status, answer = self.server.request(
            "POST", f"/ext/v1/{self.warehouse}/namespaces/{key[0]}/tables/{key[1]}/expire-snapshots", {}
        )
        assert status in (200, 409), (status, answer)

    def step_drop(self) -> None:
        key = self.pick_live()
        if key is None:
            return self.step_create()
        purge = self.rng.random() < 0.5
        ident = f"{key[0]}.{key[1]}"
        if purge:
            self.catalog.purge_table(ident)
        else:
            self.catalog.drop_table(ident)
        model = self.live.pop(key)
        table_id = self.dropped_id(key)
        self.dropped.append(DroppedModel(table_id, key[0], key[1], model, purge))

    def dropped_id(self, key: tuple[str, str]) -> str:
        status, answer = self.server.request("GET", f"/ext/v1/{self.warehouse}/dropped-tables")
        assert status == 200, answer
        for t in answer["dropped-tables"]:  # most recently dropped first
            if t["identifier"]["namespace"] == [key[0]] and t["identifier"]["name"] == key[1]:
                return t["table-id"]
        raise AssertionError(f"{key} is not among the dropped tables")

    def step_undrop(self) -> None:
        restorable = [d for d in self.dropped if not d.purge]
        if not restorable or len(self.live) >= MAX_LIVE_TABLES:
            return self.step_append()
        victim = self.rng.choice(restorable)
        name = victim.name if (victim.namespace, victim.name) not in self.live else self.new_name("u")
        body = {"destination": {"namespace": [victim.namespace], "name": name}}
        status, answer = self.server.request("POST", f"/ext/v1/{self.warehouse}/dropped-tables/{victim.table_id}/restore", body)
        if status == 404 and "Namespace" in str(answer):
            return  # its namespace was dropped; the model never drops namespaces, so this would be a bug
        assert status == 200, (status, answer)
        self.dropped.remove(victim)
        self.live[(victim.namespace, name)] = victim.model

    def step_ttl_expiry(self) -> None:
        """Waits until the clones whose TTL has passed are dropped by the catalog (restorably)."""
        for key, (deadline, model) in sorted(self.ttl.items()):
            time.sleep(max(0.0, deadline - time.monotonic()))
            give_up = time.monotonic() + 10
            while self.catalog.table_exists(f"{key[0]}.{key[1]}"):
                assert time.monotonic() < give_up, f"TTL clone {key} was not dropped within 10 s of its expiry"
                time.sleep(0.1)
            del self.ttl[key]
            self.dropped.append(DroppedModel(self.dropped_id(key), key[0], key[1], model, purge=False))

    def step_collect(self) -> None:
        for _ in range(50):
            status, run = self.server.request("POST", "/ext/v1/gc/runs", {"wait": True, "orphans": "delete"})
            if status != 409:
                break
            time.sleep(0.1)  # a killed server's session (and its lock) may take a moment to go
        assert status == 200, (status, run)
        assert run["status"] == "succeeded", run
        assert not [e for e in run["errors"] if "already deleted" in e], run["errors"]
        self.dropped = [d for d in self.dropped if not d.purge]
        self.check_no_garbage()
        self.check_all_rows()

    def step_kill_during_collection(self) -> None:
        status, run = self.server.request("POST", "/ext/v1/gc/runs", {"orphans": "delete"})
        assert status in (202, 409), (status, run)
        time.sleep(self.rng.uniform(0, 0.3))
        self.restart()

    def step_kill_during_append(self) -> None:
        key = self.pick_live()
        if key is None:
            return self.step_create()
        table = self.table(key)
        data = self.rows(self.rng.randint(1, 3))
        outcome: list[BaseException | None] = []

        def append() -> None:
            try:
                table.append(data)
                outcome.append(None)
            except BaseException as error:  # noqa: BLE001 - any failure of a killed commit is expected
                outcome.append(error)

        thread = threading.Thread(target=append)
        thread.start()
        time.sleep(self.rng.uniform(0, 0.15))
        self.restart()
        thread.join(timeout=60)
        assert not thread.is_alive()
        actual = sorted(self.table(key).scan().to_arrow()["id"].to_pylist())
        before = sorted(self.live[key].rows)
        after = sorted(before + data["id"].to_pylist())
        assert actual in (before, after), f"{key}: neither before nor after the killed commit"
        self.live[key].rows = actual

    # -- checks ----------------------------------------------------------------------------
    def reachable(self) -> set[str]:
        """From every table the catalog lists (live, then dropped), never from its index."""
        sets = []
        for ns in self.catalog.list_namespaces():
            for ident in self.catalog.list_tables(ns):
                try:
                    table = self.catalog.load_table(ident)
                except NoSuchTableError:
                    continue  # a TTL clone dropped meanwhile: the dropped listing below has it
                sets.append(self.reach.files_of(table.metadata_location, table.metadata))
        status, answer = self.server.request("GET", f"/ext/v1/{self.warehouse}/dropped-tables")
        assert status == 200
        dropped_views = []
        for t in answer["dropped-tables"]:
            if t.get("kind") == "view":
                dropped_views.append(t["metadata-location"])
            else:
                sets.append(self.reach.files_of(t["metadata-location"]))
        sets.append(views.reachable(self, dropped_views))
        return union(sets)

    def check_nothing_lost(self) -> set[str]:
        reachable = self.reachable()
        stored = self.list_storage()
        missing = reachable - stored
        assert not missing, f"live files deleted: {sorted(missing)[:10]}"
        return reachable

    def check_no_garbage(self) -> None:
        reachable = self.check_nothing_lost()
        left = self.list_storage() - reachable
        assert not left, f"{len(left)} unreachable files left after a full collection: {sorted(left)[:10]}"

    def check_rows(self, key: tuple[str, str]) -> None:
        table = self.table(key)
        assert sorted(table.scan().to_arrow()["id"].to_pylist()) == sorted(self.live[key].rows), key
        for tag, rows in self.live[key].tags.items():
            ref = table.metadata.refs.get(tag)
            assert ref is not None, f"{key}: tag {tag} vanished"
            got = table.scan(snapshot_id=ref.snapshot_id).to_arrow()["id"].to_pylist()
            assert sorted(got) == sorted(rows), f"{key} at tag {tag}"

    def check_all_rows(self) -> None:
        for key in list(self.live):
            self.check_rows(key)
        for key, (_, model) in list(self.ttl.items()):
            try:
                table = self.table(key)
            except NoSuchTableError:
                continue
            assert sorted(table.scan().to_arrow()["id"].to_pylist()) == sorted(model.rows), key


STEPS = [
    ("create", 8),
    ("append", 24),
    ("delete_rows", 8),
    ("overwrite", 5),
    ("tag", 6),
    ("add_files", 4),
    ("view", 5),
    ("clone_table", 8),
    ("clone_namespace", 2),
    ("expire", 9),
    ("drop", 5),
    ("undrop", 4),
    ("ttl_expiry", 2),
    ("collect", 8),
    ("kill_during_collection", 2),
    ("kill_during_append", 2),
]


def test_random_sequences_keep_every_live_file_and_leave_no_garbage(environment) -> None:
    server, props, list_storage, root, env, _ = environment
    steps = int(os.environ.get("GC_MODEL_STEPS", "500"))
    eyes = None
    if os.environ.get("GC_MODEL_VENDING") == "1":
        eyes = {"s3.access-key-id": env["AWS_ACCESS_KEY_ID"], "s3.secret-access-key": env["AWS_SECRET_ACCESS_KEY"]}
    seed = int(os.environ.get("GC_MODEL_SEED", str(random.randrange(2**32))))
    print(f"\ngc model: seed={seed} steps={steps} (rerun with GC_MODEL_SEED={seed})")
    rng = random.Random(seed)
    scenario = Scenario(rng, server, props, list_storage, root, eyes)
    names = [n for n, _ in STEPS]
    weights = [w for _, w in STEPS]
    history: list[str] = []
    for i in range(steps):
        name = rng.choices(names, weights)[0]
        history.append(name)
        try:
            getattr(scenario, f"step_{name}")()
            scenario.check_nothing_lost()
        except BaseException as error:
            raise AssertionError(f"seed {seed}, step {i} ({name}); last steps: {history[-8:]}: {error}") from error
        scenario.counts[name] = scenario.counts.get(name, 0) + 1
    scenario.step_ttl_expiry()
    scenario.step_collect()
    print(f"gc model: steps taken {dict(sorted(scenario.counts.items()))}; live tables {len(scenario.live)}")
