"""DuckDB 1.5.5 (iceberg extension) with authentication on, configured as its documentation
shows (core_extensions/iceberg/iceberg_rest_catalogs): CLIENT_ID and CLIENT_SECRET in ATTACH
(with OAUTH2_SERVER_URI, and without it: DuckDB then asks `<ENDPOINT>/v1/oauth/tokens`) or in
a secret of TYPE iceberg, and a secret holding a TOKEN; against the catalog's own token
endpoint and against an OpenID Connect provider. Each test creates a schema and a table,
inserts, and reads the rows back.

Extensions are LOADed from the pip packages duckdb-extension-* with autoinstall and autoload
off, as in test/compat/duckdb (see its conftest.py); a missing package fails every test.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

ROWS = [(1, "one"), (2, "two"), (3, "three")]
EXTENSIONS = ("parquet", "avro", "httpfs", "iceberg")


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


@pytest.fixture(scope="module")
def extensions() -> list[Path]:
    try:
        return extension_files()
    except RuntimeError as exc:
        pytest.fail(f"DuckDB extensions unavailable: {exc}", pytrace=False)


@pytest.fixture
def duck(extensions: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory DuckDB with the extensions loaded and nothing attached."""
    # DuckDB 1.5.5 may make a "data" directory relative to the working directory.
    monkeypatch.chdir(tmp_path)
    con = duckdb.connect(
        config={
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            "extension_directory": str(tmp_path / "extensions"),
        }
    )
    for path in extensions:
        con.execute(f"LOAD {q(str(path))}")
    yield con
    con.close()


def round_trip(con: duckdb.DuckDBPyConnection, catalog, cleanup, ns: str) -> None:
    con.execute(f"CREATE SCHEMA lake.{cleanup.add(catalog, ns)}")
    con.execute(f"CREATE TABLE lake.{ns}.t (id BIGINT, name VARCHAR)")
    con.execute(f"INSERT INTO lake.{ns}.t VALUES (1, 'one'), (2, 'two'), (3, 'three')")
    assert con.sql(f"SELECT id, name FROM lake.{ns}.t ORDER BY id").fetchall() == ROWS


# --- the catalog's own token endpoint -------------------------------------------------------


def test_attach_client_credentials_with_oauth2_server_uri(stack, duck, cleanup, ns_name):
    client_id, secret = stack.client(stack.catalog, "duckdb")
    duck.execute(
        f"ATTACH {q(stack.catalog.warehouse)} AS lake (TYPE iceberg, ENDPOINT {q(stack.catalog.uri)}, "
        f"CLIENT_ID {q(client_id)}, CLIENT_SECRET {q(secret)}, OAUTH2_SERVER_URI {q(stack.catalog.token_endpoint)})"
    )
    round_trip(duck, stack.catalog, cleanup, ns_name)


def test_attach_client_credentials_default_server_uri(stack, duck, cleanup, ns_name):
    """Without OAUTH2_SERVER_URI DuckDB asks `<ENDPOINT>/v1/oauth/tokens`."""
    client_id, secret = stack.client(stack.catalog, "duckdb")
    duck.execute(
        f"ATTACH {q(stack.catalog.warehouse)} AS lake (TYPE iceberg, ENDPOINT {q(stack.catalog.uri)}, "
        f"CLIENT_ID {q(client_id)}, CLIENT_SECRET {q(secret)})"
    )
    round_trip(duck, stack.catalog, cleanup, ns_name)


def test_secret_client_credentials(stack, duck, cleanup, ns_name):
    client_id, secret = stack.client(stack.catalog, "duckdb")
    duck.execute(
        f"CREATE SECRET lake_secret (TYPE iceberg, CLIENT_ID {q(client_id)}, CLIENT_SECRET {q(secret)}, "
        f"OAUTH2_SERVER_URI {q(stack.catalog.token_endpoint)})"
    )
    duck.execute(f"ATTACH {q(stack.catalog.warehouse)} AS lake (TYPE iceberg, SECRET lake_secret, ENDPOINT {q(stack.catalog.uri)})")
    round_trip(duck, stack.catalog, cleanup, ns_name)


def test_secret_token(stack, duck, cleanup, ns_name):
    duck.execute(f"CREATE SECRET lake_secret (TYPE iceberg, TOKEN {q(stack.token(stack.catalog, 'duckdb'))})")
    duck.execute(f"ATTACH {q(stack.catalog.warehouse)} AS lake (TYPE iceberg, SECRET lake_secret, ENDPOINT {q(stack.catalog.uri)})")
    round_trip(duck, stack.catalog, cleanup, ns_name)


def test_wrong_secret_is_refused(stack, duck):
    client_id, _ = stack.client(stack.catalog, "duckdb")
    with pytest.raises(duckdb.Error, match=r"OAuth2 token request failed \(Unauthorized_401\): invalid_client - Unknown client, wrong secret, or a disabled client"):
        duck.execute(
            f"ATTACH {q(stack.catalog.warehouse)} AS lake (TYPE iceberg, ENDPOINT {q(stack.catalog.uri)}, "
            f"CLIENT_ID {q(client_id)}, CLIENT_SECRET 'not-the-secret')"
        )


# --- an OpenID Connect provider -------------------------------------------------------------


def test_oidc_secret_client_credentials(stack, duck, cleanup, ns_name):
    """The provider's token endpoint as OAUTH2_SERVER_URI, and the scope it knows (DuckDB's own
    default is PRINCIPAL_ROLE:ALL)."""
    duck.execute(
        f"CREATE SECRET lake_secret (TYPE iceberg, CLIENT_ID 'duckdb', CLIENT_SECRET {q(stack.issuer.clients['duckdb'])}, "
        f"OAUTH2_SERVER_URI {q(stack.issuer.token_endpoint)}, OAUTH2_SCOPE 'catalog')"
    )
    duck.execute(f"ATTACH {q(stack.oidc.warehouse)} AS lake (TYPE iceberg, SECRET lake_secret, ENDPOINT {q(stack.oidc.uri)})")
    round_trip(duck, stack.oidc, cleanup, ns_name)


def test_oidc_secret_token(stack, duck, cleanup, ns_name):
    duck.execute(f"CREATE SECRET lake_secret (TYPE iceberg, TOKEN {q(stack.issuer.token('duckdb'))})")
    duck.execute(f"ATTACH {q(stack.oidc.warehouse)} AS lake (TYPE iceberg, SECRET lake_secret, ENDPOINT {q(stack.oidc.uri)})")
    round_trip(duck, stack.oidc, cleanup, ns_name)


def test_oidc_catalog_token_endpoint_says_where_tokens_come_from(stack, duck):
    with pytest.raises(duckdb.Error, match=r"unsupported_grant_type - This catalog issues no tokens: get one from your identity provider"):
        duck.execute(
            f"ATTACH {q(stack.oidc.warehouse)} AS lake (TYPE iceberg, ENDPOINT {q(stack.oidc.uri)}, "
            f"CLIENT_ID 'duckdb', CLIENT_SECRET {q(stack.issuer.clients['duckdb'])})"
        )
