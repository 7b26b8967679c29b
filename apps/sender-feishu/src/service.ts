/**
 * The Feishu sender service: `FeishuSender` on the open API at `NM_FEISHU_API_URL` (app token,
 * batch_send), with access tokens and bot rate limits in Redis so every replica shares them, and
 * the target a Receiver's feishu section and its Config make (`feishu.target.ts`).
 */
import { ChannelUrlEnvSchema, FeishuSender } from '@nm/channels';
import { senderService, sharedPorts } from '@nm/sender-kit';
import { describeFeishuDestination, feishuTargetOf } from './feishu.target.js';

export const feishuService = senderService({
  channel: 'feishu',
  env: ChannelUrlEnvSchema.pick({ NM_FEISHU_API_URL: true }),
  spec: (env, rt) => ({
    sender: new FeishuSender({ apiUrl: env.NM_FEISHU_API_URL, ...sharedPorts(rt) }),
    targetOf: feishuTargetOf,
    describeDestination: describeFeishuDestination,
  }),
});
