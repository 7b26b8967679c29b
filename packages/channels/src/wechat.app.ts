/**
 * WeCom application messages: `message/send` with the app's access token (`gettoken`, per corp +
 * secret; refreshed once when WeCom says it expired (42001) or is invalid (40014)), through the
 * shared {@link VendorTokenClient}.
 */
import { DEFAULT_WECHAT_API_URL, apiUrl } from './channel.urls.js';
import type { UnitSuccess } from './delivery.runner.js';
import { gettokenApi, type CallOptions, type ErrcodeReply, type VendorTokenClient } from './vendor.token.client.js';

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

export interface WechatReply extends ErrcodeReply {
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

export const WECHAT_TOKENS = gettokenApi<WechatReply>('wechat', (app) => ({ corpid: app.id, corpsecret: app.secret }));

/** Sends one application message; recipients WeCom rejects come back as `invalid`. */
export async function sendWechatAppMessage(
  client: VendorTokenClient<WechatReply>,
  cfg: WechatAppConfig,
  to: WechatRecipients,
  format: 'text' | 'markdown',
  content: string,
  call: CallOptions,
): Promise<UnitSuccess> {
  const baseUrl = cfg.apiUrl ?? DEFAULT_WECHAT_API_URL;
  const body = { ...to, msgtype: format, agentid: cfg.agentId, [format]: { content }, safe: '0' };
  const res = await client.call({ baseUrl, id: cfg.corpId, secret: cfg.secret }, { method: 'POST', url: apiUrl(baseUrl, 'message/send'), body }, call);
  const invalid = [
    ...splitIds(res.invaliduser).map((u) => `user:${u}`),
    ...splitIds(res.invalidparty).map((p) => `party:${p}`),
    ...splitIds(res.invalidtag).map((t) => `tag:${t}`),
  ];
  return { ...(res.msgid ? { upstreamMessageId: res.msgid } : {}), ...(invalid.length ? { invalid } : {}) };
}

function splitIds(list: string | undefined): string[] {
  return (list ?? '').split('|').filter((x) => x !== '');
}
