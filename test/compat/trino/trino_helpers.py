"""Helpers shared by the Trino compatibility tests: a thin SQL client, our REST API, PyIceberg."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
import trino

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pyiceberg"))
from pyi_helpers import catalog_properties  # noqa: E402  (PyIceberg's settings for this catalog)

CATALOG = "lake"
# The same REST catalog with Trino's nested-namespace support on: schema "a.b" is namespace [a, b].
NESTED_CATALOG = "lake_nested"
BASE = os.environ.get("CATALOG_URI", "").rstrip("/")
PREFIX = os.environ.get("CATALOG_WAREHOUSE", "default")
S3_ENDPOINT = os.environ.get("S3_ENDPOINT") or None


class TrinoClient:
    """Runs one statement per call on a Trino server and returns its rows as tuples."""

    def __init__(self, uri: str, session_properties: dict[str, str] | None = None) -> None:
        host, port = uri.removeprefix("http://").rstrip("/").split(":")
        self._connection = trino.dbapi.connect(
            host=host,
            port=int(port),
            user="compat",
            catalog=CATALOG,
            http_scheme="http",
            request_timeout=120,
            session_properties=session_properties or {},
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def execute(self, sql: str) -> None:
        self.query(sql)

    def scalar(self, sql: str) -> Any:
        rows = self.query(sql)
        assert len(rows) == 1 and len(rows[0]) == 1, rows
        return rows[0][0]


class Rest:
    """Our catalog over HTTP: Iceberg REST routes and the /ext extension API."""

    def __init__(self, base: str = BASE, warehouse: str = PREFIX) -> None:
        self.base = base
        self.warehouse = warehouse
        self.http = requests.Session()
        # Iceberg routes take the prefix /v1/config hands out (ours: the warehouse name).
        config = self.http.get(f"{base}/v1/config", params={"warehouse": warehouse}, timeout=30)
        config.raise_for_status()
        prefix = config.json().get("overrides", {}).get("prefix")
        self.v1_base = f"{base}/v1/{prefix}" if prefix else f"{base}/v1"

    @staticmethod
    def ns(namespace: str | list[str]) -> str:
        levels = [namespace] if isinstance(namespace, str) else namespace
        return quote("\x1f".join(levels), safe="")

    def v1(self, path: str) -> str:
        return f"{self.v1_base}/{path}"

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.v1(path), timeout=30)

    def namespace(self, namespace: str | list[str]) -> dict[str, Any]:
        response = self.get(f"namespaces/{self.ns(namespace)}")
        assert response.status_code == 200, response.text
        return response.json()

    def namespace_location(self, namespace: str | list[str]) -> str:
        return self.namespace(namespace)["properties"]["location"]

    def table(self, namespace: str | list[str], table: str) -> requests.Response:
        return self.get(f"namespaces/{self.ns(namespace)}/tables/{quote(table, safe='')}")

    def metadata(self, namespace: str | list[str], table: str) -> dict[str, Any]:
        response = self.table(namespace, table)
        assert response.status_code == 200, response.text
        return response.json()["metadata"]

    def tables(self, namespace: str | list[str]) -> list[str]:
        response = self.get(f"namespaces/{self.ns(namespace)}/tables")
        assert response.status_code == 200, response.text
        return sorted(ident["name"] for ident in response.json()["identifiers"])

    def view(self, namespace: str, view: str) -> requests.Response:
        return self.get(f"namespaces/{self.ns(namespace)}/views/{quote(view, safe='')}")

    def clone(self, namespace: str, table: str, dest_namespace: str, dest_name: str, **extra: Any) -> dict[str, Any]:
        response = self.http.post(
            f"{self.base}/ext/v1/{self.warehouse}/namespaces/{self.ns(namespace)}/tables/{quote(table, safe='')}/clone",
            json={"destination": {"namespace": [dest_namespace], "name": dest_name}, **extra},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def drop_namespace_tree(self, namespace: str | list[str]) -> None:
        """Best-effort: drop child namespaces, every table (purged) and view, then the namespace."""
        levels = [namespace] if isinstance(namespace, str) else namespace
        ns = self.ns(levels)
        try:
            response = self.get(f"namespaces?parent={ns}")
            children = response.json().get("namespaces", []) if response.ok else []
        except (requests.RequestException, ValueError):
            children = []
        for child in children:
            if len(child) > len(levels) and child[: len(levels)] == levels:
                self.drop_namespace_tree(child)
        for kind in ("tables", "views"):
            try:
                response = self.get(f"namespaces/{ns}/{kind}")
                names = [i["name"] for i in response.json().get("identifiers", [])] if response.ok else []
            except (requests.RequestException, ValueError):
                names = []
            for name in names:
                try:
                    self.http.delete(
                        self.v1(f"namespaces/{ns}/{kind}/{quote(name, safe='')}"),
                        params={"purgeRequested": "true"} if kind == "tables" else None,
                        timeout=30,
                    )
                except requests.RequestException:
                    pass
        try:
            self.http.delete(self.v1(f"namespaces/{ns}"), timeout=30)
        except requests.RequestException:
            pass


def pyiceberg_properties() -> dict[str, str]:
    return catalog_properties()


def list_files(location: str) -> list[str]:
    """Every file (object) under a warehouse location, as URIs; [] if there is none."""
    location = location.rstrip("/")
    if location.startswith("s3://"):
        import boto3

        bucket, _, key = location.removeprefix("s3://").partition("/")
        client = boto3.client(
            "s3",
            endpoint_url=S3_ENDPOINT,
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
            region_name=os.environ.get("AWS_REGION", "us-east-1"),
        )
        found = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key + "/"):
            found += [f"s3://{bucket}/{obj['Key']}" for obj in page.get("Contents", [])]
        return found
    assert location.startswith("file:/"), location
    root = Path("/" + location.removeprefix("file:").lstrip("/"))
    return [f"file://{path}" for path in root.rglob("*") if path.is_file()]


def ts_literal(value: datetime) -> str:
    """A Trino `timestamp with time zone` literal (ms precision, as Iceberg keeps commit times)."""
    utc = value.astimezone(timezone.utc)
    return f"TIMESTAMP '{utc:%Y-%m-%d %H:%M:%S}.{utc.microsecond // 1000:03d} UTC'"
