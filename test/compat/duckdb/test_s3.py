"""On an S3 warehouse DuckDB gets credentials only; endpoint, region and path-style
addressing come from the catalog's LoadTableResult.config.

DuckDB ignores /v1/config defaults: for each table it reads, the iceberg extension turns
the table's `config` into a temporary S3 secret scoped to the table's location.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog

from conftest import (
    CATALOG_URI,
    ON_S3,
    S3_ENDPOINT,
    S3_KEY_ID,
    S3_REGION,
    S3_SECRET,
    attach,
    fetch,
    new_duckdb,
    pyiceberg_rows,
    sql_string,
)

pytestmark = pytest.mark.skipif(not ON_S3, reason="S3 warehouse only (S3_ENDPOINT is not set)")

SCHEMA = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("v", pa.string())])


def _table(catalog: Catalog, ns: str):
    table = catalog.create_table(f"{ns}.t", schema=SCHEMA)
    table.append(pa.table({"id": [1, 2], "v": ["a", "b"]}, schema=SCHEMA))
    return table


def _settings(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    return dict(fetch(con, "SELECT name, value FROM duckdb_settings() WHERE name LIKE 's3_%'"))


def _secret_fields(secret_string: str) -> dict[str, str]:
    """`name=...;type=s3;endpoint=...` (values here hold no ';')."""
    return dict(part.split("=", 1) for part in secret_string.split(";") if "=" in part)


def _storage_requests(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, dict[str, str]]]:
    """Every HTTP request DuckDB logged that did not go to the catalog."""
    logged = fetch(con, "SELECT request.type, request.url, request.headers FROM duckdb_logs_parsed('HTTP')")
    return [(method, url, headers) for method, url, headers in logged if not url.startswith(CATALOG_URI + "/")]


def _assert_signed_for_the_catalogs_endpoint(con: duckdb.DuckDBPyConnection, bucket_path: str) -> None:
    """moto checks no signatures, so look at what DuckDB sent: every storage request went to
    the catalog's endpoint, path-style, signed with our key for the catalog's region."""
    requests = _storage_requests(con)
    assert requests, "DuckDB logged no storage requests"
    credential = f"AWS4-HMAC-SHA256 Credential={S3_KEY_ID}/"
    scope = f"/{S3_REGION}/s3/aws4_request"
    for method, url, headers in requests:
        assert url.startswith(f"{S3_ENDPOINT.rstrip('/')}/{bucket_path}"), (method, url)
        authorization = headers.get("Authorization", "")
        assert authorization.startswith(credential) and scope in authorization, (method, url, headers)


def test_storage_settings_come_from_the_catalog(duck, catalog: Catalog, ns: str) -> None:
    settings = _settings(duck)
    assert (settings["s3_endpoint"], settings["s3_region"], settings["s3_url_style"]) == (None, None, "vhost")
    assert settings["s3_access_key_id"] == S3_KEY_ID
    assert fetch(duck, "SELECT name FROM duckdb_secrets()") == []
    duck.execute("CALL enable_logging('HTTP')")

    location = _table(catalog, ns).location()
    assert fetch(duck, f"SELECT * FROM cat.{ns}.t ORDER BY id") == [(1, "a"), (2, "b")]
    duck.execute(f"INSERT INTO cat.{ns}.t VALUES (3, 'c')")
    assert [r["id"] for r in pyiceberg_rows(catalog, f"{ns}.t")] == [1, 2, 3]
    _assert_signed_for_the_catalogs_endpoint(duck, location.removeprefix("s3://"))

    # The secret DuckDB made from the table's answer covers the table's files and holds the
    # catalog's settings (and no credentials: the catalog vends none).
    secrets = fetch(duck, "SELECT scope, secret_string FROM duckdb_secrets() WHERE name LIKE '__internal_ic_%'")
    table_dir = location.rstrip("/") + "/"
    assert any(table_dir.startswith(prefix) for scope, _ in secrets for prefix in scope), secrets
    for _, secret_string in secrets:
        fields = _secret_fields(secret_string)
        assert fields["endpoint"] == urlparse(S3_ENDPOINT).netloc
        assert fields["region"] == S3_REGION
        assert fields["url_style"] == "path"
        assert fields["use_ssl"] == "false"
        assert "key_id" not in fields


@pytest.mark.xfail(
    strict=True,
    raises=(AssertionError, duckdb.HTTPException),
    reason="DuckDB 1.5.5 limitation: the secret it makes from the table's config is scoped to "
    "the table location and has no credentials, so it shadows the user's s3:// secret and "
    "requests go unsigned (only AUTHORIZATION_TYPE 'sigv4' copies the user's secret into it)",
)
def test_credentials_in_an_s3_secret(duckdb_extensions, tmp_path: Path, catalog: Catalog, ns: str) -> None:
    con = new_duckdb(duckdb_extensions, tmp_path / "ext", s3_settings=False)
    try:
        con.execute(f"CREATE SECRET creds (TYPE s3, KEY_ID {sql_string(S3_KEY_ID)}, SECRET {sql_string(S3_SECRET)})")
        attach(con)
        con.execute("CALL enable_logging('HTTP')")
        location = _table(catalog, ns).location()
        assert fetch(con, f"SELECT * FROM cat.{ns}.t ORDER BY id") == [(1, "a"), (2, "b")]
        _assert_signed_for_the_catalogs_endpoint(con, location.removeprefix("s3://"))
    finally:
        con.close()
