import type { Logger, Metrics } from '@nm/telemetry';
import type { Runtime } from '@nm/service-kit';

type Redis = Runtime['redis'];

/** KEYS: leases this replica holds; ARGV: instance, lease ms. Returns 1 (renewed) or 0 (lost) per key. */
const RENEW_ALL = `
local out = {}
for i = 1, #KEYS do
  if redis.call('get', KEYS[i]) == ARGV[1] then
    redis.call('pexpire', KEYS[i], ARGV[2])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
`;
/** KEYS: free-looking leases in order of preference; ARGV: instance, lease ms, how many to take. Returns the indexes (1-based) taken. */
const ACQUIRE = `
local got = {}
local want = tonumber(ARGV[3])
for i = 1, #KEYS do
  if #got >= want then break end
  if redis.call('set', KEYS[i], ARGV[1], 'PX', ARGV[2], 'NX') then got[#got + 1] = i end
end
return got
`;
/** KEYS: leases to give up; ARGV: instance. Deletes those this replica still holds. */
const RELEASE_ALL = `
for i = 1, #KEYS do
  if redis.call('get', KEYS[i]) == ARGV[1] then redis.call('del', KEYS[i]) end
end
return #KEYS
`;

export interface LeaseOptions {
  partitions: number;
  /** How long a lease lives without renewal: a dead replica's partitions move after at most this (plus one round). */
  leaseMs: number;
  instance: string;
  /** Counts lost leases (`nm_aggregator_partition_leases_lost_total`) and reports owned partitions. */
  metrics?: Metrics;
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
  /**
   * Partitions this replica holds, each with the monotonic time its lease is sure to last until:
   * when the renewal was sent plus the lease, less a margin. A round that ran late (a busy event
   * loop, a throttled CPU) cannot leave a partition here that Redis already let expire and another
   * replica took: past that time it is not "owned" until a renewal succeeds again.
   */
  private readonly held = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly lost;
  private readonly owned;

  constructor(
    private readonly redis: Redis,
    private readonly opts: LeaseOptions,
    private readonly logger: Logger,
    /** The clock of the members' last-seen times (tests inject one). */
    private readonly now: () => number = Date.now,
    /** The clock of lease validity: real elapsed time, as Redis expires leases. */
    private readonly monotonic: () => number = () => performance.now(),
  ) {
    this.lost = opts.metrics?.counter('nm_aggregator_partition_leases_lost_total', 'Partition leases this replica held and found taken or expired at renewal (its event loop or Redis was slower than the lease)');
    this.owned = opts.metrics?.gauge('nm_aggregator_partitions_owned', 'Partitions of stateful groups this replica owns (acts on) after its last lease round');
  }

  private key(p: number): string {
    return `nm:agg:lease:${p}`;
  }

  /** Of a lease renewed or taken at `sentAt`: until when this replica may act on it. */
  private validUntil(sentAt: number): number {
    return sentAt + this.opts.leaseMs - Math.max(50, Math.floor(this.opts.leaseMs / 5));
  }

  /** Partitions this replica owns now. */
  mine(): readonly number[] {
    const t = this.monotonic();
    const out: number[] = [];
    for (const [p, until] of this.held) if (t < until) out.push(p);
    return out;
  }

  owns(p: number): boolean {
    const until = this.held.get(p);
    return until !== undefined && this.monotonic() < until;
  }

  start(): void {
    const round = (): void => {
      if (this.running) return; // the previous round is still under way: rounds never overlap
      this.running = this.round()
        .catch((err: unknown) => {
          this.logger.warn({ err: (err as Error).message }, 'partition lease round failed; owned partitions are dropped until Redis answers');
          this.held.clear();
          this.owned?.set(0);
        })
        .finally(() => {
          this.running = undefined;
        });
    };
    round();
    this.timer = setInterval(round, Math.max(100, Math.floor(this.opts.leaseMs / 3)));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    const held = [...this.held.keys()];
    this.held.clear();
    if (held.length > 0) await this.redis.eval(RELEASE_ALL, held.length, ...held.map((p) => this.key(p)), this.opts.instance).catch(() => undefined);
    await this.redis.zrem('nm:agg:members', this.opts.instance).catch(() => undefined);
  }

  /**
   * One round: announce, renew, release the excess, acquire up to the fair share. Renewals,
   * releases and acquisitions are one script each, so a round is at most four round trips to Redis
   * however many partitions there are.
   */
  async round(): Promise<void> {
    const now = this.now();
    const { partitions, leaseMs, instance } = this.opts;
    const members = await this.redis.multi().zadd('nm:agg:members', now, instance).zremrangebyscore('nm:agg:members', '-inf', now - leaseMs).zcard('nm:agg:members').exec();
    const failed = members?.find(([err]) => err)?.[0];
    if (!members || failed) throw failed ?? new Error('the members transaction was not executed');
    const live = Math.max(1, Number(members[2]?.[1] ?? 1));
    const share = Math.ceil(partitions / live);

    const mine = [...this.held.keys()];
    if (mine.length > 0) {
      const sentAt = this.monotonic();
      const renewed = (await this.redis.eval(RENEW_ALL, mine.length, ...mine.map((p) => this.key(p)), instance, leaseMs)) as number[];
      mine.forEach((p, i) => {
        if (renewed[i] === 1) this.held.set(p, this.validUntil(sentAt));
        else {
          this.held.delete(p);
          this.lost?.inc();
          this.logger.warn({ partition: p }, 'partition lease lost');
        }
      });
    }
    const excess = [...this.held.keys()].slice(share);
    if (excess.length > 0) {
      for (const p of excess) this.held.delete(p);
      await this.redis.eval(RELEASE_ALL, excess.length, ...excess.map((p) => this.key(p)), instance);
    }
    if (this.held.size < share) {
      // Start at a replica-specific offset so replicas do not race for the same partitions.
      let offset = 0;
      for (let i = 0; i < instance.length; i++) offset = (offset * 31 + instance.charCodeAt(i)) % partitions;
      const candidates: number[] = [];
      for (let k = 0; k < partitions; k++) {
        const p = (offset + k) % partitions;
        if (!this.held.has(p)) candidates.push(p);
      }
      const sentAt = this.monotonic();
      const taken = (await this.redis.eval(ACQUIRE, candidates.length, ...candidates.map((p) => this.key(p)), instance, leaseMs, share - this.held.size)) as number[];
      for (const i of taken) this.held.set(candidates[i - 1]!, this.validUntil(sentAt));
    }
    this.owned?.set(this.held.size);
  }
}
