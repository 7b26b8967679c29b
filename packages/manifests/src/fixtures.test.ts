import { describe, expect, it } from '@jest/globals';
import { buildRoutingIndex, routeAlert } from '@nm/model';
import { fileURLToPath } from 'node:url';
import { loadManifests } from './manifest.loader.js';
import { formatProblem } from './problem.format.js';
import { buildSnapshot } from './snapshot.builder.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));
const CHANNELS = ['email', 'wechat', 'slack', 'webhook', 'dingtalk', 'sms', 'pushover', 'feishu', 'discord', 'telegram'];

describe('notification-manager documentation examples (test/fixtures/nm-docs)', () => {
  it("all load without any problem but the NotificationManager's operator fields (set in the chart here)", async () => {
    const r = await loadManifests([fixture('nm-docs')]);
    expect(r.problems.map((p) => [p.severity, p.kind, p.field, p.message.split(':')[0]])).toEqual([
      ['warning', 'NotificationManager', 'spec', "deployment fields image, imagePullPolicy, replicas, resources, serviceAccountName, portName, volumes, volumeMounts are for notification-manager's operator and are not applied"],
      ['warning', 'NotificationManager', 'spec.sidecars.tenant', 'tenant lookups (tenantKey other than namespace) go to http'],
    ]);
    const count: Record<string, number> = {};
    for (const o of r.objects) count[o.kind] = (count[o.kind] ?? 0) + 1;
    expect(count).toEqual({ Secret: 11, ConfigMap: 3, NotificationManager: 1, Config: 11, Receiver: 25, Router: 5, Silence: 4 });
  });

  it('cover every channel with global and tenant receivers and a default Config where one is needed', async () => {
    const snap = buildSnapshot((await loadManifests([fixture('nm-docs')])).objects, 1);
    const sections = (labels: Record<string, string>): string[] =>
      [...new Set(snap.receivers.filter((r) => Object.entries(labels).every(([k, v]) => r.metadata.labels?.[k] === v)).flatMap((r) => Object.keys(r.spec)))].sort();
    expect(sections({ type: 'global' })).toEqual([...CHANNELS].sort());
    expect(sections({ type: 'tenant', user: 'user1' })).toEqual([...CHANNELS].sort());
    const defaults = [...new Set(snap.configs.filter((c) => c.metadata.labels?.['type'] === 'default').flatMap((c) => Object.keys(c.spec)))].sort();
    expect(defaults).toEqual(['dingtalk', 'email', 'feishu', 'pushover', 'slack', 'sms', 'telegram', 'wechat']);
    expect(snap.secrets['kubesphere-monitoring-federated/default-email-secret']).toEqual({ password: 'sender-password' });
    expect(Object.keys(snap.configMaps).sort()).toEqual([
      'kubesphere-monitoring-system/notification-manager-template',
      'kubesphere-monitoring-system/user1-template',
      'kubesphere-monitoring-system/zh-cn',
    ]);
  });

  it('route a namespaced alert to the global receivers and the receivers of its tenant', async () => {
    const snap = buildSnapshot((await loadManifests([fixture('nm-docs')])).objects, 1);
    const decision = routeAlert(
      { labels: { alertname: 'KubePodCrashLooping', namespace: 'user1-project', severity: 'warning' } },
      buildRoutingIndex(snap),
      { now: new Date('2024-06-05T12:00:00Z'), tenantsOfNamespace: (_c, ns) => (ns === 'user1-project' ? ['user1'] : undefined) },
    );
    const names = [...new Set(decision.receivers.map((r) => r.name))].sort();
    expect(names).toContain('global-email-receiver');
    expect(names).toContain('user1-email-receiver');
    expect(names).toContain('user1-webhook-receiver');
    // alertSelector severity=critical filters the tenant SMS receiver out.
    expect(names).not.toContain('user1-sms-receiver');
    expect(names).toContain('global-sms-receiver');
  });
});

describe('KubeSphere sample manifests (test/fixtures/kubesphere-samples)', () => {
  it('load the v2beta2 samples without errors', async () => {
    for (const file of ['notification_manager.yaml', 'sms.yaml', 'zh-cn.yaml']) {
      const r = await loadManifests([fixture(`kubesphere-samples/${file}`)]);
      expect(r.problems.filter((p) => p.severity === 'error').map(formatProblem)).toEqual([]);
      expect(r.objects.length).toBeGreaterThan(0);
    }
    const all = await loadManifests([fixture('kubesphere-samples')]);
    expect(all.objects.map((o) => `${o.kind}/${o.name}`)).toEqual([
      'NotificationManager/notification-manager',
      'Receiver/global-sms-receiver',
      'Config/default-sms-config',
      'Secret/default-sms-secret',
      'ConfigMap/zh-cn',
    ]);
  });

  it('reject the v2beta1 samples with one error each that says how to fix them', async () => {
    const r = await loadManifests([fixture('kubesphere-samples/default_config.yaml'), fixture('kubesphere-samples/global_receiver.yaml')]);
    expect(r.objects).toEqual([]);
    expect(r.problems.map((p) => [p.severity, p.kind, p.name, p.field])).toEqual([
      ['error', 'Config', 'default-config', 'apiVersion'],
      ['error', 'Receiver', 'global-receiver', 'apiVersion'],
    ]);
    expect(r.problems[0]!.message).toContain('convert this Config to notification.kubesphere.io/v2beta2');
  });
});
