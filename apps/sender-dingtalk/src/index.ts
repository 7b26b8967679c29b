export { startDingtalkSender } from './service.js';
export type { DingtalkServiceOptions } from './service.js';
export { describeDingtalkDestination, dingtalkFormatOf, dingtalkTargetOf } from './dingtalk.target.js';
