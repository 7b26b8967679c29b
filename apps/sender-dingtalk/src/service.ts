/**
 * The DingTalk sender service: the generic sender of `@nm/sender-kit` with `DingtalkSender`.
 * Access tokens and the robot / app rate limits live in Redis, so every replica shares them. The
 * Receiver's dingtalk section and its Config become a target (`dingtalk.target.ts`); the kit does
 * dedup, history and retries.
 */
import { DingtalkSender, RedisRateLimiter, RedisTokenCache, type DingtalkSenderOptions } from '@nm/channels';
import { startSender, type SenderHandle, type SenderServiceOptions } from '@nm/sender-kit';
import type { Runtime } from '@nm/service-kit';
import { describeDingtalkDestination, dingtalkTargetOf } from './dingtalk.target.js';

export interface DingtalkServiceOptions extends SenderServiceOptions {
  /** DingTalk API base URL of gettoken and chat/send (default `https://oapi.dingtalk.com/`; see `NM_DINGTALK_API_URL`). */
  apiUrl?: string;
  /** Options of the HTTP sender (inline retries, clock, split sizes, rate limits); token cache and limiter are the Redis ones of `rt`. */
  sender?: Omit<DingtalkSenderOptions, 'apiUrl' | 'tokenCache' | 'rateLimiter'>;
}

export async function startDingtalkSender(rt: Runtime, opts: DingtalkServiceOptions = {}): Promise<SenderHandle> {
  const sender = new DingtalkSender({
    ...opts.sender,
    ...(opts.apiUrl ? { apiUrl: opts.apiUrl } : {}),
    tokenCache: new RedisTokenCache(rt.redis),
    rateLimiter: new RedisRateLimiter(rt.redis),
  });
  return startSender(rt, { sender, targetOf: dingtalkTargetOf, describeDestination: describeDingtalkDestination }, opts);
}
