import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { ConfigStoreReader, ConfigStoreWriter, SecretBox } from '@nm/config-store';
import { CLUSTER_NAME_ANNOTATION, effectiveSettings } from '@nm/model';
import { startFakeKube, startRedis, waitFor, writeKubeconfig, type FakeKube, type KubeObject, type PrivateRedis } from '@nm/testing';
import { createLogger, Metrics } from '@nm/telemetry';
import { ClusterNameSource, clusterNameOfKubesphereYaml, detectKubesphereClusterName } from './cluster.name.js';
import { ConfigMirror } from './config.mirror.js';
import { DirectorySync } from './directory.sync.js';
import { kubeApis, type KubeApis } from './kubernetes/kube.client.js';
import { KubernetesSync } from './kubernetes/kubernetes.sync.js';

const API = 'notification.kubesphere.io/v2beta2';
const logger = createLogger('t', process.env['TEST_LOG_LEVEL'] ?? 'silent');

const nm = (global?: Record<string, unknown>): KubeObject => ({
  apiVersion: API,
  kind: 'NotificationManager',
  metadata: { name: 'notification-manager' },
  spec: { receivers: { tenantKey: 'namespace', ...(global ? { options: { global } } : {}) } },
});
const ksNamespace = (annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'kubesphere-system', ...(annotations ? { annotations } : {}) },
});
const ksConfig = (yaml: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'kubesphere-config', namespace: 'kubesphere-system' },
  data: { 'kubesphere.yaml': yaml },
});
const KS_YAML = 'authentication:\n  authenticateRateLimiterMaxTries: 10\nmulticluster:\n  clusterRole: host\n  clusterName: host-from-config\n';

describe('cluster name as notification-manager finds it (fake Kubernetes API server)', () => {
  let kube: FakeKube;
  let redis: PrivateRedis;
  let dir: string;
  let apis: KubeApis;
  const cleanup: Array<() => unknown> = [];

  beforeEach(async () => {
    kube = await startFakeKube();
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'nm-cluster-name-'));
    const kc = new KubeConfig();
    kc.loadFromFile(writeKubeconfig({ server: kube.url, dir }));
    apis = kubeApis(kc);
  });
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
    await kube.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the kubesphere-system annotation first, then kubesphere-config, and finds nothing on a plain cluster', async () => {
    expect(await detectKubesphereClusterName(apis.core, logger)).toBeUndefined();
    kube.apply(ksConfig(KS_YAML));
    expect(await detectKubesphereClusterName(apis.core, logger)).toEqual({
      name: 'host-from-config',
      source: 'multicluster.clusterName of ConfigMap kubesphere-system/kubesphere-config key kubesphere.yaml',
    });
    kube.apply(ksNamespace({ 'cluster.kubesphere.io/name': 'member-1' }));
    expect((await detectKubesphereClusterName(apis.core, logger))?.name).toBe('member-1');
    // A refused read (no RBAC) is "not found", never an error.
    kube.failNext({ path: '/api/v1/namespaces/kubesphere-system', method: 'GET', code: 403 });
    expect((await detectKubesphereClusterName(apis.core, logger))?.name).toBe('host-from-config');
  });

  it('parses only multicluster.clusterName of kubesphere.yaml', () => {
    expect(clusterNameOfKubesphereYaml(KS_YAML)).toBe('host-from-config');
    expect(clusterNameOfKubesphereYaml('multicluster:\n  clusterRole: none\n')).toBeUndefined();
    expect(clusterNameOfKubesphereYaml('multicluster: [')).toBeUndefined();
    expect(clusterNameOfKubesphereYaml('multicluster:\n  clusterName: "  "\n')).toBeUndefined();
  });

  it('NM_CLUSTER_NAME overrides detection without asking the API server', async () => {
    let asked = 0;
    const source = new ClusterNameSource(logger, { override: 'from-env', detect: () => Promise.resolve((asked++, { name: 'x', source: 'y' })) });
    expect(await source.current()).toEqual({ name: 'from-env', source: 'NM_CLUSTER_NAME' });
    expect(asked).toBe(0);
  });

  /** A config-sync replica mirroring the fake cluster into the private Redis; the reader's snapshot. */
  const run = async (override?: string) => {
    const c = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const box = new SecretBox('cluster-name-test-key');
    const source = new ClusterNameSource(logger, { override, detect: () => detectKubesphereClusterName(apis.core, logger), ttlMs: 0 });
    const sync = new KubernetesSync(apis, new ConfigMirror(new ConfigStoreWriter(c, box), logger, new Metrics('t'), undefined, source), logger, new Metrics('t'), {
      namespace: 'nm-system',
      identity: 'a',
      debounceMs: 20,
      pollMs: 100,
      lease: { durationMs: 2000, renewMs: 300, retryMs: 150 },
      secondaryWaitMs: 200,
    });
    sync.start();
    const reader = new ConfigStoreReader(c, undefined, box, logger, 50);
    cleanup.push(() => c.disconnect(), () => sync.stop(), () => reader.stop());
    await reader.start();
    await waitFor('configuration mirrored', () => reader.isLoaded(), 20_000);
    return { reader, sync };
  };

  it('alerts without a cluster label get the KubeSphere cluster name; options.global.cluster still wins; the env overrides detection', async () => {
    kube.apply(ksConfig(KS_YAML));
    kube.apply(nm());
    const { reader, sync } = await run();
    await waitFor('cluster name mirrored', () => effectiveSettings(reader.current().notificationManager).cluster === 'host-from-config', 10_000);
    expect(reader.current().notificationManager?.metadata.annotations?.[CLUSTER_NAME_ANNOTATION]).toBe('host-from-config');

    // The explicit setting of the NotificationManager comes first, as in notification-manager.
    kube.apply(nm({ cluster: 'explicit' }));
    await waitFor('explicit cluster', () => effectiveSettings(reader.current().notificationManager).cluster === 'explicit', 10_000);
    await sync.stop();
  });

  it('with NM_CLUSTER_NAME set the annotation carries it whatever KubeSphere says', async () => {
    kube.apply(ksNamespace({ 'cluster.kubesphere.io/name': 'member-1' }));
    kube.apply(nm());
    const { reader } = await run('from-env');
    await waitFor('cluster name mirrored', () => reader.current().notificationManager !== undefined, 10_000);
    expect(effectiveSettings(reader.current().notificationManager).cluster).toBe('from-env');
  });

  it('directory mode (npm start) records NM_CLUSTER_NAME too', async () => {
    const manifests = mkdtempSync(join(dir, 'manifests-'));
    writeFileSync(join(manifests, 'nm.yaml'), 'apiVersion: notification.kubesphere.io/v2beta2\nkind: NotificationManager\nmetadata:\n  name: nm\nspec:\n  receivers:\n    tenantKey: namespace\n');
    const c = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const box = new SecretBox('cluster-name-test-key');
    const sync = new DirectorySync(manifests, new ConfigStoreWriter(c, box), logger, new Metrics('t'), 100, undefined, new ClusterNameSource(logger, { override: 'edge-7' }));
    await sync.start();
    const reader = new ConfigStoreReader(c, undefined, box, logger, 50);
    cleanup.push(() => c.disconnect(), () => sync.stop(), () => reader.stop());
    await reader.start();
    await waitFor('configuration mirrored', () => reader.isLoaded(), 10_000);
    expect(effectiveSettings(reader.current().notificationManager).cluster).toBe('edge-7');
  });

  it("without any source the cluster stays 'default' (and a warning says why)", async () => {
    kube.apply(nm());
    const lines: string[] = [];
    const spy = Object.assign(Object.create(logger) as typeof logger, { warn: (msg: unknown) => void lines.push(String(msg)), info: () => undefined });
    const source = new ClusterNameSource(spy, {
      detect: () => detectKubesphereClusterName(apis.core, logger),
    });
    expect(await source.current()).toBeUndefined();
    expect(await source.current()).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("alerts without a cluster label get 'default'");
    const { reader } = await run();
    await waitFor('mirrored', () => reader.current().notificationManager !== undefined, 10_000);
    expect(reader.current().notificationManager?.metadata.annotations?.[CLUSTER_NAME_ANNOTATION]).toBeUndefined();
    expect(effectiveSettings(reader.current().notificationManager).cluster).toBe('default');
  });
});
