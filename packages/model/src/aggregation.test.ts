import { describe, expect, it } from '@jest/globals';
import { ZERO_TIME, type Alert } from '@nm/contracts';
import { continues, isResolvedAt, mergeAlert, nflogDecision, nflogExpiryMs, received, type GroupedAlert, type NflogEntry } from './aggregation.js';

const T = Date.parse('2026-12-01T10:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const alert = (o: Partial<Alert> = {}): Alert => ({
  id: 'a',
  status: 'firing',
  labels: { alertname: 'X' },
  annotations: { summary: 'one' },
  startsAt: iso(T),
  endsAt: ZERO_TIME,
  fingerprint: '0123456789abcdef',
  receivedAt: iso(T),
  ...o,
});
const g = (o: Partial<Alert>, updatedAt: number, timeout = false): GroupedAlert => ({ alert: alert(o), updatedAt, timeout });

describe('resolved state and resolve timeout', () => {
  it('is resolved iff endsAt is set and not after now', () => {
    expect(isResolvedAt(alert(), T)).toBe(false);
    expect(isResolvedAt(alert({ endsAt: iso(T) }), T)).toBe(true);
    expect(isResolvedAt(alert({ endsAt: iso(T + 1) }), T)).toBe(false);
  });
  it('gives an alert without endsAt a lease of resolveTimeout, marked as a timeout', () => {
    const r = received(alert(), T, 300_000);
    expect(r).toMatchObject({ timeout: true, updatedAt: T, alert: { endsAt: iso(T + 300_000) } });
    expect(received(alert({ endsAt: iso(T + 60_000) }), T, 300_000)).toMatchObject({ timeout: false, alert: { endsAt: iso(T + 60_000) } });
  });
});

describe('mergeAlert (Alertmanager rules)', () => {
  it('keeps the earliest startsAt and the younger annotations', () => {
    const m = mergeAlert(g({ startsAt: iso(T - 60_000), annotations: { summary: 'old' } }, T), g({ startsAt: iso(T), annotations: { summary: 'new' } }, T + 1000));
    expect(m.alert.startsAt).toBe(iso(T - 60_000));
    expect(m.alert.annotations).toEqual({ summary: 'new' });
    expect(m.updatedAt).toBe(T + 1000);
  });
  it('is symmetric in argument order: the younger always wins', () => {
    const a = g({ annotations: { summary: 'old' } }, T);
    const b = g({ annotations: { summary: 'new' } }, T + 1000);
    expect(mergeAlert(a, b)).toEqual(mergeAlert(b, a));
  });
  it('a firing younger alert keeps an older later non-timeout endsAt, but not a timeout one', () => {
    const older = g({ endsAt: iso(T + 600_000) }, T);
    const younger = g({ endsAt: iso(T + 300_000) }, T + 1000, true);
    expect(mergeAlert(older, younger).alert.endsAt).toBe(iso(T + 600_000));
    const olderTimeout = g({ endsAt: iso(T + 600_000) }, T, true);
    expect(mergeAlert(olderTimeout, younger).alert.endsAt).toBe(iso(T + 300_000));
  });
  it('a resolved younger alert resolves it; the later explicit resolve time wins when both are resolved', () => {
    const firing = g({ endsAt: iso(T + 600_000) }, T);
    const resolvedNow = g({ endsAt: iso(T + 1000), status: 'resolved' }, T + 1000);
    expect(isResolvedAt(mergeAlert(firing, resolvedNow).alert, T + 1000)).toBe(true);
    const r1 = g({ endsAt: iso(T + 500) }, T + 600);
    const r2 = g({ endsAt: iso(T + 200) }, T + 900);
    expect(mergeAlert(r1, r2).alert.endsAt).toBe(iso(T + 500));
  });
  it('knows a continuation from a new occurrence', () => {
    const stored = g({ startsAt: iso(T), endsAt: iso(T + 300_000) }, T);
    expect(continues(stored, g({ startsAt: iso(T) }, T + 10))).toBe(true);
    expect(continues(stored, g({ startsAt: iso(T + 60_000) }, T + 60_000))).toBe(true);
    expect(continues(stored, g({ startsAt: iso(T + 400_000) }, T + 400_000))).toBe(false);
  });
});

describe('nflogDecision (alertmanager.md §5.3)', () => {
  const opts = { nowMs: T, repeatIntervalMs: 4 * 3_600_000, sendResolved: true };
  const entry = (firing: string[], resolved: string[] = [], timestamp = T - 60_000): NflogEntry => ({ timestamp, firing, resolved });
  const table: Array<[string, NflogEntry | undefined, string[], string[], boolean, string | undefined, Partial<typeof opts>?]> = [
    ['1 no entry, firing', undefined, ['a'], [], true, 'first notification'],
    ['2 no entry, nothing firing', undefined, [], ['a'], false, undefined],
    ['3 previous was all-resolved', entry([], ['a']), ['a'], [], true, 'first notification'],
    ['4 a new firing alert', entry(['a']), ['a', 'b'], [], true, 'new alerts added'],
    ['5 all resolved (even without sendResolved)', entry(['a']), [], ['a'], true, 'all alerts resolved', { sendResolved: false }],
    ['6 fired and resolved between flushes', entry([]), [], ['b'], false, undefined],
    ['7 some resolved, sendResolved', entry(['a', 'b']), ['a'], ['b'], true, 'some alerts resolved'],
    ['7b some resolved, no sendResolved', entry(['a', 'b']), ['a'], ['b'], false, undefined, { sendResolved: false }],
    ['7c resolved already notified', entry(['a'], ['b']), ['a'], ['b'], false, undefined],
    ['8 repeat interval elapsed', entry(['a'], [], T - 4 * 3_600_000 - 1), ['a'], [], true, 'repeat interval elapsed'],
    ['8b exactly the repeat interval: not yet (strict)', entry(['a'], [], T - 4 * 3_600_000), ['a'], [], false, undefined],
    ['9 unchanged', entry(['a']), ['a'], [], false, undefined],
    ['9b a firing alert left (silenced): no notification', entry(['a', 'b']), ['a'], [], false, undefined],
  ];
  it.each(table)('%s', (...row) => {
    const [, e, firing, resolved, send, reason, extra] = row;
    const d = nflogDecision(e, firing, resolved, { ...opts, ...(extra ?? {}) });
    expect(d.send).toBe(send);
    expect(d.reason).toBe(reason);
  });
  it('keeps entries twice the repeat interval, at most the retention', () => {
    expect(nflogExpiryMs(3_600_000)).toBe(7_200_000);
    expect(nflogExpiryMs(100 * 3_600_000)).toBe(120 * 3_600_000);
  });
});
