import { headers as natsHeaders } from '@nats-io/transport-node';
import { headers as H, PAYLOAD_VERSION } from '@nm/contracts';
import type { BusConnection } from './connection.js';
import { BusUnavailableError } from './errors.js';

export interface PublishOptions {
  /** Stable id: JetStream drops a second publish with the same id inside the stream's duplicate window. */
  msgId: string;
  traceparent?: string;
  timeoutMs?: number;
}

export interface PublishResult {
  seq: number;
  duplicate: boolean;
}

export interface Publisher {
  publish(subject: string, payload: unknown, opts: PublishOptions): Promise<PublishResult>;
}

/** Publishes JSON and resolves only when JetStream acknowledged it (or rejects with BusUnavailableError). */
export function createPublisher(bus: BusConnection): Publisher {
  return {
    async publish(subject, payload, opts) {
      const h = natsHeaders();
      h.set(H.schemaVersion, String(PAYLOAD_VERSION));
      if (opts.traceparent) h.set(H.traceparent, opts.traceparent);
      try {
        const ack = await bus.js.publish(subject, JSON.stringify(payload), {
          msgID: opts.msgId,
          headers: h,
          timeout: opts.timeoutMs ?? 5000,
        });
        return { seq: ack.seq, duplicate: ack.duplicate };
      } catch (err) {
        throw new BusUnavailableError(`publish to ${subject} failed: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}
