/** Builders for the YAML manifests the e2e tests start with. */
export function notificationManager(opts: { batchMaxWait?: string; groupLabels?: string[]; routePolicy?: string; tenantKey?: string } = {}): string {
  return `apiVersion: notification.kubesphere.io/v2beta2
kind: NotificationManager
metadata:
  name: notification-manager
spec:
  defaultConfigSelector:
    matchLabels:
      type: default
  receivers:
    tenantKey: ${opts.tenantKey ?? 'namespace'}
    globalReceiverSelector:
      matchLabels:
        type: global
    tenantReceiverSelector:
      matchLabels:
        type: tenant
  groupLabels: [${(opts.groupLabels ?? ['alertname', 'namespace']).join(', ')}]
  batchMaxSize: 100
  batchMaxWait: ${opts.batchMaxWait ?? '1s'}
  routePolicy: ${opts.routePolicy ?? 'All'}
`;
}

export function webhookReceiver(name: string, url: string, labels: Record<string, string>): string {
  const l = Object.entries(labels).map(([k, v]) => `    ${k}: ${v}`).join('\n');
  return `apiVersion: notification.kubesphere.io/v2beta2
kind: Receiver
metadata:
  name: ${name}
  labels:
${l}
spec:
  webhook:
    url: ${url}
`;
}

export function globalSilence(name: string, matchLabels: Record<string, string>): string {
  const l = Object.entries(matchLabels).map(([k, v]) => `      ${k}: ${v}`).join('\n');
  return `apiVersion: notification.kubesphere.io/v2beta2
kind: Silence
metadata:
  name: ${name}
  labels:
    type: global
spec:
  matcher:
    matchLabels:
${l}
`;
}

export const docs = (...parts: string[]): string => parts.join('---\n');
