/**
 * Feishu / Lark: custom bots (signature with a second timestamp, keywords, post or text; 9499 and
 * 11232 retried with backoff) and app messages to users and departments. The API host is
 * configurable (`LARK_API_URL` for Lark international); bot webhooks are full URLs.
 */
import { PermanentError } from '@nm/errors';
import type { OutgoingMessage, Rendered, SendContext, SendResult } from './channel.types.js';
import { DEFAULT_FEISHU_API_URL } from './channel.urls.js';
import { unitsFor, type DeliveryUnit, type UnitSuccess } from './delivery.runner.js';
import { FEISHU_TOKENS, feishuRecipientBatches, parseFeishuReply, sendFeishuAppMessage, type FeishuApp, type FeishuReply } from './feishu.app.js';
import { feishuContent, feishuSign, truncatePost, type FeishuFormat } from './feishu.post.js';
import { httpRequest, redactUrl } from './http.client.js';
import { TokenChannelSender, type RateLimitedSenderOptions, type TokenSenderOptions } from './http.sender.js';
import { splitMessage, utf8Length, type MessageChunk, type SplitOptions } from './message.splitter.js';
import { throttle, type RateLimit } from './rate.limiter.js';
import { hashKey } from './token.cache.js';
import { vendorResult } from './vendor.token.client.js';

export interface FeishuChatbot {
  webhookUrl: string;
  secret?: string;
  keywords?: readonly string[];
}

export interface FeishuTarget {
  /** `tmplType`: post (default; the body is the post JSON) or text. */
  format?: FeishuFormat;
  chatbot?: FeishuChatbot;
  app?: FeishuApp & { users?: readonly string[]; departments?: readonly string[] };
  /** Per-request timeout (`options.feishu.notificationTimeout`); default the sender's. */
  timeoutMs?: number | undefined;
}

export interface FeishuSenderOptions extends TokenSenderOptions, RateLimitedSenderOptions {
  /** Default `https://open.feishu.cn/open-apis/` (see `NM_FEISHU_API_URL`, `LARK_API_URL`). */
  apiUrl?: string;
  /** Split limit of one message's content in bytes (default 18000; a bot request may be 20 KB). */
  maxBytes?: number;
  /** Per bot; default 5 per second, waiting up to 2 s. */
  chatbotRateLimit?: RateLimit | false;
}

/** Feishu asks for backoff on 9499/11232: three attempts, 1 s then 2 s apart, unless overridden. */
const FEISHU_RETRY = { attempts: 3, baseDelayMs: 1000, maxDelayMs: 4000 };

export class FeishuSender extends TokenChannelSender<FeishuTarget, FeishuReply, FeishuSenderOptions> {
  readonly channel = 'feishu' as const;
  private readonly apiUrl = this.opts.apiUrl ?? DEFAULT_FEISHU_API_URL;

  constructor(opts: FeishuSenderOptions = {}) {
    super(opts, FEISHU_TOKENS);
  }

  async send(target: FeishuTarget, message: OutgoingMessage, ctx: SendContext = {}): Promise<SendResult> {
    const format = target.format ?? 'post';
    const units: DeliveryUnit[] = [];
    const bot = target.chatbot;
    if (bot) {
      const reserve = bot.keywords?.length ? utf8Length(bot.keywords.join(',')) + 64 : 0;
      const chunks = this.split(message, format, reserve);
      units.push(
        ...unitsFor([bot], chunks, (b) => ({ key: 'chatbot', label: redactUrl(b.webhookUrl) }), (b, chunk) =>
          this.postBot(b, format, chunk, target.timeoutMs, ctx.signal),
        ),
      );
    }
    const app = target.app;
    if (app) {
      if (!app.appId || !app.appSecret) throw new PermanentError('feishu: appId and appSecret are required', { code: 'feishu:invalid-config' });
      const batches = feishuRecipientBatches(app.users ?? [], app.departments ?? []);
      const chunks = this.split(message, format, 0);
      units.push(
        ...unitsFor(
          batches.map((b, i) => ({ b, i })),
          chunks,
          ({ b, i }) => ({ key: `app:${app.appId}:${i}`, label: describe(b.user_ids, b.department_ids) }),
          ({ b }, chunk) => sendFeishuAppMessage(this.tokens, this.apiUrl, app, b, format, feishuContent(format, chunk.body), { signal: ctx.signal, timeoutMs: target.timeoutMs }),
        ),
      );
    }
    return this.run(units, ctx, { ...FEISHU_RETRY, ...this.opts.retry });
  }

  private split(message: OutgoingMessage, format: FeishuFormat, reserve: number): MessageChunk[] {
    const maxBytes = (this.opts.maxBytes ?? 18_000) - reserve;
    const opts: SplitOptions =
      format === 'post'
        ? { maxBytes, truncate: truncatePost, oversizeRendered: 'truncate' }
        : { maxBytes, measure: (r: Rendered) => utf8Length(JSON.stringify(r.body)) };
    return splitMessage(message, opts);
  }

  private async postBot(bot: FeishuChatbot, format: FeishuFormat, chunk: MessageChunk, timeoutMs: number | undefined, signal?: AbortSignal): Promise<UnitSuccess> {
    await throttle(this.limiter, `feishu-bot:${hashKey(bot.webhookUrl)}`, this.opts.chatbotRateLimit ?? { limit: 5, windowMs: 1000, maxWaitMs: 2000 }, signal);
    const ts = Math.floor(this.clock.now() / 1000);
    const body = {
      ...(bot.secret ? { timestamp: String(ts), sign: feishuSign(ts, bot.secret) } : {}),
      msg_type: format,
      content: feishuContent(format, chunk.body, bot.keywords),
    };
    vendorResult('feishu', parseFeishuReply(await httpRequest(this.http, { method: 'POST', url: bot.webhookUrl, body, ...(signal ? { signal } : {}), timeoutMs }, 'feishu')));
    return {};
  }
}

function describe(users: readonly string[] = [], departments: readonly string[] = []): string {
  const text = [users.length ? `user:${users.join('|')}` : '', departments.length ? `department:${departments.join('|')}` : ''].filter(Boolean).join(' ');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
