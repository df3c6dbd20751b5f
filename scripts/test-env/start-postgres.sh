#!/usr/bin/env bash
# Usage: start-postgres.sh <dir> <port>
#
# Start a throwaway PostgreSQL cluster for tests and print its URL:
#   postgres://postgres@127.0.0.1:<port>/catalog
#
# * Listens on 127.0.0.1:<port> only (TCP), no Unix socket, trust auth.
# * Tuned for disposable data: fsync/synchronous_commit/full_page_writes off.
# * max_connections=300 so connection-pool and concurrency tests have room.
# * Re-running with the same <dir> is idempotent: a running cluster is reused,
#   a stopped one is restarted (on the given port), a missing one is created.
#
# PostgreSQL refuses to run as root, so when we are root the cluster runs as
# the "postgres" system user (created by Debian's package; created here if
# missing). That user must be able to reach the data directory; if <dir> sits
# somewhere it cannot traverse (e.g. under /root, mode 700), the data goes in
# a private directory under /tmp instead and <dir>/pgdata-location records it.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 ]] || te_die "usage: $0 <dir> <port>"
mkdir -p "$1"
dir="$(cd "$1" && pwd)"
port="$2"
te_require_port_arg "$port"

bindir="$("$TEST_ENV_SCRIPTS_DIR/ensure-postgres.sh")"
url="postgres://postgres@127.0.0.1:$port/catalog"

# --- who runs the server ---------------------------------------------------
if [[ "$(id -u)" -eq 0 ]]; then
  pg_user="${ICEBERG_CATALOG_TEST_PG_OS_USER:-postgres}"
  if ! id "$pg_user" >/dev/null 2>&1; then
    useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$pg_user"
  fi
  as_pg() { runuser -u "$pg_user" -- "$@"; }
else
  pg_user="$(id -un)"
  as_pg() { "$@"; }
fi

# --- where the data lives ----------------------------------------------------
if [[ -f "$dir/pgdata-location" ]]; then
  pgdata="$(cat "$dir/pgdata-location")"
elif as_pg test -w "$dir" 2>/dev/null || { [[ "$(id -u)" -eq 0 ]] && chown "$pg_user" "$dir" 2>/dev/null && as_pg test -w "$dir"; }; then
  pgdata="$dir/pgdata"
  printf '%s\n' "$pgdata" >"$dir/pgdata-location"
else
  pgdata="$(mktemp -d /tmp/iceberg-test-pg.XXXXXX)/pgdata"
  chown "$pg_user" "$(dirname "$pgdata")"
  printf '%s\n' "$pgdata" >"$dir/pgdata-location"
fi
logfile="$(dirname "$pgdata")/postgres.log"

pg_ctl_() { as_pg "$bindir/pg_ctl" -D "$pgdata" "$@"; }

# --- create -----------------------------------------------------------------
if [[ ! -f "$pgdata/PG_VERSION" ]]; then
  rm -rf "$pgdata"
  as_pg mkdir -p "$pgdata"
  # --no-locale/UTF8: deterministic collation regardless of the machine's
  # locale settings. --no-sync: nothing here needs to survive a crash.
  te_quiet as_pg "$bindir/initdb" -D "$pgdata" -U postgres -E UTF8 --no-locale \
    --auth=trust --no-sync || te_die "initdb failed for $pgdata"
  # Only loopback TCP (and the Unix socket, which we disable below anyway).
  as_pg tee "$pgdata/pg_hba.conf" >/dev/null <<'HBA'
# Throwaway test cluster: trust everything that can reach it, which is only
# loopback (listen_addresses is 127.0.0.1).
local all all              trust
host  all all 127.0.0.1/32 trust
HBA
  as_pg tee -a "$pgdata/postgresql.conf" >/dev/null <<'CONF'

# --- test-env settings (scripts/test-env/start-postgres.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 300
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
logging_collector = off
log_min_messages = warning
CONF
fi

# --- start ------------------------------------------------------------------
if pg_ctl_ status >/dev/null 2>&1; then
  # Already running from an earlier call; make sure it's the port we promise.
  running_port="$(sed -n '4p' "$pgdata/postmaster.pid" 2>/dev/null || true)"
  [[ "$running_port" == "$port" ]] ||
    te_die "cluster in $pgdata already runs on port ${running_port:-?}, not $port"
else
  if te_port_open "$port"; then
    te_die "port $port on 127.0.0.1 is already in use"
  fi
  # Port goes on the command line so a reused data dir can move ports.
  te_quiet pg_ctl_ start -w -t 60 -l "$logfile" -o "-p $port" || {
    tail -n 30 "$logfile" >&2 2>/dev/null || true
    te_die "postgres failed to start (log: $logfile)"
  }
fi

# --- database ---------------------------------------------------------------
psql_() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }
if [[ "$(psql_ -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'catalog'")" != "1" ]]; then
  psql_ -d postgres -c 'CREATE DATABASE catalog' >/dev/null
fi

printf '%s\n' "$url"
