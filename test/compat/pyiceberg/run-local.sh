#!/usr/bin/env bash
# Start the catalog on a scratch data dir (embedded PGlite + local file
# warehouse), run the PyIceberg suite against it, stop the server.
#
#   test/compat/pyiceberg/run-local.sh [pytest args...]
#
# Env: PORT (default 18282), PYTHON_VENV (default: scripts/test-env/python-env.sh),
#      KEEP_DATA=1 keeps the scratch dir; SERVER_LOG is printed on failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
port="${PORT:-18282}"
venv="${PYTHON_VENV:-$("$repo/scripts/test-env/python-env.sh")}"
data="$(mktemp -d /tmp/pyi-data-XXXXXX)"
log="$data/server.log"

cleanup() {
  if [[ -n "${server_pid:-}" ]]; then
    # the server runs in its own process group (npx -> tsx -> node): stop all of it
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ "${KEEP_DATA:-0}" != 1 ]]; then rm -rf "$data"; else echo "kept $data" >&2; fi
}
trap cleanup EXIT

(cd "$repo" && CATALOG_PORT="$port" CATALOG_HOST=127.0.0.1 CATALOG_DATA_DIR="$data" \
  exec setsid npx tsx src/cli.ts serve) >"$log" 2>&1 </dev/null &
server_pid=$!

for _ in $(seq 1 120); do
  if curl -sS -o /dev/null "http://127.0.0.1:$port/v1/config" 2>/dev/null; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then echo "server exited early:" >&2; cat "$log" >&2; exit 1; fi
  sleep 0.5
done

status=0
CATALOG_URI="http://127.0.0.1:$port" "$venv/bin/python" -m pytest "$here" -p no:cacheprovider -rs "$@" || status=$?
if [[ $status -ne 0 ]]; then echo "---- server log ($log) ----" >&2; tail -n 200 "$log" >&2; fi
exit $status
