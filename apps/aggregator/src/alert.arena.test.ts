import { describe, expect, it } from '@jest/globals';
import { AlertArena } from './alert.arena.js';

describe('AlertArena', () => {
  const texts = [
    JSON.stringify({ id: 'a', labels: { alertname: 'plain' } }),
    JSON.stringify({ id: 'b', annotations: { message: 'Ü "quoted" \\ line\nbreak \u2028 ☃ 😀 \ud800 lone' } }),
    '',
    JSON.stringify({ id: 'd', annotations: { message: '漢字'.repeat(700) } }),
  ];

  it('holds alerts as their UTF-8 bytes, comma-separated, and gives any range back exactly', () => {
    const arena = new AlertArena();
    for (const t of texts) arena.push(t);
    expect(arena.length).toBe(texts.length);
    texts.forEach((t, i) => expect(arena.size(i)).toBe(Buffer.byteLength(t, 'utf8')));
    for (let from = 0; from <= texts.length; from++)
      for (let to = from; to <= texts.length; to++) expect(arena.slice(from, to).toString('utf8')).toBe(texts.slice(from, to).join(','));
  });

  it('keeps what it holds while it grows many times', () => {
    const arena = new AlertArena();
    const all: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = JSON.stringify({ id: `alert-${i}`, labels: { pod: `p${i}`, text: i % 7 === 0 ? '☃'.repeat(i % 300) : 'x' } });
      all.push(t);
      arena.push(t);
    }
    expect(arena.slice(0, all.length).toString('utf8')).toBe(all.join(','));
    expect(arena.slice(4321, 4322).toString('utf8')).toBe(all[4321]);
    expect(JSON.parse(`[${arena.slice(17, 2500).toString('utf8')}]`)).toEqual(all.slice(17, 2500).map((t) => JSON.parse(t) as unknown));
  });
});
