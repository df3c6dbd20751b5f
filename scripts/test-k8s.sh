#!/usr/bin/env bash
# Checks of what ships to Kubernetes, without a cluster or a Docker engine:
#   1. hadolint on the Dockerfile;
#   2. helm lint --strict of helm/ with the defaults and with each value set in helm/ci/;
#   3. helm template of each, validated by kubeconform against the oldest supported and a
#      recent Kubernetes, and assertions on the rendered objects;
#   4. negative checks: bad values must be refused, and kubeconform must reject a broken
#      manifest (otherwise 2-3 prove nothing);
#   5. the image's file layout and commands, assembled in a scratch dir the way the
#      Dockerfile's runtime stage does, run as uid 1000 with an embedded database.
# Prints one `ok - name` / `not ok - name: reason` line per check and, last,
# `N passed, N failed`; exits non-zero if anything failed. Run from anywhere.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo" || exit 1

# Kubernetes versions: the chart's oldest supported minor (Chart.yaml kubeVersion) and a recent one.
K8S_VERSIONS=(1.30.0 1.34.0)
RELEASE=catalog

passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok - %s\n' "$1"; }
not_ok() { failed=$((failed + 1)); printf 'not ok - %s: %s\n' "$1" "$2"; }
# Last lines of a command's output, on one line, as the reason of a failure.
tail_of() { tail -n "${2:-5}" "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-600; }

work="$(mktemp -d "${TMPDIR:-/tmp}/test-k8s.XXXXXX")"
server_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

finish() {
  printf '%d passed, %d failed\n' "$passed" "$failed"
  [[ "$failed" -eq 0 ]]
  exit
}

# ---- tools ----------------------------------------------------------------------------
if ! tools="$(bash scripts/test-env/ensure-k8s-tools.sh 2>"$work/tools.err")"; then
  not_ok "k8s tools installed" "$(tail_of "$work/tools.err")"
  finish
fi
helm="$tools/bin/helm"
kubeconform="$tools/bin/kubeconform"
hadolint="$tools/bin/hadolint"
# helm built with `go install` lacks the release ldflags and assumes Kubernetes 1.20, which the
# chart's kubeVersion refuses; say which cluster we render for.
helm_template() { "$helm" template "$RELEASE" helm/ --namespace catalog --kube-version "${K8S_VERSIONS[0]}" "$@"; }
kubeconform_run() {
  local version="$1"
  shift
  "$kubeconform" -strict -summary -kubernetes-version "$version" \
    -schema-location "$tools/schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    "$@"
}

# ---- 1. Dockerfile lint ---------------------------------------------------------------
# hadolint exits non-zero on anything at or above its failure threshold; `info` makes style
# findings count too. Rules may only be relaxed in .hadolint.yaml, with a reason.
if "$hadolint" --failure-threshold info Dockerfile >"$work/hadolint.out" 2>&1; then
  ok "hadolint Dockerfile"
else
  not_ok "hadolint Dockerfile" "$(tail_of "$work/hadolint.out")"
fi

# Every file the Dockerfile copies from the context must survive .dockerignore (exact names
# and directory prefixes; the ignore file uses no wildcards on these paths).
missing_context=""
while IFS= read -r source; do
  while IFS= read -r pattern; do
    [[ -z "$pattern" || "$pattern" == \#* ]] && continue
    if [[ "$source" == "$pattern" || "$source" == "$pattern"/* ]]; then missing_context+=" $source"; fi
  done <.dockerignore
done < <(awk '/^COPY / && !/--from=/ { for (i = 2; i < NF; i++) if ($i !~ /^--/) print $i }' Dockerfile)
if [[ -z "$missing_context" ]]; then
  ok ".dockerignore keeps every file the Dockerfile copies"
else
  not_ok ".dockerignore keeps every file the Dockerfile copies" "excluded:$missing_context"
fi

# ---- 2. helm lint ---------------------------------------------------------------------
value_sets=(defaults)
for file in helm/ci/*.yaml; do value_sets+=("$(basename "$file" .yaml)"); done
values_args() { [[ "$1" == defaults ]] || printf '%s\n' -f "helm/ci/$1.yaml"; }

for set in "${value_sets[@]}"; do
  mapfile -t args < <(values_args "$set")
  if "$helm" lint --strict helm/ "${args[@]}" >"$work/lint-$set.out" 2>&1; then
    ok "helm lint --strict ($set)"
  else
    not_ok "helm lint --strict ($set)" "$(tail_of "$work/lint-$set.out")"
  fi
done

# ---- 3. render, validate, assert --------------------------------------------------------
# NOTES.txt is only rendered by install/upgrade, which need a cluster. A copy of the chart
# renders it as a template instead, so that a broken NOTES.txt fails here, not after an install.
mkdir -p "$work/notes-chart"
cp -r helm/. "$work/notes-chart/"
mv "$work/notes-chart/templates/NOTES.txt" "$work/notes-chart/notes-source.txt"
printf '%s\n' 'notes: |' '{{- tpl (.Files.Get "notes-source.txt") . | nindent 2 }}' >"$work/notes-chart/templates/notes-render.yaml"

# The assertions run under tsx so that they read SETTINGS from src/config.ts itself, and use
# the repository's `yaml` package; they print their own ok / not ok lines.
cat >"$work/check-rendered.mts" <<'CHECKER'
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [repo, valueSet, renderedPath] = process.argv.slice(2);
const YAML = createRequire(join(repo, 'package.json'))('yaml');
const { SETTINGS } = await import(pathToFileURL(join(repo, 'src/config.ts')).href);

type Obj = Record<string, any>;
const text = readFileSync(renderedPath, 'utf8');
const docs: Obj[] = YAML.parseAllDocuments(text).map((d: any) => d.toJS()).filter((d: Obj | null) => d && d.kind);
const all = (kind: string) => docs.filter((d) => d.kind === kind);
const one = (kind: string, component?: string) => {
  const found = all(kind).filter((d) => !component || d.metadata?.labels?.['app.kubernetes.io/component'] === component);
  if (found.length !== 1) throw new Error(`expected one ${kind}${component ? ` (${component})` : ''}, found ${found.length}`);
  return found[0];
};
const hooks = (d: Obj) => d.metadata?.annotations?.['helm.sh/hook'] ?? '';
const deployment = () => one('Deployment');
const pod = () => deployment().spec.template.spec;
const container = () => pod().containers[0];
const configMap = () => one('ConfigMap').data as Record<string, string>;
const envOf = (c: Obj, name: string) => (c.env ?? []).find((e: Obj) => e.name === name);
const matches = (selector: Obj, labels: Obj) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);

let failures = 0;
function check(name: string, fn: () => string | undefined | void) {
  let problem: string | undefined | void;
  try {
    problem = fn();
  } catch (error) {
    problem = (error as Error).message;
  }
  if (problem) {
    failures++;
    console.log(`not ok - ${valueSet}: ${name}: ${problem}`);
  } else {
    console.log(`ok - ${valueSet}: ${name}`);
  }
}

// The chart feeds every setting through the ConfigMap except the secret ones, and not the
// config file: the ConfigMap already is the configuration, and the environment would win
// over a file anyway.
const notInConfigMap = new Set(['CATALOG_DATABASE_URL', 'CATALOG_CONFIG_FILE', 'CATALOG_BOOTSTRAP_CLIENT_ID', 'CATALOG_BOOTSTRAP_CLIENT_SECRET', 'CATALOG_S3_VENDING_SECRET_ACCESS_KEY']);
const expectedKeys = Object.values(SETTINGS as Record<string, { env: string }>).map((s) => s.env).filter((e) => !notInConfigMap.has(e)).sort();

check('ConfigMap holds every CATALOG_* setting but the database URL, and nothing else', () => {
  const keys = Object.keys(configMap()).sort();
  const missing = expectedKeys.filter((k) => !keys.includes(k));
  const extra = keys.filter((k) => !expectedKeys.includes(k));
  if (missing.length || extra.length) return `missing ${missing.join(',') || '-'}; unexpected ${extra.join(',') || '-'}`;
  if (Object.values(configMap()).some((v) => /postgres(ql)?:\/\//.test(v))) {
    return 'a database URL in the ConfigMap';
  }
  if (configMap().CATALOG_HOST !== '0.0.0.0') return `CATALOG_HOST is ${configMap().CATALOG_HOST}`;
  if (configMap().CATALOG_AUTHENTICATION !== 'catalog') return `CATALOG_AUTHENTICATION is ${configMap().CATALOG_AUTHENTICATION}`;
  if (Object.values(configMap()).some((v) => typeof v !== 'string' || /e\+\d/.test(v))) return 'a value that is not a plain string';
});

check('pod and container security context', () => {
  const p = pod().securityContext;
  const c = container().securityContext;
  const wrong = [
    p.runAsNonRoot !== true && 'pod runAsNonRoot',
    p.runAsUser !== 1000 && 'pod runAsUser',
    p.seccompProfile?.type !== 'RuntimeDefault' && 'pod seccomp',
    c.runAsNonRoot !== true && 'runAsNonRoot',
    c.runAsUser !== 1000 && 'runAsUser',
    c.readOnlyRootFilesystem !== true && 'readOnlyRootFilesystem',
    c.allowPrivilegeEscalation !== false && 'allowPrivilegeEscalation',
    !(c.capabilities?.drop ?? []).includes('ALL') && 'capabilities.drop ALL',
    c.seccompProfile?.type !== 'RuntimeDefault' && 'seccomp',
  ].filter(Boolean);
  if (wrong.length) return wrong.join(', ');
  const tmp = (container().volumeMounts ?? []).find((m: Obj) => m.mountPath === '/tmp');
  const volume = tmp && pod().volumes.find((v: Obj) => v.name === tmp.name);
  if (!volume?.emptyDir) return '/tmp is not an emptyDir';
});

check('probes on /health/started, /health/live, /health/ready', () => {
  const c = container();
  const paths = [c.startupProbe, c.livenessProbe, c.readinessProbe].map((p: Obj) => p?.httpGet?.path);
  if (paths.join() !== '/health/started,/health/live,/health/ready') return `paths ${paths.join()}`;
  const httpPort = c.ports.find((p: Obj) => p.name === 'http');
  if (String(httpPort?.containerPort) !== configMap().CATALOG_PORT) return 'container port http differs from CATALOG_PORT';
  if ([c.startupProbe, c.livenessProbe, c.readinessProbe].some((p: Obj) => p.httpGet.port !== 'http')) return 'a probe not on port http';
  if (c.startupProbe.periodSeconds * c.startupProbe.failureThreshold < 60) return 'startup allows less than a minute';
});

check('termination grace period exceeds drain + shutdown timeout', () => {
  const budget = Number(configMap().CATALOG_SHUTDOWN_DRAIN_MS) + Number(configMap().CATALOG_SHUTDOWN_TIMEOUT_MS);
  if (!(pod().terminationGracePeriodSeconds * 1000 > budget)) return `${pod().terminationGracePeriodSeconds}s <= ${budget}ms`;
});

check('rolling update never drops below the desired replicas', () => {
  const s = deployment().spec.strategy;
  if (s.type !== 'RollingUpdate' || s.rollingUpdate.maxUnavailable !== 0 || s.rollingUpdate.maxSurge !== 1) return JSON.stringify(s);
});

check('Service selects the API pods and exposes http and metrics', () => {
  const svc = one('Service');
  const labels = deployment().spec.template.metadata.labels;
  if (!matches(svc.spec.selector, labels)) return 'selector does not match the pod labels';
  const ports = Object.fromEntries(svc.spec.ports.map((p: Obj) => [p.name, p]));
  if (ports.http?.port !== 8181 || ports.metrics?.port !== 9464) return JSON.stringify(svc.spec.ports);
  const named = container().ports.map((p: Obj) => p.name);
  if (!named.includes(ports.http.targetPort) || !named.includes(ports.metrics.targetPort)) return 'targetPort names missing on the container';
  if (all('Job').concat(all('CronJob')).length && svc.spec.selector['app.kubernetes.io/component'] !== 'api') return 'selector would include Job pods';
});

check('PodDisruptionBudget uses maxUnavailable >= 1 on the API pods', () => {
  const pdb = one('PodDisruptionBudget');
  if (pdb.spec.minAvailable !== undefined) return 'minAvailable set (blocks drains with one replica)';
  const mu = pdb.spec.maxUnavailable;
  if (!(typeof mu === 'number' ? mu >= 1 : /^([1-9]\d?|100)%$/.test(mu))) return `maxUnavailable ${mu}`;
  if (!matches(pdb.spec.selector.matchLabels, deployment().spec.template.metadata.labels)) return 'selector does not match the pods';
});

check('database URL comes from a Secret, in the Deployment and every Job', () => {
  const containers = [container(), ...all('Job').map((j) => j.spec.template.spec.containers[0]), ...all('CronJob').map((c) => c.spec.jobTemplate.spec.template.spec.containers[0])];
  for (const c of containers) {
    const env = envOf(c, 'CATALOG_DATABASE_URL');
    if (!env?.valueFrom?.secretKeyRef?.name) return `${c.name}: not from a secretKeyRef`;
    if (env.value !== undefined) return `${c.name}: a literal value`;
  }
});

check('migration Job: pre-install/pre-upgrade hook running `migrate`, same hardening', () => {
  const job = one('Job', 'migrate');
  const a = job.metadata.annotations;
  if (hooks(job) !== 'pre-install,pre-upgrade') return `hook ${hooks(job)}`;
  const policy = a['helm.sh/hook-delete-policy'] ?? '';
  if (!policy.includes('before-hook-creation') || !policy.includes('hook-succeeded')) return `delete policy ${policy}`;
  if (!(job.spec.backoffLimit >= 0)) return 'no backoffLimit';
  const spec = job.spec.template.spec;
  const c = spec.containers[0];
  if (JSON.stringify(c.args) !== '["migrate"]') return `args ${JSON.stringify(c.args)}`;
  if (JSON.stringify(c.securityContext) !== JSON.stringify(container().securityContext)) return 'container securityContext differs from the Deployment';
  if (JSON.stringify(spec.securityContext) !== JSON.stringify(pod().securityContext)) return 'pod securityContext differs from the Deployment';
  if (configMap().CATALOG_MIGRATE_ON_START !== 'false') return 'pods still migrate at start';
  // Its Secret must exist before it runs: either one managed outside the release, or a hook
  // Secret with a lower weight (the release's own Secret is created only after pre-install hooks).
  const secretName = envOf(c, 'CATALOG_DATABASE_URL').valueFrom.secretKeyRef.name;
  const secret = all('Secret').find((s) => s.metadata.name === secretName);
  if (secret) {
    if (!hooks(secret).includes('pre-install')) return `its Secret ${secretName} is not a hook (absent at pre-install)`;
    if (!(Number(secret.metadata.annotations['helm.sh/hook-weight']) < Number(a['helm.sh/hook-weight'] ?? 0))) return 'its hook Secret is not created first';
  } else if (envOf(container(), 'CATALOG_DATABASE_URL').valueFrom.secretKeyRef.name !== secretName) {
    return `Secret ${secretName} is neither rendered nor the Deployment's existing secret`;
  }
  if (envOf(c, 'CATALOG_MIGRATE_ON_START')?.value === 'true') return 'Job env sets migrate on start';
});

check('config changes roll the pods (checksum annotation)', () => {
  if (!/^[0-9a-f]{64}$/.test(deployment().spec.template.metadata.annotations?.['checksum/config'] ?? '')) return 'no checksum/config';
});

const gcCron = all('CronJob');
check('gc schedule runs in exactly one place', () => {
  if (gcCron.length === 0) {
    if (configMap().CATALOG_GC_SCHEDULE === 'off') return 'schedule off but no CronJob';
    return;
  }
  const c = gcCron[0].spec.jobTemplate.spec.template.spec.containers[0];
  if (c.args[0] !== 'gc') return `CronJob args ${JSON.stringify(c.args)}`;
  if (configMap().CATALOG_GC_SCHEDULE !== 'off') return 'replicas keep scheduling gc next to the CronJob';
  if (gcCron[0].spec.concurrencyPolicy !== 'Forbid') return 'overlapping runs allowed';
});

const expectations: Record<string, Array<[string, () => string | undefined | void]>> = {
  defaults: [
    ['replicas left to the HPA, which keeps at least 2', () => {
      if (deployment().spec.replicas !== undefined && deployment().spec.replicas !== 2) return `replicas ${deployment().spec.replicas}`;
      const hpa = one('HorizontalPodAutoscaler');
      if (hpa.apiVersion !== 'autoscaling/v2' || hpa.spec.minReplicas !== 2) return `HPA ${hpa.apiVersion} min ${hpa.spec.minReplicas}`;
      if (hpa.spec.scaleTargetRef.name !== deployment().metadata.name) return 'HPA targets another Deployment';
      if (!hpa.spec.metrics.some((m: Obj) => m.resource?.name === 'cpu')) return 'no CPU target';
    }],
    ['chart-created Secret holds the database URL; no S3 keys', () => {
      const secret = all('Secret').find((s) => !hooks(s));
      if (!secret?.data?.CATALOG_DATABASE_URL) return 'no chart Secret with CATALOG_DATABASE_URL';
      if (secret.data.AWS_ACCESS_KEY_ID || envOf(container(), 'AWS_ACCESS_KEY_ID')) return 'S3 keys without values for them';
      if (!deployment().spec.template.metadata.annotations['checksum/secret']) return 'no checksum/secret';
    }],
    ['authentication on by default; no bootstrap client without a secret for it', () => {
      if (configMap().CATALOG_AUTHENTICATION !== 'catalog') return configMap().CATALOG_AUTHENTICATION;
      if (envOf(container(), 'CATALOG_BOOTSTRAP_CLIENT_ID') || envOf(container(), 'CATALOG_BOOTSTRAP_CLIENT_SECRET')) return 'bootstrap env without a secret';
    }],
    ['soft anti-affinity by hostname', () => {
      const term = pod().affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0];
      if (term?.podAffinityTerm?.topologyKey !== 'kubernetes.io/hostname') return 'missing';
    }],
    ['no optional extras rendered', () => {
      const present = ['Ingress', 'ServiceMonitor', 'CronJob'].filter((k) => all(k).length);
      if (present.length) return present.join(',');
    }],
  ],
  'existing-secret': [
    ['the chart creates no Secret at all', () => {
      if (all('Secret').length) return all('Secret').map((s) => s.metadata.name).join(',');
    }],
    ['env points at the existing Secrets and their keys', () => {
      const ref = (name: string) => envOf(container(), name)?.valueFrom?.secretKeyRef;
      const got = ['CATALOG_DATABASE_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].map((n) => `${ref(n)?.name}/${ref(n)?.key}`).join(' ');
      if (got !== 'catalog-database/url catalog-s3/access-key-id catalog-s3/secret-access-key') return got;
      const job = one('Job', 'migrate').spec.template.spec.containers[0];
      if (envOf(job, 'CATALOG_DATABASE_URL').valueFrom.secretKeyRef.name !== 'catalog-database') return 'migration Job uses another Secret';
    }],
    ['no checksum/secret for Secrets the chart does not render', () => {
      if (deployment().spec.template.metadata.annotations['checksum/secret']) return 'present';
    }],
    ['the bootstrap client\'s secret comes from its existing Secret', () => {
      const ref = envOf(container(), 'CATALOG_BOOTSTRAP_CLIENT_SECRET')?.valueFrom?.secretKeyRef;
      if (`${ref?.name}/${ref?.key}` !== 'catalog-bootstrap/client-secret') return `${ref?.name}/${ref?.key}`;
      if (envOf(container(), 'CATALOG_BOOTSTRAP_CLIENT_ID')?.value !== 'platform-admin') return 'client id';
    }],
  ],
  's3-iam-role': [
    ['ServiceAccount carries the IRSA role and is the pods\' account', () => {
      const sa = one('ServiceAccount');
      if (!sa.metadata.annotations?.['eks.amazonaws.com/role-arn']?.startsWith('arn:aws:iam::')) return 'no role-arn annotation';
      if (pod().serviceAccountName !== sa.metadata.name) return 'pods use another ServiceAccount';
    }],
    ['no AWS access keys anywhere', () => {
      if (/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/.test(text)) return 'AWS key variables rendered';
      if (all('Secret').length) return 'a Secret is rendered';
    }],
    ['s3 warehouse: no data volume mounted', () => {
      if (!configMap().CATALOG_WAREHOUSE_LOCATION.startsWith('s3://')) return 'warehouse not on S3';
      if ((container().volumeMounts ?? []).some((m: Obj) => m.name === 'data')) return 'data volume mounted';
    }],
  ],
  'autoscaling-off': [
    ['fixed replicas and no HPA', () => {
      if (all('HorizontalPodAutoscaler').length) return 'HPA rendered';
      if (deployment().spec.replicas !== 3) return `replicas ${deployment().spec.replicas}`;
    }],
  ],
  'everything-on': [
    ['Ingress with class, TLS and the http port', () => {
      const ing = one('Ingress');
      if (ing.spec.ingressClassName !== 'nginx') return 'className';
      if (ing.spec.tls?.[0]?.secretName !== 'catalog-tls' || ing.spec.tls[0].hosts[0] !== 'catalog.example.com') return 'tls';
      const backend = ing.spec.rules[0].http.paths[0].backend.service;
      if (backend.name !== one('Service').metadata.name || backend.port.name !== 'http') return 'backend';
    }],
    // kubeconform has no schema for this CRD; check what matters by hand.
    ['ServiceMonitor selects the Service and scrapes /metrics on its metrics port', () => {
      const sm = one('ServiceMonitor');
      const svc = one('Service');
      if (sm.apiVersion !== 'monitoring.coreos.com/v1') return sm.apiVersion;
      if (!matches(sm.spec.selector.matchLabels, svc.metadata.labels)) return 'selector does not match the Service labels';
      const ep = sm.spec.endpoints[0];
      if (ep.port !== 'metrics' || ep.path !== '/metrics' || ep.interval !== '15s') return JSON.stringify(ep);
      if (!svc.spec.ports.some((p: Obj) => p.name === 'metrics')) return 'Service has no metrics port';
      if (sm.metadata.labels.release !== 'kube-prometheus-stack') return 'labels not applied';
      if (!(sm.spec.namespaceSelector?.matchNames ?? []).includes('catalog')) return 'namespaceSelector';
    }],
    ['gc CronJob on its own schedule with the pods\' identity and hardening', () => {
      const cron = one('CronJob');
      const spec = cron.spec.jobTemplate.spec.template.spec;
      if (cron.spec.schedule !== '5 * * * *') return `schedule ${cron.spec.schedule}`;
      if (JSON.stringify(spec.containers[0].args) !== '["gc","--orphans","dry-run"]') return JSON.stringify(spec.containers[0].args);
      if (spec.serviceAccountName !== pod().serviceAccountName) return 'another ServiceAccount';
      if (JSON.stringify(spec.containers[0].securityContext) !== JSON.stringify(container().securityContext)) return 'securityContext differs';
      if (!envOf(spec.containers[0], 'AWS_ACCESS_KEY_ID')) return 'no S3 credentials';
    }],
    ['topology spread gets the pods\' selector; hard anti-affinity', () => {
      const tsc = pod().topologySpreadConstraints?.[0];
      if (!tsc || !matches(tsc.labelSelector.matchLabels, deployment().spec.template.metadata.labels)) return 'labelSelector missing';
      if (!pod().affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution) return 'no hard anti-affinity';
    }],
    ['the bootstrap client\'s secret is in the chart\'s Secret and reaches the pods', () => {
      const secret = all('Secret').find((s) => !hooks(s));
      if (!secret?.data?.CATALOG_BOOTSTRAP_CLIENT_SECRET) return 'not in the chart Secret';
      const ref = envOf(container(), 'CATALOG_BOOTSTRAP_CLIENT_SECRET')?.valueFrom?.secretKeyRef;
      if (ref?.name !== secret.metadata.name || ref?.key !== 'CATALOG_BOOTSTRAP_CLIENT_SECRET') return JSON.stringify(ref);
      if (envOf(container(), 'CATALOG_BOOTSTRAP_CLIENT_ID')?.value !== 'admin') return 'client id';
    }],
    ['image by digest, heap sized from the memory limit, big numbers stay integers', () => {
      if (!container().image.endsWith('@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef')) return container().image;
      const opts = envOf(container(), 'NODE_OPTIONS')?.value ?? '';
      if (!opts.includes('--max-old-space-size=1536')) return opts;
      if (configMap().CATALOG_GC_DROP_RETENTION_MS !== '1209600000') return configMap().CATALOG_GC_DROP_RETENTION_MS;
      if (pod().terminationGracePeriodSeconds !== 60) return 'grace period';
    }],
  ],
};
for (const [name, fn] of expectations[valueSet] ?? []) check(name, fn);
if (!(valueSet in expectations)) check('has case-specific assertions', () => `no expectations for ${valueSet}`);
process.exitCode = failures ? 1 : 0;
CHECKER

for set in "${value_sets[@]}"; do
  mapfile -t args < <(values_args "$set")
  rendered="$work/rendered-$set.yaml"
  if ! helm_template "${args[@]}" >"$rendered" 2>"$work/template-$set.err"; then
    not_ok "helm template ($set)" "$(tail_of "$work/template-$set.err")"
    continue
  fi
  ok "helm template ($set)"
  for version in "${K8S_VERSIONS[@]}"; do
    # ServiceMonitor is a CRD without a schema in the set we have: skipped here, and checked by
    # the assertions below instead.
    if kubeconform_run "$version" -skip ServiceMonitor "$rendered" >"$work/kc-$set-$version.out" 2>&1; then
      skipped=""
      grep -q '^kind: ServiceMonitor' "$rendered" && skipped=" (ServiceMonitor skipped: no schema; asserted below)"
      ok "kubeconform $version ($set)$skipped"
    else
      not_ok "kubeconform $version ($set)" "$(grep -v '^Summary' "$work/kc-$set-$version.out" | tail_of /dev/stdin 3) $(tail -n1 "$work/kc-$set-$version.out")"
    fi
  done
  if "$helm" template "$RELEASE" "$work/notes-chart" --namespace catalog --kube-version "${K8S_VERSIONS[0]}" "${args[@]}" \
    --show-only templates/notes-render.yaml >"$work/notes-$set.out" 2>&1 && grep -q '/metrics' "$work/notes-$set.out"; then
    ok "NOTES.txt renders and says where the metrics are ($set)"
  else
    not_ok "NOTES.txt renders and says where the metrics are ($set)" "$(tail_of "$work/notes-$set.out" 3)"
  fi
  node --import tsx "$work/check-rendered.mts" "$repo" "$set" "$rendered" >"$work/assert-$set.out" 2>&1
  assert_rc=$?
  while IFS= read -r line; do
    case "$line" in
      "ok - "*) ok "${line#ok - }" ;;
      "not ok - "*) failed=$((failed + 1)); printf '%s\n' "$line" ;;
    esac
  done <"$work/assert-$set.out"
  if [[ "$assert_rc" -ne 0 ]] && ! grep -q '^not ok - ' "$work/assert-$set.out"; then
    not_ok "assertions ($set)" "$(tail_of "$work/assert-$set.out")"
  fi
done

# ---- 4. negative checks -----------------------------------------------------------------
# Each must be refused by the schema or a template `fail`; `expect` is part of the message
# the refusal must carry, so an unrelated error cannot pass for the intended one.
refuse() {
  local name="$1" expect="$2"
  shift 2
  if helm_template "$@" >"$work/neg.out" 2>&1; then
    not_ok "refused: $name" "helm template succeeded"
  elif grep -qF -- "$expect" "$work/neg.out"; then
    ok "refused: $name"
  else
    not_ok "refused: $name" "failed for another reason: $(tail_of "$work/neg.out" 3)"
  fi
}
refuse "config.CATALOG_GC_ORPHAN_MODE=maybe" "CATALOG_GC_ORPHAN_MODE" --set config.CATALOG_GC_ORPHAN_MODE=maybe
refuse "config.CATALOG_LOG_LEVEL=verbose" "CATALOG_LOG_LEVEL" --set config.CATALOG_LOG_LEVEL=verbose
refuse "replicaCount=-1" "replicaCount" --set replicaCount=-1
refuse "misspelled top-level key (replicaCout)" "replicaCout" --set replicaCout=2
refuse "unknown config key (CATALOG_GC_SCHEDUEL)" "CATALOG_GC_SCHEDUEL" --set-string 'config.CATALOG_GC_SCHEDUEL=off'
refuse "non-numeric config.CATALOG_PORT" "CATALOG_PORT" --set-string config.CATALOG_PORT=http
refuse "image.pullPolicy=Sometimes" "pullPolicy" --set image.pullPolicy=Sometimes
refuse "service.type=Internal" "service.type" --set service.type=Internal
refuse "podDisruptionBudget.maxUnavailable=0" "maxUnavailable" --set podDisruptionBudget.maxUnavailable=0
refuse "grace period not above drain + shutdown timeout" "terminationGracePeriodSeconds" --set terminationGracePeriodSeconds=25
refuse "only one of the S3 keys" "s3Credentials" --set s3Credentials.accessKeyId=AKIAEXAMPLE
refuse "config.CATALOG_AUTHENTICATION=maybe" "CATALOG_AUTHENTICATION" --set config.CATALOG_AUTHENTICATION=maybe
refuse "a bootstrap client secret under 16 characters" "bootstrapClient" --set bootstrapClient.secret=short
refuse "gc CronJob schedule with a seconds field" "gcCronJob.schedule" --set gcCronJob.enabled=true --set-string 'gcCronJob.schedule=0 */5 * * * *'
refuse "gc CronJob inheriting a six-field CATALOG_GC_SCHEDULE" "five fields" --set gcCronJob.enabled=true --set-string 'config.CATALOG_GC_SCHEDULE=0 */5 * * * *'

# Schema-valid but refused by the API server: rollingUpdate settings under Recreate.
if helm_template --set strategy.type=Recreate >"$work/recreate.out" 2>&1 \
  && grep -q 'type: Recreate' "$work/recreate.out" && ! grep -q 'rollingUpdate:' "$work/recreate.out"; then
  ok "strategy.type=Recreate renders no rollingUpdate block"
else
  not_ok "strategy.type=Recreate renders no rollingUpdate block" "$(tail_of "$work/recreate.out" 3)"
fi

# A manifest kubeconform must reject: a wrong type and an unknown field. If it passed, the
# "valid" results above would mean nothing (e.g. schemas not found and silently skipped).
cat >"$work/broken.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
spec:
  replicas: two
  selector:
    matchLabels: {app: broken}
  template:
    metadata:
      labels: {app: broken}
    spec:
      containers:
        - name: app
          image: example
          imagePorts: [8181]
EOF
for version in "${K8S_VERSIONS[@]}"; do
  if kubeconform_run "$version" "$work/broken.yaml" >"$work/kc-broken.out" 2>&1; then
    not_ok "kubeconform $version rejects a broken Deployment" "it was accepted"
  elif grep -q 'Invalid: 1' "$work/kc-broken.out"; then
    ok "kubeconform $version rejects a broken Deployment"
  else
    not_ok "kubeconform $version rejects a broken Deployment" "failed without calling it invalid: $(tail_of "$work/kc-broken.out" 3)"
  fi
done

# ---- 5. image layout smoke run ------------------------------------------------------------
# Assemble what the Dockerfile's runtime stage contains (/app: dist/, production node_modules,
# package.json, migrations/, openapi/) and run the image's ENTRYPOINT + CMD there. Proves the
# app finds migrations/ and openapi/ from dist/src and needs no dev dependency at run time.
image_smoke() {
  local build="$work/build" app="$work/image-root/app" data="$work/data" runtmp="$work/runtmp"
  mkdir -p "$build" "$app" "$data" "$runtmp"

  # Build stage: compile src/ alone (the image's context has no test/ or bench/), with the
  # repository's dev dependencies.
  cp package.json package-lock.json tsconfig.json "$build/"
  cp -r src "$build/src"
  ln -s "$repo/node_modules" "$build/node_modules"
  if (cd "$build" && node node_modules/typescript/bin/tsc -p tsconfig.json) >"$work/tsc.out" 2>&1; then
    ok "image: TypeScript build of src/"
  else
    not_ok "image: TypeScript build of src/" "$(tail_of "$work/tsc.out")"
    return
  fi

  # prod-deps stage: `npm ci --omit=dev` from the lock file, cached per lock file and Node
  # major outside the repository (the same machine's next run reuses it).
  local key cache
  key="$(cat package-lock.json <(node -p 'process.versions.node.split(".")[0]') | sha256sum | cut -c1-16)"
  cache="${ICEBERG_CATALOG_TEST_CACHE:-$HOME/.cache/iceberg-clone-catalog}/image-prod-deps/$key"
  if [[ ! -d "$cache/node_modules" ]]; then
    local staging="$cache.tmp.$$"
    rm -rf "$staging" && mkdir -p "$staging"
    cp package.json package-lock.json "$staging/"
    if ! (cd "$staging" && npm ci --omit=dev --no-audit --no-fund --prefer-offline) >"$work/npm.out" 2>&1; then
      rm -rf "$staging"
      not_ok "image: npm ci --omit=dev" "$(tail_of "$work/npm.out")"
      return
    fi
    rm -rf "$cache" && mv "$staging" "$cache"
    # Keep only the current lock file's copy; older ones are dead weight.
    find "$(dirname "$cache")" -mindepth 1 -maxdepth 1 -not -path "$cache" -not -name '*.tmp.*' -exec rm -rf {} +
  fi
  ok "image: production dependencies (npm ci --omit=dev)"

  # runtime stage. Hard links are cheap and keep the cache intact (nothing writes to them).
  cp -al "$cache/node_modules" "$app/node_modules" 2>/dev/null || cp -a "$cache/node_modules" "$app/node_modules"
  cp -r "$build/dist" "$app/dist"
  cp package.json "$app/"
  cp -r migrations openapi "$app/"
  rm -rf "$app/dist/test" "$app/dist/bench"

  # Run as uid 1000 like the image, with only the data dir and a private tmp writable; the
  # application tree stays root-owned, which stands in for the read-only root filesystem.
  local as_user=()
  if [[ "$(id -u)" -eq 0 ]] && command -v setpriv >/dev/null; then
    chmod 755 "$work" "$work/image-root"
    chown 1000:1000 "$data" "$runtmp"
    as_user=(setpriv --reuid=1000 --regid=1000 --clear-groups)
  fi
  local entry cmd
  entry="$(node -e 'const l=require("fs").readFileSync("Dockerfile","utf8").match(/^ENTRYPOINT (\[.*\])$/m);console.log(JSON.parse(l[1]).join("\n"))')"
  cmd="$(node -e 'const l=require("fs").readFileSync("Dockerfile","utf8").match(/^CMD (\[.*\])$/m);console.log(JSON.parse(l[1]).join("\n"))')"
  mapfile -t entry <<<"$entry"
  mapfile -t cmd <<<"$cmd"
  local port metrics_port
  port="$(node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  metrics_port="$(node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  # The image's environment, with loopback instead of 0.0.0.0 and a scratch data dir.
  local run_env=(env -i PATH="$PATH" HOME="$runtmp" TMPDIR="$runtmp" NODE_ENV=production
    NODE_OPTIONS="--max-old-space-size=192 --enable-source-maps"
    CATALOG_HOST=127.0.0.1 CATALOG_PORT="$port" CATALOG_METRICS_PORT="$metrics_port"
    CATALOG_DATA_DIR="$data" CATALOG_SHUTDOWN_DRAIN_MS=0 CATALOG_GC_SCHEDULE=off CATALOG_LOG_LEVEL=info)

  touch "$work/before-start"
  (cd "$app" && exec "${run_env[@]}" "${as_user[@]}" "${entry[@]}" "${cmd[@]}") >"$work/serve.log" 2>&1 &
  server_pid=$!
  local url="http://127.0.0.1:$port" code=""
  for _ in $(seq 1 120); do
    code="$(curl -s -o /dev/null -w '%{http_code}' "$url/health/started" 2>/dev/null || true)"
    [[ "$code" == 200 ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.5
  done
  if [[ "$code" != 200 ]]; then
    not_ok "image: ${entry[*]} ${cmd[*]} starts" "/health/started never 200 (last $code): $(tail_of "$work/serve.log" 3)"
    kill -KILL "$server_pid" 2>/dev/null
    return
  fi
  ok "image: ${entry[*]} ${cmd[*]} starts (/health/started 200)"
  local probe
  for probe in ready live; do
    code="$(curl -s -o /dev/null -w '%{http_code}' "$url/health/$probe")"
    if [[ "$code" == 200 ]]; then ok "image: /health/$probe 200"; else not_ok "image: /health/$probe 200" "got $code"; fi
  done
  # A few tries: the first scrape reads the database for its gauges, which may wait behind the
  # start-up work on a loaded machine. A failure says what the endpoint answered.
  local scraped=false metrics_status=""
  for _ in $(seq 1 10); do
    metrics_status="$(curl -s -o "$work/metrics.out" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$metrics_port/metrics" || true)"
    if [[ "$metrics_status" == 200 ]] && grep -q '^# TYPE' "$work/metrics.out"; then scraped=true; break; fi
    sleep 0.5
  done
  if $scraped; then
    ok "image: Prometheus /metrics on the metrics port"
  else
    not_ok "image: Prometheus /metrics on the metrics port" "no metrics on $metrics_port (status ${metrics_status:-none}): $(tail_of "$work/serve.log" 3)"
  fi
  # The Dockerfile's HEALTHCHECK command, exactly as written, against the running server.
  local hc
  hc="$(node -e 'const t=require("fs").readFileSync("Dockerfile","utf8");const m=t.match(/^HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])$/m);console.log(JSON.parse(m[1]).join("\n"))' 2>"$work/hc.err")"
  if [[ -z "$hc" ]]; then
    not_ok "image: HEALTHCHECK command" "not found in Dockerfile: $(tail_of "$work/hc.err" 2)"
  else
    mapfile -t hc <<<"$hc"
    if (cd "$app" && "${run_env[@]}" "${as_user[@]}" "${hc[@]}") >"$work/hc.out" 2>&1; then
      ok "image: HEALTHCHECK command passes against the server"
    else
      not_ok "image: HEALTHCHECK command passes against the server" "$(tail_of "$work/hc.out" 2)"
    fi
  fi
  kill -TERM "$server_pid"
  local rc=0
  wait "$server_pid" || rc=$?
  server_pid=""
  if [[ "$rc" -eq 0 ]] && grep -q '"msg":"stopped"' "$work/serve.log"; then
    ok "image: SIGTERM stops it cleanly (exit 0)"
  else
    not_ok "image: SIGTERM stops it cleanly (exit 0)" "exit $rc: $(tail_of "$work/serve.log" 3)"
  fi
  # Nothing may have been written into the application tree (read-only root filesystem).
  local written
  written="$(find "$app" -newer "$work/before-start" -print -quit)"
  if [[ -z "$written" ]]; then
    ok "image: nothing written to the application tree"
  else
    not_ok "image: nothing written to the application tree" "$written"
  fi

  if (cd "$app" && "${run_env[@]}" "${as_user[@]}" "${entry[@]}" migrate) >"$work/migrate.out" 2>&1 &&
    grep -q 'database schema is up to date' "$work/migrate.out"; then
    ok "image: migrate reports the schema up to date"
  else
    not_ok "image: migrate reports the schema up to date" "$(tail_of "$work/migrate.out" 3)"
  fi
  # What the gc CronJob runs.
  if (cd "$app" && "${run_env[@]}" "${as_user[@]}" "${entry[@]}" gc --orphans dry-run) >"$work/gc.out" 2>&1; then
    ok "image: gc --orphans dry-run runs once and exits 0"
  else
    not_ok "image: gc --orphans dry-run runs once and exits 0" "$(tail_of "$work/gc.out" 3)"
  fi
}
image_smoke

finish
