import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChargeMemo, chargeEntryBytes, chargesFor, Decimal, type LeaseState } from '@compute-ledger/ledger';
import { forcedGc, heapUsedAfterGc } from '../support/heap.js';
import { recordWorkedExampleContracts, workedExampleKnownAt } from '../support/worked-example.js';
import { actor, openHarness, type Harness } from './harness.js';

/**
 * The model's charge memo keeps the charges reports ask for again, bounded in bytes across every
 * lease state (chargeMemoBytesMax), least recently asked first out; its estimate of an entry's
 * bytes is checked against the heap.
 */
describe('the charge memo', () => {
  let harness: Harness;
  let lease: LeaseState;

  beforeAll(async () => {
    harness = await openHarness(workedExampleKnownAt.contracts);
    await recordWorkedExampleContracts(harness.ledger.commands, actor);
    await harness.ledger.runner.catchUp();
    const { model } = harness.ledger.runner;
    lease = model.leaseAt('L-1001', model.position)!;
  });

  afterAll(async () => {
    await harness.close();
  });

  it('answers what chargesFor computes, the same frozen list when asked again', () => {
    const memo = new ChargeMemo();
    // November 2025 at 529,200 metered GPU-hours: commitment, overage and the SLA credit.
    const first = memo.of(lease, '2025-11', new Decimal('529200'), 2);
    expect(first).toEqual(chargesFor(lease, '2025-11', new Decimal('529200'), 2));
    expect(Object.isFrozen(first)).toBe(true);
    expect(memo.of(lease, '2025-11', new Decimal('529200.000'), 2)).toBe(first);
    expect(memo.of(lease, '2025-11', new Decimal('529800'), 2)).not.toBe(first);
  });

  it('holds at most its bytes, least recently asked first out', () => {
    const entryBytes = chargeEntryBytes(`0 2025-11 ${'5'.repeat(6)} 2`, chargesFor(lease, '2025-11', new Decimal('529200'), 2));
    const memo = new ChargeMemo(10 * entryBytes);
    const kept = memo.of(lease, '2025-11', new Decimal('529200'), 2);
    for (let total = 530_000; total < 530_030; total += 1) {
      memo.of(lease, '2025-11', new Decimal(total), 2);
      // The month's final total, asked at every later cut-off, stays.
      expect(memo.of(lease, '2025-11', new Decimal('529200'), 2)).toBe(kept);
      expect(memo.heldBytes).toBeLessThanOrEqual(10 * entryBytes);
    }
    expect(memo.size).toBeLessThanOrEqual(10);
    expect(memo.size).toBeGreaterThanOrEqual(9);
    // The oldest of the others went: asked again, it is computed anew.
    const early = memo.of(lease, '2025-11', new Decimal(530_000), 2);
    expect(early).toEqual(chargesFor(lease, '2025-11', new Decimal(530_000), 2));
  });

  it('estimates the bytes it holds within a factor of 1.5 of the heap they take', async () => {
    const gc = forcedGc();
    const entries = 20_000;
    let memo: ChargeMemo | null = new ChargeMemo(Number.MAX_SAFE_INTEGER);
    const before = await heapUsedAfterGc(gc);
    // Every total a distinct entry of three charges (its overage differs), as live cut-offs make them.
    for (let index = 0; index < entries; index += 1) memo.of(lease, '2025-11', new Decimal(530_000 + index).plus('0.25'), 2);
    const measured = (await heapUsedAfterGc(gc)) - before;
    const estimated = memo.heldBytes;
    expect(memo.size).toBe(entries);
    memo = null;
    const ratio = estimated / measured;
    expect(ratio, `estimated ${Math.round(estimated / entries)} bytes an entry, measured ${Math.round(measured / entries)}`).toBeGreaterThan(1 / 1.5);
    expect(ratio, `estimated ${Math.round(estimated / entries)} bytes an entry, measured ${Math.round(measured / entries)}`).toBeLessThan(1.5);
  });
});
