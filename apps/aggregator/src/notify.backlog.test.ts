import { describe, expect, it } from '@jest/globals';
import { waitFor } from '@nm/testing';
import { IDLE_ROOM, NotifyBacklog, type ConsumerState } from './notify.backlog.js';

/** Consumer-info answers under the test's control: each poll waits until the test answers it. */
function controlledInfo(): { info: () => Promise<ConsumerState>; answer(pending: number, acked?: number, inHand?: number): void; fail(): void; asked(): number } {
  const waiting: Array<{ resolve: (v: ConsumerState) => void; reject: (e: Error) => void }> = [];
  let asked = 0;
  return {
    info: () => {
      asked += 1;
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    answer: (pending, acked, inHand = 0) =>
      waiting.shift()!.resolve({ num_pending: pending, num_ack_pending: inHand, ...(acked === undefined ? {} : { ack_floor: { consumer_seq: acked } }) }),
    fail: () => waiting.shift()!.reject(new Error('consumer not found')),
    asked: () => asked,
  };
}

describe('NotifyBacklog', () => {
  it('adds the notifications this aggregator flushed since the answered poll was sent to the polled value', async () => {
    const c = controlledInfo();
    const backlog = new NotifyBacklog(c.info, { pollMs: 20, idleMs: 60_000 });
    expect(backlog.of('webhook')).toBe(0); // unknown: first poll sent
    expect(c.asked()).toBe(1);
    c.answer(5);
    await waitFor('the first answer', () => backlog.of('webhook') === 5);

    // a burst of flushes before the next poll: counted at once, not 250 ms later
    for (let i = 0; i < 40; i++) backlog.sent('webhook');
    expect(backlog.of('webhook')).toBe(45);

    backlog.start();
    try {
      await waitFor('the second poll sent', () => c.asked() === 2);
      backlog.sent('webhook'); // after the request: the answer may not include it
      backlog.sent('webhook');
      c.answer(43); // the 40 landed (and 2 of the first 5 were delivered)
      await waitFor('the second answer', () => backlog.of('webhook') !== 47);
      expect(backlog.of('webhook')).toBe(45); // 43 polled + the 2 sent after the request
      await waitFor('the third poll sent', () => c.asked() === 3);
      c.answer(0); // drained
      await waitFor('drained', () => backlog.of('webhook') === 0);
    } finally {
      backlog.stop();
    }
  });

  it('counts what no sender has taken yet, not what the senders hold', async () => {
    const c = controlledInfo();
    const backlog = new NotifyBacklog(c.info, { pollMs: 20, idleMs: 60_000 });
    backlog.of('webhook');
    // a sender busy at its pace: 64 in hand (its concurrency and prefetch), 3 waiting for it
    c.answer(3, undefined, 64);
    await waitFor('the answer', () => backlog.of('webhook') !== 0);
    expect(backlog.of('webhook')).toBe(3);
  });

  it('counts nothing for a channel it was never asked about', () => {
    const c = controlledInfo();
    const backlog = new NotifyBacklog(c.info, { pollMs: 20, idleMs: 60_000 });
    backlog.sent('slack');
    expect(c.asked()).toBe(0);
    expect(backlog.of('slack')).toBe(0);
  });

  it("subtracts what the senders finished since the last answer, at the rate their acks came between answers", async () => {
    const c = controlledInfo();
    let now = 1_000_000;
    const backlog = new NotifyBacklog(c.info, { pollMs: 60_000, idleMs: 600_000, now: () => now });
    backlog.of('email');
    c.answer(200, 1000);
    await waitFor('the first answer', () => backlog.of('email') === 200);
    now += 250;
    // polled by hand (the timer is not started): the test decides when each answer comes
    (backlog as unknown as { poll(ch: string): void }).poll('email');
    c.answer(150, 1050); // 50 acks in 250 ms: 0.2 per ms
    await waitFor('the second answer', () => backlog.of('email') === 150);
    now += 500; // 100 more finished by now, at that rate
    expect(backlog.of('email')).toBe(50);
    for (let i = 0; i < 30; i++) backlog.sent('email');
    expect(backlog.of('email')).toBe(80);
    now += 10_000; // long drained at that rate: never below 0
    expect(backlog.of('email')).toBe(0);

    // a failed poll (no consumer, NATS away) forgets the estimate: nothing known, nothing held
    (backlog as unknown as { poll(ch: string): void }).poll('email');
    c.answer(40, 3100);
    await waitFor('a third answer', () => backlog.of('email') === 40);
    (backlog as unknown as { poll(ch: string): void }).poll('email');
    c.fail();
    await waitFor('the failure handled', () => backlog.of('email') === 0);
    for (let i = 0; i < 5; i++) backlog.sent('email');
    expect(backlog.of('email')).toBe(0);
  });

  it('counts only the flushes beyond the room senders take at once while the last poll found nothing waiting', async () => {
    const c = controlledInfo();
    let now = 1_000_000;
    const backlog = new NotifyBacklog(c.info, { pollMs: 60_000, idleMs: 600_000, now: () => now });
    backlog.of('webhook');
    c.answer(0, 500, 20); // nothing waiting; the senders hold 20
    await waitFor('the first answer', () => (backlog as unknown as { known: Map<string, { polling: boolean }> }).known.get('webhook')?.polling === false);
    for (let i = 0; i < IDLE_ROOM; i++) backlog.sent('webhook'); // senders with room take these at once
    expect(backlog.of('webhook')).toBe(0);
    for (let i = 0; i < 268; i++) backlog.sent('webhook'); // the rest of a burst of due groups
    expect(backlog.of('webhook')).toBe(268); // the ones beyond the room queue: later groups keep collecting
    // the next poll finds the senders full and 250 waiting: from then on flushes count again
    (backlog as unknown as { poll(ch: string): void }).poll('webhook');
    now += 50;
    c.answer(250, 550, 64);
    await waitFor('the second answer', () => backlog.of('webhook') === 250);
    for (let i = 0; i < 10; i++) backlog.sent('webhook');
    expect(backlog.of('webhook')).toBe(260);
  });

  it('widens the room to what the senders acknowledge while they keep up', async () => {
    const c = controlledInfo();
    let now = 1_000_000;
    const backlog = new NotifyBacklog(c.info, { pollMs: 50, idleMs: 600_000, now: () => now });
    const poll = (): void => (backlog as unknown as { poll(ch: string): void }).poll('webhook');
    const settled = (): boolean => (backlog as unknown as { known: Map<string, { polling: boolean }> }).known.get('webhook')?.polling === false;
    backlog.of('webhook');
    c.answer(0, 500); // nothing waiting, no pace known yet
    await waitFor('the first answer', settled);
    for (let i = 0; i < IDLE_ROOM + 10; i++) backlog.sent('webhook');
    expect(backlog.of('webhook')).toBe(10);
    // 50 ms later the senders had acknowledged 500 more and nothing waits: 10 per ms, 1,000 per two poll intervals
    poll();
    now += 50;
    c.answer(0, 1000);
    await waitFor('the second answer', settled);
    // the 42 flushed before this poll was sent are in its answer; from then on the room is 32 + 1,000
    for (let i = 0; i < IDLE_ROOM + 1000; i++) backlog.sent('webhook');
    expect(backlog.of('webhook')).toBe(0);
    for (let i = 0; i < 10; i++) backlog.sent('webhook');
    expect(backlog.of('webhook')).toBe(10);
  });

  it('holds nothing on flushes before the first answer or after a failed poll: nothing is known', async () => {
    const c = controlledInfo();
    const backlog = new NotifyBacklog(c.info, { pollMs: 60_000, idleMs: 600_000 });
    backlog.of('webhook'); // the first poll, not answered yet
    for (let i = 0; i < 300; i++) backlog.sent('webhook');
    expect(backlog.of('webhook')).toBe(0);
    c.fail();
    await waitFor('the failure handled', () => (backlog as unknown as { known: Map<string, { polling: boolean }> }).known.get('webhook')?.polling === false);
    for (let i = 0; i < 300; i++) backlog.sent('webhook');
    expect(backlog.of('webhook')).toBe(0);
  });
});
