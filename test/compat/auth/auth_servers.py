"""Processes the authentication suite starts and stops by their pids: catalogs with
authentication on, and a real OpenID Connect provider.

Catalogs run as `scripts/test-all.sh` starts them (`node --import tsx src/cli.ts serve`, on
loopback, configured by environment variables). The OpenID Connect provider is
oidc-provider (npm) behind test/support/oidc-issuer-server.ts. Both are children of pytest that
Linux stops (PR_SET_PDEATHSIG) if pytest dies without stopping them.

Also here: the catalog's own token endpoint and client registration, as a person would call
them with curl.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """Runs in the forked child before exec: SIGTERM when pytest dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _stop(process: subprocess.Popen[bytes] | None, timeout: float = 30) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Catalog:
    """One `serve` process: started by start(), answering once /health/ready does."""

    def __init__(self, name: str, run_dir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.run_dir = run_dir
        self.log_path = run_dir / "server.log"
        self.warehouse = env.get("CATALOG_WAREHOUSE_NAME", "default")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CATALOG_")},
            "CATALOG_HOST": "127.0.0.1",
            "CATALOG_PORT": str(self.port),
            "CATALOG_METRICS_PORT": "0",
            "CATALOG_GC_SCHEDULE": "off",
            "CATALOG_GC_ORPHAN_SCHEDULE": "off",
            "CATALOG_SHUTDOWN_DRAIN_MS": "0",
            "CATALOG_DATA_DIR": str(run_dir / "data"),
            # info: one line per request and per token request (grant, status, client).
            "CATALOG_LOG_LEVEL": "info",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_endpoint(self) -> str:
        return f"{self.uri}/v1/oauth/tokens"

    def launch(self) -> None:
        """Starts the process without waiting (several catalogs start side by side)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["node", "--import", "tsx", "src/cli.ts", "serve"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )

    def wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"catalog {self.name} exited with {self.process.returncode}:\n{tail(self.log_path)}")
            try:
                if requests.get(f"{self.uri}/health/ready", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"catalog {self.name} did not become ready in {START_TIMEOUT_S}s:\n{tail(self.log_path)}")

    def stop(self) -> None:
        process, self.process = self.process, None
        _stop(process)

    def log_lines(self) -> list[dict[str, Any]]:
        """The catalog's JSON log lines so far (anything else in the log is skipped)."""
        lines = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                lines.append(entry)
        return lines

    def token_requests(self) -> list[dict[str, Any]]:
        return [e for e in self.log_lines() if e.get("msg") == "token request"]

    def answered(self, status: int) -> list[dict[str, Any]]:
        return [e for e in self.log_lines() if e.get("msg") in ("request", "request failed") and e.get("status") == status]


class OidcIssuer:
    """test/support/oidc-issuer-server.ts: a real OpenID Connect provider on loopback that issues
    client-credentials tokens (ES256 JWTs, 600 s) to the clients it is started with."""

    def __init__(self, run_dir: Path, clients: dict[str, str]) -> None:
        self.run_dir = run_dir
        self.clients = clients
        self.log_path = run_dir / "issuer.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.issuer = self.audience = self.token_endpoint = ""

    def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        args = [f"{client}:{secret}" for client, secret in self.clients.items()]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["node", "--import", "tsx", "test/support/oidc-issuer-server.ts", *args],
                cwd=ROOT,
                env={**os.environ, "NODE_SUPPRESS_OIDC_WARNING": "1"},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                preexec_fn=_die_with_parent,
            )
        # Its first stdout line says where it listens; read it with a deadline.
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT_S)
        if not line or not line[0]:
            self.stop()
            raise RuntimeError(f"the OIDC provider did not start:\n{tail(self.log_path)}")
        started = json.loads(line[0])
        self.issuer, self.audience, self.token_endpoint = started["issuer"], started["audience"], started["tokenEndpoint"]

    def token(self, client: str, scope: str = "catalog") -> str:
        """A client-credentials token, asked for as a person would with curl."""
        response = requests.post(
            self.token_endpoint,
            data={"grant_type": "client_credentials", "client_id": client, "client_secret": self.clients[client], "scope": scope},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def stop(self) -> None:
        process, self.process = self.process, None
        _stop(process, timeout=10)


# --- the catalog's token endpoint and client registration ---------------------------------------


def catalog_token(catalog: Catalog, client_id: str, secret: str) -> str:
    """POST /v1/oauth/tokens with client credentials in the form, as curl would."""
    response = requests.post(
        catalog.token_endpoint,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        timeout=30,
    )
    assert response.status_code == 200, f"{response.status_code} {response.text}"
    return response.json()["access_token"]


def register_client(catalog: Catalog, admin_token: str, client_id: str, principal: str) -> str:
    """POST /ext/v1/auth/clients: the new client's secret (the only time it is shown)."""
    response = requests.post(
        f"{catalog.uri}/ext/v1/auth/clients",
        json={"client-id": client_id, "principal": principal},
        headers={"authorization": f"Bearer {admin_token}"},
        timeout=30,
    )
    assert response.status_code == 200, f"{response.status_code} {response.text}"
    return response.json()["client-secret"]


class Rest:
    """The catalog's Iceberg routes with a bearer token, for checks and best-effort cleanup."""

    def __init__(self, catalog: Catalog, token: str) -> None:
        self.http = requests.Session()
        self.http.headers["authorization"] = f"Bearer {token}"
        config = self.http.get(f"{catalog.uri}/v1/config", params={"warehouse": catalog.warehouse}, timeout=30)
        assert config.status_code == 200, config.text
        prefix = config.json().get("overrides", {}).get("prefix")
        self.base = f"{catalog.uri}/v1/{prefix}" if prefix else f"{catalog.uri}/v1"
        self.ext = f"{catalog.uri}/ext/v1/{prefix or catalog.warehouse}"

    def grant(self, principal: str, privileges: list[str], namespace: str | None = None) -> None:
        """Grants `principal` privileges on the warehouse, or on a namespace of it."""
        response = self.http.post(
            f"{self.ext}/grants",
            params={"namespace": namespace} if namespace else None,
            json={"action": "grant", "grantee": {"kind": "principal", "name": principal}, "privileges": privileges},
            timeout=30,
        )
        assert response.status_code == 204, response.text

    def whoami(self, catalog: Catalog) -> dict[str, Any]:
        return self.http.get(f"{catalog.uri}/ext/v1/auth/whoami", timeout=30).json()

    def tables(self, namespace: str) -> list[str]:
        response = self.http.get(f"{self.base}/namespaces/{quote(namespace, safe='')}/tables", timeout=30)
        assert response.status_code == 200, response.text
        return sorted(i["name"] for i in response.json()["identifiers"])

    def drop_namespace_tree(self, namespace: str) -> None:
        ns = quote(namespace, safe="")
        try:
            for kind in ("tables", "views"):
                response = self.http.get(f"{self.base}/namespaces/{ns}/{kind}", timeout=30)
                names = [i["name"] for i in response.json().get("identifiers", [])] if response.ok else []
                for name in names:
                    self.http.delete(
                        f"{self.base}/namespaces/{ns}/{kind}/{quote(name, safe='')}",
                        params={"purgeRequested": "true"} if kind == "tables" else None,
                        timeout=30,
                    )
            self.http.delete(f"{self.base}/namespaces/{ns}", timeout=30)
        except (requests.RequestException, ValueError):
            pass
