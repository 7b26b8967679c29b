/**
 * Feishu/Lark app messages: `message/v4/batch_send/` to users and departments, 200 of each per
 * request, with the app's tenant access token (`tenant_access_token/internal`, per app; refreshed
 * once when Feishu says it is invalid or expired) through the shared {@link VendorTokenClient}.
 * Ids Feishu rejects make the unit a partial failure.
 */
import { classifyHttpError } from './channel.errors.js';
import { apiUrl } from './channel.urls.js';
import type { UnitSuccess } from './delivery.runner.js';
import { excerpt, type HttpReply } from './http.client.js';
import type { CallOptions, TokenApi, VendorReply, VendorTokenClient } from './vendor.token.client.js';

export interface FeishuApp {
  appId: string;
  appSecret: string;
}

export interface FeishuRecipients {
  user_ids?: string[];
  department_ids?: string[];
}

export interface FeishuReply {
  code?: number;
  StatusCode?: number;
  msg?: string;
  StatusMessage?: string;
  tenant_access_token?: string;
  expire?: number;
  data?: { message_id?: string; invalid_user_ids?: string[]; invalid_department_ids?: string[] };
}

/** Feishu answers errors with a JSON body, sometimes under a non-200 status: read the body first. */
export function parseFeishuReply(reply: HttpReply): VendorReply<FeishuReply> {
  const body = (typeof reply.json === 'object' && reply.json !== null ? reply.json : {}) as FeishuReply;
  const code = typeof body.code === 'number' ? body.code : body.StatusCode;
  if (typeof code !== 'number') {
    throw classifyHttpError({ status: reply.status === 200 ? 502 : reply.status, headers: reply.headers, detail: excerpt(reply.text) }, 'feishu');
  }
  return { code, message: body.msg ?? body.StatusMessage ?? '', body };
}

export const FEISHU_TOKENS: TokenApi<FeishuReply> = {
  vendor: 'feishu',
  tokenCall: 'tenant_access_token',
  tokenRequest: (app) => ({ method: 'POST', url: apiUrl(app.baseUrl, 'auth/v3/tenant_access_token/internal'), body: { app_id: app.id, app_secret: app.secret } }),
  tokenOf: (b) => (b.tenant_access_token ? { token: b.tenant_access_token, expiresInSec: b.expire ?? 7200 } : undefined),
  authorize: (req, token) => ({ ...req, headers: { ...req.headers, Authorization: `Bearer ${token}` } }),
  parse: parseFeishuReply,
};

export function feishuRecipientBatches(users: readonly string[], departments: readonly string[], size = 200): FeishuRecipients[] {
  const count = Math.max(Math.ceil(users.length / size), Math.ceil(departments.length / size));
  return Array.from({ length: count }, (_, i) => {
    const u = users.slice(i * size, (i + 1) * size);
    const d = departments.slice(i * size, (i + 1) * size);
    return { ...(u.length ? { user_ids: u } : {}), ...(d.length ? { department_ids: d } : {}) };
  });
}

/** Sends one message to a batch of users and departments; ids Feishu rejects come back as `invalid`. */
export async function sendFeishuAppMessage(
  client: VendorTokenClient<FeishuReply>,
  baseUrl: string,
  app: FeishuApp,
  to: FeishuRecipients,
  msgType: string,
  content: unknown,
  call: CallOptions,
): Promise<UnitSuccess> {
  const body = { msg_type: msgType, content, ...to };
  const res = await client.call({ baseUrl, id: app.appId, secret: app.appSecret }, { method: 'POST', url: apiUrl(baseUrl, 'message/v4/batch_send/'), body }, call);
  const invalid = [
    ...(res.data?.invalid_user_ids ?? []).map((u) => `user:${u}`),
    ...(res.data?.invalid_department_ids ?? []).map((d) => `department:${d}`),
  ];
  return { ...(res.data?.message_id ? { upstreamMessageId: res.data.message_id } : {}), ...(invalid.length ? { invalid } : {}) };
}
