export { startWechatSender } from './service.js';
export type { WechatServiceOptions } from './service.js';
export { describeWechatDestination, wechatFormatOf, wechatTargetOf } from './wechat.target.js';
