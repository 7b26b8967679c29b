import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { fingerprint } from './fingerprint.js';

/** Straightforward BigInt reference implementation to cross-check the two-halves arithmetic. */
function referenceFingerprint(labels: Record<string, string>): string {
  const mask = (1n << 64n) - 1n;
  let h = 0xcbf29ce484222325n;
  const bytes: number[] = [];
  const names = Object.keys(labels).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const n of names) bytes.push(...Buffer.from(n), 0xff, ...Buffer.from(labels[n]!), 0xff);
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & mask;
  return h.toString(16).padStart(16, '0');
}

describe('fingerprint', () => {
  it.each([
    [{ job: 'foo', severity: 'warning' }, '9266ef3da838ad95'],
    [{ job: 'foo', severity: 'critical' }, '3b15fd163d36582e'],
    [{ job: 'bar', severity: 'critical' }, 'c7e68cb08e3e67f9'],
    [{ alertname: 'alert1', severity: 'critical' }, '0223b772b51c29e1'],
    [{ alertname: 'test1' }, '5ae90ff6f82ebe6b'],
    [{ alertname: 'Watchdog' }, '003b0a0f7d3fa569'],
    [{}, 'cbf29ce484222325'],
  ])('%j → %s (Alertmanager vectors)', (labels, expected) => {
    expect(fingerprint(labels)).toBe(expected);
  });

  it('does not depend on key insertion order', () => {
    expect(fingerprint({ severity: 'warning', job: 'foo' })).toBe('9266ef3da838ad95');
  });

  it('orders names by UTF-8 bytes where UTF-16 code units disagree, and hashes mixed ASCII/non-ASCII text', () => {
    // U+E000 sorts before U+10000 in UTF-8 (and code points), after it in UTF-16 code units
    const labels = { '\u{10000}': 'astral', '\uE000': 'private', 'a\u00f1b': 'caf\u00e9', plain: 'x\u{1F600}y' };
    expect(fingerprint(labels)).toBe(referenceFingerprint(labels));
  });

  it('agrees with a BigInt implementation on arbitrary (unicode) label sets', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' })), (labels) => {
        expect(fingerprint(labels)).toBe(referenceFingerprint(labels));
      }),
      { numRuns: 300 },
    );
  });
});
