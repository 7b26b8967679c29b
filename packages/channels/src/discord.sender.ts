/**
 * Discord: `POST <webhook URL>` (notification-manager §3.9), the message as `content` (2000
 * characters) or as an embed's `description` (4096), split into chunks under those limits, each
 * a message of its own. Mentions come only from the Receiver (`mentionedUsers`, `mentionedRoles`;
 * `everyone`/`here` for @everyone/@here): `allowed_mentions` names exactly those, so text in an
 * alert (`@everyone`, `<@123>`) never pings anyone. Success is 204 (or 200); 429 waits the
 * `retry_after` Discord names (body seconds, else Retry-After), 5xx and transport failures retry,
 * other 4xx (unknown webhook, invalid body) are permanent.
 */
import { PermanentError } from '@nm/errors';
import { classifyHttpError } from './channel.errors.js';
import type { OutgoingMessage, SendContext, SendResult } from './channel.types.js';
import { splitMessageByChars, truncateChars } from './char.splitter.js';
import { unitsFor, type UnitSuccess } from './delivery.runner.js';
import { excerpt, httpRequest, redactUrl } from './http.client.js';
import { HttpChannelSender, type HttpSenderOptions } from './http.sender.js';
import type { MessageChunk } from './message.splitter.js';

export const DISCORD_MAX_CONTENT_CHARS = 2000;
export const DISCORD_MAX_EMBED_DESCRIPTION_CHARS = 4096;
const DISCORD_MAX_EMBED_TITLE_CHARS = 256;

export type DiscordMessageType = 'content' | 'embed';

export interface DiscordTarget {
  webhookUrl: string;
  /** `content` (default) or `embed`. */
  type?: DiscordMessageType;
  /** User ids (snowflakes), or `everyone` / `here`. */
  mentionedUsers?: readonly string[];
  /** Role ids (snowflakes). */
  mentionedRoles?: readonly string[];
  /** Per-request timeout (`options.discord.notificationTimeout`); default the sender's. */
  timeoutMs?: number | undefined;
}

export interface DiscordSenderOptions extends HttpSenderOptions {
  /** Split limits in characters (defaults 2000 for content, 4096 for an embed description). */
  maxContentChars?: number;
  maxEmbedChars?: number;
}

const SNOWFLAKE = /^\d{1,20}$/;
const BROADCAST = new Set(['everyone', 'here']);

/** The mention text and the `allowed_mentions` that lets exactly those mentions notify. */
export function discordMentions(target: Pick<DiscordTarget, 'mentionedUsers' | 'mentionedRoles'>): {
  text: string;
  allowed: { parse: string[]; users: string[]; roles: string[] };
} {
  const users = [...new Set(target.mentionedUsers ?? [])];
  const roles = [...new Set(target.mentionedRoles ?? [])];
  for (const u of users) {
    if (!BROADCAST.has(u) && !SNOWFLAKE.test(u)) {
      throw new PermanentError(`discord: mentioned user "${u}" is neither a user id nor everyone/here`, { code: 'discord:invalid-mention' });
    }
  }
  for (const r of roles) {
    if (!SNOWFLAKE.test(r)) throw new PermanentError(`discord: mentioned role "${r}" is not a role id`, { code: 'discord:invalid-mention' });
  }
  const ids = users.filter((u) => !BROADCAST.has(u));
  const parts = [...users.map((u) => (BROADCAST.has(u) ? `@${u}` : `<@${u}>`)), ...roles.map((r) => `<@&${r}>`)];
  return {
    text: parts.join(' '),
    allowed: { parse: users.some((u) => BROADCAST.has(u)) ? ['everyone'] : [], users: ids, roles },
  };
}

export class DiscordSender extends HttpChannelSender<DiscordTarget, DiscordSenderOptions> {
  readonly channel = 'discord' as const;

  constructor(opts: DiscordSenderOptions = {}) {
    super(opts);
  }

  async send(target: DiscordTarget, message: OutgoingMessage, ctx: SendContext = {}): Promise<SendResult> {
    if (!target.webhookUrl) throw new PermanentError('discord: no webhook URL', { code: 'discord:no-destination' });
    const type = target.type ?? 'content';
    const mentions = discordMentions(target);
    // content carries the mentions after the text; an embed carries them in content, outside the description
    const reserve = type === 'content' && mentions.text ? mentions.text.length + 1 : 0;
    const maxChars = type === 'content' ? (this.opts.maxContentChars ?? DISCORD_MAX_CONTENT_CHARS) : (this.opts.maxEmbedChars ?? DISCORD_MAX_EMBED_DESCRIPTION_CHARS);
    const chunks = splitMessageByChars(message, { maxChars, reserve });
    const units = unitsFor(
      [target.webhookUrl],
      chunks,
      (url) => ({ key: 'webhook', label: redactUrl(url) }),
      (url, chunk) => this.post(url, DiscordSender.body(type, chunk, mentions), target.timeoutMs, ctx.signal),
    );
    return this.run(units, ctx);
  }

  /** The JSON body of one chunk. */
  static body(type: DiscordMessageType, chunk: Pick<MessageChunk, 'title' | 'body'>, mentions: ReturnType<typeof discordMentions>): Record<string, unknown> {
    const text = chunk.body.trim() === '' ? '(empty)' : chunk.body;
    if (type === 'content') {
      return { content: mentions.text ? `${text}\n${mentions.text}` : text, allowed_mentions: mentions.allowed };
    }
    const title = chunk.title?.trim() ? { title: truncateChars(chunk.title, DISCORD_MAX_EMBED_TITLE_CHARS) } : {};
    return { content: mentions.text, embeds: [{ ...title, description: text }], allowed_mentions: mentions.allowed };
  }

  private async post(url: string, body: Record<string, unknown>, timeoutMs: number | undefined, signal?: AbortSignal): Promise<UnitSuccess> {
    const reply = await httpRequest(this.http, { method: 'POST', url, body, ...(signal ? { signal } : {}), timeoutMs }, 'discord');
    if (reply.status === 204 || reply.status === 200) {
      const id = (reply.json as { id?: unknown } | undefined)?.id;
      return typeof id === 'string' ? { upstreamMessageId: id } : {};
    }
    const json = reply.json as { message?: unknown; code?: unknown; retry_after?: unknown } | undefined;
    const headers = { ...reply.headers };
    // Discord's body names the wait in (fractional) seconds, more precisely than the header
    if (reply.status === 429 && typeof json?.retry_after === 'number') headers['retry-after'] = String(json.retry_after);
    const detail = typeof json?.message === 'string' ? `${json.message}${typeof json.code === 'number' ? ` (code ${json.code})` : ''}` : excerpt(reply.text);
    throw classifyHttpError({ status: reply.status, headers, detail }, 'discord', this.clock.now());
  }
}
