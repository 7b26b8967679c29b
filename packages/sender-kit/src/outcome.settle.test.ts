import { describe, expect, it } from '@jest/globals';
import type { Notification } from '@nm/contracts';
import type { DeliveryOutcome, SendResult } from '@nm/channels';
import { PermanentError, RetryableError, WaitError, classifyError } from '@nm/errors';
import { NO_UNIT, settle, type SettleContext } from './outcome.settle.js';

const notification: Notification = {
  version: 1,
  id: 'n1',
  createdAt: '2024-05-14T10:00:00.000Z',
  receiver: { name: 'ops', channel: 'webhook', tenant: 'team-a' },
  groupKey: 'g',
  groupLabels: {},
  alerts: [
    { id: 'a1', status: 'firing', labels: {}, annotations: {}, startsAt: '', endsAt: '', fingerprint: '0000000000000001', receivedAt: '' },
    { id: 'a2', status: 'firing', labels: {}, annotations: {}, startsAt: '', endsAt: '', fingerprint: '0000000000000002', receivedAt: '' },
  ],
  part: { index: 0, count: 1 },
  source: 'api',
};

const ctx = (attempt = 1, lastAttempt = false): SettleContext => ({
  channel: 'webhook',
  notification,
  attempt,
  lastAttempt,
  time: new Date('2024-05-14T10:00:01.000Z'),
});

const retryable = new RetryableError('webhook answered HTTP 503', { code: 'webhook:http-503', retryAfterMs: 2000 });
const permanent = new PermanentError('webhook answered HTTP 400', { code: 'webhook:http-400' });

const unit = (key: string, status: DeliveryOutcome['status'], extra: Partial<DeliveryOutcome> = {}): DeliveryOutcome => ({
  key,
  destination: `http://hook/${key}`,
  chunk: { index: 0, count: 1 },
  alertIds: ['a1', 'a2'],
  status,
  attempts: 1,
  ...extra,
});

/** What the channel reported (the overall status does not matter to `settle`). */
const sent = (outcomes: DeliveryOutcome[]): SendResult => ({ channel: 'webhook', status: 'partial', outcomes });

describe('settle', () => {
  it('records every delivered unit once, with its alerts and fingerprints, and asks for nothing more', () => {
    // (u2 delivered both alerts in an earlier attempt, so u1's record carries no alert bodies for the history webhook)
    const s = settle(sent([unit('u1', 'delivered', { upstreamMessageId: 'm-1' }), unit('u2', 'duplicate')]), ctx(2));
    expect(s).toEqual({
      delivered: [
        {
          key: 'u1',
          record: {
            version: 1,
            notificationId: 'n1',
            time: '2024-05-14T10:00:01.000Z',
            tenant: 'team-a',
            receiver: 'ops',
            channel: 'webhook',
            destination: 'http://hook/u1',
            alertIds: ['a1', 'a2'],
            fingerprints: ['0000000000000001', '0000000000000002'],
            result: 'delivered',
            upstreamMessageId: 'm-1',
            attempt: 2,
          },
        },
      ],
      failures: [],
      result: 'delivered',
    });
  });

  it('gives each alert to the first record that delivered it, not to units an earlier attempt delivered', () => {
    const one = (id: string): Partial<DeliveryOutcome> => ({ alertIds: [id] });
    const s = settle(
      sent([unit('u0', 'duplicate', one('a1')), unit('u1', 'delivered'), unit('u2', 'delivered'), unit('u3', 'partial', one('a2'))]),
      ctx(),
    );
    expect(s.delivered.map((d) => [d.key, d.record.alerts?.map((a) => a.id)])).toEqual([
      ['u1', ['a2']],
      ['u2', undefined],
      ['u3', undefined],
    ]);
    const api = settle(sent([unit('u1', 'delivered')]), { ...ctx(), notification: { ...notification, api: { kind: 'verify', requestId: 'r-12345678', deadline: '', maxAttempts: 3, sealed: 'x' } } });
    expect(api.delivered[0]!.record).toMatchObject({ api: 'verify' });
    expect(api.delivered[0]!.record.alerts).toBeUndefined();
    // no history webhook configured: records name the alerts (ids, fingerprints) but do not carry them
    const plain = settle(sent([unit('u1', 'delivered')]), { ...ctx(), historyAlerts: false });
    expect(plain.delivered[0]!.record.alerts).toBeUndefined();
    expect(plain.delivered[0]!.record.alertIds).toEqual(['a1', 'a2']);
    expect(settle(sent([unit('u1', 'delivered')]), { ...ctx(), historyAlerts: true }).delivered[0]!.record.alerts?.map((a) => a.id)).toEqual(['a1', 'a2']);
  });

  it('calls a notification whose every unit was delivered before a duplicate', () => {
    expect(settle(sent([unit('u1', 'duplicate')]), ctx()).result).toBe('duplicate');
  });

  it('retries a retryable failure without recording it, keeping the delivered units', () => {
    const s = settle(sent([unit('u1', 'delivered'), unit('u2', 'failed', { error: retryable })]), ctx());
    expect(s.delivered.map((d) => d.key)).toEqual(['u1']);
    expect(s.failures).toEqual([]);
    expect(classifyError(s.failure)).toEqual({
      kind: 'retryable',
      message: 'webhook: 1 of 2 unit(s) failed: webhook answered HTTP 503',
      code: 'webhook:http-503',
      retryAfterMs: 2000,
    });
    expect(s.result).toBe('retry');
  });

  it('records a retryable failure as failed on the last attempt', () => {
    const s = settle(sent([unit('u1', 'failed', { error: retryable })]), ctx(12, true));
    expect(s.failures.map((f) => [f.key, f.record.result, f.record.error, f.record.attempt])).toEqual([
      ['u1', 'failed', 'webhook answered HTTP 503', 12],
    ]);
    expect(classifyError(s.failure).kind).toBe('retryable');
    expect(s.result).toBe('failed');
  });

  it('records a permanent failure at once and dead-letters it', () => {
    const s = settle(sent([unit('u1', 'failed', { error: permanent })]), ctx());
    expect(s.failures.map((f) => f.record.result)).toEqual(['failed']);
    expect(classifyError(s.failure)).toEqual({ kind: 'permanent', message: 'webhook: 1 of 1 unit(s) failed: webhook answered HTTP 400', code: 'webhook:http-400' });
    expect(s.result).toBe('failed');
  });

  it('lets a retryable failure win over a permanent one, recording the permanent one now', () => {
    const s = settle(sent([unit('u1', 'failed', { error: permanent }), unit('u2', 'failed', { error: retryable })]), ctx());
    expect(classifyError(s.failure).kind).toBe('retryable');
    expect(s.failures.map((f) => f.key)).toEqual(['u1']);
  });

  it('treats vendor-rejected recipients as a partial delivery that is not retried', () => {
    const rejected = new PermanentError('recipients rejected: u9', { code: 'wechat:invalid-recipients' });
    const s = settle(sent([unit('u1', 'partial', { error: rejected })]), ctx());
    expect(s.delivered[0]!.record).toMatchObject({ result: 'partial', error: 'recipients rejected: u9' });
    expect(classifyError(s.failure)).toMatchObject({ kind: 'permanent', code: 'wechat:invalid-recipients' });
    expect(s.result).toBe('partial');
  });

  it('does not call a wait final on the last attempt: it spends no attempt, so nothing is recorded', () => {
    const slot = new WaitError('rate limit of robot is exhausted', { code: 'ratelimit:wait-exceeded', retryAfterMs: 5000 });
    const s = settle(sent([unit('u1', 'failed', { error: slot })]), ctx(12, true));
    expect(classifyError(s.failure)).toMatchObject({ kind: 'wait', code: 'ratelimit:wait-exceeded', retryAfterMs: 5000 });
    expect(s.failures).toEqual([]);
    expect(s.result).toBe('retry');
  });

  it('fails a report without outcomes permanently', () => {
    const s = settle(sent([]), ctx());
    expect(classifyError(s.failure).kind).toBe('permanent');
    expect(s.failures.map((f) => [f.key, f.record.alertIds])).toEqual([[NO_UNIT, ['a1', 'a2']]]);
  });
});
