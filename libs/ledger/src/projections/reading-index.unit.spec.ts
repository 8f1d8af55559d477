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

  it('spreads ids over several maps past the entries one map may hold, and still refuses a repeat in any of them', () => {
    // Three entries a map here stands in for the 8 million of a real index (V8 caps a Map at 2^24).
    const index = new ReadingIndex(3);
    for (let reading = 0; reading < 10; reading += 1) index.add(`r-${reading}`, reading % 2, BigInt(reading));
    for (let reading = 0; reading < 10; reading += 1) expect(index.slotOf(`r-${reading}`)).toBe(reading);
    expect(() => index.add('r-1', 0, 0n)).toThrow(/already in the index/);
    expect(() => index.add('r-9', 0, 0n)).toThrow(/already in the index/);
  });
});
