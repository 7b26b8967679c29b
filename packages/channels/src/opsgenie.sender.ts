/**
 * Opsgenie Alert API: one request per notification. A notification with a firing alert creates
 * an alert (`POST /v2/alerts`), one whose alerts have all resolved closes it
 * (`POST /v2/alerts/{alias}/close?identifierType=alias`); both use the group key as the alias, so
 * Opsgenie keeps one open alert per group and a repeated create adds to it. The API key goes in
 * `Authorization: GenieKey <key>`. Fields are cut to Opsgenie's limits (message 130 characters,
 * description 15000, alias 512, tags 20 of 50 characters). 429 and 5xx retry, 401/403/404/422
 * are permanent.
 */
import { PermanentError } from '@nm/errors';
import { classifyHttpError } from './channel.errors.js';
import type { OutgoingMessage, SendContext, SendResult } from './channel.types.js';
import { DEFAULT_OPSGENIE_API_URL, apiUrl } from './channel.urls.js';
import type { UnitSuccess } from './delivery.runner.js';
import { excerpt, httpRequest } from './http.client.js';
import { HttpChannelSender, type HttpSenderOptions } from './http.sender.js';
import { cutChars, incidentKey, wholeMessage } from './incident.common.js';
import { utf8Length } from './message.splitter.js';

export interface OpsgenieResponder {
  type: 'team' | 'user' | 'escalation' | 'schedule';
  id?: string;
  name?: string;
  username?: string;
}

export interface OpsgenieTarget {
  apiKey: string;
  /** The notification's group key: the alert's alias (hashed when over 512 characters). */
  groupKey: string;
  responders?: readonly OpsgenieResponder[];
  tags?: readonly string[];
  /** P1 … P5 (Opsgenie's default P3 when absent). */
  priority?: string | undefined;
  entity?: string | undefined;
  source?: string | undefined;
  timeoutMs?: number | undefined;
}

export interface OpsgenieSenderOptions extends HttpSenderOptions {
  /** Default `https://api.opsgenie.com/` (see `NM_OPSGENIE_API_URL`; EU accounts use `https://api.eu.opsgenie.com/`). */
  apiUrl?: string;
}

export const OPSGENIE_LIMITS = { message: 130, alias: 512, description: 15_000, source: 100, entity: 512, tags: 20, tag: 50 } as const;

export class OpsgenieSender extends HttpChannelSender<OpsgenieTarget, OpsgenieSenderOptions> {
  readonly channel = 'opsgenie' as const;

  constructor(opts: OpsgenieSenderOptions = {}) {
    super(opts);
  }

  async send(target: OpsgenieTarget, message: OutgoingMessage, ctx: SendContext = {}): Promise<SendResult> {
    if (!target.apiKey.trim()) throw new PermanentError('opsgenie: no API key', { code: 'opsgenie:no-api-key' });
    const whole = wholeMessage(message);
    const alias = incidentKey(target.groupKey, OPSGENIE_LIMITS.alias);
    const source = cutChars(target.source || 'notification-manager', OPSGENIE_LIMITS.source).text;
    const base = this.opts.apiUrl ?? DEFAULT_OPSGENIE_API_URL;
    let request: { action: string; url: string; body: Record<string, unknown>; truncated: number };
    if (whole.status === 'resolved') {
      request = {
        action: 'close',
        url: apiUrl(base, `v2/alerts/${encodeURIComponent(alias)}/close?identifierType=alias`),
        body: { source, note: cutChars(whole.title ?? 'resolved', 25_000).text },
        truncated: 0,
      };
    } else {
      const msg = cutChars((whole.title ?? whole.body.split('\n', 1)[0] ?? '').trim() || 'notification', OPSGENIE_LIMITS.message);
      const description = cutChars(whole.body, OPSGENIE_LIMITS.description);
      const tags = [...new Set((target.tags ?? []).map((t) => cutChars(t.trim(), OPSGENIE_LIMITS.tag).text).filter((t) => t !== ''))].slice(0, OPSGENIE_LIMITS.tags);
      request = {
        action: 'create',
        url: apiUrl(base, 'v2/alerts'),
        body: {
          message: msg.text,
          alias,
          description: description.text,
          ...(target.responders?.length ? { responders: target.responders.map((r) => ({ ...r })) } : {}),
          ...(tags.length ? { tags } : {}),
          details: { firing: String(whole.firing), resolved: String(whole.resolved) },
          ...(target.entity ? { entity: cutChars(target.entity, OPSGENIE_LIMITS.entity).text } : {}),
          source,
          ...(target.priority ? { priority: target.priority } : {}),
        },
        // bytes of the description left out (the `…` that marks the cut is not counted)
        truncated: description.truncated > 0 ? utf8Length(whole.body) - utf8Length(description.text.slice(0, -1)) : 0,
      };
    }
    return this.run(
      [
        {
          key: `alert:${request.action}`,
          destination: `opsgenie ${request.action} ${alias}`,
          group: 'alert',
          chunk: { index: 0, count: 1 },
          alertIds: whole.alertIds,
          ...(request.truncated > 0 ? { truncatedBytes: request.truncated } : {}),
          run: () => this.post(request.url, target.apiKey, request.body, target.timeoutMs, ctx.signal),
        },
      ],
      ctx,
    );
  }

  private async post(url: string, apiKey: string, body: unknown, timeoutMs: number | undefined, signal?: AbortSignal): Promise<UnitSuccess> {
    const reply = await httpRequest(
      this.http,
      { method: 'POST', url, headers: { Authorization: `GenieKey ${apiKey}` }, body, ...(signal ? { signal } : {}), timeoutMs },
      'opsgenie',
    );
    const json = reply.json as { result?: string; message?: string; requestId?: string } | undefined;
    if (reply.status >= 200 && reply.status < 300) return json?.requestId ? { upstreamMessageId: json.requestId } : {};
    throw classifyHttpError({ status: reply.status, headers: reply.headers, detail: json?.message ?? excerpt(reply.text) }, 'opsgenie', this.clock.now());
  }
}
