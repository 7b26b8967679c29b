import { describe, expect, it } from '@jest/globals';
import { Handoff } from './handoff.js';

const bytes = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));

describe('Handoff', () => {
  it('hands over an offered payload once, only for a subject a local consumer reads and only for the same bytes', () => {
    const h = new Handoff('on');
    const p = { alerts: [{ id: 'a' }] };
    h.offer('nm.alerts.routed', 'm1', p, bytes(p));
    expect(h.take('nm.alerts.routed', 'm1', bytes(p))).toBeUndefined(); // nobody here reads the subject
    const unwant = h.want('nm.alerts.routed');
    h.offer('nm.alerts.routed', 'm1', p, bytes(p));
    expect(h.take('nm.alerts.admitted', 'm1', bytes(p))).toBeUndefined(); // another subject
    expect(h.take('nm.alerts.routed', undefined, bytes(p))).toBeUndefined(); // no message id
    expect(h.take('nm.alerts.routed', 'm1', bytes(p))).toBe(p);
    expect(h.take('nm.alerts.routed', 'm1', bytes(p))).toBeUndefined(); // a redelivery parses
    h.offer('nm.alerts.routed', 'm2', p, bytes(p));
    expect(h.take('nm.alerts.routed', 'm2', bytes({ alerts: [{ id: 'b' }] }))).toBeUndefined(); // other bytes under that id
    expect(h.stats()).toMatchObject({ entries: 0, bytes: 0, handed: 1, parsedInstead: 1 });
    unwant();
    h.offer('nm.alerts.routed', 'm3', p, bytes(p));
    expect(h.stats().entries).toBe(0);
  });

  it('keeps entries within its byte budget, oldest out first, and forgets a failed publish', () => {
    const h = new Handoff('on', 100);
    h.want('s');
    const big = (n: number) => ({ pad: 'x'.repeat(30), n });
    for (let i = 0; i < 5; i++) h.offer('s', `m${i}`, big(i), bytes(big(i)));
    expect(h.stats().bytes).toBeLessThanOrEqual(100);
    expect(h.take('s', 'm0', bytes(big(0)))).toBeUndefined();
    expect(h.take('s', 'm4', bytes(big(4)))).toEqual(big(4));
    const p = big(9);
    const b = bytes(p);
    h.offer('s', 'm9', p, b);
    h.withdraw('s', 'm9', b);
    expect(h.take('s', 'm9', b)).toBeUndefined();
    h.offer('s', 'huge', { pad: 'y'.repeat(200) }, bytes({ pad: 'y'.repeat(200) })); // over the whole budget: not kept
    expect(h.stats().entries).toBeLessThanOrEqual(2);
  });

  it('freeze mode deep-freezes what it hands over; off mode hands nothing over', () => {
    const h = new Handoff('freeze');
    h.want('s');
    const p = { alerts: [{ labels: { a: '1' } }] };
    h.offer('s', 'm', p, bytes(p));
    const got = h.take('s', 'm', bytes(p)) as typeof p;
    expect(() => {
      got.alerts[0]!.labels.a = '2';
    }).toThrow(TypeError);
    h.setMode('off');
    h.offer('s', 'n', { x: 1 }, bytes({ x: 1 }));
    expect(h.take('s', 'n', bytes({ x: 1 }))).toBeUndefined();
  });
});
