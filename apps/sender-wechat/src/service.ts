/**
 * The WeCom sender service: the generic sender of `@nm/sender-kit` with `WechatSender`. Access
 * tokens and robot rate limits live in Redis, so every replica shares them. The Receiver's wechat
 * section and its Config become a target (`wechat.target.ts`); the kit does dedup, history and
 * retries.
 */
import { RedisRateLimiter, RedisTokenCache, WechatSender, type WechatSenderOptions } from '@nm/channels';
import { startSender, type SenderHandle, type SenderServiceOptions } from '@nm/sender-kit';
import type { Runtime } from '@nm/service-kit';
import { describeWechatDestination, wechatTargetOf } from './wechat.target.js';

export interface WechatServiceOptions extends SenderServiceOptions {
  /**
   * Options of the HTTP sender (inline retries, clock, robot rate limit). The token cache and the
   * rate limiter are always the Redis ones of `rt`. The API base URL comes from each Config
   * (`wechatApiUrl`).
   */
  sender?: Omit<WechatSenderOptions, 'tokenCache' | 'rateLimiter'>;
}

export async function startWechatSender(rt: Runtime, opts: WechatServiceOptions = {}): Promise<SenderHandle> {
  const sender = new WechatSender({ ...opts.sender, tokenCache: new RedisTokenCache(rt.redis), rateLimiter: new RedisRateLimiter(rt.redis) });
  return startSender(rt, { sender, targetOf: wechatTargetOf, describeDestination: describeWechatDestination }, opts);
}
