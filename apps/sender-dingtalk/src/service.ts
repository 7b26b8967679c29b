/**
 * The DingTalk sender service: `DingtalkSender` on the API at `NM_DINGTALK_API_URL` (gettoken,
 * chat/send), with access tokens and robot / app rate limits in Redis so every replica shares them,
 * and the target a Receiver's dingtalk section and its Config make (`dingtalk.target.ts`).
 */
import { ChannelUrlEnvSchema, DingtalkSender } from '@nm/channels';
import { senderService, sharedPorts } from '@nm/sender-kit';
import { describeDingtalkDestination, dingtalkTargetOf } from './dingtalk.target.js';

export const dingtalkService = senderService({
  channel: 'dingtalk',
  env: ChannelUrlEnvSchema.pick({ NM_DINGTALK_API_URL: true }),
  spec: (env, rt) => ({
    sender: new DingtalkSender({ apiUrl: env.NM_DINGTALK_API_URL, ...sharedPorts(rt) }),
    targetOf: dingtalkTargetOf,
    describeDestination: describeDingtalkDestination,
  }),
});
