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
{{- if .Values.agent.lease.engine }}
- name: DB_HOST
  value: {{ required "agent.db.host is required with agent.lease.engine" .Values.agent.db.host | quote }}
- name: DB_PORT
  value: {{ .Values.agent.db.port | quote }}
- name: DB_NAME
  value: {{ required "agent.db.name is required with agent.lease.engine" .Values.agent.db.name | quote }}
- name: DB_SSLMODE
  value: {{ .Values.agent.db.sslmode | quote }}
- name: DB_REQUIRE_AUTH
  value: {{ .Values.agent.db.requireAuth | quote }}
{{- with .Values.agent.db.probeQuery }}
- name: DB_PROBE_QUERY
  value: {{ . | quote }}
{{- end }}
{{- end }}
- name: OUTPUT_FILE
  value: {{ include "lease-agent.outputFile" . | quote }}
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
