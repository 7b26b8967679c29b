import type { Alert, Channel, Notification } from '@nm/contracts';
import type { ChannelSender } from '@nm/channels';
import type { Config, ConfigSnapshot, Credential, EffectiveSettings, Receiver, ReceiverSectionCommon } from '@nm/model';
import type { Logger } from '@nm/telemetry';
import type { RenderedMessage } from '@nm/templates';

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
  /** Unit keys delivered by earlier attempts: the channel sender skips them. */
  readonly deliveredKeys: ReadonlySet<string>;
  /** 1 on the first delivery of the message. */
  readonly attempt: number;
  /** True when a retryable failure now dead-letters the notification. */
  readonly lastAttempt: boolean;
  /** Aborted when the service stops. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** What a sender app supplies: its channel sender and how a job becomes that sender's target. */
export interface SenderSpec<Target> {
  readonly sender: ChannelSender<Target>;
  /**
   * The target of a job: the receiver's section and the Config it uses, credentials resolved.
   * Throws a PermanentError naming the receiver when they cannot make a target.
   */
  readonly targetOf: (job: DeliveryJob) => Target;
  /** A secret-free destination for history records of failures before any unit was tried (default: empty). */
  readonly describeDestination?: (job: DeliveryJob) => string;
}

/** Tuning of a sender service (`NM_SENDER_*`). */
export interface SenderServiceOptions {
  /** Attempts of one notification before a retryable failure is dead-lettered (default 12; 0 = unlimited). */
  maxAttempts?: number;
  /** Notifications handled at once by this replica (default 16). */
  concurrency?: number;
  /**
   * At most this many at once while ingest on the same thread is busy (`ingestActivity`: the
   * single process's main thread), `concurrency` otherwise; no effect on a thread without ingest.
   */
  concurrencyBesideIngest?: number;
  /** How long a delivered notification id is remembered (default 7 days). */
  deliveredTtlSeconds?: number;
  /** Backoff of retryable failures (defaults 500 ms doubling up to 60 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export interface SenderHandle {
  /** Stops consuming, waits for in-flight notifications (up to `timeoutMs`), then aborts the rest. */
  stop(timeoutMs?: number): Promise<void>;
  inFlight(): number;
}
