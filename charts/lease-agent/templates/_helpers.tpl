{{/*
Names and labels. Kept to a few plain functions so the templates stay readable.
*/}}

{{- define "lease-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "lease-agent.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "lease-agent.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "lease-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lease-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "lease-agent.labels" -}}
helm.sh/chart: {{ include "lease-agent.chart" . }}
{{ include "lease-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "lease-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "lease-agent.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* OUTPUT_FILE: always on the memory volume. */}}
{{- define "lease-agent.outputFile" -}}
{{- printf "%s/%s" (trimSuffix "/" .Values.secretsVolume.mountPath) .Values.agent.output.fileName -}}
{{- end -}}

{{/*
CREDENTIALS: one `ENGINE/ROLE -> FILE [key=value …]` line per item of agent.credentials, the syntax of the agent's
CredentialListParser. Files are names in the memory volume, so every file is where the app reads it and nowhere
else. Fails on what the agent would refuse at start (or could not publish), so a broken list never reaches a pod.
*/}}
{{- define "lease-agent.credentials" -}}
{{- $values := .Values -}}
{{- if and $values.agent.credentials (or $values.agent.lease.engine $values.agent.lease.role) -}}
{{- fail "agent.credentials and agent.lease.engine/agent.lease.role exclude each other: list every credential in agent.credentials and set agent.lease.engine and agent.lease.role to \"\"" -}}
{{- end -}}
{{- if and $values.agent.credentials (eq $values.mode "init-only") -}}
{{- fail "agent.credentials needs a sidecar mode: lease-agent init writes one probed credential (agent.lease.engine/agent.lease.role), so use mode native-sidecar or classic-sidecar for several" -}}
{{- end -}}
{{- $directory := trimSuffix "/" $values.secretsVolume.mountPath -}}
{{- $lines := list -}}
{{- $files := dict -}}
{{- $names := dict -}}
{{- range $index, $credential := $values.agent.credentials -}}
{{- $at := printf "agent.credentials[%d]" $index -}}
{{- if has $credential.file (list "." ".." ".lease-agent") -}}
{{- fail (printf "%s.file %q is not a name the agent can write to (\".\", \"..\" and the state directory \".lease-agent\" are taken); name a file in %s" $at $credential.file $values.secretsVolume.mountPath) -}}
{{- end -}}
{{- if hasKey $files $credential.file -}}
{{- fail (printf "%s.file %q is the file of %s too; give each credential its own file" $at $credential.file (get $files $credential.file)) -}}
{{- end -}}
{{- $_ := set $files $credential.file $at -}}
{{- $name := $credential.name | default (printf "%s/%s" $credential.engine $credential.role) -}}
{{- if hasKey $names $name -}}
{{- fail (printf "%s is named %q, as %s is; give one of them another name" $at $name (get $names $name)) -}}
{{- end -}}
{{- $_ := set $names $name $at -}}
{{- if not (or $credential.host $values.agent.db.host) -}}
{{- fail (printf "%s needs host (or agent.db.host for every credential)" $at) -}}
{{- end -}}
{{- if not (or $credential.database $values.agent.db.name) -}}
{{- fail (printf "%s needs database (or agent.db.name for every credential)" $at) -}}
{{- end -}}
{{- $line := printf "%s/%s -> %s/%s" $credential.engine $credential.role $directory $credential.file -}}
{{- range $key := list "host" "port" "database" "sslmode" "format" "mode" "ttl" "name" -}}
{{- if hasKey $credential $key -}}
{{- $value := get $credential $key -}}
{{- if eq $key "port" }}{{ $value = int $value }}{{ end -}}
{{- $line = printf "%s %s=%v" $line $key $value -}}
{{- end -}}
{{- end -}}
{{- $lines = append $lines $line -}}
{{- end -}}
{{- join "\n" $lines -}}
{{- end -}}

{{/* The file the app is told about (app.credentialsFileEnv): OUTPUT_FILE, or the first of agent.credentials. */}}
{{- define "lease-agent.appCredentialFile" -}}
{{- with .Values.agent.credentials -}}
{{- printf "%s/%s" (trimSuffix "/" $.Values.secretsVolume.mountPath) (first .).file -}}
{{- else -}}
{{- include "lease-agent.outputFile" . -}}
{{- end -}}
{{- end -}}

{{/* SHUTDOWN_TIMEOUT in seconds: the grace period less 5 s for the kubelet, at least 5 s. */}}
{{- define "lease-agent.shutdownSeconds" -}}
{{- max 5 (sub (int .Values.terminationGracePeriodSeconds) 5) -}}
{{- end -}}

{{/* The agent's environment: only keys with a value, so the agent's own defaults apply to the rest. */}}
{{- define "lease-agent.env" -}}
- name: SCAIVAULT_URL
  value: {{ required "agent.scaivaultUrl is required" .Values.agent.scaivaultUrl | quote }}
- name: SCAIVAULT_TOKEN_FILE
  value: {{ printf "%s/token" (trimSuffix "/" .Values.token.mountPath) | quote }}
{{- with .Values.agent.lease.engine }}
- name: LEASE_ENGINE
  value: {{ . | quote }}
{{- end }}
{{- with .Values.agent.lease.role }}
- name: LEASE_ROLE
  value: {{ . | quote }}
{{- end }}
{{- with .Values.agent.lease.ttl }}
- name: LEASE_TTL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.agent.lease.rotateBefore }}
- name: LEASE_ROTATE_BEFORE
  value: {{ . | quote }}
{{- end }}
{{- with .Values.agent.lease.drainTimeout }}
- name: LEASE_DRAIN_TIMEOUT
  value: {{ . | quote }}
{{- end }}
{{- with include "lease-agent.credentials" . }}
- name: CREDENTIALS
  value: {{ . | quote }}
{{- end }}
{{- if or .Values.agent.lease.engine .Values.agent.credentials }}
{{- /* With agent.credentials these are every line's defaults, and a line may set its own host and database. */}}
{{- if .Values.agent.lease.engine }}
{{- $_ := required "agent.db.host is required with agent.lease.engine" .Values.agent.db.host }}
{{- $_ := required "agent.db.name is required with agent.lease.engine" .Values.agent.db.name }}
{{- end }}
{{- with .Values.agent.db.host }}
- name: DB_HOST
  value: {{ . | quote }}
{{- end }}
- name: DB_PORT
  value: {{ .Values.agent.db.port | quote }}
{{- with .Values.agent.db.name }}
- name: DB_NAME
  value: {{ . | quote }}
{{- end }}
- name: DB_SSLMODE
  value: {{ .Values.agent.db.sslmode | quote }}
- name: DB_REQUIRE_AUTH
  value: {{ .Values.agent.db.requireAuth | quote }}
{{- with .Values.agent.db.probeQuery }}
- name: DB_PROBE_QUERY
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- if .Values.agent.credentials }}
{{- /* Each line names its file; the state (status.json, journal, lock) stays on the memory volume. */}}
- name: STATE_DIR
  value: {{ printf "%s/.lease-agent" (trimSuffix "/" .Values.secretsVolume.mountPath) | quote }}
{{- else }}
- name: OUTPUT_FILE
  value: {{ include "lease-agent.outputFile" . | quote }}
{{- end }}
- name: OUTPUT_FORMAT
  value: {{ .Values.agent.output.format | quote }}
- name: OUTPUT_MODE
  value: {{ .Values.agent.output.mode | quote }}
{{- with .Values.agent.secrets }}
- name: SECRETS
  value: {{ . | quote }}
{{- end }}
{{- with .Values.agent.refreshInterval }}
- name: REFRESH_INTERVAL
  value: {{ . | quote }}
{{- end }}
- name: SUBSCRIBE
  value: {{ .Values.agent.subscribe | quote }}
- name: FAIL_OPEN
  value: {{ .Values.agent.failOpen | quote }}
{{- with .Values.agent.initTimeout }}
- name: INIT_TIMEOUT
  value: {{ . | quote }}
{{- end }}
- name: SHUTDOWN_TIMEOUT
  value: {{ printf "%ds" (int (include "lease-agent.shutdownSeconds" .)) | quote }}
{{- if eq .Values.mode "classic-sidecar" }}
- name: REVOKE_DELAY
  value: {{ .Values.agent.revokeDelay | default (printf "%ds" (div (int (include "lease-agent.shutdownSeconds" .)) 2)) | quote }}
{{- end }}
{{- with .Values.agent.healthAddress }}
- name: HEALTH_ADDRESS
  value: {{ . | quote }}
{{- end }}
- name: LOG_FORMAT
  value: {{ .Values.agent.log.format | quote }}
- name: LOG_LEVEL
  value: {{ .Values.agent.log.level | quote }}
- name: RELOAD_SIGNAL
  value: {{ .Values.agent.reload.signal | quote }}
{{- with .Values.agent.reload.processName }}
- name: RELOAD_PROCESS_NAME
  value: {{ . | quote }}
{{- end }}
{{- with .Values.agent.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The agent container's fields after its name (shared by the three modes). */}}
{{- define "lease-agent.agentContainer" -}}
image: {{ printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
env:
  {{- include "lease-agent.env" . | nindent 2 }}
{{- with .Values.agent.healthAddress }}
ports:
  - name: metrics
    containerPort: {{ last (splitList ":" .) | int }}
{{- end }}
volumeMounts:
  - name: secrets
    mountPath: {{ .Values.secretsVolume.mountPath }}
  - name: scaivault-token
    mountPath: {{ .Values.token.mountPath }}
    readOnly: true
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
resources:
  {{- toYaml .Values.resources | nindent 2 }}
{{- end -}}

{{- define "lease-agent.probe" -}}
exec:
  command: ["lease-agent", "probe", {{ .check | quote }}]
{{ toYaml .settings }}
{{- end -}}

{{/*
The agent's metrics port (agent.healthAddress's port), for the PodMonitor and the ServiceMonitor. Fails with the reason when
Prometheus could not scrape it: no HEALTH_ADDRESS, an address only the pod itself reaches, or init-only (the agent exits
after writing the files), and when both monitors are on (every series would be scraped twice).
*/}}
{{- define "lease-agent.metricsPort" -}}
{{- $monitoring := .Values.monitoring -}}
{{- $address := .Values.agent.healthAddress -}}
{{- if and $monitoring.podMonitor.enabled $monitoring.serviceMonitor.enabled -}}
{{- fail "monitoring.podMonitor and monitoring.serviceMonitor are both enabled: Prometheus would scrape every agent twice; enable one (podMonitor needs no Service)" -}}
{{- end -}}
{{- if eq .Values.mode "init-only" -}}
{{- fail "monitoring.podMonitor/serviceMonitor need a sidecar mode: with mode init-only the agent exits after writing the files, so there is nothing to scrape" -}}
{{- end -}}
{{- if not $address -}}
{{- fail "monitoring.podMonitor/serviceMonitor need the agent's metrics endpoint: set agent.healthAddress, e.g. \"0.0.0.0:8099\" (it serves /metrics on that port, exposed as container port \"metrics\")" -}}
{{- end -}}
{{- $host := trimSuffix (printf ":%s" (last (splitList ":" $address))) $address -}}
{{- if has $host (list "127.0.0.1" "localhost" "[::1]") -}}
{{- fail (printf "monitoring.podMonitor/serviceMonitor: agent.healthAddress %q listens only inside the pod, where Prometheus cannot reach it; use \"0.0.0.0:%s\" (and a NetworkPolicy that admits only Prometheus)" $address (last (splitList ":" $address))) -}}
{{- end -}}
{{- last (splitList ":" $address) | int -}}
{{- end -}}

{{/*
PromQL label matchers for this release's agents: monitoring.prometheusRule.selector, or its namespace and its Deployment's
pods, named <deployment>-<pod-template-hash>-<5 characters>. Kubernetes cuts a generated name's base to 58 characters, so
past a 46-character Deployment name (58, less the hash of up to 10 and two dashes) the pods are matched by prefix.
*/}}
{{- define "lease-agent.alertSelector" -}}
{{- $name := include "lease-agent.fullname" . -}}
{{- $pods := ternary (printf "%s-[a-z0-9]+-[a-z0-9]+" $name) (printf "%s.*" (trunc 46 $name)) (le (len $name) 46) -}}
{{- .Values.monitoring.prometheusRule.selector | default (printf "namespace=%q, pod=~%q" .Release.Namespace $pods) -}}
{{- end -}}
