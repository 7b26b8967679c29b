/**
 * What the sender apps' `targetOf` functions share: reading the receiver's section and the Config
 * it uses, and the PermanentErrors (naming the receiver and the field, coded
 * `<channel>:<reason>`) when they cannot make a target.
 */
import { PermanentError } from '@nm/errors';
import type { Config, Credential } from '@nm/model';
import { channelFormat } from '@nm/templates';
import type { DeliveryJob } from './sender.types.js';

/** A string with something in it, else undefined. */
export const textOf = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/** The ids of a list, trimmed, empty ones left out. */
export const idsOf = (list: readonly string[] | undefined): string[] => (list ?? []).map((s) => s.trim()).filter((s) => s !== '');

/** The template type rendering uses: the receiver's `tmplType`, else `options.<channel>.tmplType`, else the channel's default. */
export function tmplTypeOf(job: DeliveryJob): string {
  return channelFormat(job.channel, textOf(job.section['tmplType']) ?? textOf(job.channelOptions?.['tmplType'])).tmplType;
}

/** `{ timeoutMs }` from `options.<channel>.notificationTimeout`, or nothing. */
export function timeoutOf(job: DeliveryJob): { timeoutMs?: number } {
  return job.notificationTimeoutMs !== undefined ? { timeoutMs: job.notificationTimeoutMs } : {};
}

/** `receiver <name>: <message>`, coded `<channel>:<reason>`. */
export function targetError(job: DeliveryJob, reason: string, message: string): PermanentError {
  return new PermanentError(`receiver ${job.receiver.metadata.name}: ${message}`, { code: `${job.channel}:${reason}` });
}

/** A chatbot's webhook URL, resolved and trimmed; an empty one is `<channel>:invalid-chatbot`. */
export function chatbotWebhookOf(job: DeliveryJob, webhook: Credential | undefined): string {
  const url = job.credential(webhook)?.trim();
  if (!url) throw targetError(job, 'invalid-chatbot', `${job.channel}.chatbot.webhook is empty`);
  return url;
}

/** A custom robot (DingTalk, Feishu): its webhook URL (required), signing secret and keywords. */
export function robotOf(
  job: DeliveryJob,
  bot: { webhook?: Credential | undefined; secret?: Credential | undefined; keywords?: readonly string[] | undefined },
): { webhookUrl: string; secret?: string; keywords?: string[] } {
  const webhookUrl = chatbotWebhookOf(job, bot.webhook);
  const secret = job.credential(bot.secret);
  const keywords = idsOf(bot.keywords);
  return { webhookUrl, ...(secret ? { secret } : {}), ...(keywords.length ? { keywords } : {}) };
}

/**
 * The Config the receiver uses and its `section` for this channel; none is `<channel>:no-config`:
 * `no Config with <what> qualifies (<needs>)`.
 */
export function configOf<S>(job: DeliveryJob, section: S | undefined, what: string, needs: string): { config: Config; section: S } {
  if (!job.config || !section) throw targetError(job, 'no-config', `no Config with ${what} qualifies (${needs})`);
  return { config: job.config, section };
}

/**
 * `fields` (settings and resolved credentials of `config`), each required: the missing ones are
 * `<channel>:<reason>` (default `invalid-config`): `Config <name> has no <prefix>.<field>, …`.
 */
export function requireFields<K extends string>(
  job: DeliveryJob,
  config: Config,
  prefix: string,
  fields: Record<K, string | undefined>,
  reason = 'invalid-config',
): Record<K, string> {
  const missing = Object.entries(fields).filter(([, v]) => !v).map(([k]) => k);
  if (missing.length > 0) throw targetError(job, reason, `Config ${config.metadata.name} has no ${prefix}.${missing.join(`, ${prefix}.`)}`);
  return fields as Record<K, string>;
}

/**
 * A webhook URL a Receiver holds in a Credential (Teams, Google Chat): resolved, trimmed and an
 * http(s) URL. Empty is `<channel>:no-webhook`, anything else `<channel>:invalid-webhook`; the
 * messages never repeat the URL (it carries the webhook's secret).
 */
export function webhookUrlOf(job: DeliveryJob, webhook: Credential | undefined, field = 'webhook'): string {
  const url = job.credential(webhook)?.trim();
  if (!url) throw targetError(job, 'no-webhook', `${job.channel}.${field} is empty`);
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'https:' && protocol !== 'http:') throw targetError(job, 'invalid-webhook', `${job.channel}.${field} is not an http(s) URL`);
  return url;
}
