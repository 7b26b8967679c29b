import type { Alert, Channel, Notification } from '@nm/contracts';
import type { Config, ConfigSnapshot, Credential, EffectiveSettings, Receiver, ReceiverSectionCommon } from '@nm/model';
import type { Logger } from '@nm/telemetry';
import type { RenderedMessage } from '@nm/templates';

/**
 * An error attached to an outcome. `ChannelError` of `@nm/channels` fits; so does any error with
 * a `retryable` flag or named `RetryableError` / `PermanentError` / `PartialFailureError`.
 */
export interface OutcomeError {
  readonly name?: string;
  readonly message: string;
  readonly code?: string;
  readonly retryable?: boolean;
  readonly retryAfterMs?: number;
}

export type OutcomeStatus = 'delivered' | 'partial' | 'failed' | 'duplicate';

/** One destination × one message part (the shape of `DeliveryOutcome` of `@nm/channels`). */
export interface DeliveryOutcomeLike {
  /** Stable within a notification; fed back as `deliveredKeys` on a later attempt. */
  readonly key: string;
  /** Secret-free description of where it went. */
  readonly destination: string;
  readonly alertIds: readonly string[];
  readonly status: OutcomeStatus;
  readonly error?: OutcomeError | undefined;
  readonly upstreamMessageId?: string | undefined;
}

/** What `deliver` resolves with (`SendResult` of `@nm/channels` fits). */
export interface DeliveryReport {
  readonly outcomes: readonly DeliveryOutcomeLike[];
}

/** Everything a channel needs to deliver one notification. */
export interface DeliveryJob {
  readonly channel: Channel;
  readonly notification: Notification;
  /** The Receiver CR named by the notification. */
  readonly receiver: Receiver;
  /** The receiver's section for this channel. */
  readonly section: ReceiverSectionCommon;
  /** The Config the receiver uses for this channel (notification-manager §1.5.1), when one qualifies. */
  readonly config?: Config | undefined;
  /** `spec.receivers.options.<channel>` of the NotificationManager. */
  readonly channelOptions?: Readonly<Record<string, unknown>> | undefined;
  /** `options.<channel>.notificationTimeout` in milliseconds, when set. */
  readonly notificationTimeoutMs?: number | undefined;
  readonly settings: EffectiveSettings;
  readonly snapshot: ConfigSnapshot;
  /**
   * Resolves a Credential (inline value or Secret key, namespace defaulting to
   * `defaultSecretNamespace`, else `default`). Throws a PermanentError naming the reference.
   */
  readonly credential: (cred: Credential | undefined) => string | undefined;
  /**
   * Renders a subset of the notification's alerts with the receiver's templates and language.
   * Pure for one job (fixed notification time), so a sender may call it on candidate parts.
   * Throws a PermanentError when a template is missing or broken.
   */
  readonly render: (alerts: readonly Alert[]) => RenderedMessage;
  /** Unit keys delivered by earlier attempts: pass them to the channel sender. */
  readonly deliveredKeys: ReadonlySet<string>;
  /** 1 on the first delivery of the message. */
  readonly attempt: number;
  /** True when a retryable failure now dead-letters the notification. */
  readonly lastAttempt: boolean;
  /** Aborted when the service stops. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

export type DeliverFn = (job: DeliveryJob) => Promise<DeliveryReport>;

export interface SenderOptions {
  channel: Channel;
  deliver: DeliverFn;
  /** Deliveries of one message before a retryable failure is dead-lettered (default 12). */
  maxAttempts?: number;
  /** Notifications handled at once by this replica (default 16). */
  concurrency?: number;
  /** How long a delivered notification id is remembered (default 7 days). */
  deliveredTtlSeconds?: number;
  /** Backoff of retryable failures (defaults 500 ms doubling up to 60 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /**
   * A secret-free destination for history records of failures that produced no outcome (the
   * sender rejected the target). Default: empty.
   */
  describeDestination?: (job: DeliveryJob) => string;
}

export interface SenderHandle {
  /** Stops consuming, waits for in-flight notifications (up to `timeoutMs`), then aborts the rest. */
  stop(timeoutMs?: number): Promise<void>;
  inFlight(): number;
}
