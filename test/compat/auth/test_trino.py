"""Trino 476 (Iceberg connector, `iceberg.catalog.type=rest`) with authentication on,
configured as its documentation shows (connector/iceberg, "REST catalog"):
`iceberg.rest-catalog.security=OAUTH2` with `iceberg.rest-catalog.oauth2.credential` (without
and with `iceberg.rest-catalog.oauth2.server-uri`) or `iceberg.rest-catalog.oauth2.token`;
against the catalog's own token endpoint and against an OpenID Connect provider. One Trino
server holds all these catalogs (its static tokens are fetched before it starts). Each test
creates a schema and a table, inserts, and reads the rows back.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT / "scripts" / "test-env"))
sys.path.insert(0, str(REPO_ROOT / "test" / "compat" / "trino"))
import ensure_trino  # noqa: E402
import trino_server  # noqa: E402
from trino_server import TrinoServer  # noqa: E402

ROWS = [(1, "one"), (2, "two"), (3, "three")]


def rest_catalog(catalog, **security: str) -> dict[str, str]:
    return {
        "connector.name": "iceberg",
        "iceberg.catalog.type": "rest",
        "iceberg.rest-catalog.uri": catalog.uri,
        "iceberg.rest-catalog.warehouse": catalog.warehouse,
        "iceberg.rest-catalog.security": "OAUTH2",
        # The warehouses are local directories (file:/// locations), read directly.
        "fs.native-local.enabled": "true",
        "local.location": "/",
    } | {f"iceberg.rest-catalog.{k}": v for k, v in security.items()}


@pytest.fixture(scope="module")
def trino_uri(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        home = Path(os.environ["TRINO_HOME"]) if os.environ.get("TRINO_HOME") else ensure_trino.ensure_installed()
        java_home = ensure_trino.java_home()
    except ensure_trino.InstallError as exc:
        pytest.fail(f"cannot install Trino {ensure_trino.TRINO_VERSION}: {exc}", pytrace=False)
    client_id, secret = stack.client(stack.catalog, "trino")
    catalogs = {
        "lake_cred": rest_catalog(stack.catalog, **{"oauth2.credential": f"{client_id}:{secret}"}),
        "lake_cred_uri": rest_catalog(
            stack.catalog, **{"oauth2.credential": f"{client_id}:{secret}", "oauth2.server-uri": stack.catalog.token_endpoint}
        ),
        "lake_token": rest_catalog(stack.catalog, **{"oauth2.token": stack.token(stack.catalog, "trino")}),
        "oidc_token": rest_catalog(stack.oidc, **{"oauth2.token": stack.issuer.token("trino")}),
        "oidc_cred": rest_catalog(
            stack.oidc, **{"oauth2.credential": f"trino:{stack.issuer.clients['trino']}", "oauth2.server-uri": stack.issuer.token_endpoint}
        ),
    }
    server = TrinoServer(home, java_home, tmp_path_factory.mktemp("trino"), catalogs)
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(f"cannot start Trino: {exc}", pytrace=False)
    try:
        yield server.uri
    finally:
        server.stop()


def query(trino_uri: str, catalog: str, sql: str) -> list[tuple[Any, ...]]:
    return trino_server.query(trino_uri, catalog, sql, user="auth")


def round_trip(trino_uri: str, name: str, catalog, cleanup, schema: str) -> None:
    query(trino_uri, name, f"CREATE SCHEMA {name}.{cleanup.add(catalog, schema)}")
    query(trino_uri, name, f"CREATE TABLE {name}.{schema}.t (id BIGINT, name VARCHAR)")
    query(trino_uri, name, f"INSERT INTO {name}.{schema}.t VALUES (1, 'one'), (2, 'two'), (3, 'three')")
    assert query(trino_uri, name, f"SELECT id, name FROM {name}.{schema}.t ORDER BY id") == ROWS


def test_credential_default_token_endpoint(stack, trino_uri, cleanup, ns_name):
    """oauth2.credential alone: Trino (Iceberg 1.9 client) asks `<uri>/v1/oauth/tokens`."""
    round_trip(trino_uri, "lake_cred", stack.catalog, cleanup, ns_name)


def test_credential_with_server_uri(stack, trino_uri, cleanup, ns_name):
    round_trip(trino_uri, "lake_cred_uri", stack.catalog, cleanup, ns_name)


def test_token(stack, trino_uri, cleanup, ns_name):
    round_trip(trino_uri, "lake_token", stack.catalog, cleanup, ns_name)


def test_oidc_token(stack, trino_uri, cleanup, ns_name):
    round_trip(trino_uri, "oidc_token", stack.oidc, cleanup, ns_name)


@pytest.mark.xfail(
    strict=True,
    reason=(
        "Trino 476 limitation, not the catalog's: for every operation it asks for a token with the "
        "client credentials in the form AND its current token as 'Authorization: Bearer'; "
        "oidc-provider refuses that (400 invalid_request: client authentication must only be provided "
        "using one mechanism). The catalog's own token endpoint ignores the Bearer header, so "
        "oauth2.credential works there; with an identity provider, use oauth2.token"
    ),
)
def test_oidc_credential_with_server_uri(stack, trino_uri, cleanup, ns_name):
    round_trip(trino_uri, "oidc_cred", stack.oidc, cleanup, ns_name)
