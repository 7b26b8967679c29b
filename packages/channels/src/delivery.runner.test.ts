import { describe, expect, it } from '@jest/globals';
import { PartialFailureError, PermanentError, RetryableError } from '@nm/errors';
import { deliveredKeysOf, failureOf, runUnits, type DeliveryUnit, type UnitSuccess } from './delivery.runner.js';
import { RecordingClock } from './test-support/fixtures.js';

function unit(group: string, index: number, count: number, run: () => Promise<UnitSuccess>): DeliveryUnit {
  return { key: `${group}#${index}/${count}`, destination: group, group, chunk: { index, count }, alertIds: [`a${index}`], run };
}

describe('runUnits', () => {
  it('retries a retryable failure inline with backoff, within the policy', async () => {
    const clock = new RecordingClock();
    let calls = 0;
    const u = unit('d', 0, 1, () => {
      calls += 1;
      return calls < 3 ? Promise.reject(new RetryableError('busy', { code: 'x:busy' })) : Promise.resolve({ upstreamMessageId: 'm1' });
    });
    const res = await runUnits('slack', [u], {}, { clock, retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 } });
    expect(res.status).toBe('delivered');
    expect(res.outcomes[0]).toMatchObject({ status: 'delivered', attempts: 3, upstreamMessageId: 'm1' });
    expect(clock.sleeps).toEqual([100, 200]);
  });

  it('does not wait inline for long Retry-After; hands it to the bus instead', async () => {
    const clock = new RecordingClock();
    const u = unit('d', 0, 1, () => Promise.reject(new RetryableError('429', { code: 'slack:http-429', retryAfterMs: 30_000 })));
    const res = await runUnits('slack', [u], {}, { clock });
    expect(clock.sleeps).toEqual([]);
    const err = failureOf(res);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBe(30_000);
  });

  it('never retries a permanent failure', async () => {
    let calls = 0;
    const u = unit('d', 0, 1, () => {
      calls += 1;
      return Promise.reject(new PermanentError('bad', { code: 'slack:invalid_auth' }));
    });
    const res = await runUnits('slack', [u], {}, { clock: new RecordingClock() });
    expect(calls).toBe(1);
    expect(failureOf(res)).toBeInstanceOf(PermanentError);
    expect(failureOf(res)).not.toBeInstanceOf(PartialFailureError);
  });

  it('keeps chunk order: after a retryable failure the later chunks of that destination wait', async () => {
    const sent: string[] = [];
    const ok = (k: string) => () => {
      sent.push(k);
      return Promise.resolve({});
    };
    const units = [
      unit('a', 0, 2, ok('a0')),
      unit('a', 1, 2, ok('a1')),
      unit('b', 0, 2, () => Promise.reject(new RetryableError('limited', { code: 'x:limit', retryAfterMs: 60_000 }))),
      unit('b', 1, 2, ok('b1')),
    ];
    const res = await runUnits('dingtalk', units, {}, { clock: new RecordingClock() });
    expect(sent).toEqual(['a0', 'a1']);
    expect(res.status).toBe('partial');
    expect(res.outcomes.map((o) => o.status)).toEqual(['delivered', 'delivered', 'failed', 'failed']);
    expect(res.outcomes[3]!.error?.code).toBe('dingtalk:not-attempted');

    // redelivery: only b's chunks are sent again, in order
    const again = await runUnits(
      'dingtalk',
      units.map((u) => ({ ...u, run: ok(`${u.group}${u.chunk.index}`) })),
      { deliveredKeys: deliveredKeysOf(res) },
      { clock: new RecordingClock() },
    );
    expect(sent).toEqual(['a0', 'a1', 'b0', 'b1']);
    expect(again.outcomes.map((o) => o.status)).toEqual(['duplicate', 'duplicate', 'delivered', 'delivered']);
    expect(again.status).toBe('delivered');
    expect(failureOf(again)).toBeUndefined();
  });

  it('reports rejected recipients as a partial failure', async () => {
    const res = await runUnits(
      'wechat',
      [unit('a', 0, 1, () => Promise.resolve({ invalid: ['user:ghost'] })), unit('b', 0, 1, () => Promise.resolve({}))],
      {},
      { clock: new RecordingClock() },
    );
    expect(res.outcomes[0]).toMatchObject({ status: 'partial', invalid: ['user:ghost'] });
    const err = failureOf(res);
    expect(err).toBeInstanceOf(PartialFailureError);
    expect((err as PartialFailureError).failed[0]).toMatchObject({ destination: 'a', invalid: ['user:ghost'] });
    expect((err as PartialFailureError).delivered).toEqual(['b']);
  });

  it('rejects a target without destinations as permanent', async () => {
    await expect(runUnits('slack', [], {})).rejects.toBeInstanceOf(PermanentError);
  });
});
