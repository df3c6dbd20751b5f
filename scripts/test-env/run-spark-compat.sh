#!/usr/bin/env bash
# Usage: run-spark-compat.sh [--postgres] [--s3] [pytest args...]
#
# Run the Spark 3.5 compatibility suite (test/compat/spark) end to end:
# prepare the venv, the Iceberg jars and Java, start a scratch catalog server
# (see start-catalog.sh for --postgres / --s3), run pytest, tear down.
#
# If CATALOG_URI is already set, no server is started and the suite runs
# against that catalog instead (S3_ENDPOINT etc. are then up to the caller).
#
# KEEP_TEST_DIR=1 keeps the scratch directory (server log, data) afterwards;
# it is kept automatically when tests fail.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

catalog_opts=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --postgres | --s3) catalog_opts+=("$1") ;;
    *) break ;;
  esac
  shift
done

venv="$("$TEST_ENV_SCRIPTS_DIR/ensure-python.sh")"
SPARK_JARS="$("$TEST_ENV_SCRIPTS_DIR/ensure-spark-jars.sh")"
export SPARK_JARS
te_ensure_java
export JAVA_HOME

workdir=""
cleanup() {
  local rc=$?
  if [[ -n "$workdir" ]]; then
    "$TEST_ENV_SCRIPTS_DIR/stop-catalog.sh" "$workdir" || true
    if [[ $rc -eq 0 && "${KEEP_TEST_DIR:-0}" != "1" ]]; then
      rm -rf "$workdir"
    else
      echo "[test-env] scratch dir kept: $workdir (server log: $workdir/server.log)" >&2
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT

if [[ -z "${CATALOG_URI:-}" ]]; then
  workdir="$(mktemp -d "${TMPDIR:-/tmp}/spark-compat.XXXXXX")"
  "$TEST_ENV_SCRIPTS_DIR/start-catalog.sh" "$workdir" "$(te_free_port)" "${catalog_opts[@]}" >/dev/null
  # shellcheck disable=SC1091
  source "$workdir/catalog.env"
fi

cd "$TEST_ENV_REPO_ROOT/test/compat/spark"
# -p no:cacheprovider: don't leave .pytest_cache in the work tree.
"$venv/bin/python" -m pytest -p no:cacheprovider -q "$@"
