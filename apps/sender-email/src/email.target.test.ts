import { describe, expect, it } from '@jest/globals';
import { emptySnapshot, receiverSection, type Config, type ConfigSnapshot, type Receiver } from '@nm/model';
import { RevisionCache, buildJob, type DeliveryJob } from '@nm/sender-kit';
import { createLogger } from '@nm/telemetry';
import { describeEmailDestination, emailTargetOf } from './email.target.js';

const TENANT = 'team-a';

function notificationManager(options: Record<string, unknown> = {}): ConfigSnapshot['notificationManager'] {
  return {
    apiVersion: 'notification.kubesphere.io/v2beta2',
    kind: 'NotificationManager',
    metadata: { name: 'notification-manager' },
    spec: {
      defaultSecretNamespace: 'nm-system',
      defaultConfigSelector: { matchLabels: { type: 'default' } },
      receivers: { tenantKey: 'namespace', tenantReceiverSelector: { matchLabels: { type: 'tenant' } }, options },
    },
  };
}

function receiverOf(email: Record<string, unknown>): Receiver {
  return {
    apiVersion: 'notification.kubesphere.io/v2beta2',
    kind: 'Receiver',
    metadata: { name: 'ops', labels: { type: 'tenant', namespace: TENANT } },
    spec: { email: { to: ['a@example.com'], ...email } },
  };
}

function configOf(name: string, email: Record<string, unknown>, labels: Record<string, string> = { type: 'default' }): Config {
  return {
    apiVersion: 'notification.kubesphere.io/v2beta2',
    kind: 'Config',
    metadata: { name, labels },
    spec: { email: { from: 'nm@example.com', smartHost: { host: 'smtp.example.com', port: 587 }, ...email } },
  };
}

function snapshotOf(configs: Config[], options: Record<string, unknown> = {}): ConfigSnapshot {
  return {
    ...emptySnapshot(1),
    notificationManager: notificationManager(options),
    configs,
    secrets: { 'nm-system/smtp': { password: 'pw', secret: 'cram', ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM' } },
  };
}

function jobFor(snapshot: ConfigSnapshot, receiver: Receiver): DeliveryJob {
  return buildJob(new RevisionCache().of(snapshot), {
    channel: 'email',
    notification: {
      version: 1,
      id: 'n-1',
      createdAt: '2024-05-14T10:00:00Z',
      receiver: { name: 'ops', channel: 'email', tenant: TENANT },
      groupKey: '{}:{alertname="Watchdog"}',
      groupLabels: { alertname: 'Watchdog' },
      alerts: [],
      part: { index: 0, count: 1 },
      source: 'api',
    },
    receiver,
    section: receiverSection(receiver, 'email')!,
    deliveredKeys: new Set(),
    attempt: 1,
    lastAttempt: false,
    signal: new AbortController().signal,
    logger: createLogger('test', 'silent'),
  });
}

const ref = (key: string): unknown => ({ valueFrom: { secretKeyRef: { name: 'smtp', key } } });

describe('emailTargetOf', () => {
  it('takes SMTP settings and Secret-backed credentials from the Config and recipients from the receiver', () => {
    const config = configOf('default-email', {
      hello: 'nm.local',
      authUsername: 'alert@example.com',
      authIdentify: 'ops',
      authPassword: ref('password'),
      authSecret: ref('secret'),
      requireTLS: true,
      tls: { rootCA: ref('ca'), clientCertificate: { cert: ref('cert'), key: ref('key') }, serverName: 'smtp.internal', insecureSkipVerify: false },
    });
    const job = jobFor(snapshotOf([config]), receiverOf({ to: ['a@example.com', ' b@example.com ', ''] }));
    expect(emailTargetOf(job)).toEqual({
      config: {
        from: 'nm@example.com',
        smartHost: { host: 'smtp.example.com', port: 587 },
        hello: 'nm.local',
        authUsername: 'alert@example.com',
        authIdentify: 'ops',
        authPassword: 'pw',
        authSecret: 'cram',
        requireTLS: true,
        tls: { rootCA: 'CA-PEM', clientCertificate: { cert: 'CERT-PEM', key: 'KEY-PEM' }, serverName: 'smtp.internal', insecureSkipVerify: false },
      },
      to: ['a@example.com', 'b@example.com'],
      format: 'html',
      delivery: 'single',
    });
    expect(describeEmailDestination(job)).toBe('a@example.com, b@example.com');
  });

  it('prefers the tenant Config matching the selector over a default one', () => {
    const tenantConfig = configOf('team-email', { from: 'team@example.com' }, { type: 'tenant', namespace: TENANT, tier: 'gold' });
    const other = configOf('team-other', { from: 'other@example.com' }, { type: 'tenant', namespace: TENANT, tier: 'silver' });
    const job = jobFor(snapshotOf([configOf('default-email', {}), other, tenantConfig]), receiverOf({ emailConfigSelector: { matchLabels: { tier: 'gold' } } }));
    expect(emailTargetOf(job).config.from).toBe('team@example.com');
  });

  it('sends each recipient a message of its own unless the receiver, else options.email.deliveryType, says bulk', () => {
    const config = configOf('default-email', {});
    expect(emailTargetOf(jobFor(snapshotOf([config]), receiverOf({}))).delivery).toBe('single');
    expect(emailTargetOf(jobFor(snapshotOf([config], { email: { deliveryType: 'bulk', maxEmailReceivers: 50 } }), receiverOf({})))).toMatchObject({ delivery: 'bulk', batchSize: 50 });
    expect(emailTargetOf(jobFor(snapshotOf([config], { email: { deliveryType: 'Bulk' } }), receiverOf({}))).delivery).toBe('bulk');
    expect(emailTargetOf(jobFor(snapshotOf([config], { email: { deliveryType: 'bulk' } }), receiverOf({ deliveryType: 'single' }))).delivery).toBe('single');
    expect(emailTargetOf(jobFor(snapshotOf([config]), receiverOf({ deliveryType: 'bulk' }))).delivery).toBe('bulk');
  });

  it('takes tmplType from the receiver, else options.email.tmplType, else html', () => {
    const config = configOf('default-email', {});
    expect(emailTargetOf(jobFor(snapshotOf([config]), receiverOf({ tmplType: 'text' }))).format).toBe('text');
    expect(emailTargetOf(jobFor(snapshotOf([config], { email: { tmplType: 'text' } }), receiverOf({}))).format).toBe('text');
    expect(emailTargetOf(jobFor(snapshotOf([config], { email: { tmplType: 'text' } }), receiverOf({ tmplType: 'html' }))).format).toBe('html');
    expect(emailTargetOf(jobFor(snapshotOf([config]), receiverOf({ tmplType: 'rtf' }))).format).toBe('html');
  });

  it('refuses permanently without a Config, without recipients, with a missing Secret or half a client certificate', () => {
    const errorOf = (fn: () => unknown): { name: string; message: string; code?: string } => {
      try {
        fn();
      } catch (err) {
        return err as { name: string; message: string; code?: string };
      }
      throw new Error('expected an error');
    };
    expect(errorOf(() => emailTargetOf(jobFor(snapshotOf([]), receiverOf({}))))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: no Config with an email section qualifies (email needs from and smartHost)',
      code: 'email:no-config',
    });
    expect(errorOf(() => emailTargetOf(jobFor(snapshotOf([configOf('c', {})]), receiverOf({ to: [' '] }))))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: email.to names no recipient',
    });
    const missing = configOf('c', { authUsername: 'u', authPassword: { valueFrom: { secretKeyRef: { name: 'absent', key: 'k' } } } });
    expect(errorOf(() => emailTargetOf(jobFor(snapshotOf([missing]), receiverOf({}))))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: secret nm-system/absent not found',
    });
    const half = configOf('c', { tls: { clientCertificate: { cert: ref('cert') } } });
    expect(errorOf(() => emailTargetOf(jobFor(snapshotOf([half]), receiverOf({}))))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: Config c email.tls.clientCertificate needs both cert and key',
    });
  });

  it('maps options.email.maxEmailReceivers to the recipients per message and notificationTimeout to timeoutMs', () => {
    const config = configOf('default-email', {});
    const target = emailTargetOf(jobFor(snapshotOf([config], { email: { maxEmailReceivers: 2, notificationTimeout: 3 } }), receiverOf({})));
    expect(target).toMatchObject({ batchSize: 2, timeoutMs: 3000 });
    const plain = emailTargetOf(jobFor(snapshotOf([config], { email: { maxEmailReceivers: 0 } }), receiverOf({})));
    expect(plain).not.toHaveProperty('batchSize');
    expect(plain).not.toHaveProperty('timeoutMs');
  });
});
