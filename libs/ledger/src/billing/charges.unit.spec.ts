import { describe, expect, it } from 'vitest';
import type { LeaseState } from '../domain/lease/lease-state.js';
import { Decimal, formatMoney } from '../shared/decimal.js';
import { toMs } from '../shared/time.js';
import { assessSla, chargesFor, commitmentOver, monthHours } from './charges.js';

/** Lease L-1001 of DOMAIN.md's worked example, as its events make it. */
function workedExampleLease(overrides: Partial<LeaseState> = {}): LeaseState {
  return {
    leaseId: 'L-1001',
    tenantId: 'frontier-lab',
    siteId: 'colossus-1',
    gpuSku: 'H100-SXM',
    signedAtMs: toMs('2025-10-20T00:00:00Z'),
    startsAtMs: toMs('2025-11-10T00:00:00Z'),
    endsAtMs: toMs('2026-11-10T00:00:00Z'),
    schedule: [
      { effectiveFromMs: toMs('2025-11-10T00:00:00Z'), gpuCount: 1000, ratePerGpuHour: '2.10' },
      { effectiveFromMs: toMs('2026-02-01T00:00:00Z'), gpuCount: 2000, ratePerGpuHour: '2.00' },
    ],
    overageRates: [{ effectiveFromMs: toMs('2025-11-10T00:00:00Z'), ratePerGpuHour: '3.50' }],
    commitmentBilling: 'advance',
    sla: [
      { availabilityBelowPct: '99.9', creditPct: '10' },
      { availabilityBelowPct: '99.0', creditPct: '25' },
      { availabilityBelowPct: '95.0', creditPct: '100' },
    ],
    amendments: [],
    termination: null,
    outages: [{ outageId: 'O-1', startsAtMs: toMs('2025-11-20T00:00:00Z'), endsAtMs: toMs('2025-11-20T06:00:00Z'), affectedGpus: 200, fingerprint: '' }],
    fingerprint: '',
    ...overrides,
  };
}

function amounts(lease: LeaseState, month: string, metered: string): Record<string, string> {
  return Object.fromEntries(chargesFor(lease, month, new Decimal(metered), 2).map((charge) => [charge.kind, formatMoney(charge.amount, 2)]));
}

describe('charges of a service month', () => {
  it('computes the worked example November 2025', () => {
    const charges = amounts(workedExampleLease(), '2025-11', '529200');
    expect(charges.commitment).toBe('1058400.00'); // 504 h (Nov 10 to Dec 1) x 1,000 GPUs x 2.10
    expect(charges.overage).toBe('88200.00'); // (529,200 - 504,000) x 3.50
    expect(charges.sla_credit).toBe('-105840.00'); // 1,200 outage GPU-h of 504,000 -> 99.7619 % < 99.9 -> 10 % of 1,058,400.00
    expect(charges.termination_fee).toBeUndefined();
  });

  it('settles the late reading: November overage becomes 90,300.00', () => {
    expect(amounts(workedExampleLease(), '2025-11', '529800').overage).toBe('90300.00'); // (529,800 - 504,000) x 3.50
  });

  it('charges a full December in advance and no overage when usage equals the commitment', () => {
    const charges = amounts(workedExampleLease(), '2025-12', '744000');
    expect(charges.commitment).toBe('1562400.00'); // 744 h x 1,000 x 2.10
    expect(charges.overage).toBeUndefined(); // 744,000 metered = 744,000 committed
  });

  it('follows the ramp: February 2026 at 2,000 GPUs x 2.00', () => {
    expect(amounts(workedExampleLease(), '2026-02', '0').commitment).toBe('2688000.00'); // 672 h x 2,000 x 2.00
  });

  it('splits a month at a mid-month ramp step', () => {
    const lease = workedExampleLease({
      schedule: [
        { effectiveFromMs: toMs('2025-11-10T00:00:00Z'), gpuCount: 1000, ratePerGpuHour: '2.10' },
        { effectiveFromMs: toMs('2025-12-16T12:00:00Z'), gpuCount: 2000, ratePerGpuHour: '2.00' },
      ],
    });
    const hours = monthHours(lease, '2025-12');
    // 372 h x 1,000 (Dec 1 to Dec 16 12:00) + 372 h x 2,000 (to Jan 1) = 1,116,000 GPU-hours
    expect(hours.committedGpuHours.toFixed()).toBe('1116000');
    // 372,000 x 2.10 + 744,000 x 2.00 = 781,200 + 1,488,000
    expect(formatMoney(hours.commitmentExact, 2)).toBe('2269200.00');
  });

  it('counts fractional hours exactly', () => {
    // 90 minutes of 3 GPUs at 0.333333 = 4.5 x 0.333333 = 1.4999985 -> 1.50 (half up, once)
    const lease = workedExampleLease({
      startsAtMs: toMs('2025-11-10T00:00:00Z'),
      endsAtMs: toMs('2025-11-10T01:30:00Z'),
      schedule: [{ effectiveFromMs: toMs('2025-11-10T00:00:00Z'), gpuCount: 3, ratePerGpuHour: '0.333333' }],
      sla: [],
      outages: [],
    });
    expect(commitmentOver(lease, 0, Number.MAX_SAFE_INTEGER).gpuHours.toFixed()).toBe('4.5');
    expect(amounts(lease, '2025-11', '0').commitment).toBe('1.50');
  });

  it('rounds half up once per charge', () => {
    // 1 GPU for 1 hour at 0.005 = 0.005 -> 0.01 (half up), not 0.00 (half even)
    const lease = workedExampleLease({
      endsAtMs: toMs('2025-11-10T01:00:00Z'),
      schedule: [{ effectiveFromMs: toMs('2025-11-10T00:00:00Z'), gpuCount: 1, ratePerGpuHour: '0.005' }],
      sla: [],
      outages: [],
    });
    expect(amounts(lease, '2025-11', '0').commitment).toBe('0.01');
  });

  it('picks the largest credit among the tiers the availability is below', () => {
    // 30,240 outage GPU-h of 504,000 = 6 % down -> 94 % availability: below 99.9, 99.0 and 95.0 -> 100 %
    const lease = workedExampleLease({
      outages: [{ outageId: 'O-2', startsAtMs: toMs('2025-11-10T00:00:00Z'), endsAtMs: toMs('2025-11-11T06:14:24Z'), affectedGpus: 1000, fingerprint: '' }],
    });
    const sla = assessSla(lease, monthHours(lease, '2025-11'))!;
    expect(sla.availabilityPct.toFixed()).toBe('94');
    expect(amounts(lease, '2025-11', '0').sla_credit).toBe('-1058400.00'); // 100 % of 1,058,400.00
  });

  it('caps outage GPU-hours at the committed GPU-hours', () => {
    const lease = workedExampleLease({
      outages: [{ outageId: 'O-3', startsAtMs: toMs('2025-11-01T00:00:00Z'), endsAtMs: toMs('2025-12-01T00:00:00Z'), affectedGpus: 5000, fingerprint: '' }],
    });
    const sla = assessSla(lease, monthHours(lease, '2025-11'))!;
    expect(sla.outageGpuHours.toFixed()).toBe('504000'); // capped at 504 h x 1,000
    expect(sla.availabilityPct.toFixed()).toBe('0');
  });

  it('gives no credit at or above every threshold, and none without tiers', () => {
    const noOutage = workedExampleLease({ outages: [] });
    expect(amounts(noOutage, '2025-11', '0').sla_credit).toBeUndefined();
    expect(amounts(workedExampleLease({ sla: [] }), '2025-11', '0').sla_credit).toBeUndefined();
  });

  it('ends the term at a termination and charges the fee in its month', () => {
    const lease = workedExampleLease({
      endsAtMs: toMs('2025-12-16T00:00:00Z'),
      termination: { effectiveAtMs: toMs('2025-12-16T00:00:00Z'), terminationFee: '250000.00' },
    });
    const charges = amounts(lease, '2025-12', '0');
    expect(charges.commitment).toBe('756000.00'); // 360 h (Dec 1 to Dec 16) x 1,000 x 2.10
    expect(charges.termination_fee).toBe('250000.00');
    expect(amounts(lease, '2026-01', '0')).toEqual({});
  });

  it('uses the overage rate in force from the month start', () => {
    const lease = workedExampleLease({
      overageRates: [
        { effectiveFromMs: toMs('2025-11-10T00:00:00Z'), ratePerGpuHour: '3.50' },
        { effectiveFromMs: toMs('2026-01-01T00:00:00Z'), ratePerGpuHour: '3.00' },
      ],
    });
    expect(amounts(lease, '2025-12', '744100').overage).toBe('350.00'); // 100 x 3.50
    expect(amounts(lease, '2026-01', '744100').overage).toBe('300.00'); // 100 x 3.00
  });

  it('computes nothing for a month outside the term', () => {
    expect(amounts(workedExampleLease(), '2025-10', '0')).toEqual({});
    expect(amounts(workedExampleLease(), '2026-12', '0')).toEqual({});
  });
});
