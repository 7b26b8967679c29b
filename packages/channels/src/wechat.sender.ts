/**
 * WeCom (WeChat Work): application messages to users / parties / tags and group-robot webhooks.
 * Messages are split at 2048 bytes (`options.wechat.messageMaxSize` is honoured), robot markdown at
 * 4096 minus the mention string. Recipients WeCom rejects are reported as a partial failure.
 */
import type { AxiosInstance } from 'axios';
import { PermanentError } from '@nm/errors';
import { classifyHttpError, classifyVendorError } from './channel.errors.js';
import type { ChannelSender, OutgoingMessage, SendContext, SendResult } from './channel.types.js';
import { systemClock, type Clock } from './clock.js';
import { runUnits, unitsFor, type DeliveryUnit, type UnitSuccess } from './delivery.runner.js';
import { createHttpClient, excerpt, httpRequest, redactUrl } from './http.client.js';
import { splitMessage, utf8Length } from './message.splitter.js';
import { MemoryRateLimiter, type RateLimit, type RateLimiter } from './rate.limiter.js';
import type { RateLimitedSenderOptions, TokenSenderOptions } from './sender.options.js';
import { MemoryTokenCache, hashKey } from './token.cache.js';
import { WechatAppClient, wechatRecipientBatches, type WechatAppConfig, type WechatRecipients } from './wechat.app.js';

export interface WechatTarget {
  /** `tmplType`: text (default) or markdown. */
  format?: 'text' | 'markdown';
  app?: {
    config: WechatAppConfig;
    toUser?: readonly string[];
    toParty?: readonly string[];
    toTag?: readonly string[];
    /** `messageMaxSize` of the Config (default 2048 bytes). */
    maxBytes?: number;
  };
  chatbot?: { webhookUrl: string; atUsers?: readonly string[]; atMobiles?: readonly string[] };
  /** Per-request timeout (`options.wechat.notificationTimeout`); default the sender's. */
  timeoutMs?: number | undefined;
}

export interface WechatSenderOptions extends TokenSenderOptions, RateLimitedSenderOptions {
  /** Per robot (WeCom allows about 20 per minute); `false` disables. */
  botRateLimit?: RateLimit | false;
}

const describeRecipients = (r: WechatRecipients): string => {
  const text = [r.touser && `user:${r.touser}`, r.toparty && `party:${r.toparty}`, r.totag && `tag:${r.totag}`].filter(Boolean).join(' ');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
};

export class WechatSender implements ChannelSender<WechatTarget> {
  readonly channel = 'wechat' as const;
  private readonly http: AxiosInstance;
  private readonly clock: Clock;
  private readonly app: WechatAppClient;
  private readonly limiter: RateLimiter;

  constructor(private readonly opts: WechatSenderOptions = {}) {
    this.http = opts.http ?? createHttpClient(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
    this.clock = opts.clock ?? systemClock;
    this.app = new WechatAppClient(this.http, opts.tokenCache ?? new MemoryTokenCache({ clock: this.clock }));
    this.limiter = opts.rateLimiter ?? new MemoryRateLimiter(this.clock);
  }

  async send(target: WechatTarget, message: OutgoingMessage, ctx: SendContext = {}): Promise<SendResult> {
    const format = target.format ?? 'text';
    const units: DeliveryUnit[] = [];
    if (target.app) {
      const { config } = target.app;
      if (!config.corpId || !config.agentId || !config.secret) {
        throw new PermanentError('wechat: corpId, agentId and secret are required', { code: 'wechat:invalid-config' });
      }
      const batches = wechatRecipientBatches(target.app.toUser ?? [], target.app.toParty ?? [], target.app.toTag ?? []);
      const chunks = splitMessage(message, { maxBytes: target.app.maxBytes ?? 2048 });
      units.push(
        ...unitsFor(
          batches.map((b, i) => ({ b, i })),
          chunks,
          ({ b, i }) => ({ key: `app:${config.corpId}:${config.agentId}:${i}`, label: describeRecipients(b) }),
          ({ b }, chunk) => this.app.send(config, b, format, chunk.body, ctx.signal, target.timeoutMs),
        ),
      );
    }
    const bot = target.chatbot;
    if (bot) {
      const atUsers = bot.atUsers ?? [];
      const mentions = format === 'markdown' && atUsers.length ? `\n${atUsers.map((u) => `<@${u}>`).join('')}` : '';
      const maxBytes = format === 'markdown' ? 4096 - utf8Length(mentions) : 2048;
      const chunks = splitMessage(message, { maxBytes });
      units.push(
        ...unitsFor([bot], chunks, (b) => ({ key: 'bot', label: redactUrl(b.webhookUrl) }), (b, chunk) => {
          const body =
            format === 'markdown'
              ? { msgtype: 'markdown', markdown: { content: chunk.body + mentions } }
              : {
                  msgtype: 'text',
                  text: {
                    content: chunk.body,
                    ...(atUsers.length ? { mentioned_list: atUsers } : {}),
                    ...(bot.atMobiles?.length ? { mentioned_mobile_list: bot.atMobiles } : {}),
                  },
                };
          return this.postBot(b.webhookUrl, body, target.timeoutMs, ctx.signal);
        }),
      );
    }
    return runUnits('wechat', units, ctx, {
      clock: this.clock,
      ...(this.opts.retry ? { retry: this.opts.retry } : {}),
      ...(this.opts.concurrency ? { concurrency: this.opts.concurrency } : {}),
    });
  }

  private async postBot(url: string, body: unknown, timeoutMs: number | undefined, signal?: AbortSignal): Promise<UnitSuccess> {
    const limit = this.opts.botRateLimit ?? { limit: 20, windowMs: 60_000, maxWaitMs: 10_000 };
    if (limit) {
      await this.limiter.acquire(`wechat-bot:${hashKey(url)}`, limit.limit, limit.windowMs, {
        ...(limit.maxWaitMs !== undefined ? { maxWaitMs: limit.maxWaitMs } : {}),
        ...(signal ? { signal } : {}),
      });
    }
    const reply = await httpRequest(this.http, { method: 'POST', url, body, ...(signal ? { signal } : {}), timeoutMs }, 'wechat');
    const res = reply.json as { errcode?: number; errmsg?: string } | undefined;
    if (reply.status !== 200 || !res) {
      throw classifyHttpError({ status: reply.status === 200 ? 502 : reply.status, headers: reply.headers, detail: excerpt(reply.text) }, 'wechat');
    }
    if (res.errcode !== 0) throw classifyVendorError('wechat', res.errcode ?? 'unknown', res.errmsg ?? '');
    return {};
  }
}
