export { feishuService } from './service.js';
export { describeFeishuDestination, feishuFormatOf, feishuTargetOf } from './feishu.target.js';
