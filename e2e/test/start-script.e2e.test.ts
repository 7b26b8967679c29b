import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { freePort, waitFor } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Started {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number | null>;
}

/**
 * `node scripts/start.mjs` (what `npm start` runs) in a process group of its own, as a terminal
 * runs it, so a "Ctrl-C" can be sent to the whole group.
 */
function startScript(env: Record<string, string>): Started {
  const child = spawn(process.execPath, [join(root, 'scripts/start.mjs')], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), LOG_LEVEL: 'warn', NM_SECRET_KEY: 'start-script-test-key-0123456789', ...env },
  });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exit = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, out: () => text, exit };
}

const reachable = (port: number): Promise<boolean> =>
  new Promise((res) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });

const occupy = (port: number): Promise<Server> =>
  new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(port, '127.0.0.1', () => res(srv));
  });

describe('npm start (scripts/start.mjs)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
  const track = (s: Started): Started => {
    cleanups.push(async () => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return;
      s.child.kill('SIGTERM'); // stops its children too
      const done = await Promise.race([s.exit.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 60_000))]);
      if (!done) s.child.kill('SIGKILL');
    });
    return s;
  };
  const tempDir = (prefix: string): string => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it('starts private NATS and Redis, delivers to the demo receiver, and exits 0 after draining on a Ctrl-C to the process group', async () => {
    const [natsPort, redisPort, ingestPort, demoPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const config = tempDir('nm-start-config-');
    writeFileSync(join(config, 'nm.yaml'), notificationManager({ batchMaxWait: '1s' }));
    writeFileSync(join(config, 'receivers.yaml'), docs(webhookReceiver('demo', `http://127.0.0.1:${demoPort}/demo`, { type: 'global' })));
    const s = track(
      startScript({
        // nothing listens there: the script starts private servers
        NATS_URL: `nats://127.0.0.1:${natsPort}`,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        NM_INGEST_PORT: String(ingestPort),
        DEMO_RECEIVER_PORT: String(demoPort),
        NM_CONFIG_DIR: config,
        NM_LOCAL_DIR: tempDir('nm-start-local-'),
      }),
    );
    await waitFor('ready', () => s.out().includes('[start] ready:') || s.child.exitCode !== null, 90_000);
    expect(s.out()).toContain(`[start] ready: http://127.0.0.1:${ingestPort}`);
    const privatePorts = [...s.out().matchAll(/nats:\/\/127\.0\.0\.1:(\d+) \(private nats-server started\)|redis:\/\/127\.0\.0\.1:(\d+) \(private redis-server started\)/g)].map((m) =>
      Number(m[1] ?? m[2]),
    );
    expect(privatePorts).toHaveLength(2);

    const r = await fetch(`http://127.0.0.1:${ingestPort}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ labels: { alertname: 'StartScript', namespace: 'team-a' }, annotations: {} }]),
    });
    expect(r.status).toBe(200);
    await waitFor('the demo receiver printed the notification', () => s.out().includes('[demo-receiver] POST /demo 1 alert(s)'), 60_000);

    // Ctrl-C in a terminal: SIGINT to the whole foreground process group
    process.kill(-s.child.pid!, 'SIGINT');
    expect(await s.exit).toBe(0);
    expect(s.out()).toContain('[start] notification manager stopped\n');
    expect(s.out()).not.toMatch(/exited \(|stopped with|killed/);
    for (const port of [...privatePorts, ingestPort, demoPort]) expect(await reachable(port)).toBe(false);
  });

  it.each([
    ['demo receiver', 'DEMO_RECEIVER_PORT'],
    ['ingest API', 'NM_INGEST_PORT'],
  ])('stops with one line naming the port when the %s port is in use, starting nothing', async (what, envName) => {
    const [ingestPort, demoPort, natsPort, redisPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const busy = envName === 'NM_INGEST_PORT' ? ingestPort : demoPort;
    const srv = await occupy(busy);
    cleanups.push(() => new Promise<void>((res) => srv.close(() => res())));
    const s = track(
      startScript({
        NATS_URL: `nats://127.0.0.1:${natsPort}`,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        NM_INGEST_PORT: String(ingestPort),
        DEMO_RECEIVER_PORT: String(demoPort),
        NM_CONFIG_DIR: tempDir('nm-start-config-'),
        NM_LOCAL_DIR: tempDir('nm-start-local-'),
      }),
    );
    expect(await s.exit).toBe(1);
    expect(s.out()).toBe(`[start] port ${busy} (${what}) is already in use: stop what listens there, or set ${envName} to another port\n`);
  });
});
