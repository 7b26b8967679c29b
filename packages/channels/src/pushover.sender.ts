/**
 * Pushover: `POST {api}/messages.json` with the application token, one request per profile (user
 * or group key, its devices, sound and priority) and message chunk (notification-manager §3.7).
 * Messages are split at 1024 characters and titles cut at 250. A reply is a success only with
 * HTTP 200 and `status: 1`; a rejected user key, device or token (4xx, or `status != 1`) is
 * permanent and names Pushover's `errors`; 5xx, 429 (over quota) and transport failures retry,
 * with Retry-After honoured. Unlike notification-manager, one failing profile does not hide the
 * others' deliveries: they are not sent again on redelivery.
 */
import { PermanentError, RetryableError } from '@nm/errors';
import { classifyHttpError } from './channel.errors.js';
import type { OutgoingMessage, SendContext, SendResult } from './channel.types.js';
import { DEFAULT_PUSHOVER_API_URL, apiUrl } from './channel.urls.js';
import { splitMessageByChars, truncateChars } from './char.splitter.js';
import { unitsFor, type UnitSuccess } from './delivery.runner.js';
import { excerpt, httpRequest } from './http.client.js';
import { HttpChannelSender, type HttpSenderOptions } from './http.sender.js';
import type { MessageChunk } from './message.splitter.js';

/** Pushover's limits: message 1024 characters, title 250. */
export const PUSHOVER_MAX_MESSAGE_CHARS = 1024;
export const PUSHOVER_MAX_TITLE_CHARS = 250;
/** An emergency-priority (2) message is repeated every `retry` seconds until `expire` (Pushover's minimum retry is 30). */
export const PUSHOVER_EMERGENCY = { retry: 60, expire: 3600 } as const;

export interface PushoverProfile {
  /** User or group key (30 characters). */
  userKey: string;
  /** Devices of the user to notify; empty = all of them. */
  devices?: readonly string[];
  /** One of Pushover's sound names. */
  sound?: string;
  /** -2 (lowest) … 2 (emergency); Pushover's default 0 when unset. */
  priority?: number;
  /** A fixed title (deprecated upstream field); the rendered title otherwise. */
  title?: string;
}

export interface PushoverTarget {
  /** Application API token (the Config's `pushoverTokenSecret`). */
  token: string;
  profiles: readonly PushoverProfile[];
  /** Per-request timeout (`options.pushover.notificationTimeout`); default the sender's. */
  timeoutMs?: number | undefined;
}

export interface PushoverSenderOptions extends HttpSenderOptions {
  /** Default `https://api.pushover.net/1/` (see `NM_PUSHOVER_API_URL`). */
  apiUrl?: string;
  /** Split limit of `message` in characters (default 1024). */
  maxChars?: number;
}

/** A user key shortened for results and history: enough to recognise, not to reuse. */
export function maskUserKey(key: string): string {
  return key.length > 8 ? `${key.slice(0, 5)}…` : key;
}

export class PushoverSender extends HttpChannelSender<PushoverTarget, PushoverSenderOptions> {
  readonly channel = 'pushover' as const;

  constructor(opts: PushoverSenderOptions = {}) {
    // notification-manager keeps at most 2 connections to Pushover
    super({ concurrency: 2, ...opts });
  }

  async send(target: PushoverTarget, message: OutgoingMessage, ctx: SendContext = {}): Promise<SendResult> {
    if (!target.token) throw new PermanentError('pushover: no application token', { code: 'pushover:no-token' });
    const chunks = splitMessageByChars(message, { maxChars: this.opts.maxChars ?? PUSHOVER_MAX_MESSAGE_CHARS });
    const units = unitsFor(
      target.profiles,
      chunks,
      (p) => {
        const devices = p.devices && p.devices.length > 0 ? `(${p.devices.join(',')})` : '';
        return { key: `user:${p.userKey}${devices}`, label: `${maskUserKey(p.userKey)}${devices}` };
      },
      (p, chunk) => this.post(target, p, chunk, ctx.signal),
    );
    return this.run(units, ctx);
  }

  /** The JSON body Pushover gets for one profile and chunk. */
  static body(token: string, profile: PushoverProfile, chunk: Pick<MessageChunk, 'title' | 'body'>): Record<string, unknown> {
    const title = profile.title ?? chunk.title;
    const priority = profile.priority;
    return {
      token,
      user: profile.userKey,
      message: chunk.body.trim() === '' ? '(empty)' : chunk.body,
      ...(title !== undefined && title.trim() !== '' ? { title: truncateChars(title, PUSHOVER_MAX_TITLE_CHARS) } : {}),
      ...(profile.devices && profile.devices.length > 0 ? { device: profile.devices.join(',') } : {}),
      ...(profile.sound ? { sound: profile.sound } : {}),
      ...(priority !== undefined ? { priority } : {}),
      ...(priority === 2 ? PUSHOVER_EMERGENCY : {}),
    };
  }

  private async post(target: PushoverTarget, profile: PushoverProfile, chunk: MessageChunk, signal?: AbortSignal): Promise<UnitSuccess> {
    const reply = await httpRequest(
      this.http,
      {
        method: 'POST',
        url: apiUrl(this.opts.apiUrl ?? DEFAULT_PUSHOVER_API_URL, 'messages.json'),
        body: PushoverSender.body(target.token, profile, chunk),
        ...(signal ? { signal } : {}),
        timeoutMs: target.timeoutMs,
      },
      'pushover',
    );
    const body = reply.json as { status?: unknown; request?: unknown; errors?: unknown } | undefined;
    const errors = Array.isArray(body?.errors) ? body.errors.map(String).join('; ') : undefined;
    if (reply.status !== 200) {
      throw classifyHttpError({ status: reply.status, headers: reply.headers, detail: errors ?? excerpt(reply.text) }, 'pushover', this.clock.now());
    }
    if (!body || typeof body.status !== 'number') {
      throw new RetryableError(`pushover: unexpected reply: ${excerpt(reply.text)}`, { code: 'pushover:invalid-reply' });
    }
    if (body.status !== 1) {
      throw new PermanentError(`pushover rejected the message (status ${body.status})${errors ? `: ${errors}` : ''}`, { code: 'pushover:rejected' });
    }
    return typeof body.request === 'string' ? { upstreamMessageId: body.request } : {};
  }
}
