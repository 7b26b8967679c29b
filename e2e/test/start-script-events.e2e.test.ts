import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { freePort, startFakeKube, waitFor, writeKubeconfig } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('npm start with NM_EVENTS_ENABLED=true', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
  const tempDir = (prefix: string): string => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it('the local stack exports the Kubernetes events of the cluster of KUBECONFIG: a Warning event reaches the demo receiver', async () => {
    const kube = await startFakeKube();
    cleanups.push(() => kube.close());
    const [natsPort, redisPort, ingestPort, demoPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const config = tempDir('nm-start-events-config-');
    writeFileSync(join(config, 'nm.yaml'), notificationManager({ batchMaxWait: '1s' }));
    writeFileSync(join(config, 'receivers.yaml'), docs(webhookReceiver('team-a', `http://127.0.0.1:${demoPort}/team-a`, { type: 'tenant', namespace: 'team-a' })));
    const child: ChildProcess = spawn(process.execPath, [join(root, 'scripts/start.mjs')], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? tmpdir(),
        LOG_LEVEL: 'warn',
        NM_SECRET_KEY: 'start-script-events-key-0123456789',
        NATS_URL: `nats://127.0.0.1:${natsPort}`,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        NM_INGEST_PORT: String(ingestPort),
        DEMO_RECEIVER_PORT: String(demoPort),
        NM_CONFIG_DIR: config,
        NM_LOCAL_DIR: tempDir('nm-start-events-local-'),
        NM_EVENTS_ENABLED: 'true',
        KUBECONFIG: writeKubeconfig({ server: kube.url, dir: tempDir('nm-start-events-kc-') }),
        // NM_NAMESPACE unset: the script elects in namespace default
      },
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    cleanups.push(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exit.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 60_000))]);
      if (!done) child.kill('SIGKILL');
    });

    await waitFor('ready', () => out.includes('[start] ready:') || child.exitCode !== null, 90_000);
    expect(out).toContain(`[start] ready: http://127.0.0.1:${ingestPort}`);
    await waitFor('the exporter leads', () => kube.get('coordination.k8s.io/v1', 'Lease', 'notification-manager-event-exporter', 'default') !== undefined, 30_000);
    const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    kube.apply({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-0.backoff', namespace: 'team-a' },
      involvedObject: { kind: 'Pod', namespace: 'team-a', name: 'web-0' },
      reason: 'BackOff',
      message: 'Back-off restarting failed container',
      source: { component: 'kubelet' },
      lastTimestamp: at,
      count: 1,
      type: 'Warning',
    });
    await waitFor('the demo receiver printed the notification', () => out.includes('[demo-receiver] POST /team-a 1 alert(s)'), 60_000);

    process.kill(-child.pid!, 'SIGINT');
    expect(await exit).toBe(0);
  });
});
