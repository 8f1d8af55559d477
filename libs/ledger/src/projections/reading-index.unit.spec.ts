import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReadingIndex } from './reading-index.js';

describe('ReadingIndex', () => {
  it('numbers readings in the order they are added and finds each by id', () => {
    const index = new ReadingIndex();
    expect(index.add('r-1', 0, 1_500_000n)).toBe(0);
    expect(index.add('r-2', 3, 250_000n)).toBe(1);
    expect(index.slotOf('r-2')).toBe(1);
    expect(index.slotOf('r-3')).toBeUndefined();
    expect([index.idAt(1), index.seriesIndexAt(1), index.microsAt(1)]).toEqual(['r-2', 3, 250_000n]);
    index.setMicros(0, 2_000_000n);
    expect(index.microsAt(0)).toBe(2_000_000n);
    expect(index.size).toBe(2);
  });

  it('finds every id among many, across table growths and arena buffers, and refuses a repeat', () => {
    const index = new ReadingIndex();
    const ids = Array.from({ length: 300_000 }, (_, reading) => `L-${reading % 997}.${reading}:${'x'.repeat(reading % 40)}`);
    expect(ids.every((id, slot) => index.add(id, slot % 5, BigInt(slot)) === slot)).toBe(true);
    for (const slot of [0, 1, 65_535, 65_536, 131_071, 299_999]) {
      expect(index.slotOf(ids[slot]!)).toBe(slot);
      expect(index.idAt(slot)).toBe(ids[slot]);
      expect(index.microsAt(slot)).toBe(BigInt(slot));
    }
    expect(ids.every((id, slot) => index.slotOf(id) === slot)).toBe(true);
    expect(index.slotOf('L-1.1:y')).toBeUndefined();
    expect(() => index.add(ids[12_345]!, 0, 0n)).toThrow(/already in the index/);
    expect(index.size).toBe(300_000);
  });

  it('keeps the readings it holds when room is reserved for more, in one growth or none', () => {
    const index = new ReadingIndex();
    const ids = Array.from({ length: 50_000 }, (_, reading) => `R-${reading}`);
    for (const id of ids.slice(0, 1_000)) index.add(id, 1, 7n);
    index.reserve(ids.length);
    index.reserve(10);
    ids.slice(1_000).forEach((id, offset) => expect(index.add(id, 2, BigInt(offset))).toBe(1_000 + offset));
    expect(ids.every((id, slot) => index.slotOf(id) === slot)).toBe(true);
    expect([index.seriesIndexAt(999), index.microsAt(999), index.seriesIndexAt(1_000), index.microsAt(49_999)]).toEqual([1, 7n, 2, 48_999n]);
  });

  it('agrees with a Map on any ids, including ones whose 32-bit hashes collide', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/), { maxLength: 300 }), fc.array(fc.string(), { maxLength: 30 }), (ids, probes) => {
        const index = new ReadingIndex();
        const map = new Map<string, number>();
        for (const id of ids) map.set(id, index.add(id, 0, 0n));
        return [...ids, ...probes].every((id) => index.slotOf(id) === map.get(id));
      }),
    );
    // FNV-1a collides for these two ids (found by search): both must still be told apart.
    const index = new ReadingIndex();
    const [first, second] = collidingIds();
    index.add(first, 0, 1n);
    index.add(second, 0, 2n);
    expect([index.slotOf(first), index.slotOf(second)]).toEqual([0, 1]);
  });
});

/** Two different ids with the same FNV-1a hash, found by a birthday search over short ids. */
function collidingIds(): [string, string] {
  const seen = new Map<number, string>();
  for (let counter = 0; ; counter += 1) {
    const id = `c${counter.toString(36)}`;
    let hash = 0x811c9dc5;
    for (let index = 0; index < id.length; index += 1) hash = Math.imul(hash ^ id.charCodeAt(index), 0x01000193);
    const other = seen.get(hash >>> 0);
    if (other !== undefined) return [other, id];
    seen.set(hash >>> 0, id);
  }
}
