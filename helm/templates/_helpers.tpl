{{/* Names are cut at 63 characters: the limit of a DNS label, which Service names must be. */}}
{{- define "catalog.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "catalog.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "catalog.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "catalog.labels" -}}
helm.sh/chart: {{ include "catalog.chart" . }}
app.kubernetes.io/name: {{ include "catalog.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "catalog.imageTag" . | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
The API pods' selector. It carries the component so that the Service, PDB and HPA never
pick up migration or gc Job pods, which share the name and instance labels.
*/}}
{{- define "catalog.selectorLabels" -}}
app.kubernetes.io/name: {{ include "catalog.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: api
{{- end -}}

{{- define "catalog.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "catalog.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "catalog.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag -}}
{{- end -}}

{{- define "catalog.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (include "catalog.imageTag" .) -}}
{{- end -}}
{{- end -}}

{{/* Helm reads bare numbers from values files as float64; 604800000 would print as 6.048e+08. */}}
{{- define "catalog.envString" -}}
{{- if kindIs "float64" . -}}
{{- int64 . | toString -}}
{{- else if kindIs "invalid" . -}}
{{- "" -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{- define "catalog.fileWarehouse" -}}
{{- $location := include "catalog.envString" .Values.config.CATALOG_WAREHOUSE_LOCATION -}}
{{- if or (eq $location "") (hasPrefix "file:" $location) -}}true{{- end -}}
{{- end -}}

{{/*
The effective catalog settings as a YAML map of strings: config with the overrides the
chart's own features need. Shared by the ConfigMap and the migration hook Job, which runs
before the ConfigMap exists on a first install.
*/}}
{{- define "catalog.configData" -}}
{{- $data := dict -}}
{{- range $key, $value := .Values.config -}}
{{- $_ := set $data $key (include "catalog.envString" $value) -}}
{{- end -}}
{{- if .Values.migrationJob.enabled -}}
{{- $_ := set $data "CATALOG_MIGRATE_ON_START" "false" -}}
{{- end -}}
{{- if .Values.gcCronJob.enabled -}}
{{- $_ := set $data "CATALOG_GC_SCHEDULE" "off" -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{- define "catalog.createSecret" -}}
{{- if or (not .Values.database.existingSecret) (and (not .Values.s3Credentials.existingSecret) .Values.s3Credentials.accessKeyId) (and (not .Values.bootstrapClient.existingSecret) .Values.bootstrapClient.secret) -}}true{{- end -}}
{{- end -}}

{{/* The bootstrap client of CATALOG_AUTHENTICATION=catalog, when a secret for it is given. */}}
{{- define "catalog.bootstrapClientEnv" -}}
{{- $secret := "" -}}
{{- $key := "CATALOG_BOOTSTRAP_CLIENT_SECRET" -}}
{{- if .Values.bootstrapClient.existingSecret -}}
{{- $secret = .Values.bootstrapClient.existingSecret -}}
{{- $key = .Values.bootstrapClient.existingSecretKey -}}
{{- else if .Values.bootstrapClient.secret -}}
{{- $secret = include "catalog.fullname" . -}}
{{- end -}}
{{- if $secret }}
- name: CATALOG_BOOTSTRAP_CLIENT_ID
  value: {{ .Values.bootstrapClient.id | quote }}
- name: CATALOG_BOOTSTRAP_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
{{- end -}}
{{- end -}}

{{/* The database URL from whichever Secret holds it; $secretName lets the hook Job use its own copy. */}}
{{- define "catalog.databaseUrlEnv" -}}
{{- $root := index . 0 -}}
{{- $chartSecret := index . 1 -}}
- name: CATALOG_DATABASE_URL
  valueFrom:
    secretKeyRef:
{{- if $root.Values.database.existingSecret }}
      name: {{ $root.Values.database.existingSecret }}
      key: {{ $root.Values.database.existingSecretKey }}
{{- else }}
      name: {{ $chartSecret }}
      key: CATALOG_DATABASE_URL
{{- end }}
{{- end -}}

{{- define "catalog.s3CredentialsEnv" -}}
{{- $secret := "" -}}
{{- $idKey := "AWS_ACCESS_KEY_ID" -}}
{{- $secretKey := "AWS_SECRET_ACCESS_KEY" -}}
{{- if .Values.s3Credentials.existingSecret -}}
{{- $secret = .Values.s3Credentials.existingSecret -}}
{{- $idKey = .Values.s3Credentials.accessKeyIdKey -}}
{{- $secretKey = .Values.s3Credentials.secretAccessKeyKey -}}
{{- else if .Values.s3Credentials.accessKeyId -}}
{{- $secret = include "catalog.fullname" . -}}
{{- end -}}
{{- if $secret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $idKey }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $secretKey }}
{{- end -}}
{{- end -}}

{{/* --max-old-space-size at 75% of a memory limit given in Mi or Gi; other units get none. */}}
{{- define "catalog.nodeOptions" -}}
{{- $resources := index . 0 -}}
{{- $override := index . 1 -}}
{{- if $override -}}
{{- $override -}}
{{- else -}}
{{- $memory := toString (dig "limits" "memory" "" $resources) -}}
{{- $mib := 0 -}}
{{- if regexMatch "^[0-9]+Mi$" $memory -}}
{{- $mib = trimSuffix "Mi" $memory | int -}}
{{- else if regexMatch "^[0-9]+Gi$" $memory -}}
{{- $mib = mul (trimSuffix "Gi" $memory | int) 1024 -}}
{{- end -}}
{{- if gt $mib 0 -}}
{{- printf "--max-old-space-size=%d --enable-source-maps" (div (mul $mib 3) 4) -}}
{{- else -}}
--enable-source-maps
{{- end -}}
{{- end -}}
{{- end -}}


{{/*
Refusals that a JSON schema cannot express (relations between values). They run from the
Deployment template so that every render, lint and install meets them.
*/}}
{{- define "catalog.validate" -}}
{{- $drainMs := include "catalog.envString" .Values.config.CATALOG_SHUTDOWN_DRAIN_MS | int64 -}}
{{- $timeoutMs := include "catalog.envString" .Values.config.CATALOG_SHUTDOWN_TIMEOUT_MS | int64 -}}
{{- $graceMs := mul (int64 .Values.terminationGracePeriodSeconds) 1000 -}}
{{- if le $graceMs (add $drainMs $timeoutMs) -}}
{{- fail (printf "terminationGracePeriodSeconds (%d s) must exceed config.CATALOG_SHUTDOWN_DRAIN_MS + config.CATALOG_SHUTDOWN_TIMEOUT_MS (%d ms), or the kubelet kills pods while requests are still finishing" (int64 .Values.terminationGracePeriodSeconds) (add $drainMs $timeoutMs)) -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" -}}
{{- end -}}
{{- if and (not .Values.s3Credentials.existingSecret) (ne (empty .Values.s3Credentials.accessKeyId) (empty .Values.s3Credentials.secretAccessKey)) -}}
{{- fail "s3Credentials: set both accessKeyId and secretAccessKey, or neither (to use the AWS SDK's default chain, e.g. IRSA)" -}}
{{- end -}}
{{- if and (not .Values.database.existingSecret) (not .Values.database.url) -}}
{{- fail "database: set existingSecret (recommended) or url" -}}
{{- end -}}
{{- if and .Values.gcCronJob.enabled (eq (include "catalog.gcSchedule" .) "off") -}}
{{- fail "gcCronJob.enabled needs a schedule: set gcCronJob.schedule, or config.CATALOG_GC_SCHEDULE to a cron expression" -}}
{{- end -}}
{{- if and .Values.gcCronJob.enabled (ne (len (splitList " " (include "catalog.gcSchedule" . | trim | regexReplaceAll " +" " "))) 5) -}}
{{- fail (printf "the gc CronJob's schedule (%q) needs the five fields of a Kubernetes CronJob; the seconds field the catalog's own scheduler accepts is not allowed there" (include "catalog.gcSchedule" .)) -}}
{{- end -}}
{{- if and .Values.metrics.serviceMonitor.enabled (eq (include "catalog.envString" .Values.config.CATALOG_METRICS_PORT) "0") -}}
{{- fail "metrics.serviceMonitor.enabled needs config.CATALOG_METRICS_PORT other than 0" -}}
{{- end -}}
{{- end -}}

{{- define "catalog.gcSchedule" -}}
{{- default (include "catalog.envString" .Values.config.CATALOG_GC_SCHEDULE) .Values.gcCronJob.schedule -}}
{{- end -}}

{{- define "catalog.metricsEnabled" -}}
{{- if ne (include "catalog.envString" .Values.config.CATALOG_METRICS_PORT) "0" -}}true{{- end -}}
{{- end -}}
