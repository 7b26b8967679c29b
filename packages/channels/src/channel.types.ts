import type { Alert, Channel } from '@nm/contracts';
import type { ClassifiedError } from '@nm/errors';

/** What a template produced for some alerts: an optional title (subject) and the body. */
export interface Rendered {
  title?: string;
  body: string;
}

/** Renders a group of alerts. Must be pure: the splitter calls it on candidate chunks. */
export type RenderFn = (alerts: readonly Alert[]) => Rendered;

/** A chunk rendered by the caller, optionally naming the alerts it carries (for history). */
export interface RenderedChunk extends Rendered {
  alertIds?: readonly string[];
}

/**
 * The content of one notification: either alerts plus a render function (the sender groups the
 * alerts into chunks under the channel's byte limit), or chunks the caller already rendered (a
 * chunk over the limit is split at line boundaries, or truncated visibly where splitting would
 * break the format).
 */
export type OutgoingMessage =
  | { kind: 'alerts'; alerts: readonly Alert[]; render: RenderFn }
  | { kind: 'rendered'; chunks: readonly RenderedChunk[] };

export interface SendContext {
  /** Stable id of the notification; used in logs and unit keys, never sent upstream. */
  notificationId?: string;
  /**
   * Unit keys (see {@link DeliveryOutcome.key}) delivered by an earlier attempt of the same
   * notification: they are reported as `duplicate` and not sent again.
   */
  deliveredKeys?: ReadonlySet<string>;
  /** Aborts in-flight requests and waits (rate limiter, backoff). */
  signal?: AbortSignal;
}

export type OutcomeStatus = 'delivered' | 'partial' | 'failed' | 'duplicate';

/** What happened to one unit: one destination × one message chunk. Never holds secrets. */
export interface DeliveryOutcome {
  /** Stable within a notification (destination + chunk); feed it back as `deliveredKeys`. */
  key: string;
  /** Where it went, secret-free: `#ops`, `user:u1|u2`, a webhook URL without key/query, emails. */
  destination: string;
  chunk: { index: number; count: number };
  alertIds: readonly string[];
  status: OutcomeStatus;
  error?: ClassifiedError;
  /** Recipient ids the vendor rejected while accepting the rest (`partial`). */
  invalid?: readonly string[];
  upstreamMessageId?: string;
  /** Requests made for this unit in this call (inline retries and token refreshes included). */
  attempts: number;
  /** Bytes removed from an alert that alone exceeded the limit (visibly marked in the text). */
  truncatedBytes?: number;
}

export interface SendResult {
  channel: Channel;
  /** delivered: every unit delivered (or delivered before); failed: none delivered now or before. */
  status: 'delivered' | 'partial' | 'failed' | 'duplicate';
  outcomes: DeliveryOutcome[];
}

/**
 * One channel. `send` resolves with a result for every vendor or transport failure (each
 * outcome carries a classified error; `failureOf(result)` folds them into the one error the bus
 * runner acts on). It rejects only with a `PermanentError` when the target itself is unusable
 * (no destination, malformed config), or when `ctx.signal` aborts.
 */
export interface ChannelSender<Target> {
  readonly channel: Channel;
  send(target: Target, message: OutgoingMessage, ctx?: SendContext): Promise<SendResult>;
  /** Releases what the sender keeps open (keep-alive sockets), if anything. */
  close?(): void;
}
