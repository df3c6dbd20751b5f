"""Fixtures for the Trino 476 compatibility suite.

The suite drives a real Trino server (Iceberg connector, `iceberg.catalog.type=rest`) against
an already running Iceberg REST catalog (ours), through SQL only, and checks row contents
exactly. Configuration comes from the environment:

  CATALOG_URI            REST catalog base URI (required, e.g. http://127.0.0.1:8181)
  CATALOG_WAREHOUSE      warehouse name (default "default")
  S3_ENDPOINT            if set, the warehouse is on S3 there (path-style), credentials from
                         AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, region AWS_REGION; if not,
                         the warehouse is a local directory that Trino reads directly
  TRINO_HOME             a Trino install (lib/, plugin/iceberg/); default: what
                         scripts/test-env/ensure_trino.py installs (downloading it once)
  TRINO_JAVA_HOME        a JDK 24.0.1+ for Trino; default: the newest under /usr/lib/jvm
  TRINO_HEAP             the server's -Xmx (default 2G)
  TRINO_URI              use this running Trino instead of starting one (its catalog `lake`
                         must point at CATALOG_URI); for quick iterations by hand

One server serves the whole session: it is started by the first test that needs it and
stopped (by its pid) when the session ends. If Trino cannot be installed or started, every
test errors with the reason; the suite never skips silently.

Every test works in its own uniquely named schema (namespace); schemas are dropped afterwards
on a best-effort basis, through the REST API so that cleanup does not depend on Trino.
"""

from __future__ import annotations

import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from trino_helpers import CATALOG, NESTED_CATALOG, S3_ENDPOINT, Rest, TrinoClient, pyiceberg_properties
from trino_server import TrinoServer, lake_catalog_properties

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT / "scripts" / "test-env"))
import ensure_trino  # noqa: E402


STARTED: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    for line in STARTED:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def trino_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not os.environ.get("CATALOG_URI"):
        pytest.fail("CATALOG_URI is not set: start a catalog first (see test/compat/trino/README.md)")
    if os.environ.get("TRINO_URI"):
        yield os.environ["TRINO_URI"]
        return
    try:
        home = Path(os.environ["TRINO_HOME"]) if os.environ.get("TRINO_HOME") else ensure_trino.ensure_installed()
        java_home = ensure_trino.java_home()
    except ensure_trino.InstallError as exc:
        pytest.fail(f"cannot install Trino {ensure_trino.TRINO_VERSION}: {exc}", pytrace=False)
    catalog = lake_catalog_properties(os.environ["CATALOG_URI"], os.environ.get("CATALOG_WAREHOUSE", "default"), S3_ENDPOINT)
    nested = catalog | {"iceberg.rest-catalog.nested-namespace-enabled": "true"}
    server = TrinoServer(home, java_home, tmp_path_factory.mktemp("trino"), {CATALOG: catalog, NESTED_CATALOG: nested})
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(f"cannot start Trino: {exc}", pytrace=False)
    # "Started" is not "schedules queries": the coordinator registers itself as a worker a
    # moment later (until then: NO_NODES_AVAILABLE, seen on a loaded machine).
    deadline = time.monotonic() + 60
    while True:
        try:
            TrinoClient(server.uri).query("SELECT 1")
            break
        except Exception as exc:  # noqa: BLE001 - any failure before the deadline is "not yet"
            if time.monotonic() > deadline:
                server.stop()
                pytest.fail(f"Trino started but ran no query within 60 s: {exc}", pytrace=False)
            time.sleep(0.5)
    STARTED.append(f"Trino {ensure_trino.TRINO_VERSION} started in {server.startup_seconds:.1f}s at {server.uri} (log: {server.log_path})")
    try:
        yield server.uri
    finally:
        server.stop()


@pytest.fixture(scope="session")
def trino(trino_uri: str) -> TrinoClient:
    return TrinoClient(trino_uri)


@pytest.fixture(scope="session")
def rest() -> Rest:
    return Rest()


@pytest.fixture(scope="session")
def pyiceberg_catalog():
    from pyiceberg.catalog import load_catalog

    return load_catalog("pyiceberg", **pyiceberg_properties())


def _sanitize(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40]


class Schemas:
    """Uniquely named schemas for one test; every one it named is dropped afterwards."""

    def __init__(self, trino: TrinoClient, rest: Rest, test_name: str) -> None:
        self._trino = trino
        self._rest = rest
        self._prefix = f"trino_{_sanitize(test_name)}"
        self.names: list[str] = []

    def name(self) -> str:
        name = f"{self._prefix}_{uuid.uuid4().hex[:8]}"
        self.names.append(name)
        return name

    def create(self, location: str | None = None) -> str:
        name = self.name()
        with_clause = f" WITH (location = '{location}')" if location else ""
        self._trino.execute(f"CREATE SCHEMA {CATALOG}.{name}{with_clause}")
        return name

    def cleanup(self) -> None:
        for name in reversed(self.names):
            self._rest.drop_namespace_tree(name)


@pytest.fixture
def schemas(trino: TrinoClient, rest: Rest, request: pytest.FixtureRequest) -> Iterator[Schemas]:
    factory = Schemas(trino, rest, request.node.name)
    yield factory
    factory.cleanup()


@pytest.fixture
def schema(schemas: Schemas) -> str:
    """A fresh schema, created through Trino, that only this test uses."""
    return schemas.create()


def _trino_error_summary(exc: BaseException) -> str | None:
    """Trino's error and its "Caused by" chain, e.g. the catalog's answer behind
    ICEBERG_CATALOG_ERROR; a failing statement otherwise shows the client's internals."""
    from trino.exceptions import TrinoQueryError

    if not isinstance(exc, TrinoQueryError):
        return None
    text = f"{exc.error_name} ({exc.error_type}): {exc.message}  [query {exc.query_id}]"
    cause, depth = (exc.failure_info or {}).get("cause"), 0
    while cause and depth < 6:
        text += f"\nCaused by: {cause.get('type')}: {cause.get('message')}"
        cause, depth = cause.get("cause"), depth + 1
    return text


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is None or report.passed:
        return
    summary = _trino_error_summary(call.excinfo.value)
    if summary is None:
        return
    here = str(Path(__file__).parent)
    where = next(
        (f"{e.path}:{e.lineno + 1}: {str(e.statement).strip()}" for e in reversed(call.excinfo.traceback) if str(e.path).startswith(here) and not str(e.path).endswith("trino_helpers.py")),
        "",
    )
    report.longrepr = f"{where}\nTrino error: {summary}"
