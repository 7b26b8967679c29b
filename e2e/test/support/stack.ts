import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startNats, startRedis, waitFor, type PrivateNats, type PrivateRedis } from '@nm/testing';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export const SERVICES = ['config-sync', 'ingest', 'silencer', 'router', 'aggregator', 'sender-webhook'] as const;
/** Channel senders besides sender-webhook; spawned only when `services` names them. */
export const CHANNEL_SENDERS = ['sender-email', 'sender-slack', 'sender-wechat', 'sender-dingtalk', 'sender-feishu'] as const;
/** The Pushover, Discord and Telegram senders (channels-chat.e2e.test.ts); spawned only when `services` names them. */
export const CHAT_SENDERS = ['sender-pushover', 'sender-discord', 'sender-telegram'] as const;
/** The SMS sender (channels-sms.e2e.test.ts); spawned only when `services` names it. */
export const SMS_SENDER = 'sender-sms' as const;
/** The Teams, PagerDuty, Opsgenie and Google Chat senders (channels-incident.e2e.test.ts); spawned only when `services` names them. */
export const INCIDENT_SENDERS = ['sender-teams', 'sender-pagerduty', 'sender-opsgenie', 'sender-googlechat'] as const;
/** Services that need a Kubernetes API server; spawned only when `services` names them. */
export const CLUSTER_SERVICES = ['event-exporter'] as const;
export type Service = (typeof SERVICES)[number] | (typeof CHANNEL_SENDERS)[number] | (typeof CLUSTER_SERVICES)[number] | typeof SMS_SENDER | (typeof CHAT_SENDERS)[number] | (typeof INCIDENT_SENDERS)[number];

export interface StackOptions {
  manifests: Record<string, string>;
  env?: Partial<Record<Service, Record<string, string>>>;
  /** Environment of every service (under `env`), e.g. `NM_STREAM_*` limits, which every service provisions. */
  commonEnv?: Record<string, string>;
  /**
   * Services to spawn (default `SERVICES`). When given, ingest is ready once every other listed
   * service is up (`NM_READY_REQUIRES`, unless `env.ingest` sets it).
   */
  services?: readonly Service[];
  /** Processes per service (default 1); replicas share the service's durable consumer. */
  replicas?: Partial<Record<Service, number>>;
  /**
   * Where config-sync reads configuration: `directory` (default; `NM_CONFIG_DIR` is the temp
   * directory of `manifests`) or `kubernetes` (no `NM_CONFIG_DIR`; pass `NM_CONFIG_SOURCE`,
   * `KUBECONFIG` and the rest through `env['config-sync']`).
   */
  configSource?: 'directory' | 'kubernetes';
  /** How long to wait for ingest's /-/ready (default 60 s; suites spawning many processes on a loaded machine wait longer). */
  readyTimeoutMs?: number;
}

export interface Stack {
  readonly ingestUrl: string;
  readonly nats: PrivateNats;
  readonly redis: PrivateRedis;
  readonly configDir: string;
  /** SIGKILL one service (every replica, or only `replica`). */
  kill9(service: Service, replica?: number): Promise<void>;
  /** (Re)start one service (every replica, or only `replica`). */
  start(service: Service, replica?: number): void;
  /** POST a body to ingest's /api/v2/alerts. */
  postAlerts(body: unknown): Promise<{ status: number; body: { Status: number; Message: string } }>;
  /** Output of one service: every replica's, one after the other, or only `replica`'s. */
  logs(service: Service, replica?: number): string;
  stop(): Promise<void>;
}

/**
 * The whole pipeline as separate processes (each service's built `dist/main.js`), against a
 * private nats-server and redis-server, configured from a temp directory of manifests.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const services: readonly Service[] = opts.services ?? SERVICES;
  const replicasOf = (service: Service): number => Math.max(1, opts.replicas?.[service] ?? 1);
  const nats = await startNats();
  const redis = await startRedis();
  const configDir = mkdtempSync(join(tmpdir(), 'nm-e2e-config-'));
  for (const [file, text] of Object.entries(opts.manifests)) writeFileSync(join(configDir, file), text);
  const ingestPort = await freePort();
  /** Keyed `service#replica`. */
  const procs = new Map<string, ChildProcess>();
  const output = new Map<string, string>();
  const key = (service: Service, replica: number): string => `${service}#${replica}`;
  const replicaList = (service: Service, replica?: number): number[] =>
    replica === undefined ? Array.from({ length: replicasOf(service) }, (_, i) => i) : [replica];
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NATS_URL: nats.url,
    REDIS_URL: redis.url,
    NM_SECRET_KEY: 'e2e-secret-key-0123456789',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
    NM_HEALTH_PORT: '0',
    NM_HEALTH_HOST: '127.0.0.1',
  };
  const startOne = (service: Service, replica: number): void => {
    // the suites read ingest's API without tokens unless they set NM_API_AUTH (security-*.e2e.test.ts)
    const apiAuth: Record<string, string> = service === 'ingest' ? { NM_API_AUTH: 'none' } : {};
    const env: Record<string, string> = { ...baseEnv, ...apiAuth, ...(opts.commonEnv ?? {}), ...(opts.env?.[service] ?? {}) };
    if (service === 'ingest') env.NM_INGEST_PORT = String(ingestPort);
    if (service === 'ingest' && opts.services && opts.env?.ingest?.NM_READY_REQUIRES === undefined) {
      env.NM_READY_REQUIRES = services.filter((s) => s !== 'ingest').join(',');
    }
    if (service === 'config-sync' && opts.configSource !== 'kubernetes') env.NM_CONFIG_DIR = configDir;
    const child = spawn(process.execPath, [join(root, 'apps', service, 'dist', 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const k = key(service, replica);
    const append = (d: Buffer): void => {
      const prev = output.get(k) ?? '';
      output.set(k, (prev + d.toString()).slice(-200_000));
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    procs.set(k, child);
  };
  const start = (service: Service, replica?: number): void => {
    for (const r of replicaList(service, replica)) startOne(service, r);
  };
  const logs = (service: Service, replica?: number): string => replicaList(service, replica).map((r) => output.get(key(service, r)) ?? '').join('');
  for (const s of services) start(s);
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;
  await waitFor(
    'pipeline ready',
    async () => {
      const r = await fetch(`${ingestUrl}/-/ready`).catch(() => undefined);
      return r?.ok ?? false;
    },
    opts.readyTimeoutMs ?? 60_000, // a dozen processes booting on a loaded 2-core machine
    100,
  ).catch(async (err: Error) => {
    const dump = services.map((s) => `--- ${s}\n${logs(s).slice(-2000)}`).join('\n');
    // leave nothing running behind a failed start, or jest never exits
    for (const c of procs.values()) if (c.exitCode === null) c.kill('SIGKILL');
    await nats.stop();
    await redis.stop();
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
    kill9: async (s, replica) => {
      await Promise.all(
        replicaList(s, replica).map(async (r) => {
          const c = procs.get(key(s, r));
          if (c) await exit(c, 'SIGKILL');
        }),
      );
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
    logs,
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
