import { inSpan, SpanKind, traceparentOf, type Metrics } from '@nm/telemetry';
import type { Handler, HandlerContext } from './consumer.runner.js';
import { childTraceparent } from './trace.js';

/**
 * Inline hops of the single process: a stage that publishes to a subject whose consumer runs on
 * the same thread calls that consumer's handler with the payload instead of publishing it, when
 * the hop is configured inline (`configure`). The publishing stage's own input message, which is
 * durable, stays unacknowledged until the whole chain has resolved (the consume loop acks only
 * after its handler, and the handler awaits the publish, which awaits the next handler): a failure
 * or a crash anywhere in the chain redelivers that input, and the chain runs again with the same
 * message ids (the ids every stage derives its output ids from), as it would on separate hops.
 *
 * Only hops between stages that keep no state of their own outside the chain are meant to be
 * inline (silencer → router → aggregator); a hop to a stage that answers slowly or retries on its
 * own (the senders) stays durable. A publish to an inline subject whose consumer is not (or no
 * longer) running on this thread, or one made outside a handler (no `from`), goes to JetStream as
 * usual: stopping a stage first stops its inline calls, and what comes after is stored.
 *
 * A consumer whose handler's output goes inline holds its messages as long as the last handler of
 * the chain holds its own (the aggregator, until the groups are published): `holds` names those
 * consumers, which run with at least `concurrency` handlers at once and let go of their messages'
 * bytes while holding them (as the aggregator's consumer does).
 */
export interface InlineHop {
  /** The filter subject of the consumer whose handler publishes (e.g. `nm.alerts.ingested`). */
  from: string;
  /** The subject it publishes to, whose consumer's handler is called instead. */
  to: string;
}

interface Target {
  handler: Handler<unknown>;
  /** The target consumer's stage, for its span. */
  stage: string;
}

export class InlineHops {
  private hops: readonly InlineHop[] = [];
  private readonly targets = new Map<string, Target>();
  private held = 0;
  private count: (subject: string, outcome: 'ok' | 'failed') => void = () => undefined;

  /**
   * Sets this thread's inline hops (none: every hop is durable, the default) and the number of
   * messages a holding consumer may have in hand (`concurrency`); `metrics` gets
   * `nm_bus_inline_total{subject,outcome}`.
   */
  configure(opts: { hops: readonly InlineHop[]; concurrency?: number; metrics?: Metrics }): void {
    this.hops = [...opts.hops];
    this.held = opts.concurrency ?? 0;
    if (opts.metrics) {
      const counter = opts.metrics.counter('nm_bus_inline_total', 'Payloads passed to the next stage\'s handler on the same thread instead of a durable hop (single process), by subject and outcome', ['subject', 'outcome'] as const);
      this.count = (subject, outcome) => counter.inc({ subject, outcome });
    }
    if (this.hops.length === 0) this.targets.clear();
  }

  /**
   * The consumer of `filterSubject` runs `handler` on this thread: publishes to that subject from
   * a handler call it directly while the hop is inline. Returns the release (call it when the
   * consumer stops: publishes go to JetStream again).
   */
  register(filterSubject: string, handler: Handler<unknown>, stage: string): () => void {
    if (!this.hops.some((h) => h.to === filterSubject) || this.targets.has(filterSubject)) return () => undefined;
    const target: Target = { handler, stage };
    this.targets.set(filterSubject, target);
    return () => {
      if (this.targets.get(filterSubject) === target) this.targets.delete(filterSubject);
    };
  }

  /** Whether a publish to `subject` from a handler runs inline now. */
  runs(subject: string): boolean {
    return this.targets.has(subject);
  }

  /** Whether the consumer of `filterSubject` publishes inline (its messages are held while the chain runs). */
  holds(filterSubject: string): boolean {
    return this.hops.some((h) => h.from === filterSubject);
  }

  /** Handlers the consumer of `filterSubject` runs at once: at least the holding concurrency when it `holds`. */
  concurrency(filterSubject: string, own: number): number {
    return this.holds(filterSubject) ? Math.max(own, this.held) : own;
  }

  /**
   * Runs the handler of `subject`'s consumer with `payload`, in the context of the handling it
   * comes from (`from`): the same delivery and attempt (the durable input message is theirs), the
   * published message's id as the message id. Undefined when no consumer of `subject` is inline.
   */
  call(subject: string, payload: unknown, opts: { msgId: string; traceparent?: string | undefined; from: HandlerContext }): Promise<void> | undefined {
    const target = this.targets.get(subject);
    if (!target) return undefined;
    // The payload is passed in a function of its own: a closure here that outlives the call (the
    // outcome's below) would keep it, and with it every alert of the message, until the whole
    // chain settled, while the aggregator holds only the alerts its groups still need.
    return this.counted(subject, startInline(target, subject, payload, opts));
  }

  private counted(subject: string, done: Promise<void>): Promise<void> {
    return done.then(
      () => this.count(subject, 'ok'),
      (err: unknown) => {
        this.count(subject, 'failed');
        throw err;
      },
    );
  }
}

/** Runs `target`'s handler with `payload` in a span; nothing created here keeps the payload once it returns. */
function startInline(target: Target, subject: string, payload: unknown, opts: { msgId: string; traceparent?: string | undefined; from: HandlerContext }): Promise<void> {
  const { from } = opts;
  const parent = opts.traceparent ?? from.childTraceparent;
  try {
    return inSpan(`${target.stage} process`, { parent, kind: SpanKind.INTERNAL, attributes: { 'nm.stage': target.stage, 'nm.inline': true, 'messaging.message.id': opts.msgId } }, (span) =>
      target.handler(payload, {
        subject,
        deliveryCount: from.deliveryCount,
        attempt: from.attempt,
        maxAttempts: from.maxAttempts,
        msgId: opts.msgId,
        streamSeq: from.streamSeq,
        traceparent: parent,
        childTraceparent: traceparentOf(span) ?? childTraceparent(parent),
        logger: from.logger,
        shared: true,
      }),
    );
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** This thread's inline hops (none unless the single process configures them). */
export const inline = new InlineHops();
