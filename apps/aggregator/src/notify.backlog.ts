/**
 * How far each channel's senders are behind: notifications waiting in `NM_NOTIFY` that no sender
 * has taken yet (`num_pending` of the channel's JetStream consumer). What the senders hold
 * (`num_ack_pending`: the notifications they deliver, and those their pulls fetched ahead) is work
 * in hand, as much as their concurrency and replicas allow: counting it, a sender busy at its own
 * pace looked behind, groups were held until it had nothing, and it idled between holds. Batch
 * aggregation reads the backlog to coalesce under load: a group whose notification would only
 * queue behind it keeps collecting alerts a little longer.
 *
 * Reads are synchronous (the last value polled); a channel is polled while it was asked about in
 * the last `idleMs`, every `pollMs`, one info request per channel at a time.
 */
import { senderConsumer, type Channel } from '@nm/contracts';
import type { BusConnection } from '@nm/bus';

export interface Backlog {
  /** Notifications the channel's senders have not finished (0 when unknown). */
  of(channel: Channel): number;
  /** This aggregator is about to publish a notification of the channel (counted until a poll includes it). */
  sent?(channel: Channel): void;
}

export const NO_BACKLOG: Backlog = { of: () => 0 };

/**
 * Flushes senders with room take at once, per poll, before they have shown a pace of their own
 * (one replica's default concurrency): while the last poll found nothing waiting, only flushes
 * beyond this and twice their recent acknowledgements per poll interval count as a backlog.
 */
export const IDLE_ROOM = 32;

/**
 * The polled value is up to `pollMs` old, and the groups of a burst fall due together: on the
 * polled value alone every group due before the next poll would flush at once (hundreds of
 * notifications against a threshold of 32), and a value polled before a drain holds groups that
 * could go. So while the senders are behind (the poll found notifications no sender had room for),
 * `of` is the polled value, plus the notifications this aggregator flushed since that poll was
 * sent, minus what the senders finished since it was answered at their recent rate (acks per
 * millisecond between the last answers, smoothed): the backlog as it is likely to be now.
 * While they were not (the poll found none waiting), it counts only the flushes since that poll
 * beyond the senders' room: {@link IDLE_ROOM}, plus twice what they acknowledged per poll interval
 * lately. Senders with room take that many at once, so they queue behind nothing, and the room
 * follows senders that take more (each poll that finds them keeping up raises it: a burst reaches
 * their pace within a few polls, whatever it is).
 * Counting every flush (and the drain at the ack rate) held groups while the senders sat idle, and
 * let them drain only at the pace they had been fed (their ack rate, which the held groups kept
 * low) plus the threshold per poll. Counting none let every group due before the next poll flush
 * at once: after a burst, the 1,000 groups of the benchmark as 1,000 notifications (50 MB) in one
 * instant, the senders' first delivery half a second later, and the next alerts in a second wave
 * (docs/performance.md, eleventh round). With the room, at most the room and the threshold flush
 * per poll while the senders take everything; the rest keep collecting alerts. Before the first
 * answer, and after a failed poll, nothing is known and nothing is held.
 */
interface Known {
  value: number;
  /** The last poll was answered (false before the first answer and after a failed poll: nothing known). */
  answered: boolean;
  askedAt: number;
  polling: boolean;
  /** Notifications this process flushed so far, and the count when the answered poll was sent. */
  sent: number;
  sentAtPoll: number;
  /** When the last poll was answered, the consumer's acknowledged count then, and the drain rate (per ms). */
  answeredAt: number;
  acked: number | undefined;
  rate: number;
}

/** What a poll reads of the channel's consumer (JetStream consumer info). */
export interface ConsumerState {
  num_pending: number;
  num_ack_pending: number;
  /** Acknowledged deliveries so far (`ack_floor.consumer_seq`). */
  ack_floor?: { consumer_seq: number };
}

export class NotifyBacklog implements Backlog {
  private readonly known = new Map<Channel, Known>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(
    private readonly info: (channel: Channel) => Promise<ConsumerState>,
    private readonly opts: { pollMs: number; idleMs: number; now?: () => number } = { pollMs: 50, idleMs: 10_000 },
  ) {
    this.now = opts.now ?? Date.now;
  }

  static of(bus: BusConnection): NotifyBacklog {
    return new NotifyBacklog((channel) => {
      const c = senderConsumer(channel);
      return bus.jsm.consumers.info(c.stream, c.durable);
    });
  }

  of(channel: Channel): number {
    const k = this.known.get(channel);
    const now = this.now();
    if (k) {
      k.askedAt = now;
      if (k.value === 0) return k.answered ? Math.max(0, k.sent - k.sentAtPoll - this.room(k)) : 0;
      return Math.max(0, Math.round(k.value + (k.sent - k.sentAtPoll) - k.rate * (now - k.answeredAt)));
    }
    this.known.set(channel, { value: 0, answered: false, askedAt: now, polling: false, sent: 0, sentAtPoll: 0, answeredAt: now, acked: undefined, rate: 0 });
    this.poll(channel);
    return 0;
  }

  /** What the senders take at once while they keep up: `IDLE_ROOM` and twice their recent acknowledgements per poll interval. */
  private room(k: Known): number {
    return IDLE_ROOM + Math.round(2 * k.rate * this.opts.pollMs);
  }

  sent(channel: Channel): void {
    const k = this.known.get(channel);
    if (k) k.sent += 1;
  }

  start(): void {
    this.timer = setInterval(() => {
      const now = this.now();
      for (const [channel, k] of this.known) {
        if (now - k.askedAt > this.opts.idleMs) this.known.delete(channel);
        else this.poll(channel);
      }
    }, this.opts.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private poll(channel: Channel): void {
    const k = this.known.get(channel);
    if (!k || k.polling) return;
    k.polling = true;
    // Flushes from here on may not be in the answer yet; earlier ones are (published before the request).
    const sentBefore = k.sent;
    this.info(channel).then(
      (i) => {
        const at = this.now();
        const acked = i.ack_floor?.consumer_seq;
        if (acked !== undefined && k.acked !== undefined && acked >= k.acked && at > k.answeredAt) {
          const rate = (acked - k.acked) / (at - k.answeredAt);
          k.rate = k.rate === 0 ? rate : (k.rate + rate) / 2;
        }
        k.acked = acked;
        k.answeredAt = at;
        k.value = i.num_pending;
        k.answered = true;
        k.sentAtPoll = sentBefore;
        k.polling = false;
      },
      () => {
        // no such consumer (no sender deployed: the reaper's business) or NATS away: nothing known
        Object.assign(k, { value: 0, answered: false, sentAtPoll: k.sent, answeredAt: this.now(), acked: undefined, rate: 0, polling: false });
      },
    );
  }
}
