/**
 * DingTalk enterprise conversations: `gettoken` (cached per app for its `expires_in`, refreshed
 * once on 40014/42001) and `chat/send`, one request per chat id × chunk.
 */
import type { AxiosInstance } from 'axios';
import { TOKEN_EXPIRED_CODES, classifyHttpError, classifyVendorError } from './channel.errors.js';
import { apiUrl } from './channel.urls.js';
import type { UnitSuccess } from './delivery.runner.js';
import { excerpt, httpRequest, type HttpReply } from './http.client.js';
import { withTokenRefresh, type FetchedToken, type TokenCache } from './token.cache.js';

export interface DingtalkApp {
  appKey: string;
  appSecret: string;
}

interface DingtalkReply {
  errcode?: number;
  errmsg?: string;
  access_token?: string;
  expires_in?: number;
  messageId?: string;
}

export function parseDingtalkReply(reply: HttpReply): DingtalkReply & { status?: unknown; punish?: unknown } {
  if (reply.status !== 200 || typeof reply.json !== 'object' || reply.json === null) {
    throw classifyHttpError({ status: reply.status === 200 ? 502 : reply.status, headers: reply.headers, detail: excerpt(reply.text) }, 'dingtalk');
  }
  return reply.json;
}

export class DingtalkConversationClient {
  constructor(
    private readonly http: AxiosInstance,
    private readonly tokens: TokenCache,
    private readonly baseUrl: string,
  ) {}

  async send(app: DingtalkApp, chatId: string, msg: Record<string, unknown>, signal?: AbortSignal, timeoutMs?: number): Promise<UnitSuccess> {
    const post = async (token: string): Promise<DingtalkReply> =>
      parseDingtalkReply(
        await httpRequest(
          this.http,
          {
            method: 'POST',
            url: `${apiUrl(this.baseUrl, 'chat/send')}?access_token=${encodeURIComponent(token)}`,
            body: { chatid: chatId, msg },
            ...(signal ? { signal } : {}),
            timeoutMs,
          },
          'dingtalk',
        ),
      );
    const res = await withTokenRefresh(
      this.tokens,
      `dingtalk|${this.baseUrl}|${app.appKey}|${app.appSecret}`,
      () => this.fetchToken(app, signal, timeoutMs),
      post,
      (r) => TOKEN_EXPIRED_CODES.dingtalk.has(String(r.errcode)),
    );
    if (res.errcode !== 0) throw classifyVendorError('dingtalk', res.errcode ?? 'unknown', res.errmsg ?? '');
    return res.messageId ? { upstreamMessageId: res.messageId } : {};
  }

  private async fetchToken(app: DingtalkApp, signal?: AbortSignal, timeoutMs?: number): Promise<FetchedToken> {
    const query = new URLSearchParams({ appkey: app.appKey, appsecret: app.appSecret });
    const reply = await httpRequest(
      this.http,
      { method: 'GET', url: `${apiUrl(this.baseUrl, 'gettoken')}?${query.toString()}`, ...(signal ? { signal } : {}), timeoutMs },
      'dingtalk',
    );
    const res = parseDingtalkReply(reply);
    if (res.errcode !== 0 || !res.access_token) {
      throw classifyVendorError('dingtalk', res.errcode ?? 'unknown', `gettoken: ${res.errmsg ?? ''}`);
    }
    return { token: res.access_token, expiresInSec: res.expires_in ?? 7200 };
  }
}
