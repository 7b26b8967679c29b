import { deadLetterMsgId, deadLetterOf, type BusConnection, type Publisher } from '@nm/bus';
import { aliveServices } from '@nm/config-store';
import { CHANNELS, headers as H, senderConsumer, subjects, type Channel } from '@nm/contracts';
import { parseDuration } from '@nm/model';
import { EnvError, type Logger, type Metrics } from '@nm/telemetry';
import type { Runtime } from '@nm/service-kit';

type PullConsumer = Awaited<ReturnType<BusConnection['js']['consumers']['get']>>;
type JsMsg = NonNullable<Awaited<ReturnType<PullConsumer['next']>>>;
type MsgRequest = Parameters<BusConnection['jsm']['streams']['getMessage']>[1];

/** Default of `NM_NOTIFY_UNCLAIMED_TIMEOUT`. */
export const DEFAULT_UNCLAIMED_TIMEOUT_MS = 5 * 60_000;
/** The Redis key of the lease: one aggregator replica reaps at a time. */
export const REAPER_LOCK_KEY = 'nm:lock:unclaimed-reaper';

/**
 * `NM_NOTIFY_UNCLAIMED_TIMEOUT`: a Go duration (`5m`, `90s`); `0` turns the reaper off.
 * Throws one line (EnvError) when the value cannot be parsed.
 */
export function unclaimedTimeoutFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env['NM_NOTIFY_UNCLAIMED_TIMEOUT'];
  if (raw === undefined || raw.trim() === '') return DEFAULT_UNCLAIMED_TIMEOUT_MS;
  if (raw.trim() === '0') return 0;
  try {
    const ms = parseDuration(raw.trim());
    if (ms <= 0) throw new Error('must be positive');
    return ms;
  } catch (err) {
    throw new EnvError(`invalid environment: NM_NOTIFY_UNCLAIMED_TIMEOUT: ${(err as Error).message} (a duration such as 5m or 90s, or 0 to turn it off)`);
  }
}

/** `300000` → `5m`, `2000` → `2s`, `1500` → `1.5s`. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}

export interface UnclaimedReaperDeps {
  bus: BusConnection;
  publisher: Publisher;
  redis: Runtime['redis'];
  logger: Logger;
  metrics: Metrics;
  /** This replica's id (the lease holder's value). */
  instance: string;
  now?: () => number;
}

export interface UnclaimedReaperOptions {
  /** How old a waiting notification must be, and how long its channel must have had no live sender, before it is dead-lettered. */
  timeoutMs: number;
  /** How often channels are checked (default: a quarter of the timeout, between 1 s and 30 s). */
  intervalMs?: number;
  /** A sender whose heartbeat is older than this is not live (default 10 s, as readiness counts it). */
  heartbeatMaxAgeMs?: number;
  /** Channels checked (default every channel). */
  channels?: readonly Channel[];
  /** Messages fetched per pull (default 100); a tick pulls until it meets a young message or `maxPerTick`. */
  batchSize?: number;
  maxPerTick?: number;
}

export interface TickResult {
  /** Whether this replica held the lease. */
  leader: boolean;
  /** Dead-lettered per channel. */
  reaped: Partial<Record<Channel, number>>;
}

/** Renews the lease when this replica holds it. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/** Releases the lease when this replica holds it. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Dead-letters notifications that no sender takes. A channel's notifications wait in `NM_NOTIFY`
 * on the channel's durable consumer `sender-<channel>`; when no sender of that channel is deployed
 * (or none exists for it in this version), they would wait forever. Every interval, for each
 * channel without a live `sender-<channel>` heartbeat (for at least the timeout, as this replica
 * observed it) and without a client pulling from its consumer, the messages older than the
 * timeout are pulled from that consumer, published to `nm.dlq.sender-<channel>` with reason
 * `no-sender` (message id `dlq-<stream>-<seq>`, as the consume loop dead-letters), then acked.
 * A younger message met on the way is handed back with a delay until it is old enough.
 * One replica reaps at a time: a Redis lease (`SET NX PX`), renewed every tick.
 */
export class UnclaimedReaper {
  private readonly timeoutMs: number;
  private readonly intervalMs: number;
  private readonly heartbeatMaxAgeMs: number;
  private readonly channels: readonly Channel[];
  private readonly batchSize: number;
  private readonly maxPerTick: number;
  private readonly leaseMs: number;
  private readonly now: () => number;
  /** When this replica first saw each channel without a live sender. */
  private readonly absentSince = new Map<Channel, number>();
  /** Channels reported as unclaimed, so the log says it once per episode. */
  private readonly reported = new Set<Channel>();
  private readonly unclaimed;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<TickResult> | undefined;
  private leader = false;
  private stopped = false;

  constructor(
    private readonly deps: UnclaimedReaperDeps,
    opts: UnclaimedReaperOptions,
  ) {
    this.timeoutMs = opts.timeoutMs;
    this.intervalMs = opts.intervalMs ?? Math.min(30_000, Math.max(1000, Math.floor(opts.timeoutMs / 4)));
    this.heartbeatMaxAgeMs = opts.heartbeatMaxAgeMs ?? 10_000;
    this.channels = opts.channels ?? CHANNELS;
    this.batchSize = opts.batchSize ?? 100;
    this.maxPerTick = opts.maxPerTick ?? 5000;
    this.leaseMs = Math.max(3 * this.intervalMs, 10_000);
    this.now = deps.now ?? Date.now;
    this.unclaimed = deps.metrics.counter(
      'nm_notifications_unclaimed_total',
      'Notifications dead-lettered because no sender of their channel took them in time, by channel',
      ['channel'] as const,
    );
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    if (this.leader) {
      this.leader = false;
      await this.deps.redis.eval(RELEASE, 1, REAPER_LOCK_KEY, this.deps.instance).catch(() => undefined);
    }
  }

  /** One round (ticks never overlap; a call during a running round returns that round). */
  tick(): Promise<TickResult> {
    this.running ??= this.round()
      .catch((err: unknown): TickResult => {
        this.deps.logger.warn({ err: (err as Error).message }, 'unclaimed notification check failed; will retry');
        return { leader: this.leader, reaped: {} };
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async round(): Promise<TickResult> {
    const reaped: TickResult['reaped'] = {};
    if (this.stopped) return { leader: false, reaped };
    const alive = await aliveServices(this.deps.redis, this.heartbeatMaxAgeMs);
    const now = this.now();
    for (const channel of this.channels) {
      if (alive.has(`sender-${channel}`)) {
        this.absentSince.delete(channel);
        if (this.reported.delete(channel)) this.deps.logger.info({ channel }, `a live sender-${channel} is back; its notifications are no longer dead-lettered`);
      } else if (!this.absentSince.has(channel)) this.absentSince.set(channel, now);
    }
    this.leader = await this.holdLease();
    if (!this.leader) return { leader: false, reaped };
    for (const channel of this.channels) {
      if (this.stopped) break;
      const since = this.absentSince.get(channel);
      if (since === undefined || now - since < this.timeoutMs) continue;
      const n = await this.reapChannel(channel);
      if (n > 0) reaped[channel] = n;
    }
    return { leader: true, reaped };
  }

  private async holdLease(): Promise<boolean> {
    const { redis, instance } = this.deps;
    const took = await redis.set(REAPER_LOCK_KEY, instance, 'PX', this.leaseMs, 'NX');
    if (took === 'OK') {
      if (!this.leader) this.deps.logger.debug('unclaimed notification reaper: this replica holds the lease');
      return true;
    }
    const renewed = await redis.eval(RENEW, 1, REAPER_LOCK_KEY, instance, String(this.leaseMs));
    return renewed === 1;
  }

  /** Dead-letters the channel's notifications older than the timeout; returns how many. */
  private async reapChannel(channel: Channel): Promise<number> {
    const { bus } = this.deps;
    const def = senderConsumer(channel);
    let info = await bus.jsm.consumers.info(def.stream, def.durable);
    if (info.num_pending + info.num_ack_pending === 0) return 0;
    // A client pulling from the consumer is a sender, whatever its heartbeat says.
    if (info.num_waiting > 0) return 0;
    const cutoff = this.now() - this.timeoutMs;
    // The oldest waiting message (stream time grows with the sequence): nothing to do while it is young.
    const oldest = await bus.jsm.streams.getMessage(def.stream, { seq: 0, next_by_subj: def.filterSubject } as unknown as MsgRequest);
    if (!oldest || oldest.time.getTime() > cutoff) return 0;

    const consumer = await bus.js.consumers.get(def.stream, def.durable);
    let total = 0;
    // What a pull can get at once: a pull asking for more waits out its whole expiry for the rest.
    let available = info.num_pending + info.num_ack_pending;
    for (;;) {
      const want = Math.min(this.batchSize, this.maxPerTick - total, available);
      if (want <= 0 || this.stopped) break;
      const batch = await consumer.fetch({ max_messages: want, expires: 1000 });
      let old = 0;
      let young = false;
      for await (const msg of batch) {
        const age = this.now() - msg.time.getTime();
        if (age < this.timeoutMs || this.stopped) {
          // Not ours yet: back to the consumer, redelivered once it is old enough (or to a sender that appears).
          msg.nak(this.stopped ? 0 : this.timeoutMs - age + 100);
          young = true;
          continue;
        }
        try {
          await this.deadLetter(channel, msg);
          old += 1;
        } catch (err) {
          msg.nak(1000);
          throw err;
        }
      }
      total += old;
      if (old === 0 || young || old < want) break;
      // A sender that came up meanwhile takes over.
      if ((await aliveServices(this.deps.redis, this.heartbeatMaxAgeMs)).has(`sender-${channel}`)) break;
      // Messages never delivered yet (the acks just sent may not be counted, so not the pending acks:
      // a redelivery due waits for the next tick).
      info = await bus.jsm.consumers.info(def.stream, def.durable);
      available = info.num_pending;
    }
    if (total > 0) {
      this.unclaimed.inc({ channel }, total);
      const fields = { channel, count: total, timeout: formatDuration(this.timeoutMs) };
      if (!this.reported.has(channel)) {
        this.reported.add(channel);
        this.deps.logger.warn(fields, `notifications of channel ${channel} dead-lettered: no live sender-${channel} took them within ${formatDuration(this.timeoutMs)}`);
      } else this.deps.logger.info(fields, `more notifications of channel ${channel} dead-lettered (no live sender-${channel})`);
    }
    return total;
  }

  private async deadLetter(channel: Channel, msg: JsMsg): Promise<void> {
    const timeout = formatDuration(this.timeoutMs);
    const dl = deadLetterOf(msg, this.deps.publisher, {
      stage: `sender-${channel}`,
      reason: 'no-sender',
      error: `no sender-${channel} has taken this notification within ${timeout} (no live sender-${channel} instance)`,
      time: new Date(this.now()),
    });
    const traceparent = msg.headers?.get(H.traceparent) || undefined;
    await this.deps.publisher.publish(subjects.dlq(`sender-${channel}`), dl, {
      // The consume loop's id for a dead letter of this message: a second dead-lettering is deduplicated.
      msgId: deadLetterMsgId(msg),
      ...(traceparent ? { traceparent } : {}),
    });
    // Acked, not termed: on a work-queue stream only an ack removes the message.
    msg.ack();
  }
}

/**
 * Starts the reaper with `NM_NOTIFY_UNCLAIMED_TIMEOUT` from the environment (unless `timeoutMs` is
 * given); a timeout of 0 starts nothing.
 */
export function startUnclaimedReaper(
  deps: UnclaimedReaperDeps,
  opts: Partial<UnclaimedReaperOptions> = {},
): { reaper: UnclaimedReaper | undefined; stop(): Promise<void> } {
  const timeoutMs = opts.timeoutMs ?? unclaimedTimeoutFromEnv();
  if (timeoutMs <= 0) {
    deps.logger.info('unclaimed notification reaper off (NM_NOTIFY_UNCLAIMED_TIMEOUT=0)');
    return { reaper: undefined, stop: () => Promise.resolve() };
  }
  const reaper = new UnclaimedReaper(deps, { ...opts, timeoutMs });
  reaper.start();
  return { reaper, stop: () => reaper.stop() };
}
