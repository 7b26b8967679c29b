/**
 * Telegram: `POST {api}bot<token>/sendMessage` with `{chat_id, text}`, one request per chat and
 * chunk (notification-manager §3.10). The text is plain (no `parse_mode`), so nothing in an alert
 * is read as markup; mentions (`@user`) follow the text. Messages are split at 4096 characters.
 * A reply is a success only with `ok: true`; 429 waits `parameters.retry_after`, 5xx and transport
 * failures retry, the other `ok: false` answers (chat not found, bot blocked, bad token) are
 * permanent and carry Telegram's `description`. The token sits in the URL path: it never reaches
 * results, errors or logs.
 */
import { PermanentError, RetryableError } from '@nm/errors';
import { classifyHttpError } from './channel.errors.js';
import type { OutgoingMessage, SendContext, SendResult } from './channel.types.js';
import { DEFAULT_TELEGRAM_API_URL, apiUrl } from './channel.urls.js';
import { splitMessageByChars } from './char.splitter.js';
import { unitsFor, type UnitSuccess } from './delivery.runner.js';
import { excerpt, httpRequest } from './http.client.js';
import { HttpChannelSender, type HttpSenderOptions } from './http.sender.js';

export const TELEGRAM_MAX_TEXT_CHARS = 4096;

export interface TelegramTarget {
  /** Bot token (the Config's `telegramTokenSecret`). */
  token: string;
  /** Chat ids or `@channel` names. */
  channels: readonly string[];
  /** Usernames mentioned after the text (with or without `@`). */
  mentionedUsers?: readonly string[];
  /** Per-request timeout (`options.telegram.notificationTimeout`); default the sender's. */
  timeoutMs?: number | undefined;
}

export interface TelegramSenderOptions extends HttpSenderOptions {
  /** Default `https://api.telegram.org/` (see `NM_TELEGRAM_API_URL`). */
  apiUrl?: string;
  /** Split limit of `text` in characters (default 4096). */
  maxChars?: number;
}

/** `@u1 @u2` for the mentioned users, or an empty string. */
export function telegramMentions(users: readonly string[] | undefined): string {
  return [...new Set((users ?? []).map((u) => u.trim().replace(/^@+/, '')).filter((u) => u !== ''))].map((u) => `@${u}`).join(' ');
}

/** A numeric chat id goes as a number, an `@channel` name as a string. */
const chatIdOf = (channel: string): string | number => (/^-?\d{1,20}$/.test(channel) && Number.isSafeInteger(Number(channel)) ? Number(channel) : channel);

export class TelegramSender extends HttpChannelSender<TelegramTarget, TelegramSenderOptions> {
  readonly channel = 'telegram' as const;

  constructor(opts: TelegramSenderOptions = {}) {
    super(opts);
  }

  async send(target: TelegramTarget, message: OutgoingMessage, ctx: SendContext = {}): Promise<SendResult> {
    if (!target.token) throw new PermanentError('telegram: no bot token', { code: 'telegram:no-token' });
    const mentions = telegramMentions(target.mentionedUsers);
    const chunks = splitMessageByChars(message, { maxChars: this.opts.maxChars ?? TELEGRAM_MAX_TEXT_CHARS, reserve: mentions ? mentions.length + 1 : 0 });
    const units = unitsFor(
      target.channels,
      chunks,
      (channel) => ({ key: `chat:${channel}`, label: channel }),
      (channel, chunk) => {
        const text = chunk.body.trim() === '' ? '(empty)' : chunk.body;
        return this.sendMessage(target, channel, mentions ? `${text}\n${mentions}` : text, ctx.signal);
      },
    );
    return this.run(units, ctx);
  }

  private async sendMessage(target: TelegramTarget, channel: string, text: string, signal?: AbortSignal): Promise<UnitSuccess> {
    const reply = await httpRequest(
      this.http,
      {
        method: 'POST',
        url: apiUrl(this.opts.apiUrl ?? DEFAULT_TELEGRAM_API_URL, `bot${target.token}/sendMessage`),
        body: { chat_id: chatIdOf(channel), text },
        ...(signal ? { signal } : {}),
        timeoutMs: target.timeoutMs,
      },
      'telegram',
    );
    const body = reply.json as
      | { ok?: unknown; description?: unknown; error_code?: unknown; parameters?: { retry_after?: unknown }; result?: { message_id?: unknown } }
      | undefined;
    if (body?.ok === true && reply.status === 200) {
      const id = body.result?.message_id;
      return typeof id === 'number' || typeof id === 'string' ? { upstreamMessageId: `${channel}/${String(id)}` } : {};
    }
    if (body?.ok !== false && reply.status === 200) {
      throw new RetryableError(`telegram: unexpected reply: ${excerpt(reply.text)}`, { code: 'telegram:invalid-reply' });
    }
    const status = typeof body?.error_code === 'number' ? body.error_code : reply.status;
    const headers = { ...reply.headers };
    const wait = body?.parameters?.retry_after;
    if (typeof wait === 'number') headers['retry-after'] = String(wait);
    const detail = typeof body?.description === 'string' ? body.description : excerpt(reply.text);
    // an ok:false answer under HTTP 200 is still the error its error_code names
    throw classifyHttpError({ status: status === 200 ? 400 : status, headers, detail }, 'telegram', this.clock.now());
  }
}
