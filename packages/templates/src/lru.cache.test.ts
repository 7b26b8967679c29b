import { describe, expect, it } from '@jest/globals';
import { LruCache } from './lru.cache.js';

describe('LruCache', () => {
  it('evicts the least recently used entry past its capacity', () => {
    const c = new LruCache<number>(2);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1);
    c.set('c', 3);
    expect([c.get('a'), c.get('b'), c.get('c'), c.size]).toEqual([1, undefined, 3, 2]);
    c.set('a', 10);
    expect(c.get('a')).toBe(10);
    c.clear();
    expect(c.size).toBe(0);
  });
});
