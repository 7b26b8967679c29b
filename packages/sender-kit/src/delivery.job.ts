import type { Alert, Channel, Notification } from '@nm/contracts';
import { PermanentError, classifyError, errorMessage } from '@nm/errors';
import { CredentialError, resolveCredential } from '@nm/config-store';
import { resolveConfig, type ConfigIndex, type Receiver, type ReceiverSectionCommon } from '@nm/model';
import {
  renderNotification,
  type ChannelTemplateOption,
  type GlobalTemplateOption,
  type RenderInput,
  type RenderedMessage,
} from '@nm/templates';
import type { Logger } from '@nm/telemetry';
import type { RevisionState } from './revision.cache.js';
import type { DeliveryJob } from './sender.types.js';

export interface JobInput {
  channel: Channel;
  notification: Notification;
  receiver: Receiver;
  section: ReceiverSectionCommon;
  deliveredKeys: ReadonlySet<string>;
  attempt: number;
  lastAttempt: boolean;
  signal: AbortSignal;
  logger: Logger;
  /** The rendering time shown in templates (`notificationTime`); default now. */
  now?: Date;
  /** Configs to pick from instead of the cluster's (an API send's own Config). */
  configIndex?: ConfigIndex;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The label notification-manager (2.5 and later) adds to every alert it delivers: the Receiver's name. */
export const RECEIVER_LABEL = 'receiver';

/**
 * Alerts as a receiver's templates and bodies see them: each carries `receiver=<Receiver name>`
 * unless it has a `receiver` label already (notification-manager's notify stage does the same).
 */
export function withReceiverLabel(alerts: readonly Alert[], receiver: string): Alert[] {
  if (receiver === '') return [...alerts]; // the history webhook's receiver has no name
  return alerts.map((a) => (a.labels[RECEIVER_LABEL] ? a : { ...a, labels: { ...a.labels, [RECEIVER_LABEL]: receiver } }));
}

/**
 * Gives each alert `receiver=<Receiver name>` unless it has a `receiver` label already, changing
 * the alerts themselves: for the owner of the alerts only (a sender's own parse of the
 * notification it delivers), so that `withReceiverLabel` then has nothing to copy. Copying every
 * alert and its labels for each rendering cost about a microsecond per alert. Not for alerts the
 * history webhook is to receive: notification-manager's history gets them without the label.
 */
export function labelReceiverInPlace(alerts: readonly Alert[], receiver: string): void {
  if (receiver === '') return;
  for (const a of alerts) if (!a.labels[RECEIVER_LABEL]) a.labels[RECEIVER_LABEL] = receiver;
}

/** The job of one notification against one configuration revision. */
export function buildJob(state: RevisionState, input: JobInput): DeliveryJob {
  const { channel, notification: n, receiver, section } = input;
  const channelOptions = state.channelOptions(channel);
  const timeoutSec = channelOptions?.['notificationTimeout'];
  const receiverTexts = section.tmplText ? state.configMapTexts(section.tmplText) : undefined;
  const notificationTime = input.now ?? new Date();

  const base: Omit<RenderInput, 'alerts'> = {
    channel,
    tmplType: text(section['tmplType']),
    templates: {
      receiver: {
        template: text(section.template),
        titleTemplate: text(section['titleTemplate']),
        subjectTemplate: text(section['subjectTemplate']),
      },
      channelOption: channelOptions as ChannelTemplateOption | undefined,
      global: state.globalOptions() as GlobalTemplateOption | undefined,
    },
    // A tmplText that names a missing ConfigMap leaves its templates undefined: naming one fails
    // with TEMPLATE_NOT_FOUND, which says which field is wrong.
    receiverTexts: receiverTexts?.data,
    receiverTextsSource: receiverTexts?.source,
    language: text(section.language),
    groupLabels: n.groupLabels,
    groupKey: n.groupKey,
    receiver: { name: n.receiver.name, tenant: n.receiver.tenant },
    ...(n.externalURL !== undefined ? { externalURL: n.externalURL } : {}),
    notificationTime,
  };

  return {
    channel,
    notification: n,
    receiver,
    section,
    config: resolveConfig(receiver, channel, input.configIndex ?? state.configIndex),
    channelOptions,
    notificationTimeoutMs: typeof timeoutSec === 'number' && timeoutSec > 0 ? timeoutSec * 1000 : undefined,
    settings: state.settings,
    snapshot: state.snapshot,
    credential: (cred) => {
      try {
        return resolveCredential(cred, state.snapshot, state.defaultNamespace);
      } catch (err) {
        if (err instanceof CredentialError) {
          throw new PermanentError(`receiver ${receiver.metadata.name}: ${err.message}`, { code: err.code, cause: err });
        }
        throw err;
      }
    },
    render: (alerts: readonly Alert[]): RenderedMessage => {
      try {
        return renderNotification(state.registry(), { ...base, alerts: withReceiverLabel(alerts, receiver.metadata.name) });
      } catch (err) {
        throw new PermanentError(`receiver ${receiver.metadata.name}: ${errorMessage(err)}`, {
          code: classifyError(err, 'TEMPLATE_RENDER').code,
          cause: err,
        });
      }
    },
    deliveredKeys: input.deliveredKeys,
    attempt: input.attempt,
    lastAttempt: input.lastAttempt,
    signal: input.signal,
    logger: input.logger,
  };
}
