import { CHANNELS, type Channel } from '@nm/contracts';
import { aliveServices, keys } from '@nm/config-store';
import type { FileProblem, LoadedObject } from '@nm/manifests';
import { isEnabled, receiverSections, type Receiver } from '@nm/model';
import type { Runtime } from '@nm/service-kit';
import type { Logger, Metrics } from '@nm/telemetry';

/**
 * Channels this version has a sender service for (`apps/sender-<channel>`): every channel of
 * contracts' `CHANNELS` now. Should a channel be added before its sender, leave it out here: its
 * Receiver sections are then routed, but no sender takes their notifications, so config-sync warns
 * and the aggregator's unclaimed notification reaper dead-letters them after
 * `NM_NOTIFY_UNCLAIMED_TIMEOUT`. (Tests name fewer channels through the functions' parameters.)
 */
export const SENDER_CHANNELS: readonly Channel[] = CHANNELS;

/** Source of the liveness warnings in `nm:config:problems` (`<source>#Receiver/<name>`). */
export const LIVENESS_SOURCE = 'sender-heartbeats';

export interface ReceiverChannel {
  file: string;
  receiver: string;
  channel: Channel;
}

/** The enabled channel sections of the valid Receivers (what the router routes to). */
export function receiverChannels(objects: readonly LoadedObject[]): ReceiverChannel[] {
  const out: ReceiverChannel[] = [];
  for (const o of objects) {
    if (o.kind !== 'Receiver') continue;
    for (const { channel, section } of receiverSections(o.object as unknown as Receiver)) {
      if (isEnabled(section)) out.push({ file: o.file, receiver: o.name, channel });
    }
  }
  return out;
}

/** Warnings for Receiver sections of channels no sender exists for in this version. */
export function missingSenderProblems(objects: readonly LoadedObject[], senders: readonly Channel[] = SENDER_CHANNELS): FileProblem[] {
  return receiverChannels(objects)
    .filter((r) => !senders.includes(r.channel))
    .map((r) => ({
      severity: 'warning' as const,
      file: r.file,
      kind: 'Receiver',
      name: r.receiver,
      field: `spec.${r.channel}`,
      message: `no sender exists for channel ${r.channel} in this version: its notifications are dead-lettered (reason no-sender) after NM_NOTIFY_UNCLAIMED_TIMEOUT`,
    }));
}

const gaugeOf = (metrics: Metrics) =>
  metrics.gauge('nm_config_receivers_without_sender', 'Receiver channel sections no sender takes, by channel and reason (no-implementation, not-running)', [
    'channel',
    'reason',
  ] as const);

/** Sets the `no-implementation` series of `nm_config_receivers_without_sender` from a validated configuration. */
export function countMissingImplementations(metrics: Metrics, objects: readonly LoadedObject[], senders: readonly Channel[] = SENDER_CHANNELS): void {
  const gauge = gaugeOf(metrics);
  const counts = new Map<Channel, number>();
  for (const r of receiverChannels(objects)) if (!senders.includes(r.channel)) counts.set(r.channel, (counts.get(r.channel) ?? 0) + 1);
  for (const channel of CHANNELS) if (!senders.includes(channel)) gauge.set({ channel, reason: 'no-implementation' }, counts.get(channel) ?? 0);
}

export interface SenderLivenessOptions {
  /** How often heartbeats are checked (default 30 s). */
  intervalMs?: number;
  /** Wait before the first check, so senders started alongside have beaten (default 20 s). */
  graceMs?: number;
  /** A heartbeat older than this is not live (default 10 s, as readiness counts it). */
  heartbeatMaxAgeMs?: number;
}

/**
 * Periodically checks that every channel the Receivers use has a live `sender-<channel>`
 * (heartbeat in Redis). Channels without one: a warning logged once per configuration revision
 * (and again when the set changes), `nm_config_receivers_without_sender{reason="not-running"}`,
 * and a warning per Receiver in `nm:config:problems` (source `sender-heartbeats`; written beside
 * the mirrored configuration, so it changes no revision).
 */
export class SenderLiveness {
  private readonly intervalMs: number;
  private readonly graceMs: number;
  private readonly maxAgeMs: number;
  private readonly gauge;
  private receivers: ReceiverChannel[] = [];
  private revision = 0;
  private lastLogged = '';
  private written = new Set<string>();
  private reportedChannels = new Set<Channel>();
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;
  private running: Promise<Channel[]> | undefined;

  constructor(
    private readonly redis: Runtime['redis'],
    private readonly logger: Logger,
    metrics: Metrics,
    opts: SenderLivenessOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 30_000;
    this.graceMs = opts.graceMs ?? 20_000;
    this.maxAgeMs = opts.heartbeatMaxAgeMs ?? 10_000;
    this.gauge = gaugeOf(metrics);
  }

  /** The configuration just mirrored. */
  update(revision: number, objects: readonly LoadedObject[]): void {
    this.revision = revision;
    this.receivers = receiverChannels(objects).filter((r) => SENDER_CHANNELS.includes(r.channel));
  }

  start(): void {
    this.first = setTimeout(() => {
      void this.check();
      this.timer = setInterval(() => void this.check(), this.intervalMs);
      this.timer.unref();
    }, this.graceMs);
    this.first.unref();
  }

  stop(): void {
    if (this.first) clearTimeout(this.first);
    if (this.timer) clearInterval(this.timer);
  }

  /** One check; resolves with the channels in use that have no live sender. */
  check(): Promise<Channel[]> {
    this.running ??= this.run()
      .catch((err: unknown) => {
        this.logger.debug({ err: (err as Error).message }, 'sender liveness check failed; will retry');
        return [...this.reportedChannels];
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async run(): Promise<Channel[]> {
    const alive = await aliveServices(this.redis, this.maxAgeMs);
    const missing = this.receivers.filter((r) => !alive.has(`sender-${r.channel}`));
    const channels = [...new Set(missing.map((r) => r.channel))].sort();

    const counts = new Map<Channel, number>();
    for (const r of missing) counts.set(r.channel, (counts.get(r.channel) ?? 0) + 1);
    for (const c of this.reportedChannels) if (!counts.has(c)) this.gauge.set({ channel: c, reason: 'not-running' }, 0);
    for (const [channel, n] of counts) this.gauge.set({ channel, reason: 'not-running' }, n);

    const problems = new Map<string, FileProblem[]>();
    for (const r of missing) {
      const field = `${LIVENESS_SOURCE}#Receiver/${r.receiver}`;
      problems.set(field, [
        ...(problems.get(field) ?? []),
        {
          severity: 'warning',
          file: r.file,
          kind: 'Receiver',
          name: r.receiver,
          field: `spec.${r.channel}`,
          message: `no live sender-${r.channel}: its notifications wait in NM_NOTIFY and are dead-lettered (reason no-sender) after NM_NOTIFY_UNCLAIMED_TIMEOUT`,
        },
      ]);
    }
    // Rewritten every check: a configuration write (MULTI with DEL) drops these fields.
    const stale = [...this.written].filter((f) => !problems.has(f));
    if (stale.length > 0) await this.redis.hdel(keys.problems, ...stale);
    for (const [field, list] of problems) await this.redis.hset(keys.problems, field, JSON.stringify(list));
    this.written = new Set(problems.keys());

    const key = `${this.revision}|${channels.join(',')}`;
    if (key !== this.lastLogged) {
      if (channels.length > 0) {
        this.logger.warn(
          { channels, receivers: missing.map((r) => `${r.channel}/${r.receiver}`), revision: this.revision },
          `Receivers use channels without a live sender (${channels.map((c) => `sender-${c}`).join(', ')}): their notifications are dead-lettered after NM_NOTIFY_UNCLAIMED_TIMEOUT`,
        );
      } else if (this.reportedChannels.size > 0) {
        this.logger.info({ revision: this.revision }, 'every channel the Receivers use has a live sender again');
      }
      this.lastLogged = key;
    }
    this.reportedChannels = new Set(channels);
    return channels;
  }
}
