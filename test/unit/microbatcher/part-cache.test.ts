import { PartCache, type StoredRow } from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';

const rows = (count: number): StoredRow[] =>
  Array.from({ length: count }, (_, offset) => ({ partition: 0, offset, deleted: false, values: {} }));

describe('PartCache', () => {
  it('returns what was stored, and nothing for a part it never saw', () => {
    const cache = new PartCache(100);
    const part = rows(3);
    cache.set('a', part);
    expect(cache.get('a')).toBe(part);
    expect(cache.get('b')).toBeUndefined();
  });

  it('stays within its row bound, dropping the least recently used parts first', () => {
    const cache = new PartCache(10);
    cache.set('a', rows(4));
    cache.set('b', rows(4));
    cache.get('a');
    cache.set('c', rows(4));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toHaveLength(4);
    expect(cache.get('c')).toHaveLength(4);
    expect(cache.size).toBe(8);
  });

  it('counts a part stored twice once, and never keeps a part larger than the bound', () => {
    const cache = new PartCache(10);
    cache.set('a', rows(4));
    cache.set('a', rows(4));
    expect(cache.size).toBe(4);
    cache.set('huge', rows(11));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('a')).toHaveLength(4);
  });
});
