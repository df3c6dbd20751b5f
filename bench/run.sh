#!/usr/bin/env bash
# Runs a benchmark against a throwaway Postgres on loopback:
#   bash bench/run.sh catalog-core [args...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
name="${1:-catalog-core}"; shift || true
dir="$(mktemp -d /tmp/catalog-bench.XXXXXX)"
trap 'scripts/test-env/stop-postgres.sh "$dir/pg" --purge >/dev/null 2>&1; rm -rf "$dir"' EXIT
scripts/test-env/ensure-postgres.sh >/dev/null
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
url="$(scripts/test-env/start-postgres.sh "$dir/pg" "$port")"
npx tsc -p tsconfig.json
node --import tsx "bench/$name.ts" --database-url "$url" "$@"
