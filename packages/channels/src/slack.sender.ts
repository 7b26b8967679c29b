/**
 * Slack: `chat.postMessage` with a bot token, one request per channel, and incoming-webhook URLs.
 * Unlike notification-manager, 429 + Retry-After is honoured, auth errors are permanent, long
 * messages are split instead of being cut by Slack, and incoming webhooks are supported.
 */
import { PermanentError, RetryableError } from '@nm/errors';
import { classifyHttpError, classifyVendorError, parseRetryAfter } from './channel.errors.js';
import type { OutgoingMessage, SendContext, SendResult } from './channel.types.js';
import { DEFAULT_SLACK_API_URL, apiUrl } from './channel.urls.js';
import { unitsFor, type UnitSuccess } from './delivery.runner.js';
import { excerpt, httpRequest, redactUrl } from './http.client.js';
import { HttpChannelSender, type HttpSenderOptions } from './http.sender.js';
import { splitMessage } from './message.splitter.js';

export interface SlackTarget {
  /** Bot/user OAuth token with `chat:write`; required when `channels` is not empty. */
  token?: string;
  /** Channel ids or `#names` for chat.postMessage. */
  channels: readonly string[];
  /** Incoming-webhook URL (posts to the channel the webhook was made for). */
  webhookUrl?: string;
  /** Per-request timeout (`options.slack.notificationTimeout`); default the sender's. */
  timeoutMs?: number | undefined;
}

export interface SlackSenderOptions extends HttpSenderOptions {
  /** Default `https://slack.com/api/` (see `NM_SLACK_API_URL`). */
  apiUrl?: string;
  /** Split limit of `text` in bytes (default 40000, Slack's limit). */
  maxBytes?: number;
}

type SlackDestination = { kind: 'channel'; channel: string } | { kind: 'webhook'; url: string };

export class SlackSender extends HttpChannelSender<SlackTarget, SlackSenderOptions> {
  readonly channel = 'slack' as const;

  constructor(opts: SlackSenderOptions = {}) {
    super(opts);
  }

  async send(target: SlackTarget, message: OutgoingMessage, ctx: SendContext = {}): Promise<SendResult> {
    const { token } = target;
    if (target.channels.length > 0 && !token) {
      throw new PermanentError('slack: channels are set but no token', { code: 'slack:no-token' });
    }
    const destinations: SlackDestination[] = [
      ...(token ? target.channels.map((channel) => ({ kind: 'channel' as const, channel })) : []),
      ...(target.webhookUrl ? [{ kind: 'webhook' as const, url: target.webhookUrl }] : []),
    ];
    const chunks = splitMessage(message, { maxBytes: this.opts.maxBytes ?? 40_000 });
    const units = unitsFor(
      destinations,
      chunks,
      (d) => (d.kind === 'channel' ? { key: `channel:${d.channel}`, label: d.channel } : { key: 'webhook', label: redactUrl(d.url) }),
      (d, chunk) =>
        d.kind === 'channel'
          ? this.postMessage(token ?? '', d.channel, chunk.body, target.timeoutMs, ctx.signal)
          : this.postWebhook(d.url, chunk.body, target.timeoutMs, ctx.signal),
    );
    return this.run(units, ctx);
  }

  private async postMessage(token: string, channel: string, text: string, timeoutMs: number | undefined, signal?: AbortSignal): Promise<UnitSuccess> {
    const reply = await httpRequest(
      this.http,
      {
        method: 'POST',
        url: apiUrl(this.opts.apiUrl ?? DEFAULT_SLACK_API_URL, 'chat.postMessage'),
        headers: { Authorization: `Bearer ${token}` },
        body: { channel, text },
        ...(signal ? { signal } : {}),
        timeoutMs,
      },
      'slack',
    );
    const body = reply.json as { ok?: boolean; error?: string; ts?: string; channel?: string } | undefined;
    if (reply.status !== 200) {
      throw classifyHttpError({ status: reply.status, headers: reply.headers, detail: body?.error ?? excerpt(reply.text) }, 'slack', this.clock.now());
    }
    if (!body || typeof body.ok !== 'boolean') {
      throw new RetryableError(`slack: unexpected reply: ${excerpt(reply.text)}`, { code: 'slack:invalid-reply' });
    }
    if (!body.ok) {
      throw classifyVendorError('slack', body.error ?? 'unknown_error', '', parseRetryAfter(reply.headers['retry-after'], this.clock.now()));
    }
    return body.ts ? { upstreamMessageId: `${body.channel ?? channel}/${body.ts}` } : {};
  }

  private async postWebhook(url: string, text: string, timeoutMs: number | undefined, signal?: AbortSignal): Promise<UnitSuccess> {
    const reply = await httpRequest(this.http, { method: 'POST', url, body: { text }, ...(signal ? { signal } : {}), timeoutMs }, 'slack');
    if (reply.status === 200) return {};
    throw classifyHttpError({ status: reply.status, headers: reply.headers, detail: excerpt(reply.text) }, 'slack', this.clock.now());
  }
}
