/**
 * Microsoft Teams through a Workflows webhook (or a legacy Office 365 incoming webhook): each
 * chunk is one message holding one Adaptive Card, a heading (the title) and the text. A message
 * over Teams' ~28 KB limit is split between alerts. 2xx is success; 429 (Retry-After honoured)
 * and 5xx retry, other 4xx are permanent. A legacy webhook that answers 200 with
 * `... returned HTTP error <n>` is classified by that status.
 */
import { classifyHttpError } from './channel.errors.js';
import type { OutgoingMessage, Rendered, SendContext, SendResult } from './channel.types.js';
import { unitsFor, type UnitSuccess } from './delivery.runner.js';
import { excerpt, httpRequest, redactUrl } from './http.client.js';
import { HttpChannelSender, type HttpSenderOptions } from './http.sender.js';
import { splitMessage, utf8Length } from './message.splitter.js';
import { PermanentError } from '@nm/errors';

export interface TeamsTarget {
  /** The Workflows (or incoming) webhook URL. */
  webhookUrl: string;
  timeoutMs?: number | undefined;
}

export interface TeamsSenderOptions extends HttpSenderOptions {
  /** Largest request body in bytes (default 27 000, under Teams' 28 KB message limit). */
  maxBytes?: number;
}

export const TEAMS_MAX_BYTES = 27_000;

/** The Workflows message of one chunk: one Adaptive Card, its heading coloured by status. */
export function teamsCard(rendered: Rendered, firing: boolean): Record<string, unknown> {
  const blocks: Record<string, unknown>[] = [];
  if (rendered.title !== undefined && rendered.title.trim() !== '') {
    blocks.push({ type: 'TextBlock', text: rendered.title, weight: 'Bolder', size: 'Medium', wrap: true, style: 'heading', color: firing ? 'Attention' : 'Good' });
  }
  blocks.push({ type: 'TextBlock', text: rendered.body, wrap: true });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: blocks,
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}

export class TeamsSender extends HttpChannelSender<TeamsTarget, TeamsSenderOptions> {
  readonly channel = 'teams' as const;

  constructor(opts: TeamsSenderOptions = {}) {
    super(opts);
  }

  async send(target: TeamsTarget, message: OutgoingMessage, ctx: SendContext = {}): Promise<SendResult> {
    const url = target.webhookUrl.trim();
    if (!url) throw new PermanentError('teams: no webhook URL', { code: 'teams:no-webhook' });
    const firing = message.kind === 'alerts' ? message.alerts.some((a) => a.status === 'firing') : true;
    const chunks = splitMessage(message, {
      maxBytes: this.opts.maxBytes ?? TEAMS_MAX_BYTES,
      measure: (r) => utf8Length(JSON.stringify(teamsCard(r, firing))),
    });
    const units = unitsFor(
      [url],
      chunks,
      (u) => ({ key: 'webhook', label: redactUrl(u) }),
      (u, chunk) => this.post(u, teamsCard(chunk, firing), target.timeoutMs, ctx.signal),
    );
    return this.run(units, ctx);
  }

  private async post(url: string, body: unknown, timeoutMs: number | undefined, signal?: AbortSignal): Promise<UnitSuccess> {
    const reply = await httpRequest(this.http, { method: 'POST', url, body, ...(signal ? { signal } : {}), timeoutMs }, 'teams');
    if (reply.status >= 200 && reply.status < 300) {
      const embedded = /returned HTTP error (\d{3})/.exec(reply.text);
      if (!embedded) return {};
      throw classifyHttpError({ status: Number(embedded[1]), headers: reply.headers, detail: 'webhook error' }, 'teams', this.clock.now());
    }
    throw classifyHttpError({ status: reply.status, headers: reply.headers, detail: excerpt(reply.text) }, 'teams', this.clock.now());
  }
}
