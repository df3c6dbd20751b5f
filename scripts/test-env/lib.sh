# shellcheck shell=bash
# Shared helpers for the test-environment scripts. Source it; don't run it.
#
# Everything heavy (the Python venv, Spark/Iceberg jars, Maven scratch
# projects) lives in a cache directory OUTSIDE the repository, because CI
# works on a fresh clone every time and should still find the previous run's
# downloads on the same machine. Override with ICEBERG_CATALOG_TEST_CACHE.
#
# Conventions for the scripts that use this file:
#   * stdout carries only the script's result (a path, a URL, a list of jars)
#     so callers can capture it with $(...); progress and errors go to stderr.
#   * every "ensure-*" step is idempotent and cheap when already done.

if [[ -n "${_ICEBERG_TEST_ENV_LIB_LOADED:-}" ]]; then
  return 0
fi
_ICEBERG_TEST_ENV_LIB_LOADED=1

TEST_ENV_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TEST_ENV_REPO_ROOT="$(cd "$TEST_ENV_SCRIPTS_DIR/../.." && pwd)"

# Iceberg Java version used for the Spark runtime, the AWS bundle and the REST
# compatibility kit. 1.11.0 is the newest release on Maven Central that ships
# a Spark 3.5 / Scala 2.12 runtime at the time of writing.
: "${ICEBERG_JAVA_VERSION:=1.11.0}"

# Set ICEBERG_CATALOG_TEST_VERBOSE=1 to see progress messages; by default the
# ensure-* scripts are silent unless something fails.
te_log() {
  if [[ "${ICEBERG_CATALOG_TEST_VERBOSE:-0}" != "0" ]]; then
    printf '[test-env] %s\n' "$*" >&2
  fi
}

te_die() {
  printf '[test-env] ERROR: %s\n' "$*" >&2
  exit 1
}

te_cache_dir() {
  local dir="${ICEBERG_CATALOG_TEST_CACHE:-$HOME/.cache/iceberg-clone-catalog}"
  mkdir -p "$dir"
  printf '%s\n' "$dir"
}

# Run a command while holding an exclusive lock, so that two test suites
# started in parallel (e.g. the PyIceberg and Spark suites) don't build the
# same venv or download the same jars into the same place at once.
te_with_lock() {
  local name="$1"
  shift
  local lockdir
  lockdir="$(te_cache_dir)/locks"
  mkdir -p "$lockdir"
  if command -v flock >/dev/null 2>&1; then
    (
      flock -x 9
      "$@"
    ) 9>"$lockdir/$name.lock"
  else
    "$@"
  fi
}

# Run a command with its output captured; show the output only if it fails.
# Keeps successful installs silent while keeping failures debuggable.
te_quiet() {
  local out rc=0
  out="$(mktemp)"
  "$@" >"$out" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    printf '[test-env] command failed (exit %s): %s\n' "$rc" "$*" >&2
    tail -n 60 "$out" >&2
  elif [[ "${ICEBERG_CATALOG_TEST_VERBOSE:-0}" != "0" ]]; then
    cat "$out" >&2
  fi
  rm -f "$out"
  return "$rc"
}

# ---------------------------------------------------------------------------
# Debian packages
# ---------------------------------------------------------------------------

_te_as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    te_die "need root (or passwordless sudo) to run: $*"
  fi
}

# Install Debian packages. The package lists of a fresh machine may be empty
# or stale, so refresh them first (at most once per script run).
te_apt_install() {
  command -v apt-get >/dev/null 2>&1 ||
    te_die "apt-get not found; install these packages by hand: $*"
  if [[ -z "${_TE_APT_UPDATED:-}" ]]; then
    te_log "apt-get update"
    te_quiet _te_as_root env DEBIAN_FRONTEND=noninteractive apt-get update ||
      te_die "apt-get update failed"
    _TE_APT_UPDATED=1
  fi
  te_log "apt-get install $*"
  te_quiet _te_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confold "$@" ||
    te_die "apt-get install $* failed"
}

# ---------------------------------------------------------------------------
# Java / Maven (Spark and the REST compatibility kit need them)
# ---------------------------------------------------------------------------

# Spark 3.5 runs on Java 8/11/17; we standardise on 17. Sets JAVA_HOME.
te_ensure_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    return 0
  fi
  local candidate
  for candidate in /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/java-17-*; do
    if [[ -x "$candidate/bin/java" ]]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  if ! command -v java >/dev/null 2>&1; then
    te_apt_install openjdk-17-jdk-headless
    for candidate in /usr/lib/jvm/java-17-openjdk-*; do
      if [[ -x "$candidate/bin/java" ]]; then
        export JAVA_HOME="$candidate"
        return 0
      fi
    done
  fi
  # Some other JDK is on PATH; derive JAVA_HOME from it and hope it's 11+.
  local java_bin
  java_bin="$(readlink -f "$(command -v java)")"
  export JAVA_HOME="${java_bin%/bin/java}"
}

te_ensure_maven() {
  te_ensure_java
  if ! command -v mvn >/dev/null 2>&1; then
    te_apt_install maven
  fi
}

# Maven in batch mode without download progress noise.
te_mvn() {
  mvn -B -q -ntp "$@"
}

# ---------------------------------------------------------------------------
# Python venv
# ---------------------------------------------------------------------------

TE_REQUIREMENTS_FILE="$TEST_ENV_REPO_ROOT/test/compat/requirements.txt"

te_python_bin() {
  local py="${ICEBERG_CATALOG_TEST_PYTHON:-}"
  if [[ -z "$py" ]]; then
    py="$(command -v python3 || true)"
  fi
  [[ -n "$py" ]] || te_apt_install python3 python3-venv
  py="${py:-python3}"
  if ! "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
    te_die "$py is older than Python 3.10 (PyIceberg 0.12 needs 3.10+); set ICEBERG_CATALOG_TEST_PYTHON"
  fi
  printf '%s\n' "$py"
}

# The venv's directory name is derived from requirements.txt and the
# interpreter version, so editing the requirements (or switching Python)
# builds a new venv instead of mutating one another suite may be using.
te_venv_dir() {
  local py key
  py="$(te_python_bin)"
  key="$(
    {
      "$py" -c 'import sys; print(sys.version)'
      cat "$TE_REQUIREMENTS_FILE"
    } | sha256sum | cut -c1-16
  )"
  printf '%s/venvs/py-%s\n' "$(te_cache_dir)" "$key"
}

_te_build_venv() {
  local venv="$1" py
  # Another process may have finished it while we waited for the lock.
  [[ -f "$venv/.complete" ]] && return 0
  py="$(te_python_bin)"
  # A venv hard-codes its own path, so it is built in place; the ".complete"
  # marker written last is what makes it count, so an interrupted install is
  # simply rebuilt next time.
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  te_log "creating venv $venv"
  if ! "$py" -m venv "$venv" >/dev/null 2>&1; then
    # Debian's python3 without the venv module (ensurepip) fails here.
    te_apt_install python3-venv
    rm -rf "$venv"
    te_quiet "$py" -m venv "$venv" || te_die "could not create a venv with $py"
  fi
  te_quiet "$venv/bin/python" -m pip install --disable-pip-version-check --upgrade pip ||
    te_die "pip upgrade failed"
  te_quiet "$venv/bin/python" -m pip install --disable-pip-version-check \
    -r "$TE_REQUIREMENTS_FILE" || te_die "pip install -r $TE_REQUIREMENTS_FILE failed"
  date -u +%FT%TZ >"$venv/.complete"
  _te_prune_old_venvs "$venv"
}

# Drop venvs for older requirements that nobody used for a week, so the cache
# doesn't grow without bound as requirements.txt changes.
_te_prune_old_venvs() {
  local keep="$1" dir
  for dir in "$(dirname "$keep")"/py-*; do
    [[ -d "$dir" && "$dir" != "$keep" ]] || continue
    if [[ -z "$(find "$dir/.last-used" -mtime -7 2>/dev/null)" ]]; then
      te_log "pruning stale venv $dir"
      rm -rf "$dir"
    fi
  done
}

# Make sure the venv exists; print its path.
te_ensure_python() {
  local venv
  venv="$(te_venv_dir)"
  if [[ ! -f "$venv/.complete" ]]; then
    te_with_lock venv _te_build_venv "$venv"
  fi
  touch "$venv/.last-used" 2>/dev/null || true
  printf '%s\n' "$venv"
}

# ---------------------------------------------------------------------------
# Small utilities used by the start/stop scripts
# ---------------------------------------------------------------------------

# True if something accepts TCP connections on 127.0.0.1:$1.
te_port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Wait up to $2 seconds (default 30) for 127.0.0.1:$1 to accept connections.
te_wait_port() {
  local port="$1" timeout="${2:-30}" i
  for ((i = 0; i < timeout * 10; i++)); do
    te_port_open "$port" && return 0
    sleep 0.1
  done
  return 1
}

te_require_port_arg() {
  [[ "$1" =~ ^[0-9]+$ && "$1" -gt 0 && "$1" -lt 65536 ]] ||
    te_die "invalid port: '$1'"
}

# Print a TCP port that is free on 127.0.0.1 right now (the kernel picks it).
# There is a small race until the caller binds it; fine for tests.
te_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Stop a process we started with setsid (its pid is also its process-group
# id): TERM the group, wait up to $2 seconds (default 10), then KILL.
te_stop_pid_group() {
  local pid="$1" timeout="${2:-10}" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}
