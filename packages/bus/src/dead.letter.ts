import type { JsMsg } from '@nats-io/jetstream';
import { PAYLOAD_VERSION, type DeadLetter } from '@nm/contracts';
import { payloadLimit, type Publisher } from './publisher.js';

/** Room a dead letter keeps around the original payload (reason, error, subject…). */
const DEAD_LETTER_ALLOWANCE = 16 * 1024;

/** The message id of a message's dead letter: a second dead-lettering of it is deduplicated. */
export function deadLetterMsgId(msg: Pick<JsMsg, 'seq' | 'info'>): string {
  return `dlq-${msg.info.stream}-${msg.seq}`;
}

/**
 * The dead letter of a consumed message: the reason, the error and the original payload (parsed
 * when it is JSON). A payload that leaves no room for the dead letter around it under the
 * server's `max_payload` keeps its beginning only (`payloadTruncated`); such a dead letter stays
 * visible with its reason but cannot be replayed.
 */
export function deadLetterOf(
  msg: Pick<JsMsg, 'subject' | 'info' | 'string'>,
  publisher: Pick<Publisher, 'maxPayload'>,
  fields: { stage: string; reason: DeadLetter['reason']; error: string; code?: string; attempts?: number; time?: Date },
): DeadLetter {
  const raw = msg.string();
  const room = payloadLimit(publisher) - DEAD_LETTER_ALLOWANCE;
  const bytes = Buffer.byteLength(raw, 'utf8');
  const truncated = bytes > room;
  let payload: unknown = raw;
  if (truncated) payload = raw.slice(0, Math.max(0, room - 1024));
  else
    try {
      payload = JSON.parse(raw);
    } catch {
      /* keep raw text */
    }
  const { error } = fields;
  return {
    version: PAYLOAD_VERSION,
    time: (fields.time ?? new Date()).toISOString(),
    stage: fields.stage,
    reason: fields.reason,
    error: error.length > 4000 ? `${error.slice(0, 4000)}…` : error,
    ...(fields.code ? { code: fields.code } : {}),
    subject: msg.subject,
    deliveries: msg.info.deliveryCount,
    ...(fields.attempts === undefined ? {} : { attempts: fields.attempts }),
    ...(truncated ? { payloadTruncated: { bytes, kept: Math.max(0, room - 1024) } } : {}),
    payload,
  };
}
