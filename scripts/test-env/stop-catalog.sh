#!/usr/bin/env bash
# Usage: stop-catalog.sh <dir>
#
# Stop what start-catalog.sh <dir> started: the catalog server (by recorded
# pid, with its process group), and the Postgres / S3 servers if any. Data
# under <dir> is left in place for post-mortems; delete <dir> yourself.
# Safe to call more than once.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || te_die "usage: $0 <dir>"
dir="$1"

if [[ -f "$dir/server.pid" ]]; then
  te_stop_pid_group "$(cat "$dir/server.pid")" 10
  rm -f "$dir/server.pid"
fi
if [[ -d "$dir/s3" ]]; then
  "$TEST_ENV_SCRIPTS_DIR/stop-s3.sh" "$dir/s3"
fi
if [[ -d "$dir/pg" ]]; then
  "$TEST_ENV_SCRIPTS_DIR/stop-postgres.sh" "$dir/pg" --purge
fi
