import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { UsageBatchRefusedError, decideUsageBatch, evolveLease, initialUsageState, type AllocationInterval, type LeaseState } from '@compute-ledger/ledger';
import { workedExampleLease } from '../support/worked-example.js';

/**
 * The bound of a reading (GPU-hours at most those allocated over its period) is decided in
 * safe integers when the text is short and plain, and by decimal.js otherwise. Random
 * readings, at, around and far from the bound, with texts the integer path must leave to the
 * Decimal one (leading zeros, 7+ fractional digits, 10+ whole digits, exponents, signs), get
 * the answer of the rule itself: gpuHours x 3,600,000 <= sum of gpuCount x overlap ms, exactly.
 */

const hourMs = 3_600_000;
const leaseStartMs = Date.parse('2025-11-10T00:00:00Z');
const lease: LeaseState = evolveLease(null, { type: 'LeaseSigned', data: workedExampleLease });
const instant = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

const decimalText = fc.oneof(
  fc.tuple(fc.bigInt({ min: 0n, max: 2_000n }), fc.integer({ min: 0, max: 999_999 })).map(([whole, micros]) => `${whole}.${String(micros).padStart(6, '0')}`),
  fc.tuple(fc.bigInt({ min: 0n, max: 2_000n }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 9 })).map(([whole, digit, places]) => `${whole}.${String(digit).repeat(places)}`),
  fc.bigInt({ min: 0n, max: 10n ** 12n }).map(String),
  fc.constantFrom('0', '0.0', '00.5', '007', '1e3', '-1', '+5', '1200', '1200.000001', '1199.999999', '1200.0000000', '9999999999.5'),
);

const allocation = fc.record({
  gpuCount: fc.integer({ min: 0, max: 2_000 }),
  startOffsetMs: fc.integer({ min: 0, max: 2 * hourMs }),
  lengthMs: fc.option(fc.integer({ min: 1, max: 3 * hourMs })),
});

/** GPU-milliseconds allocated over [startMs, endMs), as DOMAIN.md states it, in decimal.js alone. */
function allocatedMsOf(allocations: readonly AllocationInterval[], startMs: number, endMs: number): Decimal {
  let allocatedMs = new Decimal(0);
  for (const held of allocations) {
    const overlap = Math.max(0, Math.min(held.endsAtMs ?? Number.POSITIVE_INFINITY, endMs) - Math.max(held.startsAtMs, startMs));
    allocatedMs = allocatedMs.plus(new Decimal(overlap).times(held.gpuCount));
  }
  return allocatedMs;
}

const plainDecimal = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

describe('the bound of a reading', () => {
  it('is decided alike by the integer path and by decimal.js', () => {
    fc.assert(
      fc.property(decimalText, fc.array(allocation, { maxLength: 3 }), fc.integer({ min: 0, max: 20 }), (gpuHours, held, hour) => {
        const startMs = leaseStartMs + hour * hourMs;
        const endMs = startMs + hourMs;
        const allocations: AllocationInterval[] = held.map((entry) => ({
          gpuCount: entry.gpuCount,
          startsAtMs: leaseStartMs + hour * hourMs - hourMs + entry.startOffsetMs,
          endsAtMs: entry.lengthMs === null ? null : leaseStartMs + hour * hourMs - hourMs + entry.startOffsetMs + entry.lengthMs,
        }));
        // The text drawn, and the millionths right at the bound, one below and one above it.
        const boundMicros = allocatedMsOf(allocations, startMs, endMs).dividedBy(3.6).floor();
        const nearBound = [-1, 0, 1].map((step) => boundMicros.plus(step)).filter((micros) => micros.gte(0)).map((micros) => micros.dividedBy(1_000_000).toFixed(6));
        for (const text of [gpuHours, ...nearBound]) {
          const record = { readingId: 'R-1', leaseId: lease.leaseId, periodStart: instant(startMs), periodEnd: instant(endMs), gpuHours: text };
          let accepted: boolean;
          try {
            decideUsageBatch([record], () => ({ context: { lease, allocations }, usage: initialUsageState() }));
            accepted = true;
          } catch (error) {
            if (!(error instanceof UsageBatchRefusedError)) throw error;
            accepted = false;
          }
          const valid = plainDecimal.test(text) && new Decimal(text).decimalPlaces() <= 6;
          expect(accepted, text).toBe(valid && new Decimal(text).times(hourMs).lte(allocatedMsOf(allocations, startMs, endMs)));
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('accepts a reading exactly at the bound and refuses one a millionth above', () => {
    // 1,200 GPUs for one hour: 1,200 x 3,600,000 = 4,320,000,000 GPU-ms = 1,200 GPU-hours.
    const allocations: AllocationInterval[] = [{ gpuCount: 1_200, startsAtMs: leaseStartMs, endsAtMs: null }];
    const decide = (gpuHours: string): unknown =>
      decideUsageBatch([{ readingId: 'R-1', leaseId: lease.leaseId, periodStart: instant(leaseStartMs), periodEnd: instant(leaseStartMs + hourMs), gpuHours }], () => ({
        context: { lease, allocations },
        usage: initialUsageState(),
      }));
    expect(() => decide('1200')).not.toThrow();
    expect(() => decide('1200.000000')).not.toThrow();
    expect(() => decide('1200.000001')).toThrow(UsageBatchRefusedError);
  });
});
