{{/*
Names, labels and the provider's command line. Plain functions, so the templates stay readable.
*/}}

{{- define "scaivault-csi-provider.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "scaivault-csi-provider.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "scaivault-csi-provider.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "scaivault-csi-provider.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scaivault-csi-provider.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "scaivault-csi-provider.labels" -}}
helm.sh/chart: {{ include "scaivault-csi-provider.chart" . }}
{{ include "scaivault-csi-provider.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "scaivault-csi-provider.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "scaivault-csi-provider.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The socket inside the container: the driver dials <providersDirectory>/<provider.name>.sock on the host. */}}
{{- define "scaivault-csi-provider.endpoint" -}}
{{- printf "/provider/%s.sock" .Values.provider.name -}}
{{- end -}}

{{/* Where --ca-file points when a ConfigMap or Secret holds the bundle. */}}
{{- define "scaivault-csi-provider.caDirectory" -}}
/etc/scaivault/ca
{{- end -}}

{{- define "scaivault-csi-provider.hasCa" -}}
{{- if and .Values.provider.caFile.configMap .Values.provider.caFile.secret -}}
{{- fail "provider.caFile: set configMap or secret, not both" -}}
{{- end -}}
{{- if or .Values.provider.caFile.configMap .Values.provider.caFile.secret -}}
true
{{- end -}}
{{- end -}}

{{/* The provider's flags. Empty tuning values are left out, so the provider's own defaults apply. */}}
{{- define "scaivault-csi-provider.args" -}}
- {{ printf "--endpoint=%s" (include "scaivault-csi-provider.endpoint" .) | quote }}
- {{ printf "--scaivault-url=%s" (required "provider.scaivaultUrl is required" .Values.provider.scaivaultUrl) | quote }}
{{- range .Values.provider.allowedUrls }}
- {{ printf "--allowed-url=%s" . | quote }}
{{- end }}
- {{ printf "--default-audience=%s" .Values.provider.defaultAudience | quote }}
{{- if include "scaivault-csi-provider.hasCa" . }}
- {{ printf "--ca-file=%s/%s" (include "scaivault-csi-provider.caDirectory" .) .Values.provider.caFile.key | quote }}
{{- end }}
{{- with .Values.provider.maxConcurrency }}
- {{ printf "--max-concurrency=%d" (int .) | quote }}
{{- end }}
{{- with .Values.provider.requestTimeout }}
- {{ printf "--request-timeout=%s" . | quote }}
{{- end }}
{{- with .Values.provider.maxResponseBytes }}
- {{ printf "--max-response-bytes=%d" (int64 .) | quote }}
{{- end }}
{{- with .Values.provider.tokenCacheSize }}
- {{ printf "--token-cache-size=%d" (int .) | quote }}
{{- end }}
- {{ printf "--log-format=%s" .Values.provider.logFormat | quote }}
{{- range .Values.provider.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "scaivault-csi-provider.probe" -}}
exec:
  command:
    - /usr/local/bin/scaivault-csi-provider
    - probe
    - {{ printf "--endpoint=%s" (include "scaivault-csi-provider.endpoint" .root) | quote }}
{{ toYaml .settings }}
{{- end -}}
