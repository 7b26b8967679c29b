/**
 * SMS: one rendered message to every phone number of the receiver, through the provider the
 * target names (Aliyun, Tencent Cloud, Huawei or AWS SNS; `sms.providers.ts`). Each number is a
 * delivery unit, so a number the provider accepted is not sent again when the notification is
 * redelivered for the others. Numbers are sent in batches of the provider's size (Aliyun 1000,
 * Tencent 200, Huawei 500, SNS one per call); a number not matching `^\+?\d+$` fails on its own.
 * A batch call is made once per send: its retryable failures go back to the bus, which redelivers
 * with the delivered numbers left out.
 */
import { PermanentError, RetryableError } from '@nm/errors';
import { z } from 'zod';
import type { OutgoingMessage, SendContext, SendResult } from './channel.types.js';
import { apiUrlVariable } from './channel.urls.js';
import { unitsFor } from './delivery.runner.js';
import { HttpChannelSender, type HttpSenderOptions } from './http.sender.js';
import type { MessageChunk } from './message.splitter.js';
import {
  DEFAULT_ALIYUN_SMS_URL,
  DEFAULT_AWS_SNS_URL,
  DEFAULT_TENCENT_SMS_URL,
  SMS_BATCH_SIZE,
  aliyunSendSms,
  awsPublish,
  huaweiBatchSendSms,
  randomNonce,
  tencentSendSms,
  type CallContext,
  type NumberResult,
  type SmsProvider,
} from './sms.providers.js';

export interface SmsTarget {
  provider: SmsProvider;
  phoneNumbers: readonly string[];
  /** Per-request timeout (`options.sms.notificationTimeout`); default the sender's. */
  timeoutMs?: number | undefined;
}

export interface SmsSenderOptions extends HttpSenderOptions {
  /** Dysmsapi endpoint (see `NM_ALIYUN_SMS_URL`). */
  aliyunUrl?: string;
  /** Tencent Cloud SMS endpoint (see `NM_TENCENT_SMS_URL`). */
  tencentUrl?: string;
  /** SNS endpoint; `{region}` becomes the Config's region (see `NM_AWS_SNS_URL`). */
  awsUrl?: string;
  /** Nonces of Aliyun and Huawei requests (default random UUIDs). */
  nonce?: () => string;
  /** Numbers per call, per provider (tests); default the providers' maxima. */
  batchSize?: Partial<Record<SmsProvider['provider'], number>>;
}

/** `NM_ALIYUN_SMS_URL`, `NM_TENCENT_SMS_URL` and `NM_AWS_SNS_URL`, defaulting to the vendors' endpoints. */
export const SmsUrlEnvSchema = z.object({
  NM_ALIYUN_SMS_URL: apiUrlVariable(DEFAULT_ALIYUN_SMS_URL),
  NM_TENCENT_SMS_URL: apiUrlVariable(DEFAULT_TENCENT_SMS_URL),
  NM_AWS_SNS_URL: apiUrlVariable(DEFAULT_AWS_SNS_URL),
});

const PHONE = /^\+?\d+$/;

/** The whole notification as one text: SMS is not split (the provider's template limits apply). */
function oneChunk(message: OutgoingMessage): MessageChunk {
  if (message.kind === 'alerts') return { body: message.render(message.alerts).body, alertIds: message.alerts.map((a) => a.id) };
  return {
    body: message.chunks.map((c) => c.body).join('\n'),
    alertIds: message.chunks.flatMap((c) => c.alertIds ?? []),
  };
}

const sliced = <T>(list: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

export class SmsSender extends HttpChannelSender<SmsTarget, SmsSenderOptions> {
  readonly channel = 'sms' as const;

  constructor(opts: SmsSenderOptions = {}) {
    super(opts);
  }

  async send(target: SmsTarget, message: OutgoingMessage, ctx: SendContext = {}): Promise<SendResult> {
    const numbers = [...new Set(target.phoneNumbers.map((n) => n.trim()).filter((n) => n !== ''))];
    if (numbers.length === 0) throw new PermanentError('sms: the target has no phone number', { code: 'sms:no-destination' });
    const chunk = oneChunk(message);
    const keyOf = (n: string): string => `phone:${n}`;
    const unitKey = (n: string): string => `${keyOf(n)}#0/1`;
    const pending = numbers.filter((n) => PHONE.test(n) && !ctx.deliveredKeys?.has(unitKey(n)));
    const size = Math.max(1, this.opts.batchSize?.[target.provider.provider] ?? SMS_BATCH_SIZE[target.provider.provider]);
    const batches = sliced(pending, size);
    const batchOf = new Map<string, number>();
    batches.forEach((b, i) => b.forEach((n) => batchOf.set(n, i)));
    const calls = new Map<number, Promise<Map<string, NumberResult>>>();
    const call: CallContext = {
      http: this.http,
      now: () => this.clock.now(),
      nonce: this.opts.nonce ?? randomNonce,
      urls: {
        aliyun: this.opts.aliyunUrl ?? DEFAULT_ALIYUN_SMS_URL,
        tencent: this.opts.tencentUrl ?? DEFAULT_TENCENT_SMS_URL,
        aws: this.opts.awsUrl ?? DEFAULT_AWS_SNS_URL,
      },
      signal: ctx.signal,
      timeoutMs: target.timeoutMs,
    };
    const resultOf = async (n: string): Promise<NumberResult> => {
      const i = batchOf.get(n)!;
      let p = calls.get(i);
      if (!p) {
        p = this.sendBatch(target.provider, batches[i]!, chunk.body, call);
        calls.set(i, p);
      }
      return (await p).get(n) ?? { ok: false, error: new RetryableError(`sms: no result for ${n}`, { code: 'sms:no-result' }) };
    };
    const units = unitsFor(numbers, [chunk], (n) => ({ key: keyOf(n), label: n }), async (n) => {
      if (!PHONE.test(n)) throw new PermanentError(`sms: ${n} is not a phone number (digits with an optional leading +)`, { code: 'sms:invalid-number' });
      const r = await resultOf(n);
      if (!r.ok) throw r.error;
      return r.id ? { upstreamMessageId: r.id } : {};
    });
    // one call per batch and send: a failed batch is not re-sent inline for each of its numbers
    return this.run(units, ctx, { attempts: 1 });
  }

  private async sendBatch(provider: SmsProvider, numbers: readonly string[], text: string, ctx: CallContext): Promise<Map<string, NumberResult>> {
    switch (provider.provider) {
      case 'aliyun':
        return aliyunSendSms(provider, numbers, text, ctx);
      case 'tencent':
        return tencentSendSms(provider, numbers, text, ctx);
      case 'huawei':
        return huaweiBatchSendSms(provider, numbers, text, ctx);
      case 'aws': {
        const out = new Map<string, NumberResult>();
        for (const n of numbers) out.set(n, await awsPublish(provider, n, text, ctx));
        return out;
      }
    }
  }
}
