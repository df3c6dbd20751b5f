#!/usr/bin/env bash
# Unit tests only: no services needed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(find test/unit -name '*.test.ts' | sort)
exec node --import tsx --test "${files[@]}"
