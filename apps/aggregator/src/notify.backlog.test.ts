import { describe, expect, it } from '@jest/globals';
import { waitFor } from '@nm/testing';
import { NotifyBacklog } from './notify.backlog.js';

/** Consumer-info answers under the test's control: each poll waits until the test answers it. */
function controlledInfo(): { info: () => Promise<{ num_pending: number; num_ack_pending: number }>; answer(pending: number): void; asked(): number } {
  const waiting: Array<(v: { num_pending: number; num_ack_pending: number }) => void> = [];
  let asked = 0;
  return {
    info: () => {
      asked += 1;
      return new Promise((resolve) => waiting.push(resolve));
    },
    answer: (pending) => waiting.shift()!({ num_pending: pending, num_ack_pending: 0 }),
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

  it('counts nothing for a channel it was never asked about', () => {
    const c = controlledInfo();
    const backlog = new NotifyBacklog(c.info, { pollMs: 20, idleMs: 60_000 });
    backlog.sent('slack');
    expect(c.asked()).toBe(0);
    expect(backlog.of('slack')).toBe(0);
  });
});
