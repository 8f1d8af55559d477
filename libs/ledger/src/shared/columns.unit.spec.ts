import { describe, expect, it } from 'vitest';
import { BigIntColumn, lastIndexAtOrBefore, NumberColumn, PositionColumn } from './columns.js';

describe('columns', () => {
  it('keep every value pushed, in order, across the doublings of their storage', () => {
    const positions = new NumberColumn();
    const totals = new BigIntColumn();
    for (let value = 0; value < 200_000; value += 1) {
      positions.push(value * 3);
      totals.push(BigInt(value) * 1_000_000_000_000n);
    }
    expect(positions.length).toBe(200_000);
    expect(positions.toArray()).toEqual(Array.from({ length: 200_000 }, (_, value) => value * 3));
    expect(totals.at(70_000)).toBe(70_000_000_000_000_000n);
    expect(totals.at(totals.length - 1)).toBe(199_999_000_000_000_000n);
    // Past the first chunk of 65,536 values too: the last at or below a bound, by binary search.
    expect(lastIndexAtOrBefore(positions, 30)).toBe(10);
    expect(lastIndexAtOrBefore(positions, 400_000)).toBe(133_333);
    expect(lastIndexAtOrBefore(positions, -1)).toBe(-1);
    expect(lastIndexAtOrBefore(positions, 10_000_000)).toBe(199_999);
    positions.set(131_072, -1);
    expect(positions.at(131_072)).toBe(-1);
  });

  it('refuse a value they cannot hold exactly, rather than wrap it', () => {
    const totals = new BigIntColumn();
    expect(() => totals.push(2n ** 63n)).toThrow(RangeError);
    expect(() => totals.push(-(2n ** 63n) - 1n)).toThrow(RangeError);
    totals.push(2n ** 63n - 1n);
    expect(totals.at(0)).toBe(2n ** 63n - 1n);
  });

  it('refuse an index outside what was pushed', () => {
    const column = new NumberColumn();
    column.push(1);
    expect(() => column.at(1)).toThrow(RangeError);
    expect(() => column.set(-1, 0)).toThrow(RangeError);
    expect(column.at(column.length - 1)).toBe(1);
  });
});

describe('a position column', () => {
  it('holds positions in 4 bytes below 2^32 and widens once, keeping every value, at the first beyond', () => {
    const positions = new PositionColumn();
    const values = [0, 1, 2 ** 32 - 1];
    for (const value of values) positions.push(value);
    positions.push(2 ** 32);
    positions.push(2 ** 53 - 1);
    expect(positions.toArray()).toEqual([...values, 2 ** 32, 2 ** 53 - 1]);
    expect(lastIndexAtOrBefore(positions, 2 ** 32)).toBe(3);
  });
});

describe('trimming a column', () => {
  it('keeps its values across chunks, and it grows again after', () => {
    const column = new BigIntColumn();
    const count = 65_536 + 1_000;
    for (let index = 0; index < count; index += 1) column.push(BigInt(index) * 3n);
    column.trim();
    column.trim();
    for (let index = count; index < count + 70_000; index += 1) column.push(BigInt(index) * 3n);
    expect(column.length).toBe(count + 70_000);
    for (const index of [0, 65_535, 65_536, count - 1, count, count + 69_999]) expect(column.at(index)).toBe(BigInt(index) * 3n);
  });
});
