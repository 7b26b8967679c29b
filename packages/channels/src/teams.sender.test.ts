import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Alert } from '@nm/contracts';
import { PermanentError, RetryableError } from '@nm/errors';
import { startVendorFake, type VendorFake } from '@nm/testing/vendor-fake';
import { failureOf } from './delivery.runner.js';
import { TeamsSender } from './teams.sender.js';
import { RecordingClock, alertMessage, alerts, textMessage } from './test-support/fixtures.js';

describe('TeamsSender', () => {
  let fake: VendorFake;
  let clock: RecordingClock;
  let sender: TeamsSender;
  let url: string;

  beforeAll(async () => {
    fake = await startVendorFake({ teams: { webhooks: { wf1: 'sig-secret' } } });
    url = fake.teamsWebhookUrl('wf1', 'sig-secret');
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = new RecordingClock();
    sender = new TeamsSender({ clock });
  });

  it('posts one Adaptive Card message: the title as a heading, the text wrapped', async () => {
    const res = await sender.send({ webhookUrl: url }, alertMessage(alerts(2)));
    const [req, ...more] = fake.requestsTo('teams.webhook');
    expect(more).toHaveLength(0);
    expect(req!.query.sig).toBe('sig-secret');
    expect(req!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(req!.body).toEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              { type: 'TextBlock', text: '[FIRING:2]', weight: 'Bolder', size: 'Medium', wrap: true, style: 'heading', color: 'Attention' },
              { type: 'TextBlock', text: 'Alert0: summary 0\nAlert1: summary 1', wrap: true },
            ],
            msteams: { width: 'Full' },
          },
        },
      ],
    });
    expect(req!.response).toMatchObject({ status: 202 });
    expect(res.status).toBe('delivered');
    expect(res.outcomes[0]!.destination).toBe(`${fake.url}/teams/workflows/wf1`);
    expect(JSON.stringify(res)).not.toContain('sig-secret');
  });

  it('colours the heading of an all-resolved notification Good', async () => {
    const resolved: Alert[] = alerts(1).map((a) => ({ ...a, status: 'resolved' }));
    await sender.send({ webhookUrl: url }, alertMessage(resolved));
    const body = fake.requestsTo('teams.webhook')[0]!.body as { attachments: { content: { body: { color?: string }[] } }[] };
    expect(body.attachments[0]!.content.body[0]!.color).toBe('Good');
  });

  it('splits a notification between alerts so that every request stays under the 28 KB limit', async () => {
    const list = alerts(40, (i) => `${i} ${'节点内存不足'.repeat(100)}`);
    const res = await sender.send({ webhookUrl: url }, alertMessage(list));
    const reqs = fake.requestsTo('teams.webhook');
    expect(reqs.length).toBeGreaterThan(1);
    for (const r of reqs) {
      expect(Buffer.byteLength(r.rawBody)).toBeLessThanOrEqual(27_000);
      expect(r.response).toMatchObject({ status: 202 });
    }
    expect(res.outcomes.flatMap((o) => o.alertIds)).toEqual(list.map((a) => a.id));
    expect(res.status).toBe('delivered');
  });

  it('retries 429 with Retry-After and 5xx; 4xx and an error a legacy webhook embeds in a 200 are classified by status', async () => {
    fake.script({ route: 'teams.webhook', retryAfterSec: 2 });
    expect((await sender.send({ webhookUrl: url }, textMessage('x'))).outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(clock.sleeps).toEqual([2000]);

    fake.script({ route: 'teams.webhook', status: 500, body: 'oops', times: 10 });
    expect(failureOf(await sender.send({ webhookUrl: url }, textMessage('x')))).toBeInstanceOf(RetryableError);
    fake.reset();

    const unknown = await sender.send({ webhookUrl: fake.teamsWebhookUrl('gone', 'sig-secret') }, textMessage('x'));
    expect(failureOf(unknown)).toBeInstanceOf(PermanentError);
    expect(unknown.outcomes[0]).toMatchObject({ attempts: 1, error: expect.objectContaining({ code: 'teams:http-404' }) });

    fake.script({ route: 'teams.webhook', status: 200, body: 'Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0' });
    const legacy = failureOf(await sender.send({ webhookUrl: url }, textMessage('x'), {}));
    expect(legacy).toBeUndefined(); // retried inline, then delivered
    fake.script({ route: 'teams.webhook', status: 200, body: 'Webhook message delivery failed: returned HTTP error 400', times: 3 });
    expect(failureOf(await sender.send({ webhookUrl: url }, textMessage('x')))).toMatchObject({ code: 'teams:http-400' });

    await expect(sender.send({ webhookUrl: ' ' }, textMessage('x'))).rejects.toBeInstanceOf(PermanentError);
  });
});
