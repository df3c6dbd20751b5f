"""The model's view step: create, replace and drop Iceberg views over REST.

A view roots exactly one file, its current metadata file: a replace releases the previous
one (the collector must then delete it), a drop keeps it while the view is restorable, and a
namespace clone copies the views of its tree with files of their own. Views name no data, so
the model only checks their files: every live or restorable view's current metadata file
exists, and nothing else of theirs is left after a collection.
"""

from __future__ import annotations

import time
import uuid

VIEW_SCHEMA = {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": False, "type": "long"}]}


def _version(sql: str, namespace: str, schema_id: int) -> dict:
    return {
        "version-id": 1,
        "timestamp-ms": int(time.time() * 1000),
        "schema-id": schema_id,
        "summary": {"engine-name": "gc-model"},
        "representations": [{"type": "sql", "sql": sql, "dialect": "spark"}],
        "default-namespace": [namespace],
    }


def live_views(scenario) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    found = []
    for ns in scenario.namespaces:
        status, answer = scenario.server.request("GET", f"/v1/{scenario.warehouse}/namespaces/{ns}/views")
        assert status == 200, (status, answer)
        found += [(ns, i["name"]) for i in answer["identifiers"]]
    return sorted(found)


def step(scenario) -> None:  # type: ignore[no-untyped-def]
    if not scenario.namespaces:
        return scenario.step_create()
    views = live_views(scenario)
    roll = scenario.rng.random()
    prefix = f"/v1/{scenario.warehouse}/namespaces"
    if not views or roll < 0.4:
        ns = scenario.rng.choice(scenario.namespaces)
        name = f"v{uuid.uuid4().hex[:8]}"
        body = {"name": name, "schema": VIEW_SCHEMA, "view-version": _version(f"select id from t where id > {scenario.rng.randint(0, 9)}", ns, 0)}
        if scenario.rng.random() < 0.3:
            body["properties"] = {"version.history.num-entries": "1"}
        status, answer = scenario.server.request("POST", f"{prefix}/{ns}/views", body)
        assert status == 200, (status, answer)
    elif roll < 0.85:
        ns, name = scenario.rng.choice(views)
        updates = [
            {"action": "add-schema", "schema": VIEW_SCHEMA},
            {"action": "add-view-version", "view-version": _version(f"select id from t limit {scenario.next_id}", ns, -1)},
            {"action": "set-current-view-version", "view-version-id": -1},
        ]
        scenario.next_id += 1
        status, answer = scenario.server.request("POST", f"{prefix}/{ns}/views/{name}", {"updates": updates})
        assert status == 200, (status, answer)
    else:
        ns, name = scenario.rng.choice(views)
        status, answer = scenario.server.request("DELETE", f"{prefix}/{ns}/views/{name}")
        assert status == 204, (status, answer)


def reachable(scenario, dropped_views: list[str]) -> set[str]:  # type: ignore[no-untyped-def]
    """Each live view's current metadata file (loaded over REST), and each dropped one's."""
    from reachability import canonical

    files = {canonical(location) for location in dropped_views}
    for ns, name in live_views(scenario):
        status, answer = scenario.server.request("GET", f"/v1/{scenario.warehouse}/namespaces/{ns}/views/{name}")
        if status == 404:
            continue  # dropped meanwhile (a TTL clone): the dropped listing has it
        assert status == 200, (status, answer)
        files.add(canonical(answer["metadata-location"]))
    return files
