export { smsService } from './service.js';
export { describeSmsDestination, smsProviderOf, smsTargetOf } from './sms.target.js';
