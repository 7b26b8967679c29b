import type { Logger } from '@nm/telemetry';
import type { Runtime } from '@nm/service-kit';

type Redis = Runtime['redis'];

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface LeaseOptions {
  partitions: number;
  /** How long a lease lives without renewal: a dead replica's partitions move after at most this (plus one round). */
  leaseMs: number;
  instance: string;
}

/**
 * Divides the partitions of stateful groups among live aggregator replicas. Each replica announces
 * itself (`nm:agg:members`, a sorted set of last-seen times), aims at its fair share
 * (ceil(partitions / live replicas)), takes free partitions with `SET NX PX` leases
 * (`nm:agg:lease:<p>`), renews the ones it holds, and lets go of any above its share so a new
 * replica gets some. A replica that dies stops renewing: its partitions are free after `leaseMs`.
 * Every partition has at most one owner at a time (the lease), and at least one within
 * `leaseMs` + one round while any replica lives.
 */
export class PartitionLeases {
  private readonly owned = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly opts: LeaseOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  private key(p: number): string {
    return `nm:agg:lease:${p}`;
  }

  /** Partitions this replica owns now. */
  mine(): readonly number[] {
    return [...this.owned];
  }

  owns(p: number): boolean {
    return this.owned.has(p);
  }

  start(): void {
    const round = (): void => {
      this.running = this.round().catch((err: unknown) => {
        this.logger.warn({ err: (err as Error).message }, 'partition lease round failed; owned partitions are dropped until Redis answers');
        this.owned.clear();
      });
    };
    round();
    this.timer = setInterval(round, Math.max(100, Math.floor(this.opts.leaseMs / 3)));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    const held = [...this.owned];
    this.owned.clear();
    await Promise.all(held.map((p) => this.redis.eval(RELEASE, 1, this.key(p), this.opts.instance).catch(() => undefined)));
    await this.redis.zrem('nm:agg:members', this.opts.instance).catch(() => undefined);
  }

  /** One round: announce, renew, release the excess, acquire up to the fair share. */
  async round(): Promise<void> {
    const now = this.now();
    const { partitions, leaseMs, instance } = this.opts;
    await this.redis.zadd('nm:agg:members', now, instance);
    await this.redis.zremrangebyscore('nm:agg:members', '-inf', now - leaseMs);
    const live = Math.max(1, await this.redis.zcard('nm:agg:members'));
    const share = Math.ceil(partitions / live);

    for (const p of [...this.owned]) {
      const ok = Number(await this.redis.eval(RENEW, 1, this.key(p), instance, leaseMs));
      if (!ok) {
        this.owned.delete(p);
        this.logger.warn({ partition: p }, 'partition lease lost');
      }
    }
    while (this.owned.size > share) {
      const p = [...this.owned].pop()!;
      this.owned.delete(p);
      await this.redis.eval(RELEASE, 1, this.key(p), instance);
    }
    if (this.owned.size < share) {
      // Start at a replica-specific offset so replicas do not race for the same partitions.
      let offset = 0;
      for (let i = 0; i < instance.length; i++) offset = (offset * 31 + instance.charCodeAt(i)) % partitions;
      for (let k = 0; k < partitions && this.owned.size < share; k++) {
        const p = (offset + k) % partitions;
        if (this.owned.has(p)) continue;
        const got = await this.redis.set(this.key(p), instance, 'PX', leaseMs, 'NX');
        if (got === 'OK') this.owned.add(p);
      }
    }
  }
}
