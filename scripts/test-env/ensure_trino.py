#!/usr/bin/env python3
"""Install Trino's server for the Trino compatibility suite and print its directory.

    python3 scripts/test-env/ensure_trino.py            # prints the install directory
    python3 scripts/test-env/ensure_trino.py --java     # prints a JAVA_HOME that can run it

The server tarball comes from Maven Central (io.trino:trino-server:<version>:tar.gz, about
800 MB), checked against the .sha1 Maven Central publishes next to it. Only what the suite
runs is kept: lib/ and the Iceberg plugin (a server with one plugin starts in a third of the
time); the tarball is deleted once unpacked. Everything lives in the test cache
(ICEBERG_CATALOG_TEST_CACHE, default ~/.cache/iceberg-clone-catalog, as in lib.sh) under
trino/trino-server-<version>/, which counts only once its ".complete" marker is written, so an
interrupted install is redone. A lock file keeps two runs from installing at once.

Trino 476 needs Java 24.0.1 or newer, while the rest of the test suite runs on Java 17, so the
JDK is looked up separately: TRINO_JAVA_HOME if set, else the newest JDK under /usr/lib/jvm
whose `release` file says 24 or later. Stdout carries only the result; errors go to stderr
and exit non-zero, so a caller can fail loudly.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import re
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

TRINO_VERSION = os.environ.get("TRINO_VERSION", "476")
MIN_JAVA = (24, 0, 1)
MAVEN_URL = "https://repo1.maven.org/maven2/io/trino/trino-server/{v}/trino-server-{v}.tar.gz"
# Members kept from the tarball, relative to its top directory.
KEPT = ("lib/", "plugin/iceberg/")
DOWNLOAD_TIMEOUT_S = 60


class InstallError(Exception):
    pass


def cache_dir() -> Path:
    root = os.environ.get("ICEBERG_CATALOG_TEST_CACHE") or str(Path.home() / ".cache" / "iceberg-clone-catalog")
    path = Path(root) / "trino"
    path.mkdir(parents=True, exist_ok=True)
    return path


def install_dir(version: str = TRINO_VERSION) -> Path:
    return cache_dir() / f"trino-server-{version}"


def _log(message: str) -> None:
    if os.environ.get("ICEBERG_CATALOG_TEST_VERBOSE", "0") != "0":
        print(f"[ensure_trino] {message}", file=sys.stderr)


def _fetch_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
        return response.read().decode().strip()


def download(url: str, dest: Path) -> None:
    """Download url to dest, verified against url + '.sha1'; dest appears only when it matches."""
    try:
        expected = _fetch_text(url + ".sha1").split()[0].lower()
    except OSError as exc:
        raise InstallError(f"cannot fetch the checksum {url}.sha1: {exc}") from exc
    partial = dest.with_name(dest.name + ".part")
    digest = hashlib.sha1()
    _log(f"downloading {url}")
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, open(partial, "wb") as out:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InstallError(f"cannot download {url}: {exc}") from exc
    if digest.hexdigest() != expected:
        partial.unlink(missing_ok=True)
        raise InstallError(f"checksum mismatch for {url}: got {digest.hexdigest()}, Maven Central says {expected}")
    partial.rename(dest)


def _kept(name: str, top: str) -> str | None:
    """The path below the tarball's top directory if the member is one we keep."""
    if not name.startswith(top + "/"):
        return None
    rest = name[len(top) + 1 :]
    return rest if any(rest.startswith(k) for k in KEPT) else None


def extract(tarball: Path, dest: Path) -> None:
    """Unpack the kept members of the tarball into dest.

    The tarball stores jars shared between plugins once and hard-links the other copies, often
    to a plugin we do not keep. So a first pass lists the kept members and the link targets
    they need; the second pass (streaming, the archive is gzip) writes kept files in place and
    link targets we do not keep to a scratch directory, and links resolve at the end.
    """
    top = f"trino-server-{TRINO_VERSION}"
    links: dict[str, str] = {}  # kept member path -> archive name of its target
    with tarfile.open(tarball, "r|gz") as archive:
        for member in archive:
            rel = _kept(member.name, top)
            if rel is not None and member.islnk():
                links[rel] = member.linkname
    targets = set(links.values())
    scratch = dest / ".link-targets"
    scratch.mkdir(parents=True)
    stored: dict[str, Path] = {}
    with tarfile.open(tarball, "r|gz") as archive:
        for member in archive:
            rel = _kept(member.name, top)
            if member.isdir() and rel is not None:
                (dest / rel).mkdir(parents=True, exist_ok=True)
                continue
            if not member.isfile():
                continue
            if rel is None and member.name not in targets:
                continue
            out_path = dest / rel if rel is not None else scratch / str(len(stored))
            out_path.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            with open(out_path, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            os.chmod(out_path, member.mode & 0o755 | 0o644)
            if member.name in targets:
                stored[member.name] = out_path
    for rel, target in links.items():
        if target not in stored:
            raise InstallError(f"{tarball.name}: {rel} links to {target}, which is not in the archive")
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        os.link(stored[target], dest / rel)
    shutil.rmtree(scratch)
    if not (dest / "plugin" / "iceberg").is_dir() or not any((dest / "lib").glob("io.trino_trino-main-*.jar")):
        raise InstallError(f"{tarball.name} has no lib/ or plugin/iceberg/ where expected")


def ensure_installed() -> Path:
    dest = install_dir()
    if (dest / ".complete").exists():
        return dest
    lock_dir = cache_dir().parent / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / "trino.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (dest / ".complete").exists():  # another run finished it while we waited
            return dest
        url = MAVEN_URL.format(v=TRINO_VERSION)
        tarball = cache_dir() / f"trino-server-{TRINO_VERSION}.tar.gz"
        if not tarball.exists():
            download(url, tarball)
        shutil.rmtree(dest, ignore_errors=True)
        _log(f"unpacking lib/ and plugin/iceberg/ into {dest}")
        try:
            extract(tarball, dest)
        except (OSError, tarfile.TarError) as exc:
            shutil.rmtree(dest, ignore_errors=True)
            raise InstallError(f"cannot unpack {tarball}: {exc}") from exc
        (dest / ".complete").write_text(url + "\n")
        tarball.unlink()
    return dest


def _java_version(home: Path) -> tuple[int, ...] | None:
    try:
        text = (home / "release").read_text()
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="(\d+)(?:\.(\d+))?(?:\.(\d+))?', text, re.MULTILINE)
    if not match or not (home / "bin" / "java").exists():
        return None
    return tuple(int(g or 0) for g in match.groups())


def java_home() -> Path:
    explicit = os.environ.get("TRINO_JAVA_HOME")
    if explicit:
        version = _java_version(Path(explicit))
        if version is None or version < MIN_JAVA:
            raise InstallError(f"TRINO_JAVA_HOME={explicit} is not a JDK {'.'.join(map(str, MIN_JAVA))}+ (release file says {version})")
        return Path(explicit)
    found = []
    for home in Path("/usr/lib/jvm").glob("*"):
        version = _java_version(home)
        if version is not None and version >= MIN_JAVA and not home.is_symlink():
            found.append((version, home))
    if not found:
        raise InstallError(
            f"Trino {TRINO_VERSION} needs Java {'.'.join(map(str, MIN_JAVA))} or newer and none was found under "
            "/usr/lib/jvm; install one (e.g. a Temurin 25 JDK) or set TRINO_JAVA_HOME"
        )
    return max(found)[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--java", action="store_true", help="print the JAVA_HOME for Trino instead")
    args = parser.parse_args()
    try:
        print(java_home() if args.java else ensure_installed())
    except InstallError as exc:
        print(f"[ensure_trino] ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
