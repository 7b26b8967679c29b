import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Logger, Metrics } from '@nm/telemetry';
import { describeError, statusOf } from './kube.config.js';

export interface LeaseOptions {
  /** Lease name, e.g. `notification-manager-config-sync`. */
  name: string;
  namespace: string;
  /** This replica's identity (holderIdentity). */
  identity: string;
  /** How long a lease holds without renewal (default 15 s; written in whole seconds). */
  durationMs?: number;
  /** How often the leader renews (default 5 s). */
  renewMs?: number;
  /** How often a follower checks the lease (default 2 s). */
  retryMs?: number;
  /**
   * A leader that could not renew for this long stops acting as leader (default two thirds of
   * the duration), before any follower may take over.
   */
  renewDeadlineMs?: number;
  /**
   * Prefix of the metrics: `<prefix>_leader` (1 while leading) and `<prefix>_leader_transitions_total`,
   * e.g. `nm_config_sync`.
   */
  metricPrefix: string;
  /** What the leader does, for the log line when it starts leading (e.g. `this replica writes the configuration`). */
  leaderRole?: string;
}

export interface LeaderCallbacks {
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
}

const asDate = (v: unknown): Date | undefined => {
  if (v instanceof Date) return v;
  if (typeof v === 'string' && v !== '') {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
};

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, as client-go does it: the holder renews
 * every `renewMs` with an update carrying the resourceVersion it read (so two writers conflict
 * instead of both winning); a follower takes the lease over only after it saw the record unchanged
 * for the lease duration (measured on its own clock); a leader that has not renewed within the
 * renew deadline stops leading first. On stop the lease is released so a follower takes over at once.
 */
export class LeaseElector {
  private readonly name: string;
  private readonly durationMs: number;
  private readonly renewMs: number;
  private readonly retryMs: number;
  private readonly renewDeadlineMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private holding = false;
  private lastRenewAt = 0;
  private observed = '';
  private observedAt = 0;
  private leading = false;
  private running: Promise<void> | undefined;
  private lastError = '';
  private readonly gauge;
  private readonly transitions;

  constructor(
    private readonly coordination: CoordinationV1Api,
    private readonly opts: LeaseOptions,
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly callbacks: LeaderCallbacks = {},
  ) {
    this.name = opts.name;
    this.durationMs = opts.durationMs ?? 15_000;
    this.renewMs = opts.renewMs ?? 5000;
    this.retryMs = opts.retryMs ?? Math.min(2000, this.renewMs);
    this.renewDeadlineMs = opts.renewDeadlineMs ?? Math.floor((this.durationMs * 2) / 3);
    this.gauge = metrics.gauge(`${opts.metricPrefix}_leader`, `1 while this replica holds the lease ${this.name}${opts.leaderRole ? ` (${opts.leaderRole})` : ''}`);
    this.transitions = metrics.counter(`${opts.metricPrefix}_leader_transitions_total`, 'Times this replica started or stopped leading', ['to'] as const);
  }

  get identity(): string {
    return this.opts.identity;
  }

  /** True while this replica holds a lease it renewed within the renew deadline. */
  isLeader(now = Date.now()): boolean {
    return this.holding && now - this.lastRenewAt < this.renewDeadlineMs;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops electing; releases the lease when held (unless `release` is false, as a crash would leave it). */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    if (this.holding && release) {
      try {
        const lease = await this.coordination.readNamespacedLease({ name: this.name, namespace: this.opts.namespace });
        if (lease.spec?.holderIdentity === this.opts.identity) {
          const now = new V1MicroTime();
          lease.spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now };
          await this.coordination.replaceNamespacedLease({ name: this.name, namespace: this.opts.namespace, body: lease });
          this.logger.info({ lease: this.name }, 'lease released');
        }
      } catch (err) {
        this.logger.debug({ err: describeError(err) }, 'could not release the lease');
      }
    }
    this.holding = false;
    this.update();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        this.schedule(this.holding ? this.renewMs : this.retryMs);
      });
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.tryAcquireOrRenew();
      if (this.lastError !== '') this.logger.info({ lease: this.name }, 'lease reachable again');
      this.lastError = '';
    } catch (err) {
      const text = describeError(err);
      if (text !== this.lastError) this.logger.warn({ lease: this.name, err: text }, 'lease check failed; will retry');
      this.lastError = text;
    }
    this.update();
  }

  /** Calls the callbacks when leadership changed (including a missed renew deadline). */
  private update(): void {
    const now = this.isLeader();
    if (now === this.leading) return;
    this.leading = now;
    this.gauge.set(now ? 1 : 0);
    this.transitions.inc({ to: now ? 'leader' : 'follower' });
    this.logger.info({ lease: this.name, identity: this.opts.identity }, now ? `started leading${this.opts.leaderRole ? `: ${this.opts.leaderRole}` : ''}` : 'stopped leading');
    if (now) this.callbacks.onStartedLeading?.();
    else this.callbacks.onStoppedLeading?.();
  }

  private spec(now: V1MicroTime, previous?: V1Lease['spec'], acquiring = false): NonNullable<V1Lease['spec']> {
    return {
      ...(previous ?? {}),
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.durationMs / 1000)),
      renewTime: now,
      acquireTime: acquiring ? now : (asDate(previous?.acquireTime) ? new V1MicroTime(asDate(previous?.acquireTime)!.getTime()) : now),
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (acquiring && previous?.holderIdentity ? 1 : 0),
    };
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const started = Date.now();
    let lease: V1Lease;
    try {
      lease = await this.coordination.readNamespacedLease({ name: this.name, namespace: this.opts.namespace });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      try {
        await this.coordination.createNamespacedLease({
          namespace: this.opts.namespace,
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: this.opts.namespace }, spec: this.spec(new V1MicroTime(started), undefined, true) },
        });
        this.acquired(started);
      } catch (createErr) {
        if (statusOf(createErr) !== 409) throw createErr;
        this.holding = false; // another replica created it first
      }
      return;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const record = `${holder}|${String(asDate(spec.renewTime)?.getTime() ?? '')}|${lease.metadata?.resourceVersion ?? ''}`;
    if (record !== this.observed) {
      this.observed = record;
      this.observedAt = started;
    }
    const durationMs = (spec.leaseDurationSeconds ?? Math.ceil(this.durationMs / 1000)) * 1000;
    if (holder !== this.opts.identity && holder !== '' && started - this.observedAt < durationMs) {
      this.holding = false; // held by another replica that renews
      return;
    }
    const acquiring = holder !== this.opts.identity;
    const body: V1Lease = { ...lease, spec: this.spec(new V1MicroTime(started), spec, acquiring) };
    try {
      await this.coordination.replaceNamespacedLease({ name: this.name, namespace: this.opts.namespace, body });
      if (acquiring) this.acquired(started);
      else this.lastRenewAt = started;
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      this.holding = false; // someone else wrote the lease since we read it
    }
  }

  private acquired(at: number): void {
    this.holding = true;
    this.lastRenewAt = at;
    this.logger.info({ lease: this.name, identity: this.opts.identity }, 'lease acquired');
  }
}
