/**
 * Google Chat through a space's incoming webhook: `{ "text": ... }`, split between alerts (or at
 * line breaks) under Chat's 4096-character text limit. 2xx is success; 429 (Chat's
 * RESOURCE_EXHAUSTED, one message per second per space; Retry-After honoured) and 5xx retry,
 * other 4xx (a deleted space, a revoked key) are permanent. The webhook URL's `key` and `token`
 * never reach history.
 */
import { PermanentError } from '@nm/errors';
import { classifyHttpError } from './channel.errors.js';
import type { OutgoingMessage, SendContext, SendResult } from './channel.types.js';
import { unitsFor, type UnitSuccess } from './delivery.runner.js';
import { httpRequest, redactUrl } from './http.client.js';
import { HttpChannelSender, type HttpSenderOptions } from './http.sender.js';
import { splitMessageByChars } from './char.splitter.js';

export interface GoogleChatTarget {
  /** The space webhook URL (`https://chat.googleapis.com/v1/spaces/<space>/messages?key=…&token=…`). */
  webhookUrl: string;
  timeoutMs?: number | undefined;
}

export interface GoogleChatSenderOptions extends HttpSenderOptions {
  /** Largest `text` in characters (default 4096, Chat's limit). */
  maxChars?: number;
}

export const GOOGLECHAT_MAX_CHARS = 4096;

export class GoogleChatSender extends HttpChannelSender<GoogleChatTarget, GoogleChatSenderOptions> {
  readonly channel = 'googlechat' as const;

  constructor(opts: GoogleChatSenderOptions = {}) {
    super(opts);
  }

  async send(target: GoogleChatTarget, message: OutgoingMessage, ctx: SendContext = {}): Promise<SendResult> {
    const url = target.webhookUrl.trim();
    if (!url) throw new PermanentError('googlechat: no webhook URL', { code: 'googlechat:no-webhook' });
    // a caller-rendered title leads the text in bold; the built-in googlechat format has none
    const title = message.kind === 'rendered' ? message.chunks.find((c) => c.title)?.title : undefined;
    const textOf = (r: { title?: string; body: string }): string => (title && r.title ? `*${r.title}*\n${r.body}` : r.body);
    const chunks = splitMessageByChars(message, { maxChars: this.opts.maxChars ?? GOOGLECHAT_MAX_CHARS, reserve: title ? title.length + 3 : 0 });
    const units = unitsFor(
      [url],
      chunks,
      (u) => ({ key: 'webhook', label: redactUrl(u) }),
      (u, chunk) => this.post(u, textOf(chunk), target.timeoutMs, ctx.signal),
    );
    return this.run(units, ctx);
  }

  private async post(url: string, text: string, timeoutMs: number | undefined, signal?: AbortSignal): Promise<UnitSuccess> {
    const reply = await httpRequest(this.http, { method: 'POST', url, body: { text }, ...(signal ? { signal } : {}), timeoutMs }, 'googlechat');
    const json = reply.json as { name?: string; error?: { status?: string; message?: string } } | undefined;
    if (reply.status >= 200 && reply.status < 300) return json?.name ? { upstreamMessageId: json.name } : {};
    throw classifyHttpError({ status: reply.status, headers: reply.headers, ...(json?.error?.status ? { detail: json.error.status } : {}) }, 'googlechat', this.clock.now());
  }
}
