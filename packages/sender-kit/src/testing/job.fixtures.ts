/** Delivery jobs for target tests: one tenant receiver `ops` of tenant `team-a`, Configs and Secrets as given. */
import type { Channel } from '@nm/contracts';
import { emptySnapshot, receiverSection, type Config, type ConfigSnapshot, type Receiver } from '@nm/model';
import { RevisionCache, buildJob, type DeliveryJob } from '../index.js';
import { createLogger } from '@nm/telemetry';

export const TENANT = 'team-a';
export const SECRET_NAMESPACE = 'nm-system';

export interface JobFixture {
  /** The receiver's section of the channel. */
  section: Record<string, unknown>;
  /** Configs as `name → spec section of the channel`; labelled `type: default` unless `labels` says otherwise. */
  configs?: Array<{ name: string; section: Record<string, unknown>; labels?: Record<string, string> }>;
  /** Secrets keyed `namespace/name`. */
  secrets?: Record<string, Record<string, string>>;
  /** `spec.receivers.options` of the NotificationManager. */
  options?: Record<string, unknown>;
}

export function receiverOf(channel: Channel, section: Record<string, unknown>): Receiver {
  return {
    apiVersion: 'notification.kubesphere.io/v2beta2',
    kind: 'Receiver',
    metadata: { name: 'ops', labels: { type: 'tenant', namespace: TENANT } },
    spec: { [channel]: section },
  };
}

export function jobOf(channel: Channel, fx: JobFixture): DeliveryJob {
  const configs: Config[] = (fx.configs ?? []).map((c) => ({
    apiVersion: 'notification.kubesphere.io/v2beta2',
    kind: 'Config',
    metadata: { name: c.name, labels: c.labels ?? { type: 'default' } },
    spec: { [channel]: c.section },
  }));
  const snapshot: ConfigSnapshot = {
    ...emptySnapshot(1),
    notificationManager: {
      apiVersion: 'notification.kubesphere.io/v2beta2',
      kind: 'NotificationManager',
      metadata: { name: 'notification-manager' },
      spec: {
        defaultSecretNamespace: SECRET_NAMESPACE,
        defaultConfigSelector: { matchLabels: { type: 'default' } },
        receivers: { tenantKey: 'namespace', tenantReceiverSelector: { matchLabels: { type: 'tenant' } }, options: fx.options ?? {} },
      },
    },
    configs,
    secrets: fx.secrets ?? {},
  };
  const receiver = receiverOf(channel, fx.section);
  return buildJob(new RevisionCache().of(snapshot), {
    channel,
    notification: {
      version: 1,
      id: 'n-1',
      createdAt: '2024-05-14T10:00:00Z',
      receiver: { name: 'ops', channel, tenant: TENANT },
      groupKey: '{}:{alertname="Watchdog"}',
      groupLabels: { alertname: 'Watchdog' },
      alerts: [],
      part: { index: 0, count: 1 },
      source: 'api',
    },
    receiver,
    section: receiverSection(receiver, channel)!,
    deliveredKeys: new Set(),
    attempt: 1,
    lastAttempt: false,
    signal: new AbortController().signal,
    logger: createLogger('test', 'silent'),
  });
}

/** `{valueFrom: {secretKeyRef}}` of a Secret in the default Secret namespace. */
export const secretRef = (name: string, key: string): Record<string, unknown> => ({ valueFrom: { secretKeyRef: { name, key } } });

/** The error `fn` throws (fails the test when it returns). */
export function errorOf(fn: () => unknown): { name: string; message: string; code?: string } {
  try {
    fn();
  } catch (err) {
    return err as { name: string; message: string; code?: string };
  }
  throw new Error('expected an error');
}
