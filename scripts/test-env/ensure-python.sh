#!/usr/bin/env bash
# Create (or reuse) the cached Python venv for the compatibility suites and
# print its path on stdout. Silent unless something fails, so callers can do
#   VENV="$(scripts/test-env/ensure-python.sh)"
# The venv is keyed by a hash of test/compat/requirements.txt plus the Python
# version: unchanged requirements reuse the existing venv in well under a
# second; changed requirements build a new one next to it.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

te_ensure_python
