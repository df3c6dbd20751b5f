#!/usr/bin/env bash
# Usage: start-catalog.sh <dir> <port> [--postgres] [--s3]
#
# Start our REST catalog server (src/cli.ts serve) for compatibility tests,
# on 127.0.0.1:<port>, with all of its state under <dir>, and print its URI.
#
#   default     embedded PGlite in <dir>/data, warehouse file://<dir>/data/warehouse
#   --postgres  a throwaway Postgres cluster (start-postgres.sh <dir>/pg)
#   --s3        a moto S3 server (start-s3.sh <dir>/s3); warehouse location
#               s3://warehouse/<unique prefix>, path-style
#
# <dir>/catalog.env gets the exports a client test needs (CATALOG_URI,
# CATALOG_WAREHOUSE and, with --s3, S3_ENDPOINT + AWS_*). Tear everything
# down with stop-catalog.sh <dir>. The server's log is <dir>/server.log.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 2 ]] || te_die "usage: $0 <dir> <port> [--postgres] [--s3]"
mkdir -p "$1"
dir="$(cd "$1" && pwd)"
port="$2"
shift 2
te_require_port_arg "$port"
use_pg=0
use_s3=0
for opt in "$@"; do
  case "$opt" in
    --postgres) use_pg=1 ;;
    --s3) use_s3=1 ;;
    *) te_die "unknown option: $opt" ;;
  esac
done

if [[ -f "$dir/server.pid" ]] && kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; then
  te_die "a catalog from $dir is already running (pid $(cat "$dir/server.pid")); run stop-catalog.sh $dir first"
fi
if te_port_open "$port"; then
  te_die "port $port on 127.0.0.1 is already in use"
fi

# The server runs from the working tree with tsx; a fresh clone needs its
# npm dependencies first.
if [[ ! -x "$TEST_ENV_REPO_ROOT/node_modules/.bin/tsx" ]]; then
  te_log "installing npm dependencies"
  (cd "$TEST_ENV_REPO_ROOT" && te_quiet npm ci --no-audit --no-fund) || te_die "npm ci failed"
fi

server_env=(
  CATALOG_HOST=127.0.0.1
  CATALOG_PORT="$port"
  CATALOG_DATA_DIR="$dir/data"
  CATALOG_SHUTDOWN_DRAIN_MS=0
)
client_env=()

if [[ $use_pg -eq 1 ]]; then
  db_url="$("$TEST_ENV_SCRIPTS_DIR/start-postgres.sh" "$dir/pg" "$(te_free_port)")"
  server_env+=(CATALOG_DATABASE_URL="$db_url")
fi

if [[ $use_s3 -eq 1 ]]; then
  endpoint="$("$TEST_ENV_SCRIPTS_DIR/start-s3.sh" "$dir/s3" "$(te_free_port)")"
  # A unique prefix per catalog so reruns against a reused bucket don't mix.
  prefix="catalog-$(basename "$dir")-$(date +%s)"
  server_env+=(
    CATALOG_WAREHOUSE_LOCATION="s3://warehouse/$prefix"
    CATALOG_S3_ENDPOINT="$endpoint"
    CATALOG_S3_REGION=us-east-1
    CATALOG_S3_PATH_STYLE=true
    AWS_ACCESS_KEY_ID=testing
    AWS_SECRET_ACCESS_KEY=testing
    AWS_REGION=us-east-1
  )
  client_env+=(
    S3_ENDPOINT="$endpoint"
    AWS_ACCESS_KEY_ID=testing
    AWS_SECRET_ACCESS_KEY=testing
    AWS_REGION=us-east-1
  )
fi

# setsid gives the server its own process group so stop-catalog.sh can stop
# tsx and the node process it spawns together, by recorded pid only.
(
  cd "$TEST_ENV_REPO_ROOT"
  exec setsid env "${server_env[@]}" "$TEST_ENV_REPO_ROOT/node_modules/.bin/tsx" src/cli.ts serve
) >"$dir/server.log" 2>&1 </dev/null &
echo $! >"$dir/server.pid"

uri="http://127.0.0.1:$port"
ready=0
for _ in $(seq 1 300); do
  if ! kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; then
    break
  fi
  if python3 - "$uri/v1/config?warehouse=default" <<'PY' 2>/dev/null; then
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
    ready=1
    break
  fi
  sleep 0.2
done
if [[ $ready -eq 0 ]]; then
  tail -n 40 "$dir/server.log" >&2 || true
  "$TEST_ENV_SCRIPTS_DIR/stop-catalog.sh" "$dir" || true
  te_die "catalog server did not become ready at $uri (log: $dir/server.log)"
fi

{
  echo "export CATALOG_URI=$uri"
  echo "export CATALOG_WAREHOUSE=default"
  for kv in "${client_env[@]}"; do
    echo "export $kv"
  done
} >"$dir/catalog.env"

printf '%s\n' "$uri"
