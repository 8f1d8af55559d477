import { describe, expect, it } from 'vitest';
import { BigIntColumn, IndexColumn, NumberColumn } from './columns.js';

describe('columns', () => {
  it('keep every value pushed, in order, across the doublings of their storage', () => {
    const positions = new NumberColumn(1);
    const totals = new BigIntColumn(1);
    for (let value = 0; value < 1_000; value += 1) {
      positions.push(value * 3);
      totals.push(BigInt(value) * 1_000_000_000_000n);
    }
    expect(positions.length).toBe(1_000);
    expect(Array.from(positions.view())).toEqual(Array.from({ length: 1_000 }, (_, value) => value * 3));
    expect(totals.at(999)).toBe(999_000_000_000_000n);
    expect(totals.last()).toBe(999_000_000_000_000n);
  });

  it('refuse a value they cannot hold exactly, rather than wrap it', () => {
    const totals = new BigIntColumn();
    expect(() => totals.push(2n ** 63n)).toThrow(RangeError);
    expect(() => totals.push(-(2n ** 63n) - 1n)).toThrow(RangeError);
    totals.push(2n ** 63n - 1n);
    expect(totals.at(0)).toBe(2n ** 63n - 1n);
    const slots = new IndexColumn();
    expect(() => slots.push(-1)).toThrow(RangeError);
    expect(() => slots.push(1.5)).toThrow(RangeError);
    expect(() => slots.push(2 ** 31)).toThrow(RangeError);
  });

  it('refuse an index outside what was pushed', () => {
    const column = new NumberColumn();
    column.push(1);
    expect(() => column.at(1)).toThrow(RangeError);
    expect(() => column.set(-1, 0)).toThrow(RangeError);
    expect(column.last()).toBe(1);
  });
});
