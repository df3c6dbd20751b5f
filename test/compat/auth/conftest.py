"""Fixtures for the authentication suite (stage `auth`): every engine against catalogs with
authentication on, each engine configured as its own documentation shows.

The suite starts what it needs on loopback and stops it by pid when the session ends:

  catalog   CATALOG_AUTHENTICATION=catalog, tokens of an hour (the default): the catalog's own
            token endpoint and clients; PyIceberg, Spark, Trino, DuckDB
  short     the same with CATALOG_TOKEN_LIFETIME_SECONDS=10: Spark's token refresh
  oidc      CATALOG_AUTHENTICATION=oidc, trusting `issuer`
  issuer    a real OpenID Connect provider (oidc-provider, test/support/oidc-issuer-server.ts)
            issuing client-credentials tokens to its clients
  rck       catalog mode on a /tmp warehouse for the REST compatibility kit (its tables have
            fixed locations under /tmp); only with AUTH_DATABASE_URL

Environment:

  AUTH_DATABASE_URL   an empty Postgres database that all the catalogs share, each with a
                      warehouse of its own (scripts/test-all.sh makes one). Unset: each catalog
                      runs on its own embedded database (PGlite), and the kit's test fails.
  SPARK_JARS          the Iceberg Spark jars (default: scripts/test-env/ensure-spark-jars.sh)
  TRINO_HOME, TRINO_JAVA_HOME   see test/compat/trino/conftest.py (default: ensure_trino.py)

The catalogs' logs (CATALOG_LOG_LEVEL=info: a line per request and per token request) stay in
pytest's temporary directory; a failing test names the one to read.

Every engine signs in as a client of its own, registered by the bootstrap administrator with
POST /ext/v1/auth/clients, and works in namespaces of its own, dropped afterwards through the
REST API.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from auth_servers import Catalog, OidcIssuer, Rest, catalog_token, register_client

# The bootstrap administrator of the catalog-mode catalogs (a test-only value).
ADMIN_ID = "admin"
ADMIN_SECRET = "admin-secret-for-tests-0123456789"

# Clients of the OpenID Connect provider (test-only values): one per engine, and one for the
# suite's own cleanup.
ISSUER_CLIENTS = {name: f"{name}-secret-for-tests-0123456789" for name in ("pyiceberg", "spark", "duckdb", "trino", "cleanup")}

SHORT_TOKEN_LIFETIME_S = 10

# Lines for the end of the session's output (the kit's own counts).
SUMMARY: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    for line in SUMMARY:
        terminalreporter.write_line(line)


@dataclass
class Stack:
    catalog: Catalog
    short: Catalog
    oidc: Catalog
    issuer: OidcIssuer
    rck: Catalog | None
    # One database for all catalogs: a client registered through one is a client of all.
    shared_database: bool
    _clients: dict[tuple[str, str], str] = field(default_factory=dict)
    _granted: set[tuple[str, str]] = field(default_factory=set)

    def client(self, catalog: Catalog, client_id: str, create: bool = True) -> tuple[str, str]:
        """A client of `catalog` (registered once, principal `team-<id>`): (id, secret). With
        `create`, its principal may create namespaces in the catalog's warehouse (and owns what
        it creates); authorization is on, so without a grant it sees nothing."""
        key = ("", client_id) if self.shared_database else (catalog.name, client_id)
        if key not in self._clients:
            admin = catalog_token(catalog, ADMIN_ID, ADMIN_SECRET)
            self._clients[key] = register_client(catalog, admin, client_id, f"team-{client_id}")
        if create:
            self.allow_create(catalog, f"team-{client_id}")
        return client_id, self._clients[key]

    def allow_create(self, catalog: Catalog, principal: str) -> None:
        """`create` on the catalog's warehouse for the principal (once per warehouse)."""
        if (catalog.name, principal) not in self._granted:
            self.rest(catalog).grant(principal, ["create"])
            self._granted.add((catalog.name, principal))

    def token(self, catalog: Catalog, client_id: str) -> str:
        """A token from the catalog's endpoint for the client, as curl would get it."""
        return catalog_token(catalog, *self.client(catalog, client_id))

    def rest(self, catalog: Catalog) -> Rest:
        """The REST API as an administrator, with a fresh token (for checks and cleanup)."""
        token = self.issuer.token("cleanup") if catalog is self.oidc else catalog_token(catalog, ADMIN_ID, ADMIN_SECRET)
        return Rest(catalog, token)


def _catalog_env(kind: str, warehouse: str, root: Path, database_url: str | None) -> dict[str, str]:
    env = {"CATALOG_WAREHOUSE_NAME": warehouse, "CATALOG_WAREHOUSE_LOCATION": f"file://{root}"}
    if database_url:
        env["CATALOG_DATABASE_URL"] = database_url
    if kind == "catalog":
        env |= {"CATALOG_AUTHENTICATION": "catalog", "CATALOG_BOOTSTRAP_CLIENT_ID": ADMIN_ID, "CATALOG_BOOTSTRAP_CLIENT_SECRET": ADMIN_SECRET}
    return env


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("auth")
    database = os.environ.get("AUTH_DATABASE_URL") or None
    issuer = OidcIssuer(base / "issuer", ISSUER_CLIENTS)
    started: list[Catalog] = []

    def new(name: str, kind: str, extra: dict[str, str] | None = None, root: Path | None = None) -> Catalog:
        warehouse_root = root or base / name / "warehouse"
        if root is None:
            warehouse_root.mkdir(parents=True)
        catalog = Catalog(name, base / name, _catalog_env(kind, f"auth_{name}", warehouse_root, database) | (extra or {}))
        started.append(catalog)
        return catalog

    try:
        # The first catalog migrates the shared database alone; the others start side by side.
        catalog = new("catalog", "catalog")
        catalog.launch()
        issuer.start()
        catalog.wait_ready()
        short = new("short", "catalog", {"CATALOG_TOKEN_LIFETIME_SECONDS": str(SHORT_TOKEN_LIFETIME_S)})
        oidc = new(
            "oidc",
            "oidc",
            {
                "CATALOG_AUTHENTICATION": "oidc",
                "CATALOG_OIDC_ISSUERS": issuer.issuer,
                "CATALOG_OIDC_AUDIENCE": issuer.audience,
                # The suite's cleanup client administers; the engines' clients get grants.
                "CATALOG_ADMINS": "cleanup",
            },
        )
        # The kit's tables have fixed locations under /tmp; an embedded database may not lie
        # inside the warehouse, so the kit runs only on Postgres.
        rck = new("rck", "catalog", root=Path("/tmp")) if database else None
        for c in (short, oidc, rck):
            if c:
                c.launch()
        for c in (short, oidc, rck):
            if c:
                c.wait_ready()
    except RuntimeError as exc:
        for c in started:
            c.stop()
        issuer.stop()
        pytest.fail(f"cannot start the catalogs: {exc}", pytrace=False)
    stack = Stack(catalog, short, oidc, issuer, rck, shared_database=database is not None)
    # The IdP's clients are principals of the oidc catalog (their token's `sub`).
    for client in ISSUER_CLIENTS:
        if client != "cleanup":
            stack.allow_create(oidc, client)
    try:
        yield stack
    finally:
        for c in started:
            c.stop()
        issuer.stop()


def _sanitize(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40]


@pytest.fixture
def ns_name(request: pytest.FixtureRequest) -> str:
    """A namespace name only this test uses (not created)."""
    return f"auth_{_sanitize(request.node.name)}_{uuid.uuid4().hex[:8]}"


class Cleanup:
    """Namespaces a test made, on whichever catalog, dropped (with their tables) at its end."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._made: list[tuple[Catalog, str]] = []

    def add(self, catalog: Catalog, namespace: str) -> str:
        self._made.append((catalog, namespace))
        return namespace

    def run(self) -> None:
        for catalog, namespace in reversed(self._made):
            self._stack.rest(catalog).drop_namespace_tree(namespace)


@pytest.fixture
def cleanup(stack: Stack) -> Iterator[Cleanup]:
    tracker = Cleanup(stack)
    yield tracker
    tracker.run()
