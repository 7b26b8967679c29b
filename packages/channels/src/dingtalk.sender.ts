/**
 * DingTalk: custom robots (HMAC-SHA256 signature with a millisecond timestamp, keywords, @mentions,
 * 19960-byte split, 20 messages per minute per robot enforced across replicas by queueing) and
 * enterprise conversations (app token, chat/send, 5000-byte split, 25 per second per app).
 * A target's `limits` and `timeoutMs` (from `options.dingtalk`) override these per notification.
 */
import { createHmac } from 'node:crypto';
import { PermanentError } from '@nm/errors';
import { classifyVendorError } from './channel.errors.js';
import type { OutgoingMessage, Rendered, SendContext, SendResult } from './channel.types.js';
import { DEFAULT_DINGTALK_API_URL } from './channel.urls.js';
import { DINGTALK_TOKENS, sendDingtalkConversation, type DingtalkApp, type DingtalkReply } from './dingtalk.conversation.js';
import { unitsFor, type DeliveryUnit, type UnitSuccess } from './delivery.runner.js';
import { httpRequest, redactUrl } from './http.client.js';
import { TokenChannelSender, type RateLimitedSenderOptions, type TokenSenderOptions } from './http.sender.js';
import { splitMessage, utf8Length } from './message.splitter.js';
import { throttle, type RateLimit } from './rate.limiter.js';
import { hashKey } from './token.cache.js';
import { parseErrcodeReply, vendorResult } from './vendor.token.client.js';

export interface DingtalkChatbot {
  webhookUrl: string;
  secret?: string;
  keywords?: readonly string[];
  atMobiles?: readonly string[];
  atUserIds?: readonly string[];
  atAll?: boolean;
}

export interface DingtalkTarget {
  /** `tmplType`: text (default) or markdown; markdown uses the rendered title. */
  format?: 'text' | 'markdown';
  chatbot?: DingtalkChatbot;
  conversation?: DingtalkApp & { chatIds: readonly string[] };
  /** Per-request timeout (`options.dingtalk.notificationTimeout`); default the sender's. */
  timeoutMs?: number | undefined;
  /** Per-notification limits (`options.dingtalk`); each field overrides the sender's default. */
  limits?: DingtalkLimits | undefined;
}

export interface DingtalkLimits {
  /** `chatbotMessageMaxSize` in bytes. */
  chatbotMaxBytes?: number;
  /** `conversationMessageMaxSize` in bytes. */
  conversationMaxBytes?: number;
  /** `chatBotThrottle`; missing fields keep the sender's (or the default) values. */
  chatbotRateLimit?: Partial<RateLimit>;
  /** `conversationThrottle`; missing fields keep the sender's (or the default) values. */
  conversationRateLimit?: Partial<RateLimit>;
}

export interface DingtalkSenderOptions extends TokenSenderOptions, RateLimitedSenderOptions {
  /** Default `https://oapi.dingtalk.com/` (see `NM_DINGTALK_API_URL`). */
  apiUrl?: string;
  chatbotMaxBytes?: number;
  conversationMaxBytes?: number;
  /** Per robot; default 20 per minute, waiting up to 10 s, then redelivery. */
  chatbotRateLimit?: RateLimit | false;
  /** Per app; default 25 per second, waiting up to 1 s. */
  conversationRateLimit?: RateLimit | false;
}

/** DingTalk's robot signature: base64(HMAC-SHA256(key = secret, msg = timestamp + "\n" + secret)). */
export function dingtalkSign(timestampMs: number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** Markdown needs a title: the rendered one, else the first line of the body without markup. */
const titleOf = (r: Rendered): string => (r.title ?? r.body.split('\n').find((l) => l.trim()) ?? 'Notification').replace(/^#+\s*/, '').slice(0, 64);

const msgOf = (format: 'text' | 'markdown', r: Rendered, text: string): Record<string, unknown> =>
  format === 'markdown' ? { msgtype: 'markdown', markdown: { title: titleOf(r), text } } : { msgtype: 'text', text: { content: text } };

export class DingtalkSender extends TokenChannelSender<DingtalkTarget, DingtalkReply, DingtalkSenderOptions> {
  readonly channel = 'dingtalk' as const;
  private readonly apiUrl = this.opts.apiUrl ?? DEFAULT_DINGTALK_API_URL;

  constructor(opts: DingtalkSenderOptions = {}) {
    super(opts, DINGTALK_TOKENS);
  }

  async send(target: DingtalkTarget, message: OutgoingMessage, ctx: SendContext = {}): Promise<SendResult> {
    const format = target.format ?? 'text';
    const limits = target.limits ?? {};
    const { timeoutMs } = target;
    const units: DeliveryUnit[] = [];
    const bot = target.chatbot;
    if (bot) {
      const keywords = bot.keywords?.length ? `\n\n[Keywords] ${bot.keywords.join(', ')}` : '';
      const people = [...(bot.atMobiles ?? []), ...(bot.atUserIds ?? [])];
      const mentions = format === 'markdown' && people.length ? ` ${people.map((p) => `@${p}`).join(', ')}` : '';
      const maxBytes = (limits.chatbotMaxBytes ?? this.opts.chatbotMaxBytes ?? 19_960) - utf8Length(keywords) - utf8Length(mentions);
      const at = { atMobiles: bot.atMobiles ?? [], atUserIds: bot.atUserIds ?? [], isAtAll: bot.atAll ?? false };
      const chunks = splitMessage(message, { maxBytes });
      units.push(
        ...unitsFor([bot], chunks, (b) => ({ key: 'chatbot', label: redactUrl(b.webhookUrl) }), (b, chunk) =>
          this.postRobot(b, { ...msgOf(format, chunk, chunk.body + mentions + keywords), at }, limits.chatbotRateLimit, timeoutMs, ctx.signal),
        ),
      );
    }
    const conv = target.conversation;
    if (conv) {
      if (!conv.appKey || !conv.appSecret) throw new PermanentError('dingtalk: appKey and appSecret are required', { code: 'dingtalk:invalid-config' });
      const chunks = splitMessage(message, { maxBytes: limits.conversationMaxBytes ?? this.opts.conversationMaxBytes ?? 5000 });
      units.push(
        ...unitsFor(conv.chatIds, chunks, (id) => ({ key: `chat:${id}`, label: `chat:${id}` }), async (id, chunk) => {
          const fallback = { limit: 25, windowMs: 1000, maxWaitMs: 1000 };
          await this.throttle(`dingtalk-app:${hashKey(conv.appKey)}`, this.opts.conversationRateLimit, fallback, limits.conversationRateLimit, ctx.signal);
          return sendDingtalkConversation(this.tokens, this.apiUrl, conv, id, msgOf(format, chunk, chunk.body), { signal: ctx.signal, timeoutMs });
        }),
      );
    }
    return this.run(units, ctx);
  }

  private async postRobot(
    bot: DingtalkChatbot,
    body: Record<string, unknown>,
    override: Partial<RateLimit> | undefined,
    timeoutMs: number | undefined,
    signal?: AbortSignal,
  ): Promise<UnitSuccess> {
    const fallback = { limit: 20, windowMs: 60_000, maxWaitMs: 10_000 };
    await this.throttle(`dingtalk-robot:${hashKey(bot.webhookUrl)}`, this.opts.chatbotRateLimit, fallback, override, signal);
    const url = new URL(bot.webhookUrl);
    if (bot.secret) {
      const ts = this.clock.now();
      url.searchParams.set('timestamp', String(ts));
      url.searchParams.set('sign', dingtalkSign(ts, bot.secret));
    }
    const res = vendorResult('dingtalk', parseErrcodeReply<DingtalkReply>('dingtalk', await httpRequest(this.http, { method: 'POST', url: url.toString(), body, ...(signal ? { signal } : {}), timeoutMs }, 'dingtalk')));
    if (res.status !== undefined && res.status !== 0 && res.status !== '0') {
      throw classifyVendorError('dingtalk', 'punished', `robot status ${JSON.stringify(res.status)} ${JSON.stringify(res.punish ?? '')}`);
    }
    return {};
  }

  /**
   * Waits for a slot. A per-notification `override` (a throttle of `options.dingtalk`) wins field
   * by field over the sender's limit, or the default when the sender has none or disabled it.
   */
  private throttle(
    key: string,
    configured: RateLimit | false | undefined,
    fallback: RateLimit,
    override: Partial<RateLimit> | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    return throttle(this.limiter, key, override ? { ...(configured || fallback), ...override } : (configured ?? fallback), signal);
  }
}
