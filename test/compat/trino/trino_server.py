"""Starts and stops one Trino server (a single-node coordinator on loopback) for the suite.

The server runs straight from the install that scripts/test-env/ensure_trino.py keeps (lib/ and
the Iceberg plugin only), as `java ... io.trino.server.TrinoServer`, without Trino's launcher:
the process we start is the JVM itself, so its pid is the one we stop. Its configuration is
written into a scratch directory, which is also its working directory and holds its log.

The caller names the catalogs (the suite: `lake` and `lake_nested`, both on our REST catalog);
`lake_catalog_properties` puts them on S3 (native) when an S3 endpoint is given, else on the
local file system rooted at "/" (our local warehouse hands out file:///... locations, which
Trino 476's local file system accepts with that root).

Start-up of a JVM with Trino's classes is most of the wait. Java 25 can cache the loaded and
linked classes of a run (JEP 483/514): the first start records a cache next to the install
(at exit), later starts use it. A cache that does not match (another JDK, other jars) is
ignored by the JVM, which then starts as without one. TRINO_AOT=0 turns this off.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

START_TIMEOUT_S = float(os.environ.get("TRINO_START_TIMEOUT", "240"))
STOP_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lake_catalog_properties(catalog_uri: str, warehouse: str, s3_endpoint: str | None) -> dict[str, str]:
    props = {
        "connector.name": "iceberg",
        "iceberg.catalog.type": "rest",
        "iceberg.rest-catalog.uri": catalog_uri,
        "iceberg.rest-catalog.warehouse": warehouse,
        # system.register_table / unregister_table (our register endpoint) are off by default.
        "iceberg.register-table-procedure.enabled": "true",
    }
    if s3_endpoint:
        props |= {
            "fs.native-s3.enabled": "true",
            "s3.endpoint": s3_endpoint,
            "s3.path-style-access": "true",
            "s3.region": os.environ.get("AWS_REGION", "us-east-1"),
            "s3.aws-access-key": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            "s3.aws-secret-key": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        }
    else:
        props |= {"fs.native-local.enabled": "true", "local.location": "/"}
    return props


def _write_properties(path: Path, props: dict[str, str]) -> None:
    path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))


def _prepare_child() -> None:
    """Runs in the forked child before exec."""
    # Trino refuses to start with fewer than 4096 file descriptors.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 16384 if hard == resource.RLIM_INFINITY else min(hard, 16384)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    # The server runs in its own session (a Ctrl-C meant for pytest must not kill it before the
    # fixture stops it), so if pytest itself dies, Linux sends it SIGTERM (PR_SET_PDEATHSIG)
    # rather than leaving a 2 GB JVM behind.
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


class TrinoServer:
    def __init__(self, home: Path, java_home: Path, run_dir: Path, catalogs: dict[str, dict[str, str]]) -> None:
        self.home = home
        self.java = java_home / "bin" / "java"
        self.run_dir = run_dir
        self.catalogs = catalogs
        self.port = free_port()
        self.log_path = run_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._aot_recording: Path | None = None
        self.startup_seconds: float | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _configure(self) -> Path:
        etc = self.run_dir / "etc"
        (etc / "catalog").mkdir(parents=True, exist_ok=True)
        _write_properties(
            etc / "config.properties",
            {
                "node.environment": "compat",
                "node.id": str(uuid.uuid4()),
                # Loopback only: the HTTP server binds to node.bind-ip, announces internal-address.
                "node.bind-ip": "127.0.0.1",
                "node.internal-address": "127.0.0.1",
                "coordinator": "true",
                "node-scheduler.include-coordinator": "true",
                "http-server.http.port": str(self.port),
                "discovery.uri": self.uri,
                "http-server.log.enabled": "false",
                "plugin.dir": str(self.home / "plugin"),
                "catalog.config-dir": str(etc / "catalog"),
            },
        )
        for name, props in self.catalogs.items():
            _write_properties(etc / "catalog" / f"{name}.properties", props)
        return etc / "config.properties"

    def _aot_args(self) -> list[str]:
        if os.environ.get("TRINO_AOT", "1") == "0":
            return []
        release = (self.java.parent.parent / "release").read_text()
        version = next((line.split("=", 1)[1].strip('"') for line in release.splitlines() if line.startswith("JAVA_VERSION=")), "")
        if not version.split(".")[0].isdigit() or int(version.split(".")[0]) < 25:
            return []  # -XX:AOTCacheOutput (one-step recording) came with JDK 25
        cache = self.home / f"trino-jdk-{version}.aot"
        if cache.exists():
            return [f"-XX:AOTCache={cache}"]
        self._aot_recording = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        return [f"-XX:AOTCacheOutput={self._aot_recording}"]

    def start(self) -> None:
        config = self._configure()
        heap = os.environ.get("TRINO_HEAP", "2G")
        command = [
            str(self.java),
            f"-Xmx{heap}",
            "-XX:+UseG1GC",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:-OmitStackTraceInFastThrow",
            "-XX:ReservedCodeCacheSize=256M",
            "-XX:+EnableDynamicAgentLoading",
            "-Djdk.attach.allowAttachSelf=true",
            "-Dfile.encoding=UTF-8",
            "-Duser.timezone=UTC",
            "--add-modules=jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED",
            *self._aot_args(),
            f"-Dconfig={config}",
            "-cp",
            str(self.home / "lib" / "*"),
            "io.trino.server.TrinoServer",
        ]
        began = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.run_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_prepare_child,
            )
        deadline = began + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Trino exited with {self.process.returncode} while starting:\n{self.log_tail()}")
            if self._started():
                self.startup_seconds = time.monotonic() - began
                return
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"Trino did not start within {START_TIMEOUT_S:.0f}s:\n{self.log_tail()}")

    def _started(self) -> bool:
        try:
            with urllib.request.urlopen(self.uri + "/v1/info", timeout=2) as response:
                return json.load(response).get("starting") is False
        except (OSError, ValueError, urllib.error.URLError):
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_S)
        recording, self._aot_recording = self._aot_recording, None
        if recording is not None and recording.exists():
            # The JVM writes the cache at exit; a complete one replaces nothing (first wins).
            final = recording.with_name(recording.name.rsplit(".", 2)[0])
            if process.returncode in (0, 143) and not final.exists():
                recording.rename(final)
            else:
                recording.unlink(missing_ok=True)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])


NO_NODES_GRACE_S = 20


def query(trino_uri: str, catalog: str, sql: str, user: str = "compat") -> list[tuple[Any, ...]]:
    """One statement through Trino's DB-API client (imported here: the server module itself
    needs no client). Seconds after it says it has started, Trino 476 may still schedule a
    catalog's first scan on no node (NO_NODES_AVAILABLE, from UniformNodeSelector, before any
    task runs): seen about once in three fresh starts. Such a query did nothing, so it is sent
    again, for a while. The catalog's answer is added from the causes of a failure."""
    import trino
    from trino.exceptions import TrinoQueryError

    host, port = trino_uri.removeprefix("http://").split(":")
    deadline = time.monotonic() + NO_NODES_GRACE_S
    while True:
        connection = trino.dbapi.connect(host=host, port=int(port), user=user, catalog=catalog, http_scheme="http", request_timeout=120)
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]
        except TrinoQueryError as exc:
            if exc.error_name != "NO_NODES_AVAILABLE" or time.monotonic() > deadline:
                cause, depth = (exc.failure_info or {}).get("cause"), 0
                while cause and depth < 6:
                    exc.add_note(f"Caused by: {cause.get('type')}: {cause.get('message')}")
                    cause, depth = cause.get("cause"), depth + 1
                raise
        finally:
            cursor.close()
            connection.close()
        time.sleep(0.5)
