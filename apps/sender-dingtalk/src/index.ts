export { startDingtalkSender } from './service.js';
export type { DingtalkServiceOptions } from './service.js';
export { describeDingtalkDestination, dingtalkFormatOf, dingtalkLimitsOf, dingtalkTargetOf } from './dingtalk.target.js';
