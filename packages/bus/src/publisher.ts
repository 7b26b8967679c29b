import { headers as natsHeaders } from '@nats-io/transport-node';
import { headers as H, PAYLOAD_VERSION } from '@nm/contracts';
import type { BusConnection } from './connection.js';
import { BusUnavailableError, MessageTooLargeError } from './errors.js';
import { handoff } from './handoff.js';
import { inline } from './inline.js';
import type { HandlerContext } from './consumer.runner.js';

export interface PublishOptions {
  /** Stable id: JetStream drops a second publish with the same id inside the stream's duplicate window. */
  msgId: string;
  traceparent?: string;
  timeoutMs?: number;
  /** The payload already encoded (`encodePayload(payload)`), when the caller had to serialise it anyway. */
  encoded?: Uint8Array;
  /**
   * `false`: not offered to a consumer on this thread (`handoff.ts`), which decodes `encoded`
   * instead; for a caller whose `payload` is not what `encoded` decodes to (only its header). Such a
   * caller passes no `from` either: an inline consumer would get `payload` itself.
   */
  handoff?: boolean;
  /** Sets `Nm-Alert-Count` (the alerts the payload carries) on the message. */
  alertCount?: number;
  /**
   * The handling this publish is the output of: when the subject's consumer runs inline on this
   * thread (`inline.ts`, single process), its handler is called with the payload in that context
   * instead of a publish.
   */
  from?: HandlerContext;
}

export interface PublishResult {
  /** The stream sequence (0 when the payload went inline: `PublishOptions.from`). */
  seq: number;
  duplicate: boolean;
}

export interface Publisher {
  /**
   * Publishes JSON; resolves once JetStream acknowledged it. Rejects with MessageTooLargeError
   * (permanent) when the message exceeds the server's `max_payload`, else BusUnavailableError.
   */
  publish(subject: string, payload: unknown, opts: PublishOptions): Promise<PublishResult>;
  /** Largest message body the connected server accepts (its `max_payload`), in bytes; default 1 MiB. */
  maxPayload?(): number;
}

/** NATS's default `max_payload`, used until the server's INFO is known. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** Room kept for headers (`Nats-Msg-Id`, `traceparent`, schema version) and protocol framing. */
export const HEADER_ALLOWANCE = 1024;

/** The most payload bytes one message may carry on `publisher`'s server (its `max_payload` less headers). */
export function payloadLimit(publisher: Pick<Publisher, 'maxPayload'>): number {
  return (publisher.maxPayload?.() ?? DEFAULT_MAX_PAYLOAD) - HEADER_ALLOWANCE;
}

export function encodePayload(payload: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/** Publishes JSON and resolves only when JetStream acknowledged it. */
export function createPublisher(bus: BusConnection): Publisher {
  const maxPayload = (): number => bus.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
  return {
    maxPayload,
    publish(subject, payload, opts) {
      // inline (single process): not an async frame, so nothing of the caller's is kept while the chain runs
      const inlined = opts.from && inline.call(subject, payload, { msgId: opts.msgId, traceparent: opts.traceparent, from: opts.from });
      return inlined ? inlined.then(inlineResult) : publishStored(subject, payload, opts);
    },
  };

  /**
   * Encodes and offers the message, then waits for JetStream's acknowledgement in `stored`: that
   * wait, often the longest part of a stage's handling under load, keeps the bytes, not the payload
   * or the caller's context (a suspended async frame keeps every parameter and local, live or not,
   * and what it keeps outlives young collections and is promoted).
   */
  function publishStored(subject: string, payload: unknown, opts: PublishOptions): Promise<PublishResult> {
    // every failure before the wait is a rejection, as from an async function
    try {
      const data = opts.encoded ?? encodePayload(payload);
      const limit = maxPayload() - HEADER_ALLOWANCE;
      if (data.byteLength > limit)
        throw new MessageTooLargeError(`message for ${subject} is ${data.byteLength} bytes, over the server's max_payload less headers (${limit})`);
      const h = natsHeaders();
      h.set(H.schemaVersion, String(PAYLOAD_VERSION));
      if (opts.traceparent) h.set(H.traceparent, opts.traceparent);
      if (opts.alertCount !== undefined) h.set(H.alertCount, String(opts.alertCount));
      // a consumer on this thread may take the payload instead of decoding these bytes
      const withdraw = opts.handoff === false ? undefined : handoff.offer(subject, opts.msgId, payload, data);
      return stored(subject, data, { msgID: opts.msgId, headers: h, timeout: opts.timeoutMs ?? 5000 }, withdraw);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async function stored(
    subject: string,
    data: Uint8Array,
    options: { msgID: string; headers: ReturnType<typeof natsHeaders>; timeout: number },
    withdraw: (() => void) | undefined,
  ): Promise<PublishResult> {
    try {
      const ack = await bus.js.publish(subject, data, options);
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (err) {
      withdraw?.();
      const message = (err as Error).message;
      if (/max_payload|maximum payload/i.test(message))
        throw new MessageTooLargeError(`publish to ${subject} failed: ${message}`);
      // A full stream (discard-new), a stream leader away, NATS disconnected: back-pressure, retried.
      throw new BusUnavailableError(`publish to ${subject} failed: ${message}`, { cause: err });
    }
  }
}

const inlineResult = (): PublishResult => ({ seq: 0, duplicate: false });

/**
 * Publishes `items` as one message, or as several when one would not fit the server's
 * `max_payload`: `build(part)` makes the payload of a part, `msgId(k, count)` its id (stable
 * for the same input, so a redelivered input publishes the same ids). Parts keep item order.
 * An item that does not fit even alone is a MessageTooLargeError (permanent).
 * Resolves with the number of messages published. Called from a handler (`from`) on a subject whose
 * consumer runs inline, the next stage's handler gets the whole payload instead (one "message").
 */
export function publishFitted<T>(
  publisher: Publisher,
  subject: string,
  items: readonly T[],
  build: (part: readonly T[]) => unknown,
  opts: { msgId: (index: number, count: number) => string; traceparent?: string; from?: HandlerContext },
): Promise<number> {
  // inline (single process): the next stage's handler gets the whole payload, nothing is
  // serialised, and no frame here keeps the items while the chain runs
  const inlined = opts.from && inline.runs(subject) && inline.call(subject, build(items), { msgId: opts.msgId(0, 1), traceparent: opts.traceparent, from: opts.from });
  return inlined ? inlined.then(() => 1) : publishParts(publisher, subject, items, build, opts);
}

async function publishParts<T>(
  publisher: Publisher,
  subject: string,
  items: readonly T[],
  build: (part: readonly T[]) => unknown,
  opts: { msgId: (index: number, count: number) => string; traceparent?: string },
): Promise<number> {
  const parts = fitParts(items, build, payloadLimit(publisher));
  await Promise.all(
    parts.map((p, k) =>
      publisher.publish(subject, p.payload, {
        msgId: opts.msgId(k, parts.length),
        encoded: p.encoded,
        ...(opts.traceparent ? { traceparent: opts.traceparent } : {}),
      }),
    ),
  );
  return parts.length;
}

/** Splits items into consecutive parts whose built payload serialises within `limit` bytes. */
export function fitParts<T>(
  items: readonly T[],
  build: (part: readonly T[]) => unknown,
  limit: number,
): Array<{ items: readonly T[]; payload: unknown; encoded: Uint8Array }> {
  const out: Array<{ items: readonly T[]; payload: unknown; encoded: Uint8Array }> = [];
  const visit = (part: readonly T[]): void => {
    const payload = build(part);
    const encoded = encodePayload(payload);
    const size = encoded.byteLength;
    if (size <= limit) {
      out.push({ items: part, payload, encoded });
      return;
    }
    if (part.length <= 1)
      throw new MessageTooLargeError(`one item alone makes a ${size}-byte message, over the server's max_payload less headers (${limit})`);
    // Enough pieces that each should fit, with 10% slack; each piece is checked again.
    const pieces = Math.min(part.length, Math.max(2, Math.ceil((size / limit) * 1.1)));
    const per = Math.ceil(part.length / pieces);
    for (let i = 0; i < part.length; i += per) visit(part.slice(i, i + per));
  };
  visit(items);
  return out;
}
