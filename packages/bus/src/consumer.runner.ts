import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { headers as H, subjects, type ConsumerDefinition, type DeadLetter } from '@nm/contracts';
import { inSpan, lazyChild, SpanKind, SpanStatusCode, traceparentOf, tracingEnabled, type Logger, type Metrics, type Span } from '@nm/telemetry';
import type { ZodType } from 'zod';
import type { BusConnection } from './connection.js';
import { memoryAttemptStore, type AttemptStore } from './attempts.js';
import { backoffDelay, classifyError, ClassifiedError } from './errors.js';
import { deadLetterMsgId, deadLetterOf } from './dead.letter.js';
import type { Publisher } from './publisher.js';
import { handoff } from './handoff.js';
import { inline } from './inline.js';
import { childTraceparent, traceIdOf } from './trace.js';

export interface HandlerContext {
  readonly subject: string;
  /** 1 on the first delivery; counts every redelivery, waits included. */
  readonly deliveryCount: number;
  /**
   * 1 on the first attempt; 1 + the attempts this message already spent (failures that were not
   * waits on infrastructure). Compare with the retry budget, not `deliveryCount`.
   */
  readonly attempt: number;
  /** The retry budget (0 = unlimited): `attempt >= maxAttempts` is the last attempt. */
  readonly maxAttempts: number;
  /** The input's `Nats-Msg-Id` (or `<stream>-<seq>`): stable across redeliveries, a base for output ids. */
  readonly msgId: string;
  readonly streamSeq: number;
  readonly traceparent: string | undefined;
  /** Traceparent to put on messages this handler emits. */
  readonly childTraceparent: string;
  readonly logger: Logger;
  /**
   * The delivered bytes, set when the payload is exactly their JSON decoding (the quick check
   * passed, so no schema transformed it): a handler whose output would be its input unchanged can
   * publish these (`encoded`) instead of serialising the payload again.
   */
  readonly input?: Uint8Array;
  /**
   * The payload is shared with the stage that published it on this thread (a hand-off, or an
   * inline hop): the handler must not change it. Unset when the payload was decoded for this
   * handler alone, which may then change it in place.
   */
  readonly shared?: boolean;
}

export type Handler<T> = (payload: T, ctx: HandlerContext) => Promise<void>;

/**
 * A handler's way with a message it needs nothing of but its bytes and headers: asked before the
 * payload is decoded; when `accepts`, `handle` gets the message (its bytes in `ctx.input`) and the
 * payload is never decoded, else `handler` gets it as usual.
 */
export interface UndecodedHandler {
  accepts(message: { header: (name: string) => string | undefined; byteLength: number }): boolean;
  handle(ctx: HandlerContext & { readonly input: Uint8Array }, header: (name: string) => string | undefined): Promise<void>;
}

export interface ConsumeOptions<T> {
  consumer: ConsumerDefinition;
  schema: ZodType<T>;
  /**
   * A cheap check of the payload's top level (`payloadShapes` of contracts) for internal hops:
   * when it passes, the handler gets the payload without the full schema, which then runs only if
   * the handler fails with an error of no known kind (an invalid payload is dead-lettered as
   * `invalid-payload`, a bug is retried). Unset: the full schema runs first, always.
   */
  quickCheck?: (raw: unknown) => boolean;
  handler: Handler<T>;
  /** Messages handled without decoding them, when the handler needs nothing of their payload (not with `releaseBytes`). */
  undecoded?: UndecodedHandler;
  /**
   * The handler holds its message long (the aggregator, until the groups it fed are published):
   * the delivered bytes are let go once the handler has started (`ctx.input` is not set), and read
   * back from the stream by sequence if a failure needs them (re-validation, a dead letter). Only
   * for work-queue streams, where a message stays stored until it is acknowledged. Also set, and
   * `concurrency` raised to the holding one, for a consumer whose handler's output goes inline on
   * this thread (`inline.ts`: its messages are held while the chain runs).
   */
  releaseBytes?: boolean;
  /** Dead letters go to nm.dlq.<dlqStage>. */
  dlqStage: Parameters<typeof subjects.dlq>[0];
  /** Handlers running at once. Handlers that hold a message (the aggregator) need many. */
  concurrency?: number;
  /**
   * Handlers allowed to run at once right now, read before each message starts: at most
   * `concurrency`, which also sets the prefetch (unset: always `concurrency`).
   */
  slots?: () => number;
  /**
   * Retry budget: after this many attempts a retryable failure is dead-lettered (default
   * {@link DEFAULT_MAX_ATTEMPTS}; 0 = unlimited). Waits on infrastructure (WaitError) spend nothing.
   */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Where spent attempts are counted across redeliveries and replicas (default: in this process). */
  attempts?: AttemptStore;
  /** Backoff of waits on infrastructure: base and cap (default 1 s … 30 s). */
  waitBaseMs?: number;
  waitMaxMs?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 10;

const headerOf =
  (msg: JsMsg) =>
  (name: string): string | undefined =>
    msg.headers?.get(name) || undefined;

export interface ConsumerHandle {
  /** Stop pulling, wait for running handlers (up to `timeoutMs`), leave the rest for redelivery. */
  stop(timeoutMs?: number): Promise<void>;
  inFlight(): number;
}

/**
 * The one place that touches JsMsg: parse + validate, run the handler, then ack / nak with
 * backoff / dead-letter (then ack). Keeps long-running handlers alive with `working()`.
 */
export async function startConsumer<T>(
  bus: BusConnection,
  publisher: Publisher,
  logger: Logger,
  metrics: Metrics,
  opts: ConsumeOptions<T>,
): Promise<ConsumerHandle> {
  // a consumer whose handler's output runs inline holds its messages while the chain runs
  const holds = inline.holds(opts.consumer.filterSubject);
  const concurrency = inline.concurrency(opts.consumer.filterSubject, opts.concurrency ?? 16);
  const releaseBytes = opts.releaseBytes === true || holds;
  const slots = opts.slots;
  const slotsNow = slots ? (): number => Math.min(concurrency, Math.max(1, slots())) : (): number => concurrency;
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const base = opts.backoffBaseMs ?? 500;
  const max = opts.backoffMaxMs ?? 60_000;
  const waitBase = opts.waitBaseMs ?? 1000;
  const waitMax = opts.waitMaxMs ?? 30_000;
  const attempts = opts.attempts ?? memoryAttemptStore();
  const ackWaitMs = opts.consumer.ackWaitSeconds * 1000;
  const outcomes = metrics.counter('nm_bus_messages_total', 'Messages consumed, by consumer and outcome', [
    'consumer',
    'outcome',
  ] as const);
  const duration = metrics.histogram('nm_bus_handler_seconds', 'Handler duration', ['consumer'] as const);
  const deadLetters = metrics.counter('nm_dead_letters_total', 'Messages dead-lettered, by stage and reason', ['stage', 'reason'] as const);
  const name = opts.consumer.durable;

  const running = new Map<number, { msg: JsMsg; since: number; touched: number }>();
  let stopped = false;

  let slotWaiters: Array<() => void> = [];
  /** Handlers running now (`running` also holds messages waiting for a slot). */
  let active = 0;

  const keepAlive = setInterval(() => {
    const now = Date.now();
    for (const r of running.values()) {
      if (now - r.touched > ackWaitMs / 3) {
        r.msg.working();
        r.touched = now;
      }
    }
  }, Math.max(250, Math.floor(ackWaitMs / 6)));
  keepAlive.unref();

  const attemptKey = (msg: JsMsg): string => `${msg.info.stream}:${name}:${msg.seq}`;

  /** `text`: the message's payload, when its delivered bytes were released (`releaseBytes`). */
  const deadLetter = async (msg: JsMsg, span: Span, reason: DeadLetter['reason'], error: string, code?: string, spent?: number, text?: string): Promise<void> => {
    const source = text === undefined ? msg : { subject: msg.subject, info: msg.info, string: () => text };
    const dl = deadLetterOf(source, publisher, { stage: opts.dlqStage, reason, error, ...(code ? { code } : {}), ...(spent === undefined ? {} : { attempts: spent }) });
    span.addEvent('dead-lettered', {
      'nm.dead_letter.reason': reason,
      'nm.dead_letter.subject': subjects.dlq(opts.dlqStage),
      'error.message': dl.error,
      ...(code ? { 'error.type': code } : {}),
      ...(spent === undefined ? {} : { 'nm.attempt': spent }),
    });
    span.setStatus({ code: SpanStatusCode.ERROR, message: `dead-lettered (${reason}): ${dl.error}` });
    await publisher.publish(subjects.dlq(opts.dlqStage), dl, {
      msgId: deadLetterMsgId(msg),
      traceparent: traceparentOf(span) ?? (msg.headers?.get(H.traceparent) || undefined),
    });
    deadLetters.inc({ stage: opts.dlqStage, reason });
    // Acked, not termed: the message now lives in the DLQ, and on a work-queue stream only an
    // ack removes it (nats-server 2.9 keeps termed messages).
    msg.ack();
    outcomes.inc({ consumer: name, outcome: reason });
    if (msg.info.deliveryCount > 1) void attempts.forget(attemptKey(msg)).catch(() => undefined);
  };

  /** One CONSUMER span per delivery (consume → decide → publish), continuing the message's trace. */
  const handleMessage = (msg: JsMsg): Promise<void> => {
    const traceparent = msg.headers?.get(H.traceparent) || undefined;
    return inSpan(
      `${opts.dlqStage} process`,
      {
        parent: traceparent ?? null,
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': msg.subject,
          'messaging.consumer.group.name': name,
          'messaging.message.id': msg.headers?.get(H.msgId) || `${msg.info.stream}-${msg.seq}`,
          'nm.stage': opts.dlqStage,
          'nm.deliveries': msg.info.deliveryCount,
        },
      },
      (span) => handleInSpan(msg, traceparent, span),
    );
  };

  const handleInSpan = async (msg: JsMsg, traceparent: string | undefined, span: Span): Promise<void> => {
    // with tracing on, every line inside the span gets trace_id and span_id from the logger
    const log = lazyChild(logger, tracingEnabled() ? { seq: msg.seq, consumer: name } : { trace_id: traceIdOf(traceparent), seq: msg.seq, consumer: name });
    let payload!: T;
    let raw: unknown;
    let shared = false;
    /** The message is handled by `opts.undecoded`: its payload is not decoded unless a failure needs it. */
    let undecoded = false;
    try {
      // a payload published on this thread as exactly these bytes is not decoded again
      const handed = handoff.take(msg.subject, msg.headers?.get(H.msgId) || undefined, msg.data);
      shared = handed !== undefined;
      undecoded = !shared && !releaseBytes && opts.undecoded?.accepts({ header: headerOf(msg), byteLength: msg.data.byteLength }) === true;
      if (!undecoded) raw = handed ?? msg.json();
    } catch (err) {
      log.error({ err: (err as Error).message }, 'unparseable payload, dead-lettered');
      await deadLetter(msg, span, 'invalid-payload', `not JSON: ${(err as Error).message}`);
      return;
    }
    /** The delivered bytes were let go while the handler held the message (`releaseBytes`). */
    let released = false;
    /** The payload's text: delivered, or read back from the stream once released. */
    const payloadText = async (): Promise<string> => {
      if (!released) return msg.string();
      const stored = await bus.jsm.streams.getMessage(msg.info.stream, { seq: msg.seq });
      if (!stored) throw new Error(`message ${msg.seq} of ${msg.info.stream} is no longer stored`);
      return stored.string();
    };
    /** Dead-letters the payload when the full schema rejects it; true when it did. */
    const rejected = async (): Promise<boolean> => {
      // decoded again when the handler ran: the decoded payload is not kept while a handler waits
      const text = released ? await payloadText() : undefined;
      if (raw === undefined) {
        try {
          raw = text === undefined ? msg.json() : JSON.parse(text);
        } catch (err) {
          // only a message handled undecoded gets here without having been parsed
          log.error({ err: (err as Error).message }, 'unparseable payload, dead-lettered');
          await deadLetter(msg, span, 'invalid-payload', `not JSON: ${(err as Error).message}`, undefined, undefined, text);
          return true;
        }
      }
      const parsed = opts.schema.safeParse(raw);
      if (parsed.success) {
        payload = parsed.data;
        return false;
      }
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
      log.error({ issues }, 'invalid payload, dead-lettered');
      await deadLetter(msg, span, 'invalid-payload', issues.join('; '), undefined, undefined, text);
      return true;
    };
    const trusted = undecoded || opts.quickCheck?.(raw) === true;
    if (trusted) payload = raw as T;
    else if (await rejected()) return;
    let spent = 0;
    if (msg.info.deliveryCount > 1) {
      try {
        spent = await attempts.spent(attemptKey(msg));
      } catch {
        // The count is unavailable (Redis away): this attempt is numbered as if none were spent;
        // a failure now is a wait, since it cannot be counted either.
        spent = 0;
      }
    }
    const ctx: HandlerContext = {
      subject: msg.subject,
      deliveryCount: msg.info.deliveryCount,
      attempt: spent + 1,
      maxAttempts,
      msgId: msg.headers?.get(H.msgId) || `${msg.info.stream}-${msg.seq}`,
      streamSeq: msg.seq,
      traceparent,
      childTraceparent: traceparentOf(span) ?? childTraceparent(traceparent),
      logger: log,
      ...(trusted && !releaseBytes ? { input: msg.data } : {}),
      ...(shared ? { shared: true } : {}),
    };
    span.setAttribute('nm.attempt', ctx.attempt);
    const end = duration.startTimer({ consumer: name });
    try {
      const handled = undecoded ? opts.undecoded!.handle({ ...ctx, input: msg.data }, headerOf(msg)) : opts.handler(payload, ctx);
      // A handler may wait long (the aggregator holds a message until its groups are published):
      // from here only the handler keeps what it still needs of the decoded payload.
      raw = undefined;
      payload = undefined as T;
      if (releaseBytes) released = releaseDelivered(msg);
      await handled;
      msg.ack();
      outcomes.inc({ consumer: name, outcome: 'ack' });
      if (msg.info.deliveryCount > 1) void attempts.forget(attemptKey(msg)).catch(() => undefined);
    } catch (err) {
      // checked only cheaply, and the handler tripped over something: was the payload invalid?
      if (trusted && !(err instanceof ClassifiedError) && (await rejected())) return;
      const c = classifyError(err);
      if (c.kind === 'permanent') {
        log.error({ err: c.message, code: c.code }, 'permanent failure, dead-lettered');
        await deadLetter(msg, span, 'permanent-error', c.message, c.code, spent, released ? await payloadText() : undefined);
        return;
      }
      let attempt: number | undefined;
      if (c.kind === 'retryable') {
        try {
          attempt = await attempts.spend(attemptKey(msg));
        } catch {
          attempt = undefined; // cannot count it: back off as a wait
        }
      }
      if (attempt === undefined) {
        const delay = Math.max(c.retryAfterMs ?? 0, backoffDelay(Math.min(msg.info.deliveryCount, 16), waitBase, waitMax));
        log.warn({ err: c.message, code: c.code, deliveries: msg.info.deliveryCount, delayMs: delay }, 'waiting on infrastructure, will retry');
        span.addEvent('wait', { 'error.message': c.message, 'error.type': c.code, 'nm.retry.delay_ms': delay });
        msg.nak(delay);
        outcomes.inc({ consumer: name, outcome: 'wait' });
      } else if (maxAttempts > 0 && attempt >= maxAttempts) {
        log.error({ err: c.message, code: c.code, attempt }, 'retry budget exhausted, dead-lettered');
        await deadLetter(msg, span, 'retries-exhausted', c.message, c.code, attempt, released ? await payloadText() : undefined);
      } else {
        const delay = Math.max(c.retryAfterMs ?? 0, backoffDelay(attempt, base, max));
        log.warn({ err: c.message, code: c.code, attempt, delayMs: delay }, 'retryable failure, will retry');
        span.addEvent('retry', { 'error.message': c.message, 'error.type': c.code, 'nm.attempt': attempt, 'nm.retry.delay_ms': delay });
        span.setStatus({ code: SpanStatusCode.ERROR, message: c.message });
        msg.nak(delay);
        outcomes.inc({ consumer: name, outcome: 'nak' });
      }
    } finally {
      end();
    }
  };

  const consumer = await bus.js.consumers.get(opts.consumer.stream, opts.consumer.durable);
  // Consumer lag, read from JetStream consumer info when /metrics is scraped (one info call serves both gauges).
  let info: { at: number; value: Promise<{ num_pending: number; num_ack_pending: number }> } | undefined;
  const consumerInfo = (): Promise<{ num_pending: number; num_ack_pending: number }> => {
    if (!info || Date.now() - info.at > 1000) info = { at: Date.now(), value: bus.jsm.consumers.info(opts.consumer.stream, name) };
    return info.value;
  };
  const lagLabels = { stage: opts.dlqStage, consumer: name };
  const unregister = [
    metrics.scraped('nm_consumer_pending_messages', 'Messages of the stream not yet delivered to the stage\'s consumer (consumer lag), from JetStream consumer info', ['stage', 'consumer'] as const, async () => [
      { labels: lagLabels, value: (await consumerInfo()).num_pending },
    ]),
    metrics.scraped('nm_consumer_ack_pending_messages', 'Messages delivered to the stage\'s consumer and not yet acknowledged, from JetStream consumer info', ['stage', 'consumer'] as const, async () => [
      { labels: lagLabels, value: (await consumerInfo()).num_ack_pending },
    ]),
  ];
  const messages: ConsumerMessages = await consumer.consume({ max_messages: Math.min(concurrency, 1000) });
  // publishers on this thread offer what they publish on this subject (when the hand-off is on)
  const releaseInterest = handoff.interest(opts.consumer.filterSubject);
  // …and publishers' handlers on this thread call this one directly when the hop is inline
  const releaseInline = inline.register(opts.consumer.filterSubject, opts.handler as Handler<unknown>, opts.dlqStage);
  const loop = (async () => {
    for await (const msg of messages) {
      if (stopped) break;
      // Kept alive while it waits for a slot too: a prefetched message must not outlive ack_wait
      // and be redelivered to another replica while it is still queued here.
      const entry = { msg, since: Date.now(), touched: Date.now() };
      running.set(msg.seq, entry);
      while (active >= slotsNow()) await new Promise<void>((r) => slotWaiters.push(r));
      if (stopped) {
        running.delete(msg.seq);
        try {
          msg.nak(); // left for another replica or the next start
        } catch {
          /* redelivered after ack_wait */
        }
        continue;
      }
      active += 1;
      void handleMessage(msg)
        .catch((err: unknown) => {
          logger.error({ err: (err as Error).message, seq: msg.seq }, 'message handling failed; left for redelivery');
          try {
            msg.nak(backoffDelay(msg.info.deliveryCount, base, max));
          } catch {
            /* connection gone: redelivered after ack_wait */
          }
        })
        .finally(() => {
          active -= 1;
          running.delete(msg.seq);
          const w = slotWaiters;
          slotWaiters = [];
          w.forEach((f) => f());
        });
    }
  })();

  return {
    inFlight: () => running.size,
    stop: async (timeoutMs = 10_000) => {
      stopped = true;
      releaseInline();
      releaseInterest();
      messages.stop();
      const deadline = Date.now() + timeoutMs;
      while (running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      clearInterval(keepAlive);
      unregister.forEach((f) => f());
      await loop.catch(() => undefined);
    },
  };
}

/**
 * Lets go of a delivered message's bytes (`releaseBytes`), keeping what acks, naks and dead
 * letters read of it (subject, headers, delivery info: each is cached by the message once read).
 * Returns false, releasing nothing, when the client's message does not have the expected shape.
 */
function releaseDelivered(msg: JsMsg): boolean {
  const inner = (msg as unknown as { msg?: { _rdata?: unknown } }).msg;
  if (!inner || !('_rdata' in inner)) return false;
  void msg.subject;
  void msg.headers;
  void msg.info;
  inner._rdata = undefined;
  return true;
}
