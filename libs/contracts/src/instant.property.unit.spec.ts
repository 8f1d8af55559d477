import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isInstant } from './primitives.js';

/**
 * An instant is ISO-8601 UTC with `Z` and at most milliseconds, naming a real calendar moment.
 * The check is arithmetic; here it is held to the definition by Date: the text parses, and
 * Date's own writing of it has the same fields (Date moves 2025-02-30 to March 2 and 24:00 to
 * the next day, so a text that is not a real instant does not come back the same).
 */
function byDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(value)) return false;
  const parsed = new Date(value);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 19) === value.slice(0, 19);
}

const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
const fields = fc.tuple(fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')), two(14), two(33), two(25), two(61), two(61), fc.constantFrom('', '.5', '.25', '.125', '.1234'), fc.constantFrom('Z', 'Z', 'Z', '', '+00:00'));

describe('isInstant', () => {
  it('agrees with Date on the fields of any text of the shape', () => {
    fc.assert(
      fc.property(fields, ([year, month, day, hour, minute, second, fraction, zone]) => {
        const value = `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}${zone}`;
        expect(isInstant(value), value).toBe(byDate(value));
      }),
      { numRuns: 20_000 },
    );
  });

  it('knows leap days', () => {
    expect(isInstant('2024-02-29T00:00:00Z')).toBe(true);
    expect(isInstant('2025-02-29T00:00:00Z')).toBe(false);
    expect(isInstant('2000-02-29T23:59:59.999Z')).toBe(true);
    expect(isInstant('1900-02-29T00:00:00Z')).toBe(false);
    expect(isInstant('2025-11-10T24:00:00Z')).toBe(false);
  });
});
