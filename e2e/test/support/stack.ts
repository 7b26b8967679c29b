import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startNats, startRedis, waitFor, type PrivateNats, type PrivateRedis } from '@nm/testing';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export const SERVICES = ['config-sync', 'ingest', 'silencer', 'router', 'aggregator', 'sender-webhook'] as const;
export type Service = (typeof SERVICES)[number];

export interface Stack {
  readonly ingestUrl: string;
  readonly nats: PrivateNats;
  readonly redis: PrivateRedis;
  readonly configDir: string;
  /** SIGKILL one service. */
  kill9(service: Service): Promise<void>;
  start(service: Service): void;
  /** POST a body to ingest's /api/v2/alerts. */
  postAlerts(body: unknown): Promise<{ status: number; body: { Status: number; Message: string } }>;
  logs(service: Service): string;
  stop(): Promise<void>;
}

/**
 * The whole pipeline as separate processes (each service's built `dist/main.js`), against a
 * private nats-server and redis-server, configured from a temp directory of manifests.
 */
export async function startStack(opts: { manifests: Record<string, string>; env?: Partial<Record<Service, Record<string, string>>> }): Promise<Stack> {
  const nats = await startNats();
  const redis = await startRedis();
  const configDir = mkdtempSync(join(tmpdir(), 'nm-e2e-config-'));
  for (const [file, text] of Object.entries(opts.manifests)) writeFileSync(join(configDir, file), text);
  const ingestPort = await freePort();
  const procs = new Map<Service, ChildProcess>();
  const output = new Map<Service, string>();
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NATS_URL: nats.url,
    REDIS_URL: redis.url,
    NM_SECRET_KEY: 'e2e-secret-key-0123456789',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
    NM_HEALTH_PORT: '0',
    NM_HEALTH_HOST: '127.0.0.1',
  };
  const start = (service: Service): void => {
    const env: Record<string, string> = { ...baseEnv, ...(opts.env?.[service] ?? {}) };
    if (service === 'ingest') env.NM_INGEST_PORT = String(ingestPort);
    if (service === 'config-sync') env.NM_CONFIG_DIR = configDir;
    const child = spawn(process.execPath, [join(root, 'apps', service, 'dist', 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const append = (d: Buffer): void => {
      const prev = output.get(service) ?? '';
      output.set(service, (prev + d.toString()).slice(-200_000));
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    procs.set(service, child);
  };
  for (const s of SERVICES) start(s);
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;
  await waitFor(
    'pipeline ready',
    async () => {
      const r = await fetch(`${ingestUrl}/-/ready`).catch(() => undefined);
      return r?.ok ?? false;
    },
    30_000,
    100,
  ).catch((err: Error) => {
    const dump = SERVICES.map((s) => `--- ${s}\n${(output.get(s) ?? '').slice(-2000)}`).join('\n');
    throw new Error(`${err.message}\n${dump}`);
  });

  const exit = (c: ChildProcess, signal: NodeJS.Signals): Promise<void> =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise((res) => {
          c.once('exit', () => res());
          c.kill(signal);
        });

  return {
    ingestUrl,
    nats,
    redis,
    configDir,
    kill9: async (s) => {
      const c = procs.get(s);
      if (c) await exit(c, 'SIGKILL');
    },
    start,
    postAlerts: async (body) => {
      const r = await fetch(`${ingestUrl}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as { Status: number; Message: string } };
    },
    logs: (s) => output.get(s) ?? '',
    stop: async () => {
      await Promise.all([...procs.values()].map((c) => exit(c, 'SIGTERM')));
      await nats.stop();
      await redis.stop();
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}

/** Notification bodies (v4 webhook JSON) received on `path`, parsed. */
export interface WebhookNotification {
  receiver?: string;
  groupLabels: Record<string, string>;
  alerts: Array<{ id: string; status: string; labels: Record<string, string> }>;
}
