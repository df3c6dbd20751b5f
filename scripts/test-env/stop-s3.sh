#!/usr/bin/env bash
# Usage: stop-s3.sh <dir>
#
# Stop the moto server started by start-s3.sh with the same <dir>. Kills only
# the recorded pid (and its process group, which setsid made its own), never
# anything found by name. Safe to call when nothing is running.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || te_die "usage: $0 <dir>"
pidfile="$1/moto.pid"
[[ -f "$pidfile" ]] || exit 0
pid="$(cat "$pidfile")"

# Guard against a recycled pid: only signal it if it still is moto_server.
if kill -0 "$pid" 2>/dev/null && grep -q moto_server "/proc/$pid/cmdline" 2>/dev/null; then
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
fi
rm -f "$pidfile" "$1/moto.port"
