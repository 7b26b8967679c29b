{{/*
One service's Deployment. Arguments: root (the chart context), component (service name, e.g.
"sender-email"), cfg (its settings: replicas, resources, env), port and portName (the port that
serves /-/healthy, /-/ready and /metrics), env (extra EnvVars of this service), volumes and
volumeMounts (extra ones of this service), serviceAccount, automountToken, autoscaled (replicas are
left to an HPA or KEDA).
*/}}
{{- define "nm.deployment" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $sel := dict "root" $root "component" .component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "nm.componentName" $sel }}
  namespace: {{ include "nm.namespace" $root }}
  labels:
    {{- include "nm.componentLabels" $sel | nindent 4 }}
spec:
  {{- if not .autoscaled }}
  replicas: {{ .cfg.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "nm.selectorLabels" $sel | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        {{- include "nm.selectorLabels" $sel | nindent 8 }}
        app.kubernetes.io/part-of: notification-manager
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $v.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ .serviceAccount }}
      automountServiceAccountToken: {{ .automountToken }}
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: 40
      containers:
        - name: {{ .component }}
          image: {{ include "nm.image" $sel | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          command: {{ concat (list "node") ($v.nodeArgs | default list) (list "/app/main.js") | toJson }}
          ports:
            - name: {{ .portName }}
              containerPort: {{ .port }}
              protocol: TCP
          env:
            - name: NATS_URL
              value: {{ include "nm.natsUrl" $root | quote }}
            - name: REDIS_URL
              {{- if $v.redis.urlSecret.name }}
              valueFrom:
                secretKeyRef:
                  name: {{ $v.redis.urlSecret.name }}
                  key: {{ required "redis.urlSecret.key is required with redis.urlSecret.name" $v.redis.urlSecret.key }}
              {{- else }}
              value: {{ include "nm.redisUrl" $root | quote }}
              {{- end }}
            - name: NM_SECRET_KEY
              valueFrom:
                secretKeyRef:
                  name: {{ include "nm.secretKeySecretName" $root }}
                  key: NM_SECRET_KEY
            - name: LOG_LEVEL
              value: {{ $v.logLevel | quote }}
            {{- with .env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- range $name, $value := .cfg.env }}
            - name: {{ $name }}
              value: {{ $value | toString | quote }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          livenessProbe:
            httpGet:
              path: /-/healthy
              port: {{ .portName }}
            {{- toYaml $v.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet:
              path: /-/ready
              port: {{ .portName }}
            {{- toYaml $v.probes.readiness | nindent 12 }}
          {{- with .cfg.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- with .volumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- with $v.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- with .volumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with $v.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{/*
The services of the chart, as a JSON list of dicts (component, key of its values, port, portName,
env, configSync, sender channel) shared by the Deployment, Service, PDB and autoscaling templates.
Their settings are read with "nm.componentConfig" (kept out of the JSON, which would turn numbers
into floats).
*/}}
{{- define "nm.components" -}}
{{- $v := .Values -}}
{{- $health := dict "name" "NM_HEALTH_PORT" "value" "8080" -}}
{{- $out := list -}}
{{- $ingestEnv := list (dict "name" "NM_INGEST_PORT" "value" (toString $v.ingest.service.port)) (dict "name" "NM_READY_REQUIRES" "value" (include "nm.readyRequires" .)) -}}
{{- $ingestVolumes := list -}}
{{- $ingestMounts := list -}}
{{- if $v.ingest.auth.enabled -}}
{{- $ingestEnv = append $ingestEnv (dict "name" "NM_INGEST_TOKENS_FILE" "value" "/etc/notification-manager/ingest-tokens/tokens") -}}
{{- $ingestVolumes = append $ingestVolumes (dict "name" "ingest-tokens" "secret" (dict "secretName" (include "nm.ingestTokenSecretName" .) "items" (list (dict "key" "tokens" "path" "tokens")))) -}}
{{- $ingestMounts = append $ingestMounts (dict "name" "ingest-tokens" "mountPath" "/etc/notification-manager/ingest-tokens" "readOnly" true) -}}
{{- end -}}
{{- $out = append $out (dict "component" "ingest" "key" "ingest" "port" $v.ingest.service.port "portName" "webhook" "env" $ingestEnv "volumes" $ingestVolumes "volumeMounts" $ingestMounts) -}}
{{- $out = append $out (dict "component" "silencer" "key" "silencer" "port" 8080 "portName" "http" "env" (list $health)) -}}
{{- $routerEnv := list $health -}}
{{- if $v.tenantSidecarUrl -}}
{{- $routerEnv = append $routerEnv (dict "name" "NM_TENANT_SIDECAR_URL" "value" $v.tenantSidecarUrl) -}}
{{- end -}}
{{- $out = append $out (dict "component" "router" "key" "router" "port" 8080 "portName" "http" "env" $routerEnv) -}}
{{- $out = append $out (dict "component" "aggregator" "key" "aggregator" "port" 8080 "portName" "http" "env" (list $health)) -}}
{{- $csEnv := list $health (dict "name" "NM_CONFIG_SOURCE" "value" "kubernetes") (dict "name" "NM_NAMESPACE" "valueFrom" (dict "fieldRef" (dict "fieldPath" "metadata.namespace"))) (dict "name" "NM_LEASE_NAME" "value" (include "nm.componentName" (dict "root" . "component" "config-sync"))) -}}
{{- if $v.clusterName -}}
{{- $csEnv = append $csEnv (dict "name" "NM_CLUSTER_NAME" "value" $v.clusterName) -}}
{{- end -}}
{{- $out = append $out (dict "component" "config-sync" "key" "configSync" "port" 8080 "portName" "http" "env" $csEnv "configSync" true) -}}
{{- if $v.eventExporter.enabled -}}
{{- $evEnv := list $health (dict "name" "NM_NAMESPACE" "valueFrom" (dict "fieldRef" (dict "fieldPath" "metadata.namespace"))) (dict "name" "NM_EVENTS_LEASE_NAME" "value" (include "nm.componentName" (dict "root" . "component" "event-exporter"))) (dict "name" "NM_EVENTS_API" "value" $v.eventExporter.api) -}}
{{- $out = append $out (dict "component" "event-exporter" "key" "eventExporter" "port" 8080 "portName" "http" "env" $evEnv "eventExporter" true) -}}
{{- end -}}
{{- $ingestHost := $v.ingest.service.name | default (include "nm.componentName" (dict "root" . "component" "ingest")) -}}
{{- $senderEnv := list $health (dict "name" "NM_EGRESS_DENY" "value" (join "," $v.egress.deny)) (dict "name" "NM_EGRESS_ALLOW" "value" (join "," $v.egress.allow)) (dict "name" "NM_RETRY_AFTER_MAX" "value" (toString $v.egress.retryAfterMax)) (dict "name" "NM_HTTP_MAX_RESPONSE_BYTES" "value" (toString (int $v.egress.maxResponseBytes))) (dict "name" "NM_INGEST_URL" "value" (printf "http://%s.%s.svc:%v" $ingestHost (include "nm.namespace" .) $v.ingest.service.port)) -}}
{{- range $channel := list "webhook" "email" "slack" "wechat" "dingtalk" "feishu" "sms" "pushover" "discord" "telegram" "teams" "pagerduty" "opsgenie" "googlechat" -}}
{{- $s := index $v.senders $channel -}}
{{- if and $s $s.enabled -}}
{{- $out = append $out (dict "component" (printf "sender-%s" $channel) "key" "senders" "port" 8080 "portName" "http" "env" $senderEnv "channel" $channel) -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}


{{/* Settings of one component (root, c): its values block; a sender's is senderDefaults overridden by its own. */}}
{{- define "nm.componentConfig" -}}
{{- if .c.channel -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.senderDefaults) (omit (index .root.Values.senders .c.channel) "enabled")) -}}
{{- else -}}
{{- toYaml (index .root.Values .c.key) -}}
{{- end -}}
{{- end -}}
