/**
 * The Feishu sender service: the generic sender of `@nm/sender-kit` with `FeishuSender`.
 * Access tokens and the bot rate limits live in Redis, so every replica shares them. The
 * Receiver's feishu section and its Config become a target (`feishu.target.ts`); the kit does
 * dedup, history and retries.
 */
import { FeishuSender, RedisRateLimiter, RedisTokenCache, type FeishuSenderOptions } from '@nm/channels';
import { startSender, type SenderHandle, type SenderServiceOptions } from '@nm/sender-kit';
import type { Runtime } from '@nm/service-kit';
import { describeFeishuDestination, feishuTargetOf } from './feishu.target.js';

export interface FeishuServiceOptions extends SenderServiceOptions {
  /** Feishu open-API base URL of the app token and batch_send (default `https://open.feishu.cn/open-apis/`; see `NM_FEISHU_API_URL`). */
  apiUrl?: string;
  /** Options of the HTTP sender (inline retries, clock, split size, bot rate limit); token cache and limiter are the Redis ones of `rt`. */
  sender?: Omit<FeishuSenderOptions, 'apiUrl' | 'tokenCache' | 'rateLimiter'>;
}

export async function startFeishuSender(rt: Runtime, opts: FeishuServiceOptions = {}): Promise<SenderHandle> {
  const sender = new FeishuSender({
    ...opts.sender,
    ...(opts.apiUrl ? { apiUrl: opts.apiUrl } : {}),
    tokenCache: new RedisTokenCache(rt.redis),
    rateLimiter: new RedisRateLimiter(rt.redis),
  });
  return startSender(rt, { sender, targetOf: feishuTargetOf, describeDestination: describeFeishuDestination }, opts);
}
