/**
 * The claim of one notification by one delivery, in Redis (`DeliveredStore`): taken before anything
 * is sent (waiting while another holder delivers the same notification), renewed while the
 * delivery runs, given back after a failure so the next attempt can claim it at once.
 */
import { randomUUID } from 'node:crypto';
import { WaitError, errorMessage } from '@nm/errors';
import type { Logger } from '@nm/telemetry';
import type { DeliveredStore, PendingRecord } from './delivered.store.js';

/** A claim this delivery holds. */
export interface HeldLease {
  readonly state: 'claimed';
  /** Units an earlier attempt delivered. */
  readonly deliveredKeys: ReadonlySet<string>;
  /** History records of delivered units JetStream has not acknowledged yet. */
  readonly pendingHistory: readonly PendingRecord[];
  /** Gives the notification back (never throws). */
  release(): Promise<void>;
  /** Stops renewing (the lease then expires, unless released or marked done). */
  end(): void;
}

export interface LeaseOptions {
  /** Lease length; renewed every third of it. */
  leaseMs: number;
  /** How long a copy waits for another holder before it backs off as a wait. */
  busyWaitMs: number;
  /** Identifies this replica in the lease token. */
  instance: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class DeliveryLeases {
  constructor(
    private readonly store: DeliveredStore,
    private readonly opts: LeaseOptions,
  ) {}

  /**
   * `done` when the notification was delivered already, else the held lease. A WaitError when
   * Redis is away or another holder keeps it past `busyWaitMs` (or `stopping` aborts the wait).
   */
  async claim(id: string, log: Logger, stopping: AbortSignal): Promise<{ state: 'done' } | HeldLease> {
    const token = `${this.opts.instance}:${randomUUID()}`;
    const deadline = Date.now() + this.opts.busyWaitMs;
    for (;;) {
      let claim;
      try {
        claim = await this.store.claim(id, token);
      } catch (err) {
        throw new WaitError(`redis unavailable: ${errorMessage(err)}`, { code: 'REDIS_UNAVAILABLE', cause: err });
      }
      if (claim.state === 'done') return claim;
      if (claim.state === 'claimed') return this.hold(id, token, claim.deliveredKeys, claim.pendingHistory, log);
      if (Date.now() >= deadline || stopping.aborted) {
        throw new WaitError(`notification ${id} is being delivered by another worker`, {
          code: 'IN_FLIGHT_ELSEWHERE',
          retryAfterMs: Math.min(claim.retryInMs, this.opts.leaseMs),
        });
      }
      await sleep(Math.max(20, Math.min(250, claim.retryInMs)));
    }
  }

  private hold(id: string, token: string, deliveredKeys: Set<string>, pendingHistory: PendingRecord[], log: Logger): HeldLease {
    const renew = setInterval(() => {
      this.store.renew(id, token).then(
        (held) => held || log.warn('delivery lease lost'),
        () => undefined,
      );
    }, Math.max(100, Math.floor(this.opts.leaseMs / 3)));
    renew.unref();
    return {
      state: 'claimed',
      deliveredKeys,
      pendingHistory,
      release: () => this.store.release(id, token).catch(() => undefined),
      end: () => clearInterval(renew),
    };
  }
}
