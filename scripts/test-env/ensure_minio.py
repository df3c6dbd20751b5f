#!/usr/bin/env python3
"""Build MinIO for the credential-vending tests and print the binary's path.

    python3 scripts/test-env/ensure_minio.py

Why MinIO: the vending tests must see an S3 server refuse what a vended credential may not
do. moto accepts an AssumeRole session policy and then ignores it; MinIO enforces it (get,
put, list by prefix, delete and multipart, inside and outside the allowed prefixes). MinIO
publishes no semver tags, so a pinned pseudo-version is built from the Go module proxy
(about 4 minutes cold, a 150 MB binary). It is AGPL-3.0: the tests download and run it on
loopback; nothing of it is shipped.

The binary lives in the test cache (ICEBERG_CATALOG_TEST_CACHE, default
~/.cache/iceberg-clone-catalog, as in lib.sh) under minio/<version>/minio, and counts only
once its ".complete" marker is written. Go's own module and build caches are used as
configured (GOMODCACHE, GOCACHE). A lock file keeps two runs from building at once. Stdout
carries only the path; errors go to stderr and exit non-zero.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

MINIO_MODULE = "github.com/minio/minio"
MINIO_VERSION = os.environ.get("MINIO_VERSION", "v0.0.0-20260212201848-7aac2a2c5b7c")
BUILD_TIMEOUT_S = 1500


def cache_dir() -> Path:
    root = os.environ.get("ICEBERG_CATALOG_TEST_CACHE") or str(Path.home() / ".cache" / "iceberg-clone-catalog")
    path = Path(root) / "minio" / MINIO_VERSION
    path.mkdir(parents=True, exist_ok=True)
    return path


def ensure_built() -> Path:
    target = cache_dir()
    binary = target / "minio"
    marker = target / ".complete"
    if marker.exists() and binary.exists():
        return binary
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("Go is not installed: it is needed to build MinIO for the vending tests")
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and binary.exists():
            return binary
        env = {**os.environ, "GOBIN": str(target), "GOFLAGS": "-buildvcs=false", "CGO_ENABLED": "0"}
        print(f"building {MINIO_MODULE}@{MINIO_VERSION} (a few minutes, once)", file=sys.stderr)
        result = subprocess.run(
            [go, "install", f"{MINIO_MODULE}@{MINIO_VERSION}"],
            env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
        )
        if result.returncode != 0 or not binary.exists():
            raise RuntimeError(f"go install {MINIO_MODULE}@{MINIO_VERSION} failed:\n{result.stderr[-4000:]}")
        marker.write_text(MINIO_VERSION + "\n")
    return binary


def main() -> int:
    try:
        print(ensure_built())
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"ensure_minio: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
