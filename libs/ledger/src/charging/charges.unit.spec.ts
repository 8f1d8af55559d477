import { describe, expect, it } from 'vitest';
import type { LeaseState } from '../domain/lease/lease-state.js';
import { Decimal, ZERO, formatMoney, roundQuotient } from '../shared/decimal.js';
import { msPerHour, toMs } from '../shared/time.js';
import { amountOfRateGpuMs, assessSla, chargesFor, commitmentOver, monthHours } from './charges.js';

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
    expect(hours.committedGpuMs.dividedBy(msPerHour).toFixed()).toBe('1116000');
    // 372,000 x 2.10 + 744,000 x 2.00 = 781,200 + 1,488,000
    expect(formatMoney(amountOfRateGpuMs(hours.commitmentRateGpuMs, 2), 2)).toBe('2269200.00');
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
    expect(commitmentOver(lease, 0, Number.MAX_SAFE_INTEGER).gpuMs.toFixed()).toBe('16200000'); // 4.5 GPU-hours
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
    expect(sla.availabilityPctShown.toFixed()).toBe('94');
    expect(amounts(lease, '2025-11', '0').sla_credit).toBe('-1058400.00'); // 100 % of 1,058,400.00
  });

  it('caps outage GPU-hours at the committed GPU-hours', () => {
    const lease = workedExampleLease({
      outages: [{ outageId: 'O-3', startsAtMs: toMs('2025-11-01T00:00:00Z'), endsAtMs: toMs('2025-12-01T00:00:00Z'), affectedGpus: 5000, fingerprint: '' }],
    });
    const sla = assessSla(lease, monthHours(lease, '2025-11'))!;
    expect(sla.outageGpuMs.dividedBy(msPerHour).toFixed()).toBe('504000'); // capped at 504 h x 1,000
    expect(sla.availabilityPctShown.toFixed()).toBe('0');
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

/** A one-entry lease of `gpuCount` GPUs at `rate`, without SLA tiers or outages. */
function plainLease(startsAt: string, endsAt: string, gpuCount: number, rate: string, overrides: Partial<LeaseState> = {}): LeaseState {
  return workedExampleLease({
    startsAtMs: toMs(startsAt),
    endsAtMs: toMs(endsAt),
    schedule: [{ effectiveFromMs: toMs(startsAt), gpuCount, ratePerGpuHour: rate }],
    overageRates: [{ effectiveFromMs: toMs(startsAt), ratePerGpuHour: '3.50' }],
    commitmentBilling: 'arrears',
    sla: [],
    outages: [],
    ...overrides,
  });
}

function charge(lease: LeaseState, month: string, metered: string, kind: string) {
  return chargesFor(lease, month, new Decimal(metered), 2).find((each) => each.kind === kind)!;
}

describe('exact hours: milliseconds through the computation, one division and one rounding', () => {
  // 2024-01-23T11:01 to 2024-03-07T12:59: neither end is a multiple of 36 s from the hour, so
  // the hours are repeating decimals (59/60 h) that a cut decimal would round the wrong way.
  const lease = plainLease('2024-01-23T11:01:00Z', '2024-03-07T12:59:00Z', 153, '2.30');

  it('bills January 204 59/60 h x 153 x 2.30 = 72,133.635 as 72,133.64', () => {
    const january = charge(lease, '2024-01', '0', 'commitment');
    expect(formatMoney(january.amount, 2)).toBe('72133.64'); // 204 59/60 h x 153 = 31,362.45 GPU-h x 2.30 = 72,133.635 -> half up
    expect(january.quantity.toFixed()).toBe('31362.45'); // shown at 6 digits: exactly 31,362.45
  });

  it('bills the last month 156 59/60 h x 153 x 2.30 = 55,242.435 as 55,242.44', () => {
    const march = charge(lease, '2024-03', '0', 'commitment');
    expect(formatMoney(march.amount, 2)).toBe('55242.44'); // Mar 1 to Mar 7 12:59 = 156 59/60 h x 153 = 24,018.45 GPU-h x 2.30
    expect(march.quantity.toFixed()).toBe('24018.45');
  });

  it('shows a repeating quantity at 6 fractional digits, half up, and computes the amount from the exact one', () => {
    // 20 minutes of 1 GPU = 1/3 GPU-hour: shown 0.333333; at 0.015 the amount is 0.005 -> 0.01
    // (from the shown quantity it would be 0.333333 x 0.015 = 0.004999995 -> 0.00).
    const third = plainLease('2024-05-01T00:00:00Z', '2024-05-01T00:20:00Z', 1, '0.015');
    const commitment = charge(third, '2024-05', '0', 'commitment');
    expect(commitment.quantity.toFixed()).toBe('0.333333');
    expect(formatMoney(commitment.amount, 2)).toBe('0.01');
    // 40 minutes: 2/3 GPU-hour shown 0.666667 (half up)
    expect(charge(plainLease('2024-05-01T00:00:00Z', '2024-05-01T00:40:00Z', 1, '0.015'), '2024-05', '0', 'commitment').quantity.toFixed()).toBe('0.666667');
  });

  it('computes overage from exact committed hours', () => {
    // Committed 1/3 GPU-hour (20 minutes); metered 1.000001: overage 1.000001 - 1/3 = 0.66666766...
    // GPU-hours, shown 0.666668; x 3.50 = 2.33333683... -> 2.33.
    const third = plainLease('2024-05-01T00:00:00Z', '2024-05-01T00:20:00Z', 1, '0.015');
    const overage = charge(third, '2024-05', '1.000001', 'overage');
    expect(overage.quantity.toFixed()).toBe('0.666668');
    expect(formatMoney(overage.amount, 2)).toBe('2.33');
    // Metered 1.5: overage 1.5 - 1/3 = 7/6 GPU-hours x 3.50 = 4.08333... -> 4.08
    expect(formatMoney(charge(third, '2024-05', '1.5', 'overage').amount, 2)).toBe('4.08');
  });

  it('credits the SLA share of the commitment as billed: 10 % of 10.05 = 1.005 -> 1.01', () => {
    // 744 h x 1 GPU x 0.013502 = 10.045488 -> 10.05 billed; one outage hour = 99.8656 % < 99.9 -> 10 %.
    // The credit is -(10 / 100) x 10.05 = -1.005 -> -1.01 (of the exact 10.045488 it would be -1.00).
    const small = plainLease('2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z', 1, '0.013502', {
      sla: [{ availabilityBelowPct: '99.9', creditPct: '10' }],
      outages: [{ outageId: 'O-1', startsAtMs: toMs('2024-01-10T00:00:00Z'), endsAtMs: toMs('2024-01-10T01:00:00Z'), affectedGpus: 1, fingerprint: '' }],
    });
    expect(formatMoney(charge(small, '2024-01', '0', 'commitment').amount, 2)).toBe('10.05');
    expect(formatMoney(charge(small, '2024-01', '0', 'sla_credit').amount, 2)).toBe('-1.01');
  });

  it('chooses the SLA tier on the exact availability', () => {
    // 999 of 1,000 committed GPU-hours available is exactly 99.9 %: not below 99.9, no credit;
    // one millisecond more of outage is below it.
    const base = { sla: [{ availabilityBelowPct: '99.9', creditPct: '10' }] };
    const outage = (endsAt: string) => [{ outageId: 'O', startsAtMs: toMs('2024-05-01T00:00:00Z'), endsAtMs: toMs(endsAt), affectedGpus: 1, fingerprint: '' }];
    const exact = plainLease('2024-05-01T00:00:00Z', '2024-05-01T01:00:00Z', 1000, '1.00', { ...base, outages: outage('2024-05-01T01:00:00Z') });
    expect(chargesFor(exact, '2024-05', ZERO, 2).some((each) => each.kind === 'sla_credit')).toBe(false); // 1,000 - 1 = 999 of 1,000
    const below = plainLease('2024-05-01T00:00:00Z', '2024-05-01T01:00:00Z', 1000, '1.00', {
      ...base,
      outages: [...outage('2024-05-01T01:00:00Z'), { outageId: 'O2', startsAtMs: toMs('2024-05-01T00:00:00Z'), endsAtMs: toMs('2024-05-01T00:00:00.001Z'), affectedGpus: 1, fingerprint: '' }],
    });
    expect(formatMoney(charge(below, '2024-05', '0', 'sla_credit').amount, 2)).toBe('-100.00'); // 10 % of 1,000 x 1 h x 1.00
  });
});

describe('roundQuotient', () => {
  it('rounds the exact quotient half up, away from zero', () => {
    expect(roundQuotient(new Decimal('0.015'), 3, 2).toFixed()).toBe('0.01'); // 0.005
    expect(roundQuotient(new Decimal('-0.015'), 3, 2).toFixed()).toBe('-0.01'); // -0.005
    expect(roundQuotient(new Decimal('0.0149'), 3, 2).toFixed()).toBe('0'); // 0.004966...
    expect(roundQuotient(new Decimal(2), 3, 6).toFixed()).toBe('0.666667');
    expect(roundQuotient(new Decimal(1), 3, 6).toFixed()).toBe('0.333333');
  });
});
