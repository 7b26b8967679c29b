import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Alert } from '@nm/contracts';
import { PermanentError, RetryableError } from '@nm/errors';
import { startVendorFake, type VendorFake } from '@nm/testing/vendor-fake';
import { failureOf } from './delivery.runner.js';
import { OpsgenieSender } from './opsgenie.sender.js';
import { RecordingClock, alert, alertMessage } from './test-support/fixtures.js';

const KEY = 'og-api-key';
const GROUP = 'ops/opsgenie:{alertname="KubeNodeNotReady"}';
const resolved = (a: Alert): Alert => ({ ...a, status: 'resolved', endsAt: '2024-05-14T10:05:00Z' });

describe('OpsgenieSender', () => {
  let fake: VendorFake;
  let clock: RecordingClock;
  let sender: OpsgenieSender;

  beforeAll(async () => {
    fake = await startVendorFake({ opsgenie: { apiKeys: [KEY] } });
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = new RecordingClock();
    sender = new OpsgenieSender({ apiUrl: fake.urls.opsgenieApi, clock });
  });

  it('creates an alert with GenieKey auth, alias = the group key, responders, tags and priority', async () => {
    const res = await sender.send(
      { apiKey: KEY, groupKey: GROUP, responders: [{ type: 'team', name: 'ops' }, { type: 'user', username: 'a@example.com' }], tags: ['k8s', ' ', 'k8s', 'prod'], priority: 'P2', entity: 'node-1' },
      alertMessage([alert(1), alert(2)]),
    );
    const [req, ...more] = fake.requestsTo('opsgenie.create');
    expect(more).toHaveLength(0);
    expect(req!.path).toBe('/opsgenie/v2/alerts');
    expect(req!.headers.authorization).toBe(`GenieKey ${KEY}`);
    expect(req!.body).toEqual({
      message: '[FIRING:2]',
      alias: GROUP,
      description: 'Alert1: summary 1\nAlert2: summary 2',
      responders: [{ type: 'team', name: 'ops' }, { type: 'user', username: 'a@example.com' }],
      tags: ['k8s', 'prod'],
      details: { firing: '2', resolved: '0' },
      entity: 'node-1',
      source: 'notification-manager',
      priority: 'P2',
    });
    expect(res).toMatchObject({ status: 'delivered', outcomes: [{ key: 'alert:create', destination: `opsgenie create ${GROUP}` }] });
    expect(JSON.stringify(res)).not.toContain(KEY);
    expect(fake.incidents('opsgenie')).toEqual([expect.objectContaining({ key: GROUP, status: 'open', events: 1 })]);
  });

  it('closes by alias once every alert has resolved: what the create opened is closed', async () => {
    await sender.send({ apiKey: KEY, groupKey: GROUP }, alertMessage([alert(1)]));
    const res = await sender.send({ apiKey: KEY, groupKey: GROUP }, alertMessage([resolved(alert(1))]));
    const [close] = fake.requestsTo('opsgenie.close');
    expect(close!.path).toBe(`/opsgenie/v2/alerts/${encodeURIComponent(GROUP)}/close`);
    expect(close!.query).toEqual({ identifierType: 'alias' });
    expect(close!.body).toEqual({ source: 'notification-manager', note: '[FIRING:1]' });
    expect(res.outcomes[0]).toMatchObject({ status: 'delivered', key: 'alert:close' });
    expect(fake.incidents('opsgenie')).toEqual([expect.objectContaining({ key: GROUP, status: 'closed' })]);
  });

  it('a redelivered notification opens nothing twice', async () => {
    const first = await sender.send({ apiKey: KEY, groupKey: GROUP }, alertMessage([alert(1)]), { notificationId: 'n1' });
    const again = await sender.send({ apiKey: KEY, groupKey: GROUP }, alertMessage([alert(1)]), { notificationId: 'n1', deliveredKeys: new Set(first.outcomes.map((o) => o.key)) });
    expect(again.status).toBe('duplicate');
    expect(fake.requestsTo('opsgenie.create')).toHaveLength(1);
    expect(fake.incidents('opsgenie')).toHaveLength(1);
  });

  it("cuts message, description, tags and alias to Opsgenie's limits", async () => {
    const render = (l: readonly Alert[]) => ({ title: 'ä'.repeat(200), body: l.map(() => 'x'.repeat(20_000)).join('\n') });
    const tags = Array.from({ length: 25 }, (_, i) => `tag-${i}-${'t'.repeat(60)}`);
    const res = await sender.send({ apiKey: KEY, groupKey: 'g'.repeat(600), tags }, alertMessage([alert(1)], render));
    const [req] = fake.requestsTo('opsgenie.create');
    expect(req!.response).toMatchObject({ status: 202 });
    const body = req!.body as { message: string; description: string; alias: string; tags: string[] };
    expect([...body.message]).toHaveLength(130);
    expect([...body.description]).toHaveLength(15_000);
    expect(body.alias).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(body.tags).toHaveLength(20);
    for (const t of body.tags) expect([...t].length).toBeLessThanOrEqual(50);
    expect(res.outcomes[0]!.truncatedBytes).toBe(20_000 - 14_999);
  });

  it('retries 429 and 5xx, and treats a wrong key (401) and a refused field (422) as permanent', async () => {
    fake.script({ route: 'opsgenie.create', retryAfterSec: 1 });
    expect((await sender.send({ apiKey: KEY, groupKey: GROUP }, alertMessage([alert(1)]))).outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(clock.sleeps).toEqual([1000]);

    fake.script({ route: 'opsgenie.close', status: 502, body: 'bad gateway', times: 10 });
    const down = await sender.send({ apiKey: KEY, groupKey: GROUP }, alertMessage([resolved(alert(1))]));
    expect(failureOf(down)).toBeInstanceOf(RetryableError);
    expect(failureOf(down)!.code).toBe('opsgenie:http-502');
    fake.reset();

    const wrong = await sender.send({ apiKey: 'nope', groupKey: GROUP }, alertMessage([alert(1)]));
    expect(failureOf(wrong)).toBeInstanceOf(PermanentError);
    expect(wrong.outcomes[0]).toMatchObject({ attempts: 1, error: expect.objectContaining({ code: 'opsgenie:http-401' }) });

    const refused = await sender.send({ apiKey: KEY, groupKey: GROUP, priority: 'P9' }, alertMessage([alert(1)]));
    expect(failureOf(refused)).toMatchObject({ code: 'opsgenie:http-422' });
    expect(failureOf(refused)).toBeInstanceOf(PermanentError);
    await expect(sender.send({ apiKey: '', groupKey: GROUP }, alertMessage([alert(1)]))).rejects.toBeInstanceOf(PermanentError);
  });
});
