import type { Config } from '../crd/config.schema.js';
import type { InhibitRule } from '../crd/inhibit-rule.schema.js';
import type { NotificationManager } from '../crd/notification-manager.schema.js';
import type { Receiver } from '../crd/receiver.schema.js';
import type { Router } from '../crd/router.schema.js';
import type { Silence } from '../crd/silence.schema.js';
import { emptySnapshot, type ConfigSnapshot } from '../snapshot.js';

const API = 'notification.kubesphere.io/v2beta2' as const;
type Labels = Record<string, string>;

export const global = { type: 'global' };
export const tenant = (ns: string, key = 'namespace'): Labels => ({ type: 'tenant', [key]: ns });
export const deflt = { type: 'default' };

export function nm(spec: Partial<NotificationManager['spec']> = {}, tenantKey = 'namespace'): NotificationManager {
  return {
    apiVersion: API,
    kind: 'NotificationManager',
    metadata: { name: 'notification-manager' },
    spec: {
      defaultConfigSelector: { matchLabels: { type: 'default' } },
      ...spec,
      receivers: {
        tenantKey,
        globalReceiverSelector: { matchLabels: { type: 'global' } },
        tenantReceiverSelector: { matchLabels: { type: 'tenant' } },
        ...spec.receivers,
      },
    },
  };
}

export function receiver(name: string, labels: Labels, spec: Receiver['spec'] = { webhook: { url: 'http://x' } }): Receiver {
  return { apiVersion: API, kind: 'Receiver', metadata: { name, labels }, spec };
}

export function config(name: string, labels: Labels, spec: Config['spec'] = { slack: { slackTokenSecret: { value: 't' } } }): Config {
  return { apiVersion: API, kind: 'Config', metadata: { name, labels }, spec };
}

export function router(name: string, spec: Partial<Router['spec']>): Router {
  return { apiVersion: API, kind: 'Router', metadata: { name }, spec: { alertSelector: {}, receivers: {}, ...spec } };
}

export function silence(name: string, labels: Labels, spec: Partial<Silence['spec']>): Silence {
  return { apiVersion: API, kind: 'Silence', metadata: { name, labels }, spec: { matcher: {}, ...spec } };
}

export function inhibitRule(name: string, spec: Partial<InhibitRule['spec']>, labels: Labels = global): InhibitRule {
  return {
    apiVersion: API,
    kind: 'InhibitRule',
    metadata: { name, labels },
    spec: { sourceSelector: {}, targetSelector: {}, ...spec },
  };
}

export function snapshot(parts: Partial<ConfigSnapshot>): ConfigSnapshot {
  return { ...emptySnapshot(1), ...parts };
}
