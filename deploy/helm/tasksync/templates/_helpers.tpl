{{- define "tasksync.name" -}}{{ .Release.Name }}-tasksync{{- end -}}

{{- define "tasksync.labels" -}}
app.kubernetes.io/name: tasksync
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "tasksync.secretName" -}}
{{- if .Values.postgres.existingSecret -}}{{ .Values.postgres.existingSecret }}{{- else -}}{{ include "tasksync.name" . }}{{- end -}}
{{- end -}}

{{/* TASKSYNC_SERVICE_URLS: where every service of .Values.services answers in the cluster,
as a JSON object {"<service>": "http://<release>-tasksync-<service>:8000", ...}. */}}
{{- define "tasksync.serviceUrls" -}}
{{- $name := include "tasksync.name" . -}}
{{- $urls := dict -}}
{{- range $service, $spec := .Values.services -}}
{{- $_ := set $urls $service (printf "http://%s-%s:8000" $name $service) -}}
{{- end -}}
{{- toJson $urls -}}
{{- end -}}

{{/* The environment every TaskSync container gets: ConfigMap, the database password, URLs,
who may read /metrics. */}}
{{- define "tasksync.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "tasksync.name" . }}
env:
  - name: POSTGRES_PASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ include "tasksync.secretName" . }}
        key: {{ .Values.postgres.existingSecretKey }}
  - name: TASKSYNC_POSTGRES_URL
    value: "postgresql://{{ .Values.postgres.user }}:$(POSTGRES_PASSWORD)@{{ .Values.postgres.host }}:{{ .Values.postgres.port }}/{{ .Values.postgres.database }}"
  - name: TASKSYNC_METRICS_ALLOW
    value: {{ .Values.metrics.allow | quote }}
{{- if .Values.metrics.existingSecret }}
  - name: TASKSYNC_METRICS_TOKEN
    valueFrom:
      secretKeyRef:
        name: {{ .Values.metrics.existingSecret }}
        key: {{ .Values.metrics.existingSecretKey }}
{{- end }}
{{- with .Values.s3.existingSecret }}
  - name: TASKSYNC_FILES_S3_ACCESS_KEY
    valueFrom:
      secretKeyRef: {name: {{ . }}, key: access-key}
  - name: TASKSYNC_FILES_S3_SECRET_KEY
    valueFrom:
      secretKeyRef: {name: {{ . }}, key: secret-key}
{{- end }}
{{- end -}}
