export { startEmailSender } from './service.js';
export type { EmailServiceOptions } from './service.js';
export { describeEmailDestination, emailFormatOf, emailTargetOf } from './email.target.js';
