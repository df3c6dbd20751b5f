#!/usr/bin/env bash
# Fails when src/http/generated/openapi-types.ts is not exactly what openapi-typescript produces
# from openapi/catalog.yaml right now, i.e. when someone edited the API document and forgot to
# run `npm run generate:types` (or edited the generated file by hand).
#
# Usage: bash scripts/check-generated-types.sh   (also: npm run check:types-fresh)
# Exit status: 0 fresh, 1 stale or missing, 2 the generator itself failed.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

document="openapi/catalog.yaml"
committed="src/http/generated/openapi-types.ts"

work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT
fresh="$work_dir/openapi-types.ts"

# --no: use the project's pinned openapi-typescript from node_modules, never download one.
# Same arguments as the generate:types script in package.json, so the output is byte-identical.
if ! NO_COLOR=1 npx --no -- openapi-typescript "$document" -o "$fresh" >"$work_dir/generator.log" 2>&1; then
  cat "$work_dir/generator.log" >&2
  echo "check-generated-types: openapi-typescript failed on $document (is node_modules installed?)" >&2
  exit 2
fi

if [[ ! -f "$committed" ]]; then
  echo "check-generated-types: $committed is missing; run: npm run generate:types" >&2
  exit 1
fi

if ! diff -u --label "$committed (committed)" --label "$committed (from $document)" \
    "$committed" "$fresh" >"$work_dir/types.diff"; then
  echo "check-generated-types: $committed is stale: it does not match $document." >&2
  echo "Run 'npm run generate:types' and commit the result. Difference (first 80 lines):" >&2
  head -n 80 "$work_dir/types.diff" >&2
  exit 1
fi

echo "check-generated-types: $committed matches $document"
