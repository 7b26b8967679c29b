import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startVendorFake } from './fake.server.js';
import type { VendorFake } from './fake.types.js';

/** Replies are read field by field in the assertions below. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const post = async (url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Loose; headers: Headers }> => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
};

const RK = 'R0UT1NGKEY0000000000000000000001';
const card = (text: string): unknown => ({
  type: 'message',
  attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text }] } }],
});

describe('vendor fake: Teams, Google Chat, PagerDuty, Opsgenie', () => {
  let fake: VendorFake;
  beforeAll(async () => {
    fake = await startVendorFake({
      teams: { webhooks: { wf1: 's1g' } },
      googlechat: { spaces: { AAA: { key: 'k', token: 't' } } },
      pagerduty: { routingKeys: [RK] },
      opsgenie: { apiKeys: ['og-key'] },
    });
  });
  afterAll(async () => fake.close());
  beforeEach(() => fake.reset());

  it('Teams: accepts an Adaptive Card message, refuses a wrong sig, a plain text body, an unknown workflow and 28 KB', async () => {
    expect((await post(fake.teamsWebhookUrl('wf1', 's1g'), card('hi'))).status).toBe(202);
    expect((await post(fake.teamsWebhookUrl('wf1', 'nope'), card('hi'))).status).toBe(401);
    expect((await post(fake.teamsWebhookUrl('wf1', 's1g'), { text: 'hi' })).status).toBe(400);
    expect((await post(fake.teamsWebhookUrl('other', 's1g'), card('hi'))).status).toBe(404);
    expect((await post(fake.teamsWebhookUrl('wf1', 's1g'), card('x'.repeat(29 * 1024)))).status).toBe(413);
    fake.script({ route: 'teams.webhook', retryAfterSec: 3 });
    const limited = await post(fake.teamsWebhookUrl('wf1', 's1g'), card('hi'));
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '3']);
    expect(fake.requestsTo('teams.webhook')).toHaveLength(6);
  });

  it('Google Chat: checks space, key and token, the 4096-character text, and answers the created message', async () => {
    const ok = await post(fake.googlechatWebhookUrl('AAA', 'k', 't'), { text: 'hello' });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ name: expect.stringMatching(/^spaces\/AAA\/messages\//), text: 'hello' });
    expect((await post(fake.googlechatWebhookUrl('AAA', 'k', 'bad'), { text: 'x' })).json.error.status).toBe('UNAUTHENTICATED');
    expect((await post(fake.googlechatWebhookUrl('BBB', 'k', 't'), { text: 'x' })).status).toBe(404);
    expect((await post(fake.googlechatWebhookUrl('AAA', 'k', 't'), { text: '☃'.repeat(4097) })).json.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect((await post(fake.googlechatWebhookUrl('AAA', 'k', 't'), { text: '☃'.repeat(4096) })).status).toBe(200);
    expect((await post(fake.googlechatWebhookUrl('AAA', 'k', 't'), {})).status).toBe(400);
  });

  it('PagerDuty: trigger opens one incident per dedup key, a repeat adds to it, resolve closes it, a later trigger opens a new one', async () => {
    const url = `${fake.urls.pagerdutyApi}v2/enqueue`;
    const trigger = { routing_key: RK, event_action: 'trigger', dedup_key: 'g1', payload: { summary: 'disk full', source: 'node-1', severity: 'critical' } };
    const first = await post(url, trigger);
    expect([first.status, first.json]).toEqual([202, { status: 'success', message: 'Event processed', dedup_key: 'g1' }]);
    await post(url, trigger);
    expect(fake.incidents('pagerduty')).toEqual([expect.objectContaining({ key: 'g1', status: 'open', events: 2, title: 'disk full', account: RK })]);
    expect((await post(url, { routing_key: RK, event_action: 'resolve', dedup_key: 'g1' })).status).toBe(202);
    expect(fake.incidents('pagerduty')[0]).toMatchObject({ status: 'closed' });
    await post(url, trigger);
    expect(fake.incidents('pagerduty').map((i) => i.status)).toEqual(['closed', 'open']);
    const listed = (await (await fetch(`${fake.url}/_fake/incidents?vendor=pagerduty`)).json()) as Loose[];
    expect(listed).toHaveLength(2);
  });

  it('PagerDuty: 400 for an unknown routing key, a bad severity, a long summary or dedup key, a resolve without key, 512 KB', async () => {
    const url = `${fake.urls.pagerdutyApi}v2/enqueue`;
    const payload = { summary: 's', source: 'x', severity: 'error' };
    const errorsOf = async (body: unknown): Promise<string[]> => {
      const r = await post(url, body);
      expect(r.status).toBe(400);
      return r.json.errors as string[];
    };
    expect(await errorsOf({ routing_key: 'x'.repeat(32), event_action: 'trigger', payload })).toEqual(["'routing_key' is invalid"]);
    expect(await errorsOf({ routing_key: RK, event_action: 'trigger', payload: { ...payload, severity: 'high' } })).toEqual(["'payload.severity' must be one of critical, error, warning, info"]);
    expect(await errorsOf({ routing_key: RK, event_action: 'trigger', payload: { ...payload, summary: 's'.repeat(1025) } })).toEqual(["'payload.summary' must be at most 1024 characters"]);
    expect(await errorsOf({ routing_key: RK, event_action: 'trigger', dedup_key: 'k'.repeat(256), payload })).toEqual(["'dedup_key' must be at most 255 characters"]);
    expect(await errorsOf({ routing_key: RK, event_action: 'resolve' })).toEqual(["'dedup_key' is required to resolve"]);
    expect(await errorsOf({ routing_key: RK, event_action: 'trigger', payload: { ...payload, custom_details: { d: 'x'.repeat(512 * 1024) } } })).toEqual(['Event object is larger than 512 KB']);
    expect(fake.incidents()).toEqual([]);
  });

  it('Opsgenie: GenieKey auth, create by alias (a duplicate counts), close by alias, 422 with field errors', async () => {
    const auth = { authorization: 'GenieKey og-key' };
    const alert = { message: 'disk full', alias: 'g1', priority: 'P2', tags: ['a'], responders: [{ type: 'team', name: 'ops' }] };
    expect((await post(`${fake.urls.opsgenieApi}v2/alerts`, alert)).status).toBe(401);
    expect((await post(`${fake.urls.opsgenieApi}v2/alerts`, alert, { authorization: 'GenieKey other' })).status).toBe(401);
    const created = await post(`${fake.urls.opsgenieApi}v2/alerts`, alert, auth);
    expect([created.status, created.json.result]).toEqual([202, 'Request will be processed']);
    await post(`${fake.urls.opsgenieApi}v2/alerts`, alert, auth);
    expect(fake.incidents('opsgenie')).toEqual([expect.objectContaining({ key: 'g1', status: 'open', events: 2 })]);
    expect((await post(`${fake.urls.opsgenieApi}v2/alerts/g1/close?identifierType=alias`, { source: 'nm' }, auth)).status).toBe(202);
    expect(fake.incidents('opsgenie')[0]).toMatchObject({ status: 'closed' });
    const bad = await post(`${fake.urls.opsgenieApi}v2/alerts`, { message: 'm'.repeat(131), priority: 'P0', responders: [{ type: 'group' }] }, auth);
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.json.errors as object).sort()).toEqual(['message', 'priority', 'responders[0]', 'responders[0].type']);
    fake.script({ route: 'opsgenie.create', retryAfterSec: 2 });
    expect((await post(`${fake.urls.opsgenieApi}v2/alerts`, alert, auth)).status).toBe(429);
  });
});
