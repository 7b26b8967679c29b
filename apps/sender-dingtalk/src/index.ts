export { dingtalkService } from './service.js';
export { describeDingtalkDestination, dingtalkFormatOf, dingtalkLimitsOf, dingtalkTargetOf } from './dingtalk.target.js';
