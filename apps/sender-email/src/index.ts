export { emailService } from './service.js';
export { describeEmailDestination, emailFormatOf, emailTargetOf } from './email.target.js';
