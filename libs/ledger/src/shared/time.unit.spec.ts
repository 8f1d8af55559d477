import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { monthInterval, monthOf, monthsBetween } from './time.js';

describe('months of instants', () => {
  it('monthOf is the first seven characters of the ISO-8601 instant, at any instant a Date holds', () => {
    const maxMs = 8.64e15;
    fc.assert(fc.property(fc.integer({ min: -maxMs, max: maxMs }), (ms) => {
      expect(monthOf(ms)).toBe(new Date(ms).toISOString().slice(0, 7));
    }));
    for (const ms of [Date.UTC(999, 11, 31, 23, 59, 59, 999), Date.UTC(1000, 0, 1), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), -1, 0]) {
      expect(monthOf(ms)).toBe(new Date(ms).toISOString().slice(0, 7));
    }
  });

  it('monthInterval is the half-open month, the same (frozen) answer each time it is asked', () => {
    const february = monthInterval('2024-02');
    expect(february).toEqual({ month: '2024-02', startMs: Date.UTC(2024, 1, 1), endMs: Date.UTC(2024, 2, 1) });
    expect(monthInterval('2024-02')).toBe(february);
    expect(Object.isFrozen(february)).toBe(true);
    expect(monthInterval('2024-12').endMs).toBe(Date.UTC(2025, 0, 1));
  });

  it('monthsBetween lists every month an interval touches', () => {
    expect(monthsBetween(Date.UTC(2024, 10, 15), Date.UTC(2025, 1, 1))).toEqual(['2024-11', '2024-12', '2025-01']);
    expect(monthsBetween(Date.UTC(2025, 0, 1), Date.UTC(2025, 0, 1))).toEqual([]);
  });
});
