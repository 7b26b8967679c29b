{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "nm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-scoped base name of every object: the release name alone when it contains the chart name. */}}
{{- define "nm.fullname" -}}
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

{{- define "nm.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{/* Name of a component's objects: <fullname>-<component>. */}}
{{- define "nm.componentName" -}}
{{- printf "%s-%s" (include "nm.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "nm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "nm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: notification-manager
{{- end -}}

{{/* Selector labels of one component (root, component). */}}
{{- define "nm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nm.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "nm.componentLabels" -}}
{{ include "nm.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Image of a service (root, component): [registry/]repository-<component>:tag. */}}
{{- define "nm.image" -}}
{{- $registry := .root.Values.global.imageRegistry | default .root.Values.image.registry -}}
{{- $repo := printf "%s-%s" .root.Values.image.repository .component -}}
{{- $tag := .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $registry) $repo $tag -}}
{{- else -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}
{{- end -}}

{{/* Image of a bundled dependency (root, image: {repository, tag}). */}}
{{- define "nm.depImage" -}}
{{- $registry := .root.Values.global.imageRegistry | default .root.Values.image.registry -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $registry) .image.repository .image.tag -}}
{{- else -}}
{{- printf "%s:%s" .image.repository .image.tag -}}
{{- end -}}
{{- end -}}

{{- define "nm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "nm.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "nm.configSyncServiceAccountName" -}}
{{- printf "%s-config-sync" (include "nm.serviceAccountName" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The event exporter's account: the only other one with API access (Events, involved objects, its Lease). */}}
{{- define "nm.eventExporterServiceAccountName" -}}
{{- printf "%s-event-exporter" (include "nm.serviceAccountName" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "nm.secretKeySecretName" -}}
{{- default (printf "%s-secret-key" (include "nm.fullname" .)) .Values.secretKey.existingSecret -}}
{{- end -}}

{{/* The Secret of ingest's bearer tokens (key tokens; token for clients). */}}
{{- define "nm.ingestTokenSecretName" -}}
{{- default (printf "%s-ingest-token" (include "nm.fullname" .)) .Values.ingest.auth.existingSecret -}}
{{- end -}}

{{- define "nm.natsUrl" -}}
{{- if .Values.nats.url -}}
{{- .Values.nats.url -}}
{{- else -}}
{{- printf "nats://%s-nats.%s.svc:4222" (include "nm.fullname" .) (include "nm.namespace" .) -}}
{{- end -}}
{{- end -}}

{{- define "nm.natsMonitoringEndpoint" -}}
{{- if .Values.nats.url -}}
{{- .Values.nats.monitoringEndpoint -}}
{{- else -}}
{{- printf "%s-nats.%s.svc:8222" (include "nm.fullname" .) (include "nm.namespace" .) -}}
{{- end -}}
{{- end -}}

{{- define "nm.redisUrl" -}}
{{- if .Values.redis.url -}}
{{- .Values.redis.url -}}
{{- else -}}
{{- printf "redis://%s-redis.%s.svc:6379" (include "nm.fullname" .) (include "nm.namespace" .) -}}
{{- end -}}
{{- end -}}

{{- define "nm.templateConfigMapName" -}}
{{- printf "%s-template" (include "nm.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "nm.languageConfigMapName" -}}
{{- printf "%s-language-packs" (include "nm.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The enabled senders, as a list of channel names in a stable order. */}}
{{- define "nm.enabledSenders" -}}
{{- $out := list -}}
{{- range $channel := list "webhook" "email" "slack" "wechat" "dingtalk" "feishu" "sms" "pushover" "discord" "telegram" "teams" "pagerduty" "opsgenie" "googlechat" -}}
{{- $s := index $.Values.senders $channel -}}
{{- if and $s $s.enabled -}}
{{- $out = append $out $channel -}}
{{- end -}}
{{- end -}}
{{- join "," $out -}}
{{- end -}}

{{/*
Services whose heartbeat ingest's /-/ready requires. By default the stages between ingest and
NM_NOTIFY: a sender that is down delays its channel's notifications (they wait in NM_NOTIFY) but
must not make ingest refuse alerts.
*/}}
{{- define "nm.readyRequires" -}}
{{- if .Values.ingest.readyRequires -}}
{{- join "," .Values.ingest.readyRequires -}}
{{- else -}}
config-sync,silencer,router,aggregator
{{- end -}}
{{- end -}}
