import { PartCache, type StoredRow } from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';

// One value column plus three lineage columns: four cells per row.
const rows = (count: number): StoredRow[] =>
  Array.from({ length: count }, (_, offset) => ({
    partition: 0,
    offset,
    deleted: false,
    values: { v: offset },
  }));

describe('PartCache', () => {
  it('returns what was stored, and nothing for a part it never saw', () => {
    const cache = new PartCache(400);
    const part = rows(3);
    cache.set('a', part);
    expect(cache.get('a')).toBe(part);
    expect(cache.get('b')).toBeUndefined();
  });

  it('stays within its cell bound, dropping the least recently used parts first', () => {
    const cache = new PartCache(40);
    cache.set('a', rows(4));
    cache.set('b', rows(4));
    cache.get('a');
    cache.set('c', rows(4));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toHaveLength(4);
    expect(cache.get('c')).toHaveLength(4);
    expect(cache.size).toBe(32);
  });

  it('counts a part stored twice once, weighs wide rows more, and never keeps a part larger than the bound', () => {
    const cache = new PartCache(40);
    cache.set('a', rows(4));
    cache.set('a', rows(4));
    expect(cache.size).toBe(16);
    cache.set('huge', rows(11));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('a')).toHaveLength(4);
    const wide = rows(4).map((row) => ({ ...row, values: { a: 1, b: 2, c: 3, d: 4, e: 5 } }));
    cache.set('wide', wide);
    expect(cache.size).toBe(32);
    expect(cache.get('a')).toBeUndefined();
  });
});
