#!/usr/bin/env bash
# Runs a benchmark against a throwaway Postgres on loopback:
#   bash bench/run.sh catalog-core [args...]
#   bash bench/run.sh clones [args...]
#   bash bench/run.sh namespace-clones [args...]
#   bash bench/run.sh replicas [args...]
#   bash bench/run.sh load-encodings [args...]
#   bash bench/run.sh load-view [args...]
#   bash bench/run.sh gc [args...]     (also starts a throwaway S3-compatible server, moto)
#   bash bench/run.sh auth [args...]
#   bash bench/run.sh idempotency [args...]
#   bash bench/run.sh vending [args...]  (also builds and starts MinIO)
#   bash bench/run.sh signing [args...]  (also builds and starts MinIO)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
name="${1:-catalog-core}"; shift || true
dir="$(mktemp -d /tmp/catalog-bench.XXXXXX)"
trap 'scripts/test-env/stop-s3.sh "$dir/s3" >/dev/null 2>&1; scripts/test-env/stop-postgres.sh "$dir/pg" --purge >/dev/null 2>&1; rm -rf "$dir"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
scripts/test-env/ensure-postgres.sh >/dev/null
url="$(scripts/test-env/start-postgres.sh "$dir/pg" "$(free_port)")"
extra=()
if [[ "$name" == gc ]]; then
  endpoint="$(scripts/test-env/start-s3.sh "$dir/s3" "$(free_port)")"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
  extra=(--s3-endpoint "$endpoint")
fi
npx tsc -p tsconfig.json
node --import tsx "bench/$name.ts" --database-url "$url" "${extra[@]}" "$@"
