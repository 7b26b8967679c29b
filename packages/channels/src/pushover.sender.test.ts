import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startVendorFake, type VendorFake } from '@nm/testing/vendor-fake';
import { PartialFailureError, PermanentError, RetryableError } from '@nm/errors';
import { deliveredKeysOf, failureOf } from './delivery.runner.js';
import { PushoverSender, type PushoverTarget } from './pushover.sender.js';
import { RecordingClock, alertMessage, alerts, textMessage } from './test-support/fixtures.js';

const TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
const ALICE = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
const BOB = 'gznej3rKEVAvPUxu9vvNnqpmZpokzF';
const STRANGER = 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';

describe('PushoverSender', () => {
  let fake: VendorFake;
  let clock: RecordingClock;
  let sender: PushoverSender;
  const bodies = (): Record<string, unknown>[] => fake.requestsTo('pushover.messages').map((r) => r.body as Record<string, unknown>);

  beforeAll(async () => {
    fake = await startVendorFake({ pushover: { tokens: [TOKEN], users: { [ALICE]: ['iphone', 'pixel'], [BOB]: [] } } });
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = new RecordingClock();
    sender = new PushoverSender({ apiUrl: fake.urls.pushoverApi, clock });
  });

  it('posts messages.json once per profile with token, user, devices, sound, priority and title', async () => {
    const target: PushoverTarget = {
      token: TOKEN,
      profiles: [
        { userKey: ALICE, devices: ['iphone', 'pixel'], sound: 'siren', priority: 1 },
        { userKey: BOB, priority: 2 },
      ],
    };
    const res = await sender.send(target, textMessage('disk full on node-1', '[FIRING:1] DiskFull'));
    const reqs = fake.requestsTo('pushover.messages');
    expect(reqs.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([
      ['POST', '/pushover/1/messages.json', 'application/json; charset=utf-8'],
      ['POST', '/pushover/1/messages.json', 'application/json; charset=utf-8'],
    ]);
    expect(bodies().sort((a, b) => String(a.user).localeCompare(String(b.user)))).toEqual([
      { token: TOKEN, user: BOB, message: 'disk full on node-1', title: '[FIRING:1] DiskFull', priority: 2, retry: 60, expire: 3600 },
      { token: TOKEN, user: ALICE, message: 'disk full on node-1', title: '[FIRING:1] DiskFull', device: 'iphone,pixel', sound: 'siren', priority: 1 },
    ]);
    expect(res.status).toBe('delivered');
    expect(res.outcomes.map((o) => o.destination)).toEqual(['uQiRz…(iphone,pixel)', 'gznej…']);
    expect(res.outcomes[0]!.upstreamMessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(res)).not.toContain(TOKEN);
    expect(JSON.stringify(res.outcomes.map((o) => o.destination))).not.toContain(ALICE);
  });

  it('uses a profile title (the deprecated field) over the rendered one, and cuts titles at 250 characters', async () => {
    await sender.send({ token: TOKEN, profiles: [{ userKey: ALICE, title: 'fixed' }, { userKey: BOB }] }, textMessage('x', 't'.repeat(300)));
    const titles = bodies().map((b) => b.title as string).sort((a, b) => a.length - b.length);
    expect(titles).toEqual(['fixed', 't'.repeat(250)]);
  });

  it('splits at 1024 characters: every alert arrives once, in order, each message under the limit with its own title', async () => {
    const list = alerts(40, (i) => `节点 ${i} 内存不足 ${'✓'.repeat(40)}`);
    const res = await sender.send({ token: TOKEN, profiles: [{ userKey: ALICE }] }, alertMessage(list));
    const sent = bodies();
    expect(sent.length).toBeGreaterThan(1);
    for (const b of sent) expect([...(b.message as string)].length).toBeLessThanOrEqual(1024);
    expect(sent.map((b) => b.message).join('\n')).toBe(list.map((a) => `${a.labels.alertname}: ${a.annotations.summary}`).join('\n'));
    expect(sent.map((b) => b.title)).toEqual(res.outcomes.map((o) => `[FIRING:${o.alertIds.length}]`));
    expect(res.outcomes.every((o) => o.status === 'delivered')).toBe(true);
    expect(fake.requestsTo('pushover.messages').every((r) => !('reset' in r.response) && r.response.status === 200)).toBe(true);
  });

  it('cuts an alert that alone is over 1024 characters visibly instead of dropping it', async () => {
    const res = await sender.send({ token: TOKEN, profiles: [{ userKey: ALICE }] }, alertMessage(alerts(1, () => 'y'.repeat(3000))));
    const [b] = bodies();
    expect((b!.message as string).length).toBeLessThanOrEqual(1024);
    expect(b!.message).toMatch(/…\[truncated \d+ characters\]$/);
    expect(res.outcomes[0]).toMatchObject({ status: 'delivered', truncatedBytes: expect.any(Number) });
  });

  it('a rejected user key fails alone: the other profile is delivered and not sent again on redelivery', async () => {
    const target: PushoverTarget = { token: TOKEN, profiles: [{ userKey: ALICE }, { userKey: STRANGER }] };
    const first = await sender.send(target, textMessage('x'));
    expect(first.status).toBe('partial');
    const bad = first.outcomes.find((o) => o.status === 'failed')!;
    expect(bad.error).toBeInstanceOf(PermanentError);
    expect(bad.error!.message).toBe('pushover answered HTTP 400: user identifier is not a valid user, group, or subscribed user key');
    expect(bad.attempts).toBe(1);
    expect(failureOf(first)).toBeInstanceOf(PartialFailureError);

    fake.reset();
    const again = await sender.send(target, textMessage('x'), { deliveredKeys: deliveredKeysOf(first) });
    expect(bodies().map((b) => b.user)).toEqual([STRANGER]);
    expect(again.outcomes.map((o) => o.status)).toEqual(['duplicate', 'failed']);
  });

  it('5xx and resets retry, a bad token or device is permanent, status != 1 is an error', async () => {
    fake.script({ route: 'pushover.messages', status: 503, body: 'maintenance' });
    const five = await sender.send({ token: TOKEN, profiles: [{ userKey: ALICE }] }, textMessage('x'));
    expect(five.outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });

    fake.script({ route: 'pushover.messages', status: 500, body: 'down', times: 5 });
    const down = await sender.send({ token: TOKEN, profiles: [{ userKey: ALICE }] }, textMessage('x'));
    expect(failureOf(down)).toBeInstanceOf(RetryableError);
    expect(failureOf(down)!.code).toBe('pushover:http-500');
    fake.reset();

    const badToken = await sender.send({ token: 'a'.repeat(30), profiles: [{ userKey: ALICE }] }, textMessage('x'));
    expect(badToken.outcomes[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(badToken.outcomes[0]!.error!.message).toContain('application token is invalid');
    expect(failureOf(badToken)).toBeInstanceOf(PermanentError);

    const badDevice = await sender.send({ token: TOKEN, profiles: [{ userKey: ALICE, devices: ['tablet'] }] }, textMessage('x'));
    expect(badDevice.outcomes[0]!.error).toBeInstanceOf(PermanentError);
    expect(badDevice.outcomes[0]!.error!.message).toContain('device name is not valid for user: tablet');

    fake.script({ route: 'pushover.messages', status: 200, body: { status: 0, errors: ['something is off'], request: 'r1' } });
    const zero = await sender.send({ token: TOKEN, profiles: [{ userKey: ALICE }] }, textMessage('x'));
    expect(zero.outcomes[0]!.error).toBeInstanceOf(PermanentError);
    expect(zero.outcomes[0]!.error!.message).toBe('pushover rejected the message (status 0): something is off');
  });

  it('honours 429 Retry-After: short waits inline, long ones go back to the bus', async () => {
    fake.script({ route: 'pushover.messages', retryAfterSec: 2 });
    const res = await sender.send({ token: TOKEN, profiles: [{ userKey: ALICE }] }, textMessage('x'));
    expect(res.outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(clock.sleeps).toEqual([2000]);

    fake.script({ route: 'pushover.messages', retryAfterSec: 30 });
    const later = failureOf(await sender.send({ token: TOKEN, profiles: [{ userKey: ALICE }] }, textMessage('x')));
    expect(later).toBeInstanceOf(RetryableError);
    expect((later as RetryableError).retryAfterMs).toBe(30_000);
    expect(later!.code).toBe('pushover:http-429');
  });

  it('rejects a target without a token or profiles', async () => {
    await expect(sender.send({ token: '', profiles: [{ userKey: ALICE }] }, textMessage('x'))).rejects.toBeInstanceOf(PermanentError);
    await expect(sender.send({ token: TOKEN, profiles: [] }, textMessage('x'))).rejects.toBeInstanceOf(PermanentError);
  });
});
