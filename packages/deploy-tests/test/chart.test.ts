import { describe, expect, it } from '@jest/globals';
import { renderCrdFiles } from '@nm/crds';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { byKind, CHART, helm, nullPaths, render, valuesFile, type K8sObject } from './helm.support.js';
import { CLUSTER_SCOPED, schemaErrors } from './k8s.validate.js';

const SERVICES = ['ingest', 'silencer', 'router', 'aggregator', 'config-sync'];
const SENDERS = ['webhook', 'email', 'slack', 'wechat', 'dingtalk', 'feishu', 'sms', 'pushover', 'discord', 'telegram', 'teams', 'pagerduty', 'opsgenie', 'googlechat'];

/** The values matrix: every optional block off, everything on, external NATS/Redis, overrides. */
const MATRIX: Record<string, Record<string, unknown>> = {
  defaults: {},
  everything: {
    global: { imageRegistry: 'registry.example.com/nm' },
    image: { tag: '1.2.3', pullPolicy: 'Always' },
    imagePullSecrets: [{ name: 'pull' }],
    podAnnotations: { 'example.com/a': 'b' },
    podLabels: { team: 'ops' },
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'monitoring', effect: 'NoSchedule' }],
    affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { team: 'ops' } } } }] } },
    priorityClassName: 'high',
    extraEnv: [{ name: 'TZ', value: 'Asia/Shanghai' }],
    extraVolumes: [{ name: 'ca', configMap: { name: 'ca' } }],
    extraVolumeMounts: [{ name: 'ca', mountPath: '/etc/ssl/extra', readOnly: true }],
    tenantSidecarUrl: 'http://tenant-sidecar.kubesphere-system:19094',
    clusterName: 'host',
    ingest: {
      replicas: 3,
      env: { NM_INGEST_DEDUP_WINDOW: '1m' },
      readyRequires: ['config-sync', 'router'],
      service: { type: 'LoadBalancer', annotations: { 'example.com/lb': 'internal' } },
      auth: { existingSecret: 'my-ingest-token' },
    },
    configSync: { replicas: 2 },
    eventExporter: { enabled: true, replicas: 2, api: 'both', env: { NM_EVENTS_INTERVAL: '10m' } },
    senderDefaults: { autoscaling: { enabled: false } },
    senders: {
      email: { keda: { enabled: true, lagThreshold: 50 } },
      slack: { autoscaling: { enabled: true, maxReplicas: 8 } },
      wechat: { replicas: 3, env: { NM_SENDER_CONCURRENCY: '32' } },
    },
    nats: { url: 'nats://nats.nats.svc:4222', monitoringEndpoint: 'nats.nats.svc:8222' },
    redis: { urlSecret: { name: 'redis-url', key: 'url' } },
    secretKey: { existingSecret: 'my-secret-key' },
    templates: { data: { 'ops.line': '{{alertCount}} alerts in {{groupLabels.namespace}}' } },
    languagePacks: { data: { fr: '- name: fr\n  dictionary:\n    firing: EN COURS\n' } },
    metrics: { serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } } },
    notificationManager: { spec: { receivers: { tenantKey: 'namespace' }, routePolicy: 'RouterFirst', timeZone: 'Asia/Shanghai', aggregation: { mode: 'stateful', groupWait: '30s' } } },
  },
  minimal: {
    nodeArgs: [],
    senders: Object.fromEntries(SENDERS.map((s) => [s, { enabled: s === 'webhook' }])),
    senderDefaults: { pdb: { enabled: false } },
    ingest: { replicas: 1, pdb: { enabled: false } },
    silencer: { pdb: { enabled: false } },
    router: { pdb: { enabled: false } },
    aggregator: { pdb: { enabled: false } },
    configSync: { pdb: { enabled: false } },
    notificationManager: { create: false },
    redis: { url: 'redis://redis:6379' },
  },
  kedaEverywhere: { senderDefaults: { keda: { enabled: true } } },
  namespaceOverride: { namespaceOverride: 'nm-system' },
};

const rendered = Object.fromEntries(Object.entries(MATRIX).map(([name, values]) => [name, render({ values }).objects]));
const defaults = rendered['defaults']!;

const deployment = (objects: K8sObject[], component: string): K8sObject =>
  byKind(objects, 'Deployment').find((d) => d.metadata.labels?.['app.kubernetes.io/component'] === component)!;
type Container = { name: string; ports: Array<{ name: string; containerPort: number }>; env?: Array<{ name: string; value?: string; valueFrom?: unknown }>; [k: string]: unknown };
const podSpec = (d: K8sObject): Record<string, unknown> & { containers: Container[] } =>
  (d['spec'] as { template: { spec: Record<string, unknown> & { containers: Container[] } } }).template.spec;
const podLabels = (d: K8sObject): Record<string, string> => (d['spec'] as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
const envOf = (d: K8sObject): Record<string, unknown> => Object.fromEntries((podSpec(d).containers[0]!.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('helm lint --strict', () => {
  it.each(Object.keys(MATRIX))('passes with the %s values', (name) => {
    const r = helm(['lint', '--strict', CHART, '-f', valuesFile(MATRIX[name]!)]);
    expect(`${r.stdout}${r.stderr}`).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.status).toBe(0);
  });
});

describe('helm template over the values matrix', () => {
  it.each(Object.keys(MATRIX))('%s: every object is valid against the Kubernetes schemas (and the NotificationManager against its CRD)', (name) => {
    const errors = rendered[name]!.map((o) => ({ id: `${o.kind}/${o.metadata.name}`, errors: schemaErrors(o) })).filter((e) => e.errors.length > 0);
    expect(errors).toEqual([]);
  });

  it.each(Object.keys(MATRIX))('%s: no null value anywhere', (name) => {
    expect(rendered[name]!.flatMap((o) => nullPaths(o).map((p) => `${o.kind}/${o.metadata.name}${p}`))).toEqual([]);
  });

  it.each(Object.keys(MATRIX))('%s: namespaced objects in the release namespace (or namespaceOverride), cluster-scoped ones without', (name) => {
    const ns = name === 'namespaceOverride' ? 'nm-system' : 'monitoring';
    for (const o of rendered[name]!) {
      if (CLUSTER_SCOPED.has(o.kind)) expect([o.kind, o.metadata.namespace]).toEqual([o.kind, undefined]);
      else expect([o.kind, o.metadata.name, o.metadata.namespace]).toEqual([o.kind, o.metadata.name, ns]);
    }
  });

  it.each(['1.23.0', '1.27.0', '1.30.0'])('renders for Kubernetes %s', (version) => {
    const r = render({ extraArgs: ['--kube-version', version] });
    expect(byKind(r.objects, 'Deployment')).toHaveLength(SERVICES.length + SENDERS.length);
  });

  it('refuses Kubernetes older than 1.23 (kubeVersion)', () => {
    expect(() => render({ extraArgs: ['--kube-version', '1.22.0'] })).toThrow(/kubeVersion/);
  });

  it('is stable: two renders differ only in the generated NM_SECRET_KEY and ingest token', () => {
    const mask = (t: string): string => t.replace(/(NM_SECRET_KEY|token|tokens): [A-Za-z0-9+/=]{40,}/g, '$1: <generated>');
    expect(mask(render().text)).toBe(mask(render().text));
  });
});

describe('services', () => {
  it('one Deployment per service and per enabled sender', () => {
    const names = (objects: K8sObject[]): string[] => byKind(objects, 'Deployment').map((d) => d.metadata.labels!['app.kubernetes.io/component']!).sort();
    expect(names(defaults)).toEqual([...SERVICES, ...SENDERS.map((s) => `sender-${s}`)].sort());
    expect(names(rendered['minimal']!)).toEqual([...SERVICES, 'sender-webhook'].sort());
  });

  it.each(Object.keys(MATRIX))('%s: liveness on /-/healthy and readiness on /-/ready of the container port that serves them', (name) => {
    for (const d of byKind(rendered[name]!, 'Deployment')) {
      const c = podSpec(d).containers[0]!;
      const component = d.metadata.labels!['app.kubernetes.io/component'];
      const port = c.ports[0]!;
      expect([component, (c['livenessProbe'] as { httpGet: unknown }).httpGet]).toEqual([component, { path: '/-/healthy', port: port.name }]);
      expect([component, (c['readinessProbe'] as { httpGet: unknown }).httpGet]).toEqual([component, { path: '/-/ready', port: port.name }]);
      if (component === 'ingest') {
        expect(port).toMatchObject({ name: 'webhook', containerPort: 19093 });
        expect(envOf(d)['NM_INGEST_PORT']).toBe('19093');
      } else {
        expect([component, port.containerPort, envOf(d)['NM_HEALTH_PORT']]).toEqual([component, 8080, '8080']);
      }
    }
  });

  it.each(Object.keys(MATRIX))('%s: non-root, read-only root filesystem, no privilege escalation, no capabilities', (name) => {
    for (const o of [...byKind(rendered[name]!, 'Deployment'), ...byKind(rendered[name]!, 'StatefulSet')]) {
      const spec = podSpec(o);
      expect([o.metadata.name, (spec['securityContext'] as { runAsNonRoot?: boolean }).runAsNonRoot]).toEqual([o.metadata.name, true]);
      for (const c of spec.containers) {
        expect([o.metadata.name, c['securityContext']]).toEqual([o.metadata.name, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }]);
      }
    }
  });

  it.each(Object.keys(MATRIX))('%s: selectors match their pods, and only theirs', (name) => {
    const objects = rendered[name]!;
    const workloads = [...byKind(objects, 'Deployment'), ...byKind(objects, 'StatefulSet')];
    for (const w of workloads) {
      const sel = (w['spec'] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      expect(workloads.filter((o) => matches(sel, podLabels(o))).map((o) => o.metadata.name)).toEqual([w.metadata.name]);
    }
    for (const s of byKind(objects, 'Service')) {
      const spec = s['spec'] as { selector: Record<string, string>; ports: Array<{ targetPort: string }> };
      const targets = workloads.filter((o) => matches(spec.selector, podLabels(o)));
      expect([s.metadata.name, targets.length]).toEqual([s.metadata.name, 1]);
      const portNames = podSpec(targets[0]!).containers.flatMap((c) => c.ports.map((p) => p.name));
      for (const p of spec.ports) expect([s.metadata.name, portNames]).toEqual([s.metadata.name, expect.arrayContaining([p.targetPort])]);
    }
    for (const pdb of byKind(objects, 'PodDisruptionBudget')) {
      const sel = (pdb['spec'] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      expect([pdb.metadata.name, workloads.filter((o) => matches(sel, podLabels(o))).length]).toEqual([pdb.metadata.name, 1]);
    }
  });

  it('NATS and Redis URLs, the secret key and the tenant sidecar come from values', () => {
    const d = envOf(deployment(defaults, 'router'));
    expect(d['NATS_URL']).toBe('nats://nm-notification-manager-nats.monitoring.svc:4222');
    expect(d['REDIS_URL']).toBe('redis://nm-notification-manager-redis.monitoring.svc:6379');
    expect(d['NM_SECRET_KEY']).toEqual({ secretKeyRef: { name: 'nm-notification-manager-secret-key', key: 'NM_SECRET_KEY' } });
    expect(d['NM_TENANT_SIDECAR_URL']).toBeUndefined();
    const e = envOf(deployment(rendered['everything']!, 'router'));
    expect(e['NATS_URL']).toBe('nats://nats.nats.svc:4222');
    expect(e['REDIS_URL']).toEqual({ secretKeyRef: { name: 'redis-url', key: 'url' } });
    expect(e['NM_SECRET_KEY']).toEqual({ secretKeyRef: { name: 'my-secret-key', key: 'NM_SECRET_KEY' } });
    expect(e['NM_TENANT_SIDECAR_URL']).toBe('http://tenant-sidecar.kubesphere-system:19094');
    expect(envOf(deployment(defaults, 'config-sync'))['NM_CLUSTER_NAME']).toBeUndefined();
    expect(envOf(deployment(rendered['everything']!, 'config-sync'))['NM_CLUSTER_NAME']).toBe('host');
    expect(e['TZ']).toBe('Asia/Shanghai');
    expect(envOf(deployment(rendered['everything']!, 'sender-wechat'))['NM_SENDER_CONCURRENCY']).toBe('32');
    expect(envOf(deployment(rendered['everything']!, 'ingest'))['NM_READY_REQUIRES']).toBe('config-sync,router');
    expect(envOf(deployment(defaults, 'ingest'))['NM_READY_REQUIRES']).toBe('config-sync,silencer,router,aggregator');
  });

  it('config-sync runs in Kubernetes mode, knows its namespace and its Lease', () => {
    const env = envOf(deployment(defaults, 'config-sync'));
    expect(env['NM_CONFIG_SOURCE']).toBe('kubernetes');
    expect(env['NM_NAMESPACE']).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    expect(env['NM_CONFIG_DIR']).toBeUndefined();
    // The Lease is release-scoped, so two releases in one namespace elect a leader each.
    expect(env['NM_LEASE_NAME']).toBe('nm-notification-manager-config-sync');
  });

  it('images are [registry/]repository-<service>:tag, the tag defaulting to the appVersion', () => {
    const appVersion = (parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion;
    expect(podSpec(deployment(defaults, 'sender-email')).containers[0]!['image']).toBe(`notification-manager-sender-email:${appVersion}`);
    expect(podSpec(deployment(rendered['everything']!, 'ingest')).containers[0]!['image']).toBe('registry.example.com/nm/notification-manager-ingest:1.2.3');
    expect(byKind(defaults, 'StatefulSet').map((s) => podSpec(s).containers[0]!['image'])).toEqual(['nats:2.10.24-alpine', 'redis:7.2-alpine']);
  });

  it("runs node with nodeArgs before the image's script (default --single-threaded-gc), or node's defaults with none", () => {
    const deployments = byKind(defaults, 'Deployment');
    expect(deployments.length).toBeGreaterThan(5);
    for (const d of deployments) expect(podSpec(d).containers[0]!['command']).toEqual(['node', '--single-threaded-gc', '/app/main.js']);
    const plain = byKind(rendered['minimal']!, 'Deployment');
    expect(plain.length).toBeGreaterThan(0);
    for (const d of plain) expect(podSpec(d).containers[0]!['command']).toEqual(['node', '/app/main.js']);
    const custom = render({ values: { nodeArgs: ['--max-semi-space-size=32'] } }).objects;
    expect(podSpec(byKind(custom, 'Deployment')[0]!).containers[0]!['command']).toEqual(['node', '--max-semi-space-size=32', '/app/main.js']);
  });

  it('replicas, resources and scheduling pass through', () => {
    const e = rendered['everything']!;
    const ingest = deployment(e, 'ingest');
    expect((ingest['spec'] as { replicas: number }).replicas).toBe(3);
    expect(podSpec(ingest)['nodeSelector']).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(podSpec(ingest)['tolerations']).toEqual(MATRIX['everything']!['tolerations']);
    expect(podSpec(ingest)['priorityClassName']).toBe('high');
    expect(podSpec(deployment(defaults, 'aggregator')).containers[0]!['resources']).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } });
    expect((deployment(e, 'sender-wechat')['spec'] as { replicas: number }).replicas).toBe(3);
  });
});

describe('ingest Service', () => {
  it("keeps notification-manager's name and port, so KubeSphere's Alertmanager webhook URL works", () => {
    const svc = byKind(defaults, 'Service').find((s) => s.metadata.name === 'notification-manager-svc')!;
    expect((svc['spec'] as { ports: unknown[] }).ports).toEqual([{ name: 'webhook', port: 19093, targetPort: 'webhook', protocol: 'TCP' }]);
    expect((svc['spec'] as { selector: Record<string, string> }).selector['app.kubernetes.io/component']).toBe('ingest');
  });
});

describe('autoscaling and disruption budgets', () => {
  it('a KEDA ScaledObject per sender on its NM_NOTIFY consumer; an HPA where KEDA is off; no replicas where either manages them', () => {
    const e = rendered['everything']!;
    const so = byKind(e, 'ScaledObject');
    expect(so.map((o) => o.metadata.name)).toEqual(['nm-notification-manager-sender-email']);
    expect((so[0]!['spec'] as { triggers: unknown[] }).triggers).toEqual([
      {
        type: 'nats-jetstream',
        metadata: { natsServerMonitoringEndpoint: 'nats.nats.svc:8222', account: '$G', stream: 'NM_NOTIFY', consumer: 'sender-email', lagThreshold: '50', activationLagThreshold: '0' },
      },
    ]);
    expect(byKind(e, 'HorizontalPodAutoscaler').map((o) => [o.metadata.name, (o['spec'] as { maxReplicas: number }).maxReplicas])).toEqual([['nm-notification-manager-sender-slack', 8]]);
    expect((deployment(e, 'sender-email')['spec'] as Record<string, unknown>)['replicas']).toBeUndefined();
    expect((deployment(e, 'sender-slack')['spec'] as Record<string, unknown>)['replicas']).toBeUndefined();
    const all = rendered['kedaEverywhere']!;
    expect(byKind(all, 'ScaledObject').map((o) => (o['spec'] as { triggers: Array<{ metadata: { consumer: string; natsServerMonitoringEndpoint: string } }> }).triggers[0]!.metadata)).toEqual(
      SENDERS.map((s) => expect.objectContaining({ consumer: `sender-${s}`, natsServerMonitoringEndpoint: 'nm-notification-manager-nats.monitoring.svc:8222' })),
    );
    for (const o of [...byKind(e, 'ScaledObject'), ...byKind(e, 'HorizontalPodAutoscaler')]) {
      const ref = (o['spec'] as { scaleTargetRef: { name: string } }).scaleTargetRef.name;
      expect(byKind(e, 'Deployment').map((d) => d.metadata.name)).toContain(ref);
    }
  });

  it('by default a CPU HPA per sender (1 to 5 replicas) and no ScaledObject; a PodDisruptionBudget per service unless disabled', () => {
    expect(byKind(defaults, 'ScaledObject')).toEqual([]);
    expect(byKind(defaults, 'HorizontalPodAutoscaler').map((h) => [(h['spec'] as { scaleTargetRef: { name: string } }).scaleTargetRef.name, (h['spec'] as { minReplicas: number }).minReplicas, (h['spec'] as { maxReplicas: number }).maxReplicas])).toEqual(
      SENDERS.map((s) => [`nm-notification-manager-sender-${s}`, 1, 5]),
    );
    expect(byKind(rendered['minimal']!, 'HorizontalPodAutoscaler')).toHaveLength(1);
    expect(byKind(defaults, 'PodDisruptionBudget')).toHaveLength(SERVICES.length + SENDERS.length);
    expect(byKind(rendered['minimal']!, 'PodDisruptionBudget')).toHaveLength(0);
  });

  it('KEDA with an external NATS requires its monitoring endpoint', () => {
    expect(() => render({ values: { nats: { url: 'nats://x:4222' }, senderDefaults: { keda: { enabled: true } } } })).toThrow(/nats.monitoringEndpoint is required/);
  });
});

describe('RBAC', () => {
  const rulesOf = (o: K8sObject): Array<{ apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }> => o['rules'] as never;

  it("config-sync alone may read the configuration kinds, write their status, read Secrets, ConfigMaps, RoleBindings and KubeSphere's namespace, and hold a Lease in its namespace", () => {
    const [cr] = byKind(defaults, 'ClusterRole');
    expect(byKind(defaults, 'ClusterRole')).toHaveLength(1);
    const kinds = ['notificationmanagers', 'configs', 'receivers', 'routers', 'silences', 'inhibitrules', 'eventrules'];
    expect(rulesOf(cr!)).toEqual([
      { apiGroups: ['notification.kubesphere.io'], resources: kinds, verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['notification.kubesphere.io'], resources: kinds.map((k) => `${k}/status`), verbs: ['get', 'update', 'patch'] },
      { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['namespaces'], resourceNames: ['kubesphere-system'], verbs: ['get'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['get', 'list', 'watch'] },
    ]);
    const [role] = byKind(defaults, 'Role');
    expect(role!.metadata.namespace).toBe('monitoring');
    expect(rulesOf(role!)).toEqual([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] }]);
    const subjects = [...byKind(defaults, 'ClusterRoleBinding'), ...byKind(defaults, 'RoleBinding')].map((b) => b['subjects']);
    expect(subjects).toEqual([
      [{ kind: 'ServiceAccount', name: 'nm-notification-manager-config-sync', namespace: 'monitoring' }],
      [{ kind: 'ServiceAccount', name: 'nm-notification-manager-config-sync', namespace: 'monitoring' }],
    ]);
  });

  it('no wildcard anywhere', () => {
    for (const o of [...byKind(defaults, 'ClusterRole'), ...byKind(defaults, 'Role')]) {
      for (const r of rulesOf(o)) expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain('*');
    }
  });

  it('every other service runs under an account without bindings and without a mounted token', () => {
    for (const d of byKind(defaults, 'Deployment')) {
      const spec = podSpec(d);
      if (d.metadata.labels!['app.kubernetes.io/component'] === 'config-sync') {
        expect([spec['serviceAccountName'], spec['automountServiceAccountToken']]).toEqual(['nm-notification-manager-config-sync', true]);
      } else {
        expect([d.metadata.name, spec['serviceAccountName'], spec['automountServiceAccountToken']]).toEqual([d.metadata.name, 'nm-notification-manager', false]);
      }
    }
    for (const s of [...byKind(defaults, 'StatefulSet')]) expect(podSpec(s)['automountServiceAccountToken']).toBe(false);
  });
});

describe('names', () => {
  it('are release-scoped: two releases in one namespace collide nowhere once the two singletons are renamed', () => {
    const ids = (release: string, values: Record<string, unknown>): string[] =>
      render({ release, values }).objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    const a = ids('alpha', {});
    const b = ids('beta', { ingest: { service: { name: '' } }, notificationManager: { name: 'beta' } });
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    expect(b.filter((id) => !id.startsWith('NotificationManager/')).every((id) => id.split('/')[2]!.startsWith('beta-notification-manager'))).toBe(true);
  });

  it("outside the ingest Service and the NotificationManager (notification-manager's names), every name starts with the release's full name", () => {
    const singletons = ['Service/notification-manager-svc', 'NotificationManager/notification-manager'];
    const others = defaults.filter((o) => !singletons.includes(`${o.kind}/${o.metadata.name}`));
    expect(others.filter((o) => !o.metadata.name.startsWith('nm-notification-manager')).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
    const kubesphere = render({ release: 'notification-manager', namespace: 'kubesphere-monitoring-system' }).objects;
    expect(kubesphere.filter((o) => !o.metadata.name.startsWith('notification-manager')).map((o) => o.metadata.name)).toEqual([]);
  });
});

describe('NotificationManager object and ConfigMaps', () => {
  it('the CR names the chart\'s template and language-pack ConfigMaps', () => {
    const [nm] = byKind(defaults, 'NotificationManager');
    expect(nm!.metadata.name).toBe('notification-manager');
    expect((nm!['spec'] as { template: unknown }).template).toEqual({
      language: 'English',
      text: { name: 'nm-notification-manager-template', namespace: 'monitoring' },
      languagePack: [{ name: 'nm-notification-manager-language-packs', namespace: 'monitoring' }],
    });
    expect(byKind(defaults, 'ConfigMap').map((c) => c.metadata.name)).toEqual(['nm-notification-manager-template', 'nm-notification-manager-language-packs']);
  });

  it('templates and language packs come from values; the CR can be left out (an existing one kept)', () => {
    const cms = byKind(rendered['everything']!, 'ConfigMap');
    const ev = MATRIX['everything'] as { templates: { data: unknown }; languagePacks: { data: unknown } };
    expect(cms.map((c) => c['data'])).toEqual([ev.templates.data, ev.languagePacks.data]);
    expect(byKind(rendered['minimal']!, 'NotificationManager')).toEqual([]);
  });
});

describe('NM_SECRET_KEY', () => {
  it('is generated (64 characters) into a Secret that helm keeps, unless an existing Secret is named', () => {
    const secret = byKind(defaults, 'Secret').find((o) => o.metadata.name.endsWith('-secret-key'));
    expect(secret!.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    const key = Buffer.from((secret!['data'] as Record<string, string>)['NM_SECRET_KEY']!, 'base64').toString('utf8');
    expect(key).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(byKind(rendered['everything']!, 'Secret')).toEqual([]);
  });

  it('is read back from the existing Secret on upgrade (lookup), not generated again', () => {
    const template = readFileSync(join(CHART, 'templates/secret-key.yaml'), 'utf8');
    expect(template).toMatch(/lookup "v1" "Secret" \$ns \$name/);
    expect(template).toMatch(/\$key = index \$existing\.data "NM_SECRET_KEY"/);
  });
});

describe('ingest token', () => {
  const ingestPod = (objects: K8sObject[]) => podSpec(deployment(objects, 'ingest'));
  const tokensVolume = (objects: K8sObject[]) => (ingestPod(objects)['volumes'] as Array<{ name: string; secret?: unknown }>).find((v) => v.name === 'ingest-tokens');

  it('is generated (48 characters) into a Secret that helm keeps; ingest reads its tokens as a file it re-reads', () => {
    const secret = byKind(defaults, 'Secret').find((o) => o.metadata.name === 'nm-notification-manager-ingest-token');
    expect(secret!.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    const data = secret!['data'] as Record<string, string>;
    const token = Buffer.from(data['token']!, 'base64').toString('utf8');
    expect(token).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(data['tokens']).toBe(data['token']);
    expect(envOf(deployment(defaults, 'ingest'))['NM_INGEST_TOKENS_FILE']).toBe('/etc/notification-manager/ingest-tokens/tokens');
    expect(tokensVolume(defaults)).toEqual({ name: 'ingest-tokens', secret: { secretName: 'nm-notification-manager-ingest-token', items: [{ key: 'tokens', path: 'tokens' }] } });
    expect(ingestPod(defaults).containers[0]!['volumeMounts']).toContainEqual({ name: 'ingest-tokens', mountPath: '/etc/notification-manager/ingest-tokens', readOnly: true });
    // the other services get neither
    expect(envOf(deployment(defaults, 'router'))['NM_INGEST_TOKENS_FILE']).toBeUndefined();
  });

  it('is read back from the existing Secret on upgrade (lookup), not generated again', () => {
    const template = readFileSync(join(CHART, 'templates/ingest-token.yaml'), 'utf8');
    expect(template).toMatch(/lookup "v1" "Secret" \$ns \$name/);
    expect(template).toMatch(/\$token = index \$existing\.data "token"/);
  });

  it('comes from an existing Secret when one is named, and is off when disabled', () => {
    expect(byKind(rendered['everything']!, 'Secret')).toEqual([]);
    expect(tokensVolume(rendered['everything']!)).toMatchObject({ secret: { secretName: 'my-ingest-token' } });
    const open = render({ values: { ingest: { auth: { enabled: false } } } }).objects;
    expect(byKind(open, 'Secret').map((o) => o.metadata.name)).toEqual(['nm-notification-manager-secret-key']);
    expect(envOf(deployment(open, 'ingest'))['NM_INGEST_TOKENS_FILE']).toBeUndefined();
    expect(tokensVolume(open)).toBeUndefined();
  });
});

describe('values.schema.json', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a string where a number goes', { ingest: { replicas: 'two' } }, /ingest\/replicas/],
    ['an unknown top-level key', { replica: 2 }, /additional properties 'replica' not allowed/],
    ['an unknown sender setting', { senders: { email: { kedaa: {} } } }, /kedaa/],
    ['an unknown log level', { logLevel: 'loud' }, /logLevel/],
    ['a NATS URL of another scheme', { nats: { url: 'http://nats:4222' } }, /nats\/url/],
    ['an empty tenantKey', { notificationManager: { spec: { receivers: { tenantKey: '' } } } }, /tenantKey/],
    ['a port out of range', { ingest: { service: { port: 70000 } } }, /ingest\/service\/port/],
    ['an unknown ingest auth setting', { ingest: { auth: { token: 'x' } } }, /additional properties 'token' not allowed/],
    ['KEDA scaling a sender to zero (its notifications would be dead-lettered as unclaimed)', { senderDefaults: { keda: { enabled: true, minReplicas: 0 } } }, /keda\/minReplicas/],
  ])('refuses %s', (_what, values, message) => {
    expect(() => render({ values })).toThrow(message);
  });
});

describe('CRDs', () => {
  it('--include-crds renders every generated CRD, valid apiextensions.k8s.io/v1 objects', () => {
    const crds = byKind(render({ extraArgs: ['--include-crds'] }).objects, 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([...renderCrdFiles().keys()].map((f) => f.replace(/\.yaml$/, '')).sort());
    for (const crd of crds) expect([crd.metadata.name, schemaErrors(crd)]).toEqual([crd.metadata.name, []]);
  });
});

describe('NOTES.txt', () => {
  const notes = (release: string, namespace: string, values: Record<string, unknown> = {}): string => {
    const r = helm(['install', release, CHART, '--namespace', namespace, '--dry-run=client', '-f', valuesFile(values)]);
    expect(r.stderr).toBe('');
    return r.stdout.slice(r.stdout.indexOf('NOTES:'));
  };

  it("tells how to point Alertmanager at the ingest URL, and that KubeSphere's URL is served when it is", () => {
    const ks = notes('notification-manager', 'kubesphere-monitoring-system', { ingest: { auth: { enabled: false } } });
    expect(ks).toContain('- url: http://notification-manager-svc.kubesphere-monitoring-system.svc:19093/api/v2/alerts');
    expect(ks).toContain("that is this release's Service; nothing to change.");
    const other = notes('nm', 'monitoring', { ingest: { service: { name: '' } }, nats: { url: 'nats://nats:4222' } });
    expect(other).toContain('- url: http://nm-notification-manager-ingest.monitoring.svc:19093/api/v2/alerts');
    expect(other).toContain('change that URL to the one above');
    expect(other).not.toContain('bundled single node');
  });

  it("shows Alertmanager's http_config.authorization for the ingest token, and says when ingest is open", () => {
    const ks = notes('notification-manager', 'kubesphere-monitoring-system');
    expect(ks).toContain(
      [
        '           - url: http://notification-manager-svc.kubesphere-monitoring-system.svc:19093/api/v2/alerts',
        '             send_resolved: true',
        '             http_config:',
        '               authorization:',
        '                 type: Bearer',
        '                 credentials_file: /etc/alertmanager/secrets/notification-manager-ingest-token/token',
      ].join('\n'),
    );
    expect(ks).toContain("kubectl -n kubesphere-monitoring-system get secret notification-manager-ingest-token -o jsonpath='{.data.token}' | base64 -d");
    expect(ks).toContain('add the http_config above to that webhook');
    expect(ks).toContain('-H "Authorization: Bearer $TOKEN"');
    const own = notes('nm', 'monitoring', { ingest: { auth: { existingSecret: 'am-token' } } });
    expect(own).toContain('credentials_file: /etc/alertmanager/secrets/am-token/token');
    const open = notes('nm', 'monitoring', { ingest: { auth: { enabled: false } } });
    expect(open).not.toContain('http_config');
    expect(open).toContain('ingest.auth.enabled is false: ingest takes alerts from anyone who can reach the Service.');
  });
});
