/**
 * The SMS sender service: `SmsSender` on the providers' endpoints (`NM_ALIYUN_SMS_URL`,
 * `NM_TENCENT_SMS_URL`, `NM_AWS_SNS_URL`; Huawei's comes from its Config), and the target a
 * Receiver's sms section and its Config make (`sms.target.ts`).
 */
import { SmsSender, SmsUrlEnvSchema } from '@nm/channels';
import { senderService } from '@nm/sender-kit';
import { describeSmsDestination, smsTargetOf } from './sms.target.js';

export const smsService = senderService({
  channel: 'sms',
  env: SmsUrlEnvSchema,
  spec: (env) => ({
    sender: new SmsSender({ aliyunUrl: env.NM_ALIYUN_SMS_URL, tencentUrl: env.NM_TENCENT_SMS_URL, awsUrl: env.NM_AWS_SNS_URL }),
    targetOf: smsTargetOf,
    describeDestination: describeSmsDestination,
  }),
});
