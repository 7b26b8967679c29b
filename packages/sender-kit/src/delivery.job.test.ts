import { describe, expect, it } from '@jest/globals';
import { PermanentError } from '@nm/errors';
import type { Notification } from '@nm/contracts';
import { emptySnapshot, receiverSection, type Config, type ConfigSnapshot, type NotificationManager, type Receiver } from '@nm/model';
import { createLogger } from '@nm/telemetry';
import { buildJob, labelReceiverInPlace, type JobInput } from './delivery.job.js';
import { RevisionCache } from './revision.cache.js';

const NOW = new Date('2024-05-14T10:00:05.000Z');

const notification: Notification = {
  version: 1,
  id: 'n-1',
  createdAt: '2024-05-14T10:00:00.000Z',
  receiver: { name: 'ops', channel: 'webhook', tenant: 'team-a' },
  groupKey: '{}:{alertname="KubePodCrashLooping"}',
  groupLabels: { alertname: 'KubePodCrashLooping' },
  alerts: [
    {
      id: 'a1',
      status: 'firing',
      labels: { alertname: 'KubePodCrashLooping', namespace: 'team-a', pod: 'web-0' },
      annotations: { message: 'web-0 restarts' },
      startsAt: '2024-05-14T09:59:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: '00000000000000a1',
      receivedAt: '2024-05-14T09:59:01Z',
    },
  ],
  part: { index: 0, count: 1 },
  externalURL: 'http://alertmanager:9093',
  source: 'alertmanager-webhook',
};

function nm(spec: Partial<NotificationManager['spec']>): NotificationManager {
  return {
    apiVersion: 'notification.kubesphere.io/v2beta2',
    kind: 'NotificationManager',
    metadata: { name: 'notification-manager' },
    spec: { receivers: { tenantKey: 'namespace', globalReceiverSelector: { matchLabels: { type: 'global' } }, tenantReceiverSelector: { matchLabels: { type: 'tenant' } } }, defaultConfigSelector: { matchLabels: { type: 'default' } }, ...spec },
  };
}

function receiver(webhook: Record<string, unknown>, labels: Record<string, string> = { type: 'tenant', namespace: 'team-a' }): Receiver {
  return { apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'Receiver', metadata: { name: 'ops', labels }, spec: { webhook } };
}

function config(name: string, labels: Record<string, string>): Config {
  return { apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'Config', metadata: { name, labels }, spec: { webhook: {} } };
}

function snapshot(parts: Partial<ConfigSnapshot>): ConfigSnapshot {
  return { ...emptySnapshot(7), ...parts };
}

function job(snap: ConfigSnapshot, r: Receiver): ReturnType<typeof buildJob> {
  const input: JobInput = {
    channel: 'webhook',
    notification,
    receiver: r,
    section: receiverSection(r, 'webhook')!,
    deliveredKeys: new Set(),
    attempt: 1,
    lastAttempt: false,
    signal: new AbortController().signal,
    logger: createLogger('test', 'silent'),
    now: NOW,
  };
  return buildJob(new RevisionCache().of(snap), input);
}

describe('buildJob', () => {
  it('renders the default webhook body: Alertmanager v4 JSON with the per-alert id and notification time', () => {
    const j = job(snapshot({}), receiver({ url: 'http://hook' }));
    const out = j.render(notification.alerts);
    expect(out.kind).toBe('json');
    expect(JSON.parse(out.body)).toEqual({
      receiver: 'ops',
      status: 'firing',
      alerts: [
        {
          id: 'a1',
          status: 'firing',
          labels: { alertname: 'KubePodCrashLooping', namespace: 'team-a', pod: 'web-0', receiver: 'ops' },
          annotations: { message: 'web-0 restarts' },
          startsAt: '2024-05-14T09:59:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
          fingerprint: '00000000000000a1',
          notificationTime: '2024-05-14T10:00:05.000Z',
        },
      ],
      groupLabels: { alertname: 'KubePodCrashLooping' },
      commonLabels: { alertname: 'KubePodCrashLooping', namespace: 'team-a', pod: 'web-0', receiver: 'ops' },
      commonAnnotations: { message: 'web-0 restarts' },
      externalURL: 'http://alertmanager:9093',
      version: '4',
      groupKey: '{}:{alertname="KubePodCrashLooping"}',
      truncatedAlerts: 0,
    });
  });

  it('labels every delivered alert with receiver=<Receiver name>, keeping a receiver label the alert has', () => {
    const j = job(snapshot({}), receiver({ url: 'http://hook' }));
    const own = { ...notification.alerts[0]!, id: 'a2', labels: { alertname: 'X', receiver: 'from-rule' } };
    const body = JSON.parse(j.render([notification.alerts[0]!, own]).body) as { alerts: Array<{ labels: Record<string, string> }> };
    expect(body.alerts.map((a) => a.labels['receiver'])).toEqual(['ops', 'from-rule']);
    expect(notification.alerts[0]!.labels['receiver']).toBeUndefined();
  });

  it('labelReceiverInPlace labels the alerts themselves, the same way, and rendering them after that gives the same body', () => {
    const j = job(snapshot({}), receiver({ url: 'http://hook' }));
    const copy = (): Notification['alerts'] => structuredClone([notification.alerts[0]!, { ...notification.alerts[0]!, id: 'a2', labels: { alertname: 'X', receiver: 'from-rule' } }]);
    const expected = j.render(copy()).body;
    const alerts = copy();
    labelReceiverInPlace(alerts, 'ops');
    expect(alerts.map((a) => a.labels['receiver'])).toEqual(['ops', 'from-rule']);
    expect(j.render(alerts).body).toBe(expected);
    // the history receiver has no name: nothing is labelled
    const nameless = copy();
    labelReceiverInPlace(nameless, '');
    expect(nameless.map((a) => a.labels['receiver'])).toEqual([undefined, 'from-rule']);
  });

  it('renders a receiver template from its tmplText ConfigMap, JSON-escaped, in the receiver language', () => {
    const snap = snapshot({
      notificationManager: nm({ defaultSecretNamespace: 'nm-system' }),
      configMaps: { 'nm-system/hooks': { 'hook.body': '{"status":"{{statusText}}","text":"{{#alerts}}{{message}}{{/alerts}}"}' } },
    });
    const j = job(snap, receiver({ url: 'http://hook', template: 'hook.body', tmplText: { name: 'hooks' }, language: 'zh-cn' }));
    const rendered = j.render([{ ...notification.alerts[0]!, annotations: { message: 'say "hi"\nnow' } }]);
    expect(JSON.parse(rendered.body)).toEqual({ status: '触发中', text: 'say "hi"\nnow' });
  });

  it('uses the global template ConfigMap and options.webhook.template, but never options.global.template', () => {
    const spec = {
      template: { text: { name: 'global-tmpl', namespace: 'kubesphere-monitoring-system' } },
      receivers: {
        tenantKey: 'namespace',
        options: { global: { template: 'nm.default.text' }, webhook: { template: 'ops.json', notificationTimeout: 3 } },
      },
    };
    const snap = snapshot({
      notificationManager: nm(spec),
      configMaps: { 'kubesphere-monitoring-system/global-tmpl': { 'ops.json': '{"n":{{alertCount}}}' } },
    });
    const j = job(snap, receiver({ url: 'http://hook' }));
    expect(j.render(notification.alerts).body).toBe('{"n":1}');
    expect(j.notificationTimeoutMs).toBe(3000);

    const withoutWebhookOption = snapshot({ notificationManager: nm({ receivers: { tenantKey: 'namespace', options: { global: { template: 'nm.default.text' } } } }) });
    expect(job(withoutWebhookOption, receiver({ url: 'http://hook' })).render(notification.alerts).kind).toBe('json');
  });

  it('fails rendering permanently when a template is not defined', () => {
    const j = job(snapshot({}), receiver({ url: 'http://hook', template: 'nowhere' }));
    let caught: unknown;
    try {
      j.render(notification.alerts);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PermanentError);
    expect(caught).toMatchObject({ code: 'TEMPLATE_NOT_FOUND' });
    expect((caught as Error).message).toBe('receiver ops: receiver webhook template: template "nowhere" is neither built in nor defined in a template ConfigMap');
  });

  it('resolves credentials from Secrets in defaultSecretNamespace, and fails permanently naming a missing one', () => {
    const snap = snapshot({ notificationManager: nm({ defaultSecretNamespace: 'nm-system' }), secrets: { 'nm-system/hook': { token: 'xyz' } } });
    const j = job(snap, receiver({ url: 'http://hook' }));
    expect(j.credential({ valueFrom: { secretKeyRef: { name: 'hook', key: 'token' } } })).toBe('xyz');
    expect(j.credential({ value: 'inline' })).toBe('inline');
    expect(j.credential(undefined)).toBeUndefined();
    let caught: unknown;
    try {
      j.credential({ valueFrom: { secretKeyRef: { name: 'gone', key: 'token' } } });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PermanentError);
    expect(caught).toMatchObject({ code: 'CREDENTIAL_UNRESOLVED', message: 'receiver ops: secret nm-system/gone not found' });
    const noNm = job(snapshot({ secrets: { 'default/hook': { token: 'abc' } } }), receiver({ url: 'http://hook' }));
    expect(noNm.credential({ valueFrom: { secretKeyRef: { name: 'hook', key: 'token' } } })).toBe('abc');
  });

  it("picks the receiver's Config: its tenant's first, by priority", () => {
    const snap = snapshot({
      notificationManager: nm({}),
      configs: [
        config('default-cfg', { type: 'default' }),
        config('team-a-low', { type: 'tenant', namespace: 'team-a', priority: '5' }),
        config('team-a-high', { type: 'tenant', namespace: 'team-a', priority: '1' }),
      ],
    });
    expect(job(snap, receiver({ url: 'http://hook' })).config?.metadata.name).toBe('team-a-high');
    expect(job(snap, receiver({ url: 'http://hook' }, { type: 'global' })).config?.metadata.name).toBe('default-cfg');
  });
});

describe('RevisionCache', () => {
  it('rebuilds only when the snapshot changes', () => {
    const cache = new RevisionCache();
    const a = snapshot({ receivers: [receiver({ url: 'http://a' })] });
    const first = cache.of(a);
    expect(cache.of(a)).toBe(first);
    expect(first.registry()).toBe(first.registry());
    const b = { ...a, revision: 8, receivers: [] };
    expect(cache.of(b)).not.toBe(first);
    expect(cache.of(b).receiver('ops')).toBeUndefined();
    expect(first.receiver('ops')?.metadata.name).toBe('ops');
  });

  it('reports template problems and missing ConfigMaps once per revision', () => {
    const problems: string[] = [];
    const missing: string[] = [];
    const cache = new RevisionCache({
      onProblems: (_rev, ps) => problems.push(...ps.map((p) => p.code)),
      onMissingConfigMap: (_rev, ref) => missing.push(ref),
    });
    const snap = snapshot({
      notificationManager: nm({ template: { text: { name: 'tmpl', namespace: 'ns' }, languagePack: [{ name: 'packs', namespace: 'ns' }] } }),
      configMaps: { 'ns/tmpl': { broken: '{{#alerts}}x', ok: 'fine' } },
    });
    const state = cache.of(snap);
    state.registry();
    state.configMapTexts({ name: 'packs', namespace: 'ns' });
    // asked again, for the same revision: nothing is reported a second time
    cache.of(snap).registry();
    cache.of(snap).configMapTexts({ name: 'packs', namespace: 'ns' });
    expect(problems).toEqual(['TEMPLATE_PARSE']);
    expect(missing).toEqual(['configmap ns/packs']);
    expect(state.registry().has('ok')).toBe(true);
    expect(state.registry().has('broken')).toBe(false);
  });
});
