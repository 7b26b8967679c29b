/**
 * WeCom application messages: `gettoken` (cached per corp + secret for its `expires_in`) and
 * `message/send`, with one token refresh when WeCom says the token expired (42001) or is invalid
 * (40014). The stale token is invalidated by compare-and-delete, so concurrent refreshes do not
 * throw each other's fresh token away.
 */
import type { AxiosInstance } from 'axios';
import { TOKEN_EXPIRED_CODES, classifyHttpError, classifyVendorError } from './channel.errors.js';
import { DEFAULT_WECHAT_API_URL, apiUrl } from './channel.urls.js';
import type { UnitSuccess } from './delivery.runner.js';
import { excerpt, httpRequest, type HttpReply } from './http.client.js';
import { withTokenRefresh, type TokenCache } from './token.cache.js';

export interface WechatAppConfig {
  /** `wechatApiUrl` (default `https://qyapi.weixin.qq.com/cgi-bin/`). */
  apiUrl?: string;
  corpId: string;
  agentId: string;
  secret: string;
}

/** One request's recipients, already `|`-joined lists (omitted when empty). */
export interface WechatRecipients {
  touser?: string;
  toparty?: string;
  totag?: string;
}

interface WechatReply {
  errcode?: number;
  errmsg?: string;
  access_token?: string;
  expires_in?: number;
  invaliduser?: string;
  invalidparty?: string;
  invalidtag?: string;
  msgid?: string;
}

/** 1000 users, 100 parties and 100 tags per request; the n-th request takes the n-th slice of each. */
export function wechatRecipientBatches(users: readonly string[], parties: readonly string[], tags: readonly string[]): WechatRecipients[] {
  const count = Math.max(Math.ceil(users.length / 1000), Math.ceil(parties.length / 100), Math.ceil(tags.length / 100));
  return Array.from({ length: count }, (_, i) => {
    const u = users.slice(i * 1000, (i + 1) * 1000);
    const p = parties.slice(i * 100, (i + 1) * 100);
    const t = tags.slice(i * 100, (i + 1) * 100);
    return {
      ...(u.length ? { touser: u.join('|') } : {}),
      ...(p.length ? { toparty: p.join('|') } : {}),
      ...(t.length ? { totag: t.join('|') } : {}),
    };
  });
}

function parse(reply: HttpReply): WechatReply {
  if (reply.status !== 200 || typeof reply.json !== 'object' || reply.json === null) {
    throw classifyHttpError({ status: reply.status === 200 ? 502 : reply.status, headers: reply.headers, detail: excerpt(reply.text) }, 'wechat');
  }
  return reply.json;
}

export class WechatAppClient {
  constructor(
    private readonly http: AxiosInstance,
    private readonly tokens: TokenCache,
  ) {}

  async send(
    cfg: WechatAppConfig,
    to: WechatRecipients,
    format: 'text' | 'markdown',
    content: string,
    signal?: AbortSignal,
    timeoutMs?: number,
  ): Promise<UnitSuccess> {
    const base = cfg.apiUrl ?? DEFAULT_WECHAT_API_URL;
    const cacheKey = `wechat|${base}|${cfg.corpId}|${cfg.secret}`;
    const fetchToken = () => this.fetchToken(base, cfg, signal, timeoutMs);
    const body = { ...to, msgtype: format, agentid: cfg.agentId, [format]: { content }, safe: '0' };
    const post = async (token: string): Promise<WechatReply> =>
      parse(
        await httpRequest(
          this.http,
          { method: 'POST', url: `${apiUrl(base, 'message/send')}?access_token=${encodeURIComponent(token)}`, body, ...(signal ? { signal } : {}), timeoutMs },
          'wechat',
        ),
      );
    const res = await withTokenRefresh(this.tokens, cacheKey, fetchToken, post, (r) => TOKEN_EXPIRED_CODES.wechat.has(String(r.errcode)));
    if (res.errcode !== 0) throw classifyVendorError('wechat', res.errcode ?? 'unknown', res.errmsg ?? '');
    const invalid = [
      ...splitIds(res.invaliduser).map((u) => `user:${u}`),
      ...splitIds(res.invalidparty).map((p) => `party:${p}`),
      ...splitIds(res.invalidtag).map((t) => `tag:${t}`),
    ];
    return { ...(res.msgid ? { upstreamMessageId: res.msgid } : {}), ...(invalid.length ? { invalid } : {}) };
  }

  private async fetchToken(base: string, cfg: WechatAppConfig, signal?: AbortSignal, timeoutMs?: number): Promise<{ token: string; expiresInSec: number }> {
    const query = new URLSearchParams({ corpid: cfg.corpId, corpsecret: cfg.secret });
    const res = parse(await httpRequest(this.http, { method: 'GET', url: `${apiUrl(base, 'gettoken')}?${query.toString()}`, ...(signal ? { signal } : {}), timeoutMs }, 'wechat'));
    if (res.errcode !== 0 || !res.access_token) throw classifyVendorError('wechat', res.errcode ?? 'unknown', `gettoken: ${res.errmsg ?? ''}`);
    return { token: res.access_token, expiresInSec: res.expires_in ?? 7200 };
  }
}

function splitIds(list: string | undefined): string[] {
  return (list ?? '').split('|').filter((x) => x !== '');
}
