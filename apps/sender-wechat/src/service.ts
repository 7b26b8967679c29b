/**
 * The WeCom sender service: `WechatSender` (the API base URL comes from each Config,
 * `wechatApiUrl`), with access tokens and robot rate limits in Redis so every replica shares them,
 * and the target a Receiver's wechat section and its Config make (`wechat.target.ts`).
 */
import { WechatSender } from '@nm/channels';
import { senderService, sharedPorts } from '@nm/sender-kit';
import { describeWechatDestination, wechatTargetOf } from './wechat.target.js';

export const wechatService = senderService({
  channel: 'wechat',
  spec: (_env, rt) => ({ sender: new WechatSender(sharedPorts(rt)), targetOf: wechatTargetOf, describeDestination: describeWechatDestination }),
});
