{{- define "tasksync.name" -}}{{ .Release.Name }}-tasksync{{- end -}}

{{- define "tasksync.labels" -}}
app.kubernetes.io/name: tasksync
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "tasksync.secretName" -}}
{{- if .Values.postgres.existingSecret -}}{{ .Values.postgres.existingSecret }}{{- else -}}{{ include "tasksync.name" . }}{{- end -}}
{{- end -}}

{{/* The environment every TaskSync container gets: ConfigMap, the database password, URLs. */}}
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
{{- end -}}
