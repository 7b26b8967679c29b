import { describe, expect, it } from '@jest/globals';
import { ingestActivity } from '@nm/service-kit';
import { SENDER_DEFAULTS, slotsBesideIngest } from './sender.runner.js';
import { SenderEnvSchema, senderOptionsFromEnv } from './sender.service.js';

describe('senderOptionsFromEnv', () => {
  it("takes NM_SENDER_CONCURRENCY when set, else the channel's default, else the common one", () => {
    expect(senderOptionsFromEnv(SenderEnvSchema.parse({ NM_SENDER_CONCURRENCY: '4' }), 16).concurrency).toBe(4);
    expect(senderOptionsFromEnv(SenderEnvSchema.parse({}), 16).concurrency).toBe(16);
    expect(senderOptionsFromEnv(SenderEnvSchema.parse({})).concurrency).toBe(SENDER_DEFAULTS.concurrency);
    expect(SENDER_DEFAULTS.concurrency).toBe(32);
  });

  it('takes NM_SENDER_CONCURRENCY_BESIDE_INGEST when set, and nothing when not', () => {
    expect(senderOptionsFromEnv(SenderEnvSchema.parse({ NM_SENDER_CONCURRENCY_BESIDE_INGEST: '16' }))).toMatchObject({ concurrency: 32, concurrencyBesideIngest: 16 });
    expect(senderOptionsFromEnv(SenderEnvSchema.parse({}))).not.toHaveProperty('concurrencyBesideIngest');
    expect(SenderEnvSchema.safeParse({ NM_SENDER_CONCURRENCY_BESIDE_INGEST: '0' }).success).toBe(false);
  });

  it('refuses a concurrency below 1, naming the variable', () => {
    const r = SenderEnvSchema.safeParse({ NM_SENDER_CONCURRENCY: '0' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['NM_SENDER_CONCURRENCY']);
  });
});

describe('slotsBesideIngest', () => {
  it('limits the sender to the number beside ingest while ingest on this thread is busy, its own number otherwise', () => {
    const slots = slotsBesideIngest(32, 16)!;
    ingestActivity.reset();
    expect(slots()).toBe(32); // no ingest on this thread
    ingestActivity.begin();
    expect(slots()).toBe(16);
    ingestActivity.reset();
    expect(slots()).toBe(32);
  });

  it('limits nothing when the number beside ingest is unset or not below the concurrency', () => {
    expect(slotsBesideIngest(32, undefined)).toBeUndefined();
    expect(slotsBesideIngest(16, 16)).toBeUndefined();
  });
});
