import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Alert } from '@nm/contracts';
import { PermanentError, RetryableError } from '@nm/errors';
import { startVendorFake, type VendorFake } from '@nm/testing/vendor-fake';
import { failureOf } from './delivery.runner.js';
import { PagerDutySender, pagerdutySeverity } from './pagerduty.sender.js';
import { RecordingClock, alert, alertMessage } from './test-support/fixtures.js';

const RK = 'R0UT1NGKEY0000000000000000000001';
const GROUP = 'ops/pagerduty:{alertname="KubeNodeNotReady"}';

const withStatus = (a: Alert, status: 'firing' | 'resolved', severity?: string): Alert => ({
  ...a,
  status,
  labels: { ...a.labels, ...(severity ? { severity } : {}) },
  ...(status === 'resolved' ? { endsAt: '2024-05-14T10:05:00Z' } : {}),
});

describe('PagerDutySender', () => {
  let fake: VendorFake;
  let clock: RecordingClock;
  let sender: PagerDutySender;

  beforeAll(async () => {
    fake = await startVendorFake({ pagerduty: { routingKeys: [RK] } });
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = new RecordingClock();
    sender = new PagerDutySender({ apiUrl: fake.urls.pagerdutyApi, clock });
  });

  it('triggers one event per notification, exactly as Events API v2 expects, with the group key as dedup_key', async () => {
    const list = [withStatus(alert(1), 'firing', 'warning'), withStatus(alert(2), 'firing', 'critical'), withStatus(alert(3), 'resolved', 'critical')];
    list[0]!.labels.cluster = 'prod-eu';
    const res = await sender.send({ routingKey: RK, groupKey: GROUP, component: 'kubelet', clientURL: 'https://nm.example/' }, alertMessage(list));
    const [req, ...more] = fake.requestsTo('pagerduty.enqueue');
    expect(more).toHaveLength(0);
    expect(req!.method).toBe('POST');
    expect(req!.path).toBe('/pagerduty/v2/enqueue');
    expect(req!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(req!.body).toEqual({
      routing_key: RK,
      dedup_key: GROUP,
      event_action: 'trigger',
      payload: {
        summary: '[FIRING:3]',
        source: 'prod-eu',
        severity: 'critical',
        component: 'kubelet',
        custom_details: { firing: 2, resolved: 1, details: 'Alert1: summary 1\nAlert2: summary 2\nAlert3: summary 3' },
      },
      client_url: 'https://nm.example/',
    });
    expect(res).toMatchObject({ status: 'delivered', outcomes: [{ key: 'event:trigger', alertIds: ['a1', 'a2', 'a3'], upstreamMessageId: GROUP }] });
    expect(fake.incidents('pagerduty')).toEqual([expect.objectContaining({ key: GROUP, status: 'open', events: 1 })]);
  });

  it('resolves with the same dedup_key once every alert has resolved, closing what the trigger opened', async () => {
    await sender.send({ routingKey: RK, groupKey: GROUP }, alertMessage([alert(1)]));
    const res = await sender.send({ routingKey: RK, groupKey: GROUP }, alertMessage([withStatus(alert(1), 'resolved')]));
    const reqs = fake.requestsTo('pagerduty.enqueue');
    expect(reqs.map((r) => r.body)).toEqual([expect.objectContaining({ event_action: 'trigger', dedup_key: GROUP }), { routing_key: RK, dedup_key: GROUP, event_action: 'resolve' }]);
    expect(res.outcomes[0]).toMatchObject({ status: 'delivered', key: 'event:resolve' });
    expect(fake.incidents('pagerduty')).toEqual([expect.objectContaining({ key: GROUP, status: 'closed', events: 1 })]);
  });

  it('sends nothing for a unit an earlier attempt delivered (a redelivered notification opens nothing twice)', async () => {
    const first = await sender.send({ routingKey: RK, groupKey: GROUP }, alertMessage([alert(1)]), { notificationId: 'n1' });
    const again = await sender.send({ routingKey: RK, groupKey: GROUP }, alertMessage([alert(1)]), {
      notificationId: 'n1',
      deliveredKeys: new Set(first.outcomes.map((o) => o.key)),
    });
    expect(again.status).toBe('duplicate');
    expect(fake.requestsTo('pagerduty.enqueue')).toHaveLength(1);
    expect(fake.incidents('pagerduty')).toEqual([expect.objectContaining({ status: 'open', events: 1 })]);
  });

  it('cuts the summary to 1024 characters and the details to the 512 KB event limit, and hashes a group key over 255 characters', async () => {
    const long = 'ü'.repeat(300);
    const big = [alert(1, '告警'.repeat(200_000))];
    const render = (l: readonly Alert[]) => ({ title: '☃'.repeat(2000), body: l.map((a) => a.annotations.summary).join('\n') });
    const res = await sender.send({ routingKey: RK, groupKey: long }, alertMessage(big, render));
    const [req] = fake.requestsTo('pagerduty.enqueue');
    expect(req!.response).toMatchObject({ status: 202 });
    const body = req!.body as { dedup_key: string; payload: { summary: string; custom_details: { details: string } } };
    expect([...body.payload.summary]).toHaveLength(1024);
    expect(body.payload.summary.endsWith('…')).toBe(true);
    expect(Buffer.byteLength(req!.rawBody)).toBeLessThanOrEqual(512 * 1024);
    expect(body.payload.custom_details.details).toMatch(/…\[truncated \d+ bytes\]$/);
    expect(body.dedup_key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(res.outcomes[0]!.truncatedBytes).toBeGreaterThan(0);
    await sender.send({ routingKey: RK, groupKey: long }, alertMessage([withStatus(alert(1), 'resolved')]));
    expect((fake.requestsTo('pagerduty.enqueue')[1]!.body as { dedup_key: string }).dedup_key).toBe(body.dedup_key);
  });

  it('maps alert severities to the highest of PagerDuty four, with the receiver default when none is known', () => {
    expect(pagerdutySeverity([withStatus(alert(1), 'firing', 'info'), withStatus(alert(2), 'firing', 'High')])).toBe('error');
    expect(pagerdutySeverity([withStatus(alert(1), 'firing', 'none'), withStatus(alert(2), 'resolved', 'critical')])).toBe('info');
    expect(pagerdutySeverity([withStatus(alert(1), 'firing', 'whatever')], 'warning')).toBe('warning');
    expect(pagerdutySeverity([withStatus(alert(1), 'firing', 'page')])).toBe('critical');
  });

  it('retries 429 (Retry-After honoured) and 5xx, and treats 400 (an unknown routing key) as permanent', async () => {
    fake.script({ route: 'pagerduty.enqueue', retryAfterSec: 1 });
    const limited = await sender.send({ routingKey: RK, groupKey: GROUP }, alertMessage([alert(1)]));
    expect(limited.outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(clock.sleeps).toEqual([1000]);

    fake.script({ route: 'pagerduty.enqueue', retryAfterSec: 120 });
    const later = failureOf(await sender.send({ routingKey: RK, groupKey: GROUP }, alertMessage([alert(1)])));
    expect(later).toBeInstanceOf(RetryableError);
    expect(later).toMatchObject({ code: 'pagerduty:http-429', retryAfterMs: 120_000 });

    fake.script({ route: 'pagerduty.enqueue', status: 503, body: 'unavailable', times: 10 });
    const down = await sender.send({ routingKey: RK, groupKey: GROUP }, alertMessage([alert(1)]));
    expect(failureOf(down)).toBeInstanceOf(RetryableError);
    expect(down.outcomes[0]!.attempts).toBeGreaterThan(1);
    fake.reset();

    const wrong = await sender.send({ routingKey: 'W'.repeat(32), groupKey: GROUP }, alertMessage([alert(1)]));
    expect(failureOf(wrong)).toBeInstanceOf(PermanentError);
    expect(wrong.outcomes[0]).toMatchObject({ attempts: 1, error: expect.objectContaining({ code: 'pagerduty:http-400' }) });
    expect(JSON.stringify(wrong)).not.toContain('W'.repeat(32));
    await expect(sender.send({ routingKey: ' ', groupKey: GROUP }, alertMessage([alert(1)]))).rejects.toBeInstanceOf(PermanentError);
  });
});
