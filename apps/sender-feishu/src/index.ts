export { startFeishuSender } from './service.js';
export type { FeishuServiceOptions } from './service.js';
export { describeFeishuDestination, feishuFormatOf, feishuTargetOf } from './feishu.target.js';
