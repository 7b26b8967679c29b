/**
 * WeCom (WeChat Work): application messages to users / parties / tags and group-robot webhooks.
 * Messages are split at 2048 bytes (`options.wechat.messageMaxSize` is honoured), robot markdown at
 * 4096 minus the mention string. Recipients WeCom rejects are reported as a partial failure.
 */
import { PermanentError } from '@nm/errors';
import type { OutgoingMessage, SendContext, SendResult } from './channel.types.js';
import { unitsFor, type DeliveryUnit, type UnitSuccess } from './delivery.runner.js';
import { httpRequest, redactUrl } from './http.client.js';
import { TokenChannelSender, type RateLimitedSenderOptions, type TokenSenderOptions } from './http.sender.js';
import { splitMessage, utf8Length } from './message.splitter.js';
import { throttle, type RateLimit } from './rate.limiter.js';
import { hashKey } from './token.cache.js';
import { parseErrcodeReply, vendorResult } from './vendor.token.client.js';
import { WECHAT_TOKENS, sendWechatAppMessage, wechatRecipientBatches, type WechatAppConfig, type WechatRecipients, type WechatReply } from './wechat.app.js';

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

export class WechatSender extends TokenChannelSender<WechatTarget, WechatReply, WechatSenderOptions> {
  readonly channel = 'wechat' as const;

  constructor(opts: WechatSenderOptions = {}) {
    super(opts, WECHAT_TOKENS);
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
          ({ b }, chunk) => sendWechatAppMessage(this.tokens, config, b, format, chunk.body, { signal: ctx.signal, timeoutMs: target.timeoutMs }),
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
    return this.run(units, ctx);
  }

  private async postBot(url: string, body: unknown, timeoutMs: number | undefined, signal?: AbortSignal): Promise<UnitSuccess> {
    await throttle(this.limiter, `wechat-bot:${hashKey(url)}`, this.opts.botRateLimit ?? { limit: 20, windowMs: 60_000, maxWaitMs: 10_000 }, signal);
    vendorResult('wechat', parseErrcodeReply('wechat', await httpRequest(this.http, { method: 'POST', url, body, ...(signal ? { signal } : {}), timeoutMs }, 'wechat')));
    return {};
  }
}
