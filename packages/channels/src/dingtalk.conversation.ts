/**
 * DingTalk enterprise conversations: `chat/send`, one request per chat id × chunk, with the app's
 * access token (`gettoken`, per app; refreshed once on 40014/42001) through the shared
 * {@link VendorTokenClient}.
 */
import { apiUrl } from './channel.urls.js';
import type { UnitSuccess } from './delivery.runner.js';
import { gettokenApi, type CallOptions, type ErrcodeReply, type VendorTokenClient } from './vendor.token.client.js';

export interface DingtalkApp {
  appKey: string;
  appSecret: string;
}

export interface DingtalkReply extends ErrcodeReply {
  messageId?: string;
  /** Custom robots: a throttled ("punished") robot answers errcode 0 with a status. */
  status?: unknown;
  punish?: unknown;
}

export const DINGTALK_TOKENS = gettokenApi<DingtalkReply>('dingtalk', (app) => ({ appkey: app.id, appsecret: app.secret }));

/** Sends one message to one enterprise conversation. */
export async function sendDingtalkConversation(
  client: VendorTokenClient<DingtalkReply>,
  baseUrl: string,
  app: DingtalkApp,
  chatId: string,
  msg: Record<string, unknown>,
  call: CallOptions,
): Promise<UnitSuccess> {
  const res = await client.call({ baseUrl, id: app.appKey, secret: app.appSecret }, { method: 'POST', url: apiUrl(baseUrl, 'chat/send'), body: { chatid: chatId, msg } }, call);
  return res.messageId ? { upstreamMessageId: res.messageId } : {};
}
