#!/usr/bin/env bash
# Usage: start-s3.sh <dir> <port> [extra-bucket ...]
#
# Start an S3-compatible server (moto, from the compat venv) on
# 127.0.0.1:<port>, create the bucket "warehouse" (plus any extra buckets
# named), and print the endpoint URL, e.g. http://127.0.0.1:9000 .
#
# Credentials: moto accepts any keys; tests use the static pair
# testing/testing and region us-east-1. <dir>/s3.env holds ready-to-source
# exports for both the clients (AWS_*) and our server (CATALOG_S3_*).
#
# Idempotent: if <dir>/moto.pid names a live server on the same port it is
# reused (buckets are re-ensured). moto keeps everything in memory, so a
# restarted server starts empty.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 2 ]] || te_die "usage: $0 <dir> <port> [extra-bucket ...]"
mkdir -p "$1"
dir="$(cd "$1" && pwd)"
port="$2"
shift 2
te_require_port_arg "$port"
buckets=(warehouse "$@")

venv="$("$TEST_ENV_SCRIPTS_DIR/ensure-python.sh")"
endpoint="http://127.0.0.1:$port"
pidfile="$dir/moto.pid"

running=0
if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  if [[ "$(cat "$dir/moto.port" 2>/dev/null)" == "$port" ]] && te_port_open "$port"; then
    running=1
  else
    te_die "a moto server from $dir is already running (pid $(cat "$pidfile")) on another port; stop it first"
  fi
fi

if [[ $running -eq 0 ]]; then
  if te_port_open "$port"; then
    te_die "port $port on 127.0.0.1 is already in use"
  fi
  # setsid: the server must outlive this script and not receive the Ctrl-C /
  # SIGHUP aimed at the caller's terminal; stop-s3.sh kills it by pid.
  setsid "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" \
    >"$dir/moto.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  echo "$port" >"$dir/moto.port"
  if ! te_wait_port "$port" 30; then
    tail -n 30 "$dir/moto.log" >&2 || true
    te_die "moto server did not come up on $endpoint (log: $dir/moto.log)"
  fi
fi

cat >"$dir/s3.env" <<ENV
export S3_ENDPOINT=$endpoint
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export CATALOG_S3_ENDPOINT=$endpoint
export CATALOG_S3_REGION=us-east-1
export CATALOG_S3_PATH_STYLE=true
ENV

# Bucket creation through boto3 (installed in the venv with moto) so it uses
# a real SigV4 client, like the catalog and the engines will.
S3_ENDPOINT="$endpoint" "$venv/bin/python" - "${buckets[@]}" <<'PY'
import os, sys
import boto3
s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["S3_ENDPOINT"],
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
    region_name="us-east-1",
)
existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
for name in sys.argv[1:]:
    if name not in existing:
        s3.create_bucket(Bucket=name)
PY

printf '%s\n' "$endpoint"
