/** How DingTalk and Feishu sign robot requests; the fake checks requests against these. */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** DingTalk: base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret)), timestamp in ms. */
export function dingtalkSignature(timestampMs: string, secret: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** Feishu: base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = "")), timestamp in s. */
export function feishuSignature(timestampSec: string, secret: string): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
