import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpoAnswer } from '@compute-ledger/contracts';
import { addMonths, dec, toInstant, toMs } from '@compute-ledger/ledger';
import { workedExampleKnownAt, workedExampleLease, workedExampleSite, workedExampleTenant } from '../support/worked-example.js';
import { actor, openHarness, type Harness } from './harness.js';

/** The remaining performance obligation (DOMAIN.md, "Closing a period"): the backlog in four bands. */
describe('the remaining performance obligation', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await openHarness(workedExampleKnownAt.contracts);
    const { commands } = harness.ledger;
    await commands.commissionSite(workedExampleSite, actor);
    await commands.registerTenant(workedExampleTenant, actor);
    await commands.signLease(workedExampleLease, actor);
    // Four years, a ramp after two, signed before it starts.
    await commands.signLease({
      ...workedExampleLease,
      leaseId: 'L-4Y',
      startsAt: '2025-01-01T00:00:00Z',
      signedAt: '2024-12-01T00:00:00Z',
      endsAt: '2029-01-01T00:00:00Z',
      commitment: [
        { effectiveFrom: '2025-01-01T00:00:00Z', gpuCount: 10, ratePerGpuHour: '1.00' },
        { effectiveFrom: '2027-01-01T00:00:00Z', gpuCount: 20, ratePerGpuHour: '1.50' },
      ],
    }, actor);
    // An awkward rate and instant, where rounding each band on its own would not add up.
    await commands.signLease({
      ...workedExampleLease,
      leaseId: 'L-ODD',
      startsAt: '2025-01-01T00:00:00Z',
      signedAt: '2024-12-01T00:00:00Z',
      endsAt: '2030-07-17T05:00:00Z',
      commitment: [{ effectiveFrom: '2025-01-01T00:00:00Z', gpuCount: 7, ratePerGpuHour: '0.333333' }],
    }, actor);
    harness.at('2026-01-01T00:00:00Z');
  });

  afterAll(async () => {
    await harness.close();
  });

  it('puts the worked example\'s whole backlog at 2025-12-15 within 12 months', async () => {
    const rpo = await harness.ledger.reports.rpo({ asOf: '2025-12-15T00:00:00Z', knownAt: '2025-12-15T00:00:00Z' });
    const lease = rpo.leases.find((row) => row.leaseId === 'L-1001')!;
    // 1,000 x 1,152 h x 2.10 (to 2026-02-01) + 2,000 x 6,768 h x 2.00 (to 2026-11-10) = 2,419,200.00 + 27,072,000.00
    expect(lease).toEqual({ leaseId: 'L-1001', tenantId: 'frontier-lab', within12Months: '29491200.00', months13to24: '0.00', months25to36: '0.00', beyond36Months: '0.00' });
    const backlog = await harness.ledger.reports.backlog({ asOf: '2025-12-15T00:00:00Z', knownAt: '2025-12-15T00:00:00Z' });
    expect(backlog.leases.find((row) => row.leaseId === 'L-1001')!.remaining).toBe('29491200.00');
    expect(rpo.excludes).toBe('usage-based consideration (ASC 606-10-50-14A)');
    expect([rpo.asOf, rpo.knownAt]).toEqual(['2025-12-15T00:00:00Z', '2025-12-15T00:00:00Z']);
    expect(() => RpoAnswer.parse(rpo)).not.toThrow();
  });

  it('splits a four-year lease into four bands that add up to its backlog', async () => {
    const query = { asOf: '2025-03-01T00:00:00Z', knownAt: '2026-01-01T00:00:00Z' };
    const rpo = await harness.ledger.reports.rpo(query);
    const lease = rpo.leases.find((row) => row.leaseId === 'L-4Y')!;
    expect(lease).toEqual({
      leaseId: 'L-4Y',
      tenantId: 'frontier-lab',
      within12Months: '87600.00', // 2025-03-01 to 2026-03-01: 8,760 h x 10 x 1.00
      months13to24: '115920.00', // to 2027-01-01: 7,344 h x 10 x 1.00 = 73,440.00; to 2027-03-01: 1,416 h x 20 x 1.50 = 42,480.00
      months25to36: '263520.00', // 2027-03-01 to 2028-03-01 (29 February 2028 in it): 8,784 h x 20 x 1.50
      beyond36Months: '220320.00', // 2028-03-01 to 2029-01-01: 7,344 h x 20 x 1.50
    });
    const backlog = await harness.ledger.reports.backlog(query);
    // 16,104 h x 10 x 1.00 + 17,544 h x 20 x 1.50 = 161,040.00 + 526,320.00
    expect(backlog.leases.find((row) => row.leaseId === 'L-4Y')!.remaining).toBe('687360.00');
    expect(sumOf(lease)).toBe('687360.00');
  });

  it('adds up to the backlog per lease and in total, whatever the rounding of each band', async () => {
    const query = { asOf: '2025-03-01T00:20:00Z', knownAt: '2026-01-01T00:00:00Z' };
    const rpo = await harness.ledger.reports.rpo(query);
    const backlog = await harness.ledger.reports.backlog(query);
    for (const row of rpo.leases) expect(sumOf(row), row.leaseId).toBe(backlog.leases.find((each) => each.leaseId === row.leaseId)!.remaining);
    expect(rpo.total).toBe(backlog.total);
    expect(sumOf(rpo.bands)).toBe(rpo.total);
    expect(rpo.leases.map((row) => row.leaseId)).toEqual(['L-4Y', 'L-ODD']); // L-1001 is not signed by then
  });
});

describe('calendar months added to an instant', () => {
  it('keeps the day and time, clamped to the month\'s last day', () => {
    expect(toInstant(addMonths(toMs('2024-02-29T10:30:00Z'), 12))).toBe('2025-02-28T10:30:00Z');
    expect(toInstant(addMonths(toMs('2025-01-31T00:00:00Z'), 1))).toBe('2025-02-28T00:00:00Z');
    expect(toInstant(addMonths(toMs('2023-03-31T23:59:59.999Z'), 11))).toBe('2024-02-29T23:59:59.999Z');
    expect(toInstant(addMonths(toMs('2025-12-15T00:00:00Z'), 36))).toBe('2028-12-15T00:00:00Z');
  });
});

function sumOf(bands: { within12Months: string; months13to24: string; months25to36: string; beyond36Months: string }): string {
  return dec(bands.within12Months).plus(bands.months13to24).plus(bands.months25to36).plus(bands.beyond36Months).toFixed(2);
}
