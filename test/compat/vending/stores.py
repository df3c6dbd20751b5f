"""MinIO on loopback for the storage-access suite, started and stopped by its pid.

MinIO enforces the session policy of an STS credential (moto does not), so what an engine
holding only vended keys may do is decided by a real store. The binary comes from
scripts/test-env/ensure_minio.py (MINIO_BIN names a built one). The catalog alone gets the
root keys; the suite keeps a root client to look at the bucket behind the engines' backs.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import requests
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 60


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def minio_binary() -> str:
    if os.environ.get("MINIO_BIN"):
        return os.environ["MINIO_BIN"]
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "test-env" / "ensure_minio.py")], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"cannot build MinIO:\n{done.stderr[-2000:]}")
    return done.stdout.strip()


class Minio:
    def __init__(self, run_dir: Path, port: int) -> None:
        self.run_dir = run_dir
        self.endpoint = f"http://127.0.0.1:{port}"
        self.port = port
        self.root_user = "catalog-root"
        self.root_password = f"root-{uuid.uuid4()}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "MINIO_ROOT_USER": self.root_user, "MINIO_ROOT_PASSWORD": self.root_password, "MINIO_BROWSER": "off", "MINIO_UPDATE": "off"}
        with open(self.run_dir / "minio.log", "ab") as log:
            self.process = subprocess.Popen(
                [minio_binary(), "server", str(self.run_dir / "data"), "--address", f"127.0.0.1:{self.port}", "--quiet"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"MinIO exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.endpoint}/minio/health/ready", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("MinIO did not become ready")

    def root_client(self):
        """An S3 client with the root keys: the suite's eyes on the bucket, never an engine's."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.root_user,
            aws_secret_access_key=self.root_password,
            config=Config(s3={"addressing_style": "path"}),
        )

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(15)
