#!/usr/bin/env bash
# Usage: stop-postgres.sh <dir> [--purge]
#
# Stop the test cluster started by start-postgres.sh with the same <dir>.
# Safe to call when nothing is running. With --purge the cluster's data is
# deleted too (including a /tmp fallback location), so the next start is
# fresh.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 && $# -le 2 ]] || te_die "usage: $0 <dir> [--purge]"
dir="$1"
purge=0
[[ "${2:-}" == "--purge" ]] && purge=1

[[ -f "$dir/pgdata-location" ]] || exit 0
pgdata="$(cat "$dir/pgdata-location")"

if [[ -f "$pgdata/postmaster.pid" ]]; then
  bindir="$("$TEST_ENV_SCRIPTS_DIR/ensure-postgres.sh")"
  owner="$(stat -c %U "$pgdata")"
  if [[ "$(id -u)" -eq 0 && "$owner" != "root" ]]; then
    as_pg() { runuser -u "$owner" -- "$@"; }
  else
    as_pg() { "$@"; }
  fi
  # "fast" aborts open client sessions (a test server may still hold pooled
  # connections); fall back to "immediate" if that hangs.
  if ! te_quiet as_pg "$bindir/pg_ctl" -D "$pgdata" stop -m fast -w -t 30; then
    te_quiet as_pg "$bindir/pg_ctl" -D "$pgdata" stop -m immediate -w -t 30 || true
  fi
fi

if [[ $purge -eq 1 ]]; then
  parent="$(dirname "$pgdata")"
  rm -rf "$pgdata" "$parent/postgres.log"
  # The /tmp fallback directory was created for this cluster alone.
  if [[ "$parent" == /tmp/iceberg-test-pg.* ]]; then
    rm -rf "$parent"
  fi
  rm -f "$dir/pgdata-location"
fi
