import { describe, expect, it } from '@jest/globals';
import type { BusConnection } from '@nm/bus';
import { cachedStreamFill, fillOf } from './stream.fill.js';

type Jsm = BusConnection['jsm'];
const fakeJsm = (info: () => Promise<unknown>): { jsm: Jsm; calls: () => number } => {
  let n = 0;
  const jsm = { streams: { info: () => ((n += 1), info()) } } as unknown as Jsm;
  return { jsm, calls: () => n };
};
const info = (messages: number, bytes: number, maxMsgs: number, maxBytes: number) => ({
  state: { messages, bytes },
  config: { max_msgs: maxMsgs, max_bytes: maxBytes },
});

describe('stream fill', () => {
  it('is the larger of the message and byte fractions; unlimited limits are ignored', () => {
    expect(fillOf({ messages: 18, bytes: 10 }, { max_msgs: 20, max_bytes: 1000 }).fraction).toBe(0.9);
    expect(fillOf({ messages: 1, bytes: 950 }, { max_msgs: 20, max_bytes: 1000 }).fraction).toBe(0.95);
    expect(fillOf({ messages: 1e6, bytes: 10 }, { max_msgs: -1, max_bytes: 1000 }).fraction).toBe(0.01);
    expect(fillOf({ messages: 5, bytes: 5 }, { max_msgs: -1, max_bytes: -1 }).fraction).toBe(0);
  });

  it('reads stream info at most once per cache period, concurrent callers sharing the request', async () => {
    let t = 0;
    const { jsm, calls } = fakeJsm(() => Promise.resolve(info(5, 0, 10, -1)));
    const fill = cachedStreamFill(() => jsm, 'S', { cacheMs: 500, now: () => t });
    const [a, b] = await Promise.all([fill(), fill()]);
    expect(a?.fraction).toBe(0.5);
    expect(b?.fraction).toBe(0.5);
    t = 400;
    await fill();
    expect(calls()).toBe(1);
    t = 900;
    await fill();
    expect(calls()).toBe(2);
  });

  it('unknown (undefined) without NATS, on an error, or when stream info does not answer in time', async () => {
    expect(await cachedStreamFill(() => undefined, 'S')()).toBeUndefined();
    const errors: string[] = [];
    const failing = fakeJsm(() => Promise.reject(new Error('stream not found')));
    expect(await cachedStreamFill(() => failing.jsm, 'S', { onError: (e) => errors.push(e.message) })()).toBeUndefined();
    const hanging = fakeJsm(() => new Promise(() => undefined));
    expect(await cachedStreamFill(() => hanging.jsm, 'S', { timeoutMs: 50, onError: (e) => errors.push(e.message) })()).toBeUndefined();
    expect(errors).toEqual(['stream not found', 'stream info of S took longer than 50 ms']);
  });
});
