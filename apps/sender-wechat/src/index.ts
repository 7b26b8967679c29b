export { wechatService } from './service.js';
export { describeWechatDestination, wechatFormatOf, wechatTargetOf } from './wechat.target.js';
