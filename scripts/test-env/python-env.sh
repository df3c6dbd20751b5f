#!/usr/bin/env bash
# Print the path of the compat-test venv (building it first if needed).
# Same as ensure-python.sh; kept as a separate name so scripts that only want
# the path read naturally:  "$(scripts/test-env/python-env.sh)/bin/pytest" ...
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

te_ensure_python
