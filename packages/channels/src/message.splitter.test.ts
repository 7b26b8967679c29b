import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Alert } from '@nm/contracts';
import { splitMessage, splitUtf8Text, truncateUtf8, truncateVisibly, utf8Length } from './message.splitter.js';
import { alertMessage, alerts, renderLines, textMessage } from './test-support/fixtures.js';

const roundTrips = (s: string): boolean => Buffer.from(s, 'utf8').toString('utf8') === s;

describe('UTF-8 helpers', () => {
  it('never cuts a multi-byte character', () => {
    expect(truncateUtf8('你好世界', 7)).toBe('你好');
    expect(truncateUtf8('a😀b', 4)).toBe('a');
    expect(truncateUtf8('a😀b', 5)).toBe('a😀');
    expect(truncateUtf8('short', 100)).toBe('short');
  });

  it('truncates visibly: fits, says how many bytes went, keeps a prefix', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.integer({ min: 40, max: 300 }), (text, max) => {
        const { text: out, truncatedBytes } = truncateVisibly(text, max);
        expect(utf8Length(out)).toBeLessThanOrEqual(max);
        if (utf8Length(text) <= max) {
          expect(out).toBe(text);
          return;
        }
        const m = /\n…\[truncated (\d+) bytes\]$/.exec(out);
        expect(m).not.toBeNull();
        const kept = out.slice(0, m!.index);
        expect(text.startsWith(kept)).toBe(true);
        expect(Number(m![1])).toBe(truncatedBytes);
        expect(truncatedBytes).toBe(utf8Length(text) - utf8Length(kept));
      }),
    );
  });

  it('splits text at newlines when it can, at character boundaries when it must', () => {
    expect(splitUtf8Text('aaaa\nbbbb\ncccc', 10)).toEqual(['aaaa\nbbbb', 'cccc']);
    const cjk = '告警'.repeat(50); // 300 bytes, no newline
    const pieces = splitUtf8Text(cjk, 64);
    expect(pieces.join('')).toBe(cjk);
    for (const p of pieces) {
      expect(utf8Length(p)).toBeLessThanOrEqual(64);
      expect(roundTrips(p)).toBe(true);
    }
  });
});

describe('splitMessage', () => {
  const list = alerts(12, (i) => `磁盘使用率超过阈值 ${i} ${'é'.repeat(i)}`);

  it('groups consecutive alerts into maximal chunks under the byte limit, losing none', () => {
    const max = 200;
    const chunks = splitMessage(alertMessage(list), { maxBytes: max });
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.flatMap((c) => c.alertIds)).toEqual(list.map((a) => a.id));
    let start = 0;
    for (const c of chunks) {
      expect(utf8Length(c.body)).toBeLessThanOrEqual(max);
      expect(c.body).toBe(renderLines(list.slice(start, start + c.alertIds.length)).body);
      expect(c.title).toBe(`[FIRING:${c.alertIds.length}]`);
      const next = list.slice(start, start + c.alertIds.length + 1);
      if (start + c.alertIds.length < list.length) expect(utf8Length(renderLines(next).body)).toBeGreaterThan(max);
      start += c.alertIds.length;
    }
  });

  it('keeps an alert that alone exceeds the limit, cut with a visible marker', () => {
    const big = alerts(3, (i) => (i === 1 ? '数据'.repeat(200) : `small ${i}`));
    const chunks = splitMessage(alertMessage(big), { maxBytes: 100 });
    expect(chunks.map((c) => c.alertIds)).toEqual([['a0'], ['a1'], ['a2']]);
    const cut = chunks[1]!;
    expect(utf8Length(cut.body)).toBeLessThanOrEqual(100);
    expect(cut.body).toMatch(/^Alert1: 数据/);
    expect(cut.body).toMatch(/…\[truncated \d+ bytes\]$/);
    expect(cut.truncatedBytes).toBeGreaterThan(1000);
    expect(roundTrips(cut.body)).toBe(true);
  });

  it('renders O(log n) times per chunk, not O(n)', () => {
    const many = alerts(2000);
    let calls = 0;
    const render = (a: readonly Alert[]) => {
      calls += 1;
      return renderLines(a);
    };
    const chunks = splitMessage(alertMessage(many, render), { maxBytes: 4000 });
    expect(chunks.flatMap((c) => c.alertIds)).toHaveLength(2000);
    expect(calls).toBeLessThan(chunks.length * 25);
  });

  it('renders everything once when it fits (no limit for email)', () => {
    let calls = 0;
    const render = (a: readonly Alert[]) => {
      calls += 1;
      return renderLines(a);
    };
    expect(splitMessage(alertMessage(alerts(50), render), { maxBytes: Infinity })).toHaveLength(1);
    expect(calls).toBe(1);
  });

  it('splits caller-rendered text over the limit, or truncates it when asked', () => {
    const text = Array.from({ length: 20 }, (_, i) => `line ${i} ✓`).join('\n');
    const split = splitMessage(textMessage(text), { maxBytes: 50 });
    expect(split.length).toBeGreaterThan(1);
    expect(split.map((c) => c.body).join('\n')).toBe(text);
    const cut = splitMessage(textMessage(text), { maxBytes: 50, oversizeRendered: 'truncate' });
    expect(cut).toHaveLength(1);
    expect(cut[0]!.body).toMatch(/truncated/);
    for (const c of [...split, ...cut]) expect(utf8Length(c.body)).toBeLessThanOrEqual(50);
  });

  it('honours a custom measure (for example JSON escaping)', () => {
    const quoted = alerts(6, () => '"quoted" \\ text');
    const measure = (r: { body: string }) => utf8Length(JSON.stringify(r.body));
    const chunks = splitMessage(alertMessage(quoted), { maxBytes: 80, measure });
    expect(chunks.flatMap((c) => c.alertIds)).toHaveLength(6);
    for (const c of chunks) expect(measure(c)).toBeLessThanOrEqual(80);
  });
});
