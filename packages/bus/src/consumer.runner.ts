import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { headers as H, subjects, PAYLOAD_VERSION, type ConsumerDefinition, type DeadLetter } from '@nm/contracts';
import type { Logger, Metrics } from '@nm/telemetry';
import type { ZodType } from 'zod';
import type { BusConnection } from './connection.js';
import { backoffDelay, classifyError } from './errors.js';
import type { Publisher } from './publisher.js';
import { childTraceparent, traceIdOf } from './trace.js';

export interface HandlerContext {
  readonly subject: string;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  readonly streamSeq: number;
  readonly traceparent: string | undefined;
  /** Traceparent to put on messages this handler emits. */
  readonly childTraceparent: string;
  readonly logger: Logger;
}

export type Handler<T> = (payload: T, ctx: HandlerContext) => Promise<void>;

export interface ConsumeOptions<T> {
  consumer: ConsumerDefinition;
  schema: ZodType<T>;
  handler: Handler<T>;
  /** Dead letters go to nm.dlq.<dlqStage>. */
  dlqStage: Parameters<typeof subjects.dlq>[0];
  /** Handlers running at once. Handlers that hold a message (the aggregator) need many. */
  concurrency?: number;
  /** Retry budget: after this many deliveries a retryable failure is dead-lettered. 0 = unlimited. */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

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
  const concurrency = opts.concurrency ?? 16;
  const maxAttempts = opts.maxAttempts ?? 0;
  const base = opts.backoffBaseMs ?? 500;
  const max = opts.backoffMaxMs ?? 60_000;
  const ackWaitMs = opts.consumer.ackWaitSeconds * 1000;
  const outcomes = metrics.counter('nm_bus_messages_total', 'Messages consumed, by consumer and outcome', [
    'consumer',
    'outcome',
  ] as const);
  const duration = metrics.histogram('nm_bus_handler_seconds', 'Handler duration', ['consumer'] as const);
  const name = opts.consumer.durable;

  const running = new Map<number, { msg: JsMsg; since: number; touched: number }>();
  let stopped = false;

  let slotWaiters: Array<() => void> = [];

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

  const deadLetter = async (msg: JsMsg, reason: DeadLetter['reason'], error: string, code?: string): Promise<void> => {
    const raw = msg.string();
    let payload: unknown = raw;
    try {
      payload = JSON.parse(raw);
    } catch {
      /* keep raw text */
    }
    const dl: DeadLetter = {
      version: PAYLOAD_VERSION,
      time: new Date().toISOString(),
      stage: opts.dlqStage,
      reason,
      error,
      ...(code ? { code } : {}),
      subject: msg.subject,
      deliveries: msg.info.deliveryCount,
      payload,
    };
    await publisher.publish(subjects.dlq(opts.dlqStage), dl, {
      msgId: `dlq-${msg.info.stream}-${msg.seq}`,
      traceparent: msg.headers?.get(H.traceparent) || undefined,
    });
    // Acked, not termed: the message now lives in the DLQ, and on a work-queue stream only an
    // ack removes it (nats-server 2.9 keeps termed messages).
    msg.ack();
    outcomes.inc({ consumer: name, outcome: reason });
  };

  const handleMessage = async (msg: JsMsg): Promise<void> => {
    const traceparent = msg.headers?.get(H.traceparent) || undefined;
    const log = logger.child({ trace_id: traceIdOf(traceparent), seq: msg.seq, consumer: name });
    let payload: T;
    try {
      const parsed = opts.schema.safeParse(msg.json());
      if (!parsed.success) {
        const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
        log.error({ issues }, 'invalid payload, dead-lettered');
        await deadLetter(msg, 'invalid-payload', issues.join('; '));
        return;
      }
      payload = parsed.data;
    } catch (err) {
      log.error({ err: (err as Error).message }, 'unparseable payload, dead-lettered');
      await deadLetter(msg, 'invalid-payload', `not JSON: ${(err as Error).message}`);
      return;
    }
    const ctx: HandlerContext = {
      subject: msg.subject,
      deliveryCount: msg.info.deliveryCount,
      streamSeq: msg.seq,
      traceparent,
      childTraceparent: childTraceparent(traceparent),
      logger: log,
    };
    const end = duration.startTimer({ consumer: name });
    try {
      await opts.handler(payload, ctx);
      msg.ack();
      outcomes.inc({ consumer: name, outcome: 'ack' });
    } catch (err) {
      const c = classifyError(err);
      const attempt = msg.info.deliveryCount;
      if (c.kind === 'permanent') {
        log.error({ err: c.message, code: c.code }, 'permanent failure, dead-lettered');
        await deadLetter(msg, 'permanent-error', c.message, c.code);
      } else if (maxAttempts > 0 && attempt >= maxAttempts) {
        log.error({ err: c.message, code: c.code, attempt }, 'retry budget exhausted, dead-lettered');
        await deadLetter(msg, 'retries-exhausted', c.message, c.code);
      } else {
        const delay = Math.max(c.retryAfterMs ?? 0, backoffDelay(attempt, base, max));
        log.warn({ err: c.message, code: c.code, attempt, delayMs: delay }, 'retryable failure, will retry');
        msg.nak(delay);
        outcomes.inc({ consumer: name, outcome: 'nak' });
      }
    } finally {
      end();
    }
  };

  const consumer = await bus.js.consumers.get(opts.consumer.stream, opts.consumer.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: Math.min(concurrency, 1000) });
  const loop = (async () => {
    for await (const msg of messages) {
      if (stopped) break;
      while (running.size >= concurrency) await new Promise<void>((r) => slotWaiters.push(r));
      const entry = { msg, since: Date.now(), touched: Date.now() };
      running.set(msg.seq, entry);
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
      messages.stop();
      const deadline = Date.now() + timeoutMs;
      while (running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      clearInterval(keepAlive);
      await loop.catch(() => undefined);
    },
  };
}
