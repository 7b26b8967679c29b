/**
 * Shared pieces of the kill -9 tests of the pipeline stages: a poster that keeps sending unique
 * alerts (retrying like Alertmanager until ingest answers 200), counting of every request that
 * reached the webhook sink, and a JetStream view of the work a stage held when it was killed.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { ConsumerDefinition } from '@nm/contracts';
import { sleep, waitFor, type SinkRequest, type WebhookSink } from '@nm/testing';
import type { Service, Stack, WebhookNotification } from './stack.js';

/** Alerts per POST, cycled: mostly small POSTs, some with many alerts. */
export const POST_SIZES = [1, 3, 1, 8, 2, 1, 15, 1, 4, 1, 2, 25, 1, 3, 1, 6, 1, 2, 12, 1] as const;

export interface PostRecord {
  readonly index: number;
  /** alertname of every alert in the body (unique across the test). */
  readonly names: readonly string[];
  readonly body: unknown;
  /** When the first attempt was sent. */
  readonly startedAt: number;
  /** Status of every attempt; 0 = the connection died or was refused (no answer). */
  readonly statuses: number[];
  /** When ingest answered 200 (undefined while not accepted). */
  acceptedAt: number | undefined;
  /** The POST is being sent (first attempt or a retry). */
  inFlight: boolean;
}

/** One POST of ingest's array shape; retried (same body) until ingest answers 200, like Alertmanager. */
export async function postUntilAccepted(stack: Stack, rec: PostRecord, opts: { retryDelayMs?: number; giveUpAfterMs?: number } = {}): Promise<void> {
  const deadline = rec.startedAt + (opts.giveUpAfterMs ?? 120_000);
  rec.inFlight = true;
  try {
    for (;;) {
      const r = await stack.postAlerts(rec.body).catch(() => ({ status: 0 }));
      rec.statuses.push(r.status);
      if (r.status === 200) {
        rec.acceptedAt = Date.now();
        return;
      }
      // 4xx is a verdict on the request, not something a retry changes
      if (r.status >= 400 && r.status < 500) return;
      if (Date.now() > deadline) return;
      await sleep(opts.retryDelayMs ?? 300);
    }
  } finally {
    rec.inFlight = false;
  }
}

export interface PosterOptions {
  /** alertname prefix: alert k of POST i is `<prefix>-<i>-<k>`. */
  prefix: string;
  namespace: string;
  /** Alerts per POST, cycled (default POST_SIZES). */
  sizes?: readonly number[];
  /** Extra labels of alert k of POST i. */
  labels?: (post: number, k: number) => Record<string, string>;
  /** POSTs sent at once (default 2). */
  workers?: number;
  /** Pause of each worker between two POSTs (default 100 ms). */
  gapMs?: number;
  /** Never more POSTs than this (default 120). */
  maxPosts?: number;
}

/** Keeps posting unique alerts until told to stop; every POST is retried until accepted. */
export class AlertPoster {
  readonly posts: PostRecord[] = [];
  private stopAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | undefined;
  private paused = false;

  constructor(
    private readonly stack: Stack,
    private readonly opts: PosterOptions,
  ) {}

  /** The body of POST `i` (deterministic). */
  bodyOf(i: number): { names: string[]; body: unknown } {
    const sizes = this.opts.sizes ?? POST_SIZES;
    const n = sizes[i % sizes.length]!;
    const names: string[] = [];
    const body = Array.from({ length: n }, (_, k) => {
      const alertname = `${this.opts.prefix}-${i}-${k}`;
      names.push(alertname);
      return {
        labels: { alertname, namespace: this.opts.namespace, ...(this.opts.labels?.(i, k) ?? {}) },
        annotations: { message: `post ${i} alert ${k}` },
      };
    });
    return { names, body };
  }

  start(): void {
    const workers = this.opts.workers ?? 2;
    const max = this.opts.maxPosts ?? 120;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (Date.now() < this.stopAt && next < max) {
        if (this.paused) {
          await sleep(10);
          continue;
        }
        const i = next++;
        const { names, body } = this.bodyOf(i);
        const rec: PostRecord = { index: i, names, body, startedAt: Date.now(), statuses: [], acceptedAt: undefined, inFlight: false };
        this.posts.push(rec);
        await postUntilAccepted(this.stack, rec);
        await sleep(this.opts.gapMs ?? 100);
      }
    };
    this.running = Promise.all(Array.from({ length: workers }, () => worker())).then(() => undefined);
  }

  /** Holds back new POSTs until `resume()` (POSTs already started go on). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** POSTs being sent right now. */
  inFlight(): number {
    return this.posts.filter((p) => p.inFlight).length;
  }

  /** Sends no new POST `ms` from now; POSTs already started keep retrying until accepted. */
  stopAfter(ms: number): void {
    this.stopAt = Math.min(this.stopAt, Date.now() + ms);
  }

  /** Resolves when every started POST was answered for good. */
  async done(): Promise<void> {
    await this.running;
  }

  /** Names of the alerts in POSTs ingest answered 200 for. */
  accepted(): string[] {
    return this.posts.filter((p) => p.acceptedAt !== undefined).flatMap((p) => p.names);
  }

  /** POSTs with an attempt that got no answer (connection died or refused). */
  unanswered(): PostRecord[] {
    return this.posts.filter((p) => p.statuses.includes(0));
  }

  statusSummary(): string {
    const counts = new Map<number, number>();
    for (const p of this.posts) for (const s of p.statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
    return [...counts].map(([s, n]) => `${s}×${n}`).join(' ');
  }
}

/** Every request on `path` that reached the sink (answered or not, completed or not). */
export function sinkRequests(sink: WebhookSink, path: string): SinkRequest[] {
  return sink.requests.filter((r) => r.path === path);
}

/** alertname of every alert in every request on `path` that reached the sink. */
export function sinkAlertNames(sink: WebhookSink, path: string): string[] {
  return sinkRequests(sink, path).flatMap((r) => (r.body as WebhookNotification | undefined)?.alerts.map((a) => a.labels.alertname ?? '?') ?? ['<unparsed body>']);
}

/** Names seen more than once, with their counts. */
export function repeatedNames(names: readonly string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return Object.fromEntries([...counts].filter(([, c]) => c > 1));
}

/** Until the sink holds at least one delivery of each of `names` on `path`. */
export async function waitForAlerts(sink: WebhookSink, path: string, names: readonly string[], timeoutMs = 120_000): Promise<void> {
  await waitFor(
    `${names.length} alerts at ${path}`,
    () => {
      const got = new Set(sinkAlertNames(sink, path));
      return names.every((n) => got.has(n));
    },
    timeoutMs,
    200,
  ).catch((err: Error) => {
    const got = new Set(sinkAlertNames(sink, path));
    const missing = names.filter((n) => !got.has(n));
    throw new Error(`${err.message}; ${missing.length} missing: ${missing.slice(0, 20).join(', ')}`);
  });
}

/**
 * Until nothing more is coming: not before `notBefore` (e.g. the kill plus the consumer's ack wait,
 * when redeliveries land), every arrived request answered, and no new arrival for `quietMs`.
 */
export async function waitQuiet(sink: WebhookSink, opts: { notBefore: number; quietMs?: number; timeoutMs?: number }): Promise<void> {
  const quietMs = opts.quietMs ?? 6000;
  let last = sink.stats().arrived;
  let lastChange = Date.now();
  await waitFor(
    'the sink to settle',
    () => {
      const { arrived } = sink.stats();
      if (arrived !== last) {
        last = arrived;
        lastChange = Date.now();
      }
      return Date.now() >= opts.notBefore && arrived === sink.requests.length && Date.now() - lastChange >= quietMs;
    },
    opts.timeoutMs ?? 120_000,
    100,
  );
}

/** A management connection to the stack's nats-server, to look at consumers. */
export interface NatsView {
  readonly jsm: JetStreamManager;
  /** Messages delivered to the consumer and not acknowledged yet. */
  ackPending(consumer: ConsumerDefinition): Promise<number>;
  /** The stream's last sequence (grows with every stored message, whether consumed or not). */
  lastSeq(stream: string): Promise<number>;
  close(): Promise<void>;
}

export async function natsView(url: string): Promise<NatsView> {
  const nc: NatsConnection = await connect({ servers: url, name: 'e2e-view' });
  const jsm = await jetstreamManager(nc);
  return {
    jsm,
    ackPending: async (c) => (await jsm.consumers.info(c.stream, c.durable)).num_ack_pending,
    lastSeq: async (stream) => (await jsm.streams.info(stream)).state.last_seq,
    close: () => nc.close(),
  };
}

/**
 * SIGKILLs `service` while its consumer holds delivered, unacknowledged messages. Watches the
 * consumer until it holds some, kills, then reads what the dead process left un-acked (they will be
 * redelivered after the ack wait). When the kill came just after the last ack (nothing held), the
 * service is restarted and the kill tried again, up to `attempts` times.
 */
export async function killWhileHolding(
  stack: Stack,
  view: NatsView,
  service: Service,
  consumer: ConsumerDefinition,
  opts: { attempts?: number; minPending?: number } = {},
): Promise<{ attempts: number; heldAtKill: number; killedAt: number }> {
  const attempts = opts.attempts ?? 6;
  const minPending = opts.minPending ?? 1;
  for (let attempt = 1; ; attempt++) {
    await waitFor(`${service} holding messages`, async () => (await view.ackPending(consumer)) >= minPending, 30_000, 1);
    await stack.kill9(service);
    const killedAt = Date.now();
    const heldAtKill = await view.ackPending(consumer);
    if (heldAtKill > 0 || attempt >= attempts) return { attempts: attempt, heldAtKill, killedAt };
    stack.start(service);
  }
}

/** Number of times `text` occurs in a service's output (all its runs). */
export function countInLogs(stack: Stack, service: Service, text: string): number {
  return stack.logs(service).split(text).length - 1;
}

/** The log lines of `service` (all runs) that mention any of `words`, at most `max`. */
export function logLines(stack: Stack, service: Service, words: readonly string[], max = 30): string[] {
  return stack
    .logs(service)
    .split('\n')
    .filter((l) => words.some((w) => l.includes(w)))
    .slice(-max);
}
