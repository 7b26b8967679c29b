/**
 * The Receiver (and Config) an API send (`POST /api/v2/verify`, `/api/v2/notifications`) brought:
 * sealed by ingest with `NM_SECRET_KEY`, opened here just before delivery.
 */
import type { ApiSend } from '@nm/contracts';
import { PermanentError, errorMessage } from '@nm/errors';
import { buildConfigIndex, type Config, type ConfigIndex, type EffectiveSettings, type Receiver } from '@nm/model';

/** What opening needs of the services' SecretBox. */
export interface ApiSendOpener {
  open(sealed: string): string;
}

export interface OpenedApiSend {
  receiver: Receiver;
  /** The request's Config as the only candidate, when it brought one (else the cluster's Configs apply). */
  configIndex?: ConfigIndex;
}

/**
 * Opens an API send. Fails permanently past its deadline (the caller was answered already, so a
 * late test message is not sent) and when the sealed part cannot be read.
 */
export function openApiSend(opener: ApiSendOpener | undefined, api: ApiSend, settings: EffectiveSettings, now: Date): OpenedApiSend {
  const deadline = Date.parse(api.deadline);
  if (Number.isFinite(deadline) && now.getTime() > deadline)
    throw new PermanentError(`the ${api.kind} request's deadline (${api.deadline}) passed before delivery: not sent`, { code: 'API_DEADLINE_PASSED' });
  if (!opener) throw new PermanentError('this sender cannot open API sends (no secret box)', { code: 'API_SEND_UNREADABLE' });
  let parsed: { receiver?: Receiver; config?: Config };
  try {
    parsed = JSON.parse(opener.open(api.sealed)) as { receiver?: Receiver; config?: Config };
  } catch (err) {
    throw new PermanentError(`the ${api.kind} request cannot be read (is NM_SECRET_KEY the same in ingest and this sender?): ${errorMessage(err)}`, {
      code: 'API_SEND_UNREADABLE',
      cause: err,
    });
  }
  if (!parsed.receiver) throw new PermanentError(`the ${api.kind} request has no receiver`, { code: 'API_SEND_UNREADABLE' });
  return { receiver: parsed.receiver, ...(parsed.config ? { configIndex: buildConfigIndex([parsed.config], settings) } : {}) };
}
