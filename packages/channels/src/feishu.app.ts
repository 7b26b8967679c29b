/**
 * Feishu/Lark app messages: `tenant_access_token/internal` (cached per app for its `expire`,
 * refreshed once when Feishu says it is invalid or expired) and `message/v4/batch_send/` to users
 * and departments, 200 of each per request. Ids Feishu rejects make the unit a partial failure.
 */
import type { AxiosInstance } from 'axios';
import { TOKEN_EXPIRED_CODES, classifyHttpError, classifyVendorError } from './channel.errors.js';
import { apiUrl } from './channel.urls.js';
import type { UnitSuccess } from './delivery.runner.js';
import { excerpt, httpRequest, type HttpReply } from './http.client.js';
import { withTokenRefresh, type FetchedToken, type TokenCache } from './token.cache.js';

export interface FeishuApp {
  appId: string;
  appSecret: string;
}

export interface FeishuRecipients {
  user_ids?: string[];
  department_ids?: string[];
}

interface FeishuReply {
  code?: number;
  StatusCode?: number;
  msg?: string;
  StatusMessage?: string;
  tenant_access_token?: string;
  expire?: number;
  data?: { message_id?: string; invalid_user_ids?: string[]; invalid_department_ids?: string[] };
}

/** Feishu answers errors with a JSON body, sometimes under a non-200 status: read the body first. */
export function parseFeishuReply(reply: HttpReply): FeishuReply & { code: number; msg: string } {
  const res = (typeof reply.json === 'object' && reply.json !== null ? reply.json : {}) as FeishuReply;
  const code = typeof res.code === 'number' ? res.code : res.StatusCode;
  if (typeof code !== 'number') {
    throw classifyHttpError({ status: reply.status === 200 ? 502 : reply.status, headers: reply.headers, detail: excerpt(reply.text) }, 'feishu');
  }
  return { ...res, code, msg: res.msg ?? res.StatusMessage ?? '' };
}

export function feishuRecipientBatches(users: readonly string[], departments: readonly string[], size = 200): FeishuRecipients[] {
  const count = Math.max(Math.ceil(users.length / size), Math.ceil(departments.length / size));
  return Array.from({ length: count }, (_, i) => {
    const u = users.slice(i * size, (i + 1) * size);
    const d = departments.slice(i * size, (i + 1) * size);
    return { ...(u.length ? { user_ids: u } : {}), ...(d.length ? { department_ids: d } : {}) };
  });
}

export class FeishuAppClient {
  constructor(
    private readonly http: AxiosInstance,
    private readonly tokens: TokenCache,
    private readonly baseUrl: string,
  ) {}

  async send(app: FeishuApp, to: FeishuRecipients, msgType: string, content: unknown, signal?: AbortSignal, timeoutMs?: number): Promise<UnitSuccess> {
    const body = { msg_type: msgType, content, ...to };
    const post = async (token: string): Promise<ReturnType<typeof parseFeishuReply>> =>
      parseFeishuReply(
        await httpRequest(
          this.http,
          {
            method: 'POST',
            url: apiUrl(this.baseUrl, 'message/v4/batch_send/'),
            headers: { Authorization: `Bearer ${token}` },
            body,
            ...(signal ? { signal } : {}),
            timeoutMs,
          },
          'feishu',
        ),
      );
    const res = await withTokenRefresh(
      this.tokens,
      `feishu|${this.baseUrl}|${app.appId}|${app.appSecret}`,
      () => this.fetchToken(app, signal, timeoutMs),
      post,
      (r) => TOKEN_EXPIRED_CODES.feishu.has(String(r.code)),
    );
    if (res.code !== 0) throw classifyVendorError('feishu', res.code, res.msg);
    const invalid = [
      ...(res.data?.invalid_user_ids ?? []).map((u) => `user:${u}`),
      ...(res.data?.invalid_department_ids ?? []).map((d) => `department:${d}`),
    ];
    return { ...(res.data?.message_id ? { upstreamMessageId: res.data.message_id } : {}), ...(invalid.length ? { invalid } : {}) };
  }

  private async fetchToken(app: FeishuApp, signal?: AbortSignal, timeoutMs?: number): Promise<FetchedToken> {
    const reply = await httpRequest(
      this.http,
      {
        method: 'POST',
        url: apiUrl(this.baseUrl, 'auth/v3/tenant_access_token/internal'),
        body: { app_id: app.appId, app_secret: app.appSecret },
        ...(signal ? { signal } : {}),
        timeoutMs,
      },
      'feishu',
    );
    const res = parseFeishuReply(reply);
    if (res.code !== 0 || !res.tenant_access_token) throw classifyVendorError('feishu', res.code, `tenant_access_token: ${res.msg}`);
    return { token: res.tenant_access_token, expiresInSec: res.expire ?? 7200 };
  }
}
