/**
 * How far each channel's senders are behind: notifications waiting in `NM_NOTIFY` for the
 * channel's consumer, delivered or not yet acknowledged (`num_pending + num_ack_pending` of its
 * JetStream consumer info). Batch aggregation reads it to coalesce under load: a group whose
 * notification would only queue behind that backlog keeps collecting alerts a little longer.
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
 * The polled value is up to `pollMs` old, and the groups of a burst fall due together: on the
 * polled value alone every group due before the next poll would flush at once (hundreds of
 * notifications against a threshold of 32). So notifications this aggregator flushed since the
 * poll that is answered were sent are added to it: `of` = polled + sent since that poll's request.
 */
interface Known {
  value: number;
  askedAt: number;
  polling: boolean;
  /** Notifications this process flushed so far, and the count when the answered poll was sent. */
  sent: number;
  sentAtPoll: number;
}

export class NotifyBacklog implements Backlog {
  private readonly known = new Map<Channel, Known>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly info: (channel: Channel) => Promise<{ num_pending: number; num_ack_pending: number }>,
    private readonly opts: { pollMs: number; idleMs: number } = { pollMs: 250, idleMs: 10_000 },
  ) {}

  static of(bus: BusConnection): NotifyBacklog {
    return new NotifyBacklog((channel) => {
      const c = senderConsumer(channel);
      return bus.jsm.consumers.info(c.stream, c.durable);
    });
  }

  of(channel: Channel): number {
    const k = this.known.get(channel);
    const now = Date.now();
    if (k) {
      k.askedAt = now;
      return k.value + (k.sent - k.sentAtPoll);
    }
    this.known.set(channel, { value: 0, askedAt: now, polling: false, sent: 0, sentAtPoll: 0 });
    this.poll(channel);
    return 0;
  }

  sent(channel: Channel): void {
    const k = this.known.get(channel);
    if (k) k.sent += 1;
  }

  start(): void {
    this.timer = setInterval(() => {
      const now = Date.now();
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
        k.value = i.num_pending + i.num_ack_pending;
        k.sentAtPoll = sentBefore;
        k.polling = false;
      },
      () => {
        k.value = 0; // no such consumer (no sender deployed: the reaper's business) or NATS away
        k.polling = false;
      },
    );
  }
}
