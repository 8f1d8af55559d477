import type { ChargeKind } from '@compute-ledger/contracts';
import type { LeaseState } from '../domain/lease/lease-state.js';
import { Decimal, ZERO, dec, formatQuantity, roundMoney, roundQuotient, shownQuantity } from '../shared/decimal.js';
import { monthInterval, monthOf, msPerHour, overlapMs, toInstant } from '../shared/time.js';

/**
 * What a lease owes for a service month (DOMAIN.md, "Charges"). Pure functions of the lease as
 * it stands and the month's metered GPU-hours; each charge is computed exactly and rounded once,
 * half up, to the currency's minor digits.
 */

export const chargeKindOrder: readonly ChargeKind[] = ['commitment', 'overage', 'sla_credit', 'termination_fee'];

export interface Charge {
  leaseId: string;
  serviceMonth: string;
  kind: ChargeKind;
  /** Rounded once to minor units, half up. */
  amount: Decimal;
  /** GPU-hours billed for commitment and overage, as shown (6 fractional digits); 1 otherwise. */
  quantity: Decimal;
  /** Rate per GPU-hour, or the amount itself for one-off charges. */
  unitPrice: Decimal;
  description: string;
}

/**
 * Durations stay in integer milliseconds until the one division that makes an amount: hours
 * between instants are exact fractions (20 minutes is 1/3 hour), so `gpuCount x ms x rate` is
 * summed exactly and divided by 3,600,000 once, when it is rounded.
 */
export interface MonthHours {
  /** W: the part of the month inside the term (after amendments and termination). */
  windowStartMs: number;
  windowEndMs: number;
  /** Committed GPU-milliseconds (an exact integer): committed GPU-hours x 3,600,000. */
  committedGpuMs: Decimal;
  /** Exact commitment x 3,600,000: sum of gpuCount x ms x rate. */
  commitmentRateGpuMs: Decimal;
}

/** Committed GPU-hours of a month as shown to people: 6 fractional digits, half up. */
export function committedGpuHoursShown(hours: MonthHours): Decimal {
  return shownQuantity(hours.committedGpuMs, msPerHour);
}

/** An amount of `rate x GPU-milliseconds`, divided into hours and rounded once. */
export function amountOfRateGpuMs(rateGpuMs: Decimal, minorDigits: number): Decimal {
  return roundQuotient(rateGpuMs, msPerHour, minorDigits);
}

/** W = M ∩ [startsAt, endsAt) of the lease as it stands; empty when they do not overlap. */
export function termWindow(lease: LeaseState, month: string): { startMs: number; endMs: number } {
  const { startMs, endMs } = monthInterval(month);
  const windowStartMs = Math.max(startMs, lease.startsAtMs);
  const windowEndMs = Math.min(endMs, lease.endsAtMs);
  return windowEndMs > windowStartMs ? { startMs: windowStartMs, endMs: windowEndMs } : { startMs: windowStartMs, endMs: windowStartMs };
}

/**
 * Committed GPU-milliseconds and the exact commitment x 3,600,000 of a lease over
 * [fromMs, toMs) ∩ its term; both are exact (integers, and integers x 6-digit rates).
 */
export function commitmentOver(lease: LeaseState, fromMs: number, toMs: number): { gpuMs: Decimal; rateGpuMs: Decimal } {
  const startMs = Math.max(fromMs, lease.startsAtMs);
  const endMs = Math.min(toMs, lease.endsAtMs);
  let gpuMs = ZERO;
  let rateGpuMs = ZERO;
  if (endMs <= startMs) return { gpuMs, rateGpuMs };
  const schedule = lease.schedule;
  for (let index = 0; index < schedule.length; index += 1) {
    const entry = schedule[index]!;
    const segmentEndMs = index + 1 < schedule.length ? schedule[index + 1]!.effectiveFromMs : lease.endsAtMs;
    const overlap = overlapMs(entry.effectiveFromMs, segmentEndMs, startMs, endMs);
    if (overlap === 0 || entry.gpuCount === 0) continue;
    const segmentGpuMs = new Decimal(overlap).times(entry.gpuCount);
    gpuMs = gpuMs.plus(segmentGpuMs);
    rateGpuMs = rateGpuMs.plus(segmentGpuMs.times(dec(entry.ratePerGpuHour)));
  }
  return { gpuMs, rateGpuMs };
}

export function monthHours(lease: LeaseState, month: string): MonthHours {
  const window = termWindow(lease, month);
  const { gpuMs, rateGpuMs } = commitmentOver(lease, window.startMs, window.endMs);
  return { windowStartMs: window.startMs, windowEndMs: window.endMs, committedGpuMs: gpuMs, commitmentRateGpuMs: rateGpuMs };
}

/** The overage rate for a month: rates change only at a month's first instant. */
export function overageRateFor(lease: LeaseState, month: string): Decimal {
  const atMs = Math.max(monthInterval(month).startMs, lease.startsAtMs);
  let rate = lease.overageRates[0]?.ratePerGpuHour ?? '0';
  for (const entry of lease.overageRates) {
    if (entry.effectiveFromMs <= atMs) rate = entry.ratePerGpuHour;
  }
  return dec(rate);
}

/** Outage GPU-milliseconds of the lease inside the window, before the cap (an exact integer). */
export function outageGpuMs(lease: LeaseState, windowStartMs: number, windowEndMs: number): Decimal {
  let total = ZERO;
  for (const outage of lease.outages) {
    const overlap = overlapMs(outage.startsAtMs, outage.endsAtMs, windowStartMs, windowEndMs);
    if (overlap > 0) total = total.plus(new Decimal(overlap).times(outage.affectedGpus));
  }
  return total;
}

export interface SlaAssessment {
  /** Outage GPU-milliseconds, capped at the committed ones. */
  outageGpuMs: Decimal;
  /** Availability as shown: 4 fractional digits, half up (the tier is chosen on the exact value). */
  availabilityPctShown: Decimal;
  creditPct: Decimal;
}

/**
 * Availability of the month and the credit tier that applies: among the tiers whose threshold
 * the availability is below, the largest credit.
 */
export function assessSla(lease: LeaseState, hours: MonthHours): SlaAssessment | null {
  const committed = hours.committedGpuMs;
  if (lease.sla.length === 0 || committed.isZero()) return null;
  const outage = Decimal.min(outageGpuMs(lease, hours.windowStartMs, hours.windowEndMs), committed);
  // availabilityPct = 100 x (committed - outage) / committed, compared without dividing:
  // availabilityPct < threshold  <=>  100 x (committed - outage) < threshold x committed.
  const availableTimes100 = committed.minus(outage).times(100);
  let creditPct = ZERO;
  for (const tier of lease.sla) {
    if (availableTimes100.lessThan(dec(tier.availabilityBelowPct).times(committed)) && dec(tier.creditPct).greaterThan(creditPct)) {
      creditPct = dec(tier.creditPct);
    }
  }
  return { outageGpuMs: outage, availabilityPctShown: roundQuotient(availableTimes100, committed, 4), creditPct };
}

/** The month containing the termination's instant, if the lease was terminated. */
export function terminationMonth(lease: LeaseState): string | null {
  return lease.termination === null ? null : monthOf(lease.termination.effectiveAtMs);
}

/**
 * Every charge of lease L for service month M, in kind order, rounded to `minorDigits`.
 * `meteredGpuHours` is the month's metered total as known at the moment of computation.
 * Computed every time: the model's `ChargeMemo` (projections/memos.ts) keeps what reports ask
 * for again.
 */
export function chargesFor(lease: LeaseState, month: string, meteredGpuHours: Decimal, minorDigits: number): readonly Charge[] {
  return computeCharges(lease, month, meteredGpuHours, minorDigits);
}

function computeCharges(lease: LeaseState, month: string, meteredGpuHours: Decimal, minorDigits: number): Charge[] {
  const hours = monthHours(lease, month);
  const charges: Charge[] = [];
  const base = { leaseId: lease.leaseId, serviceMonth: month };

  const commitment = amountOfRateGpuMs(hours.commitmentRateGpuMs, minorDigits);
  const committedShown = committedGpuHoursShown(hours);
  if (!hours.committedGpuMs.isZero()) {
    charges.push({
      ...base,
      kind: 'commitment',
      amount: commitment,
      quantity: committedShown,
      unitPrice: blendedRate(hours),
      description: `Committed capacity ${month}: ${formatQuantity(committedShown)} GPU-hours`,
    });
  }

  // Metered GPU-hours carry at most 6 fractional digits, so x 3,600,000 they are exact too.
  const overageGpuMs = overageGpuMsOf(meteredGpuHours, hours);
  if (overageGpuMs.greaterThan(0)) {
    const rate = overageRateFor(lease, month);
    charges.push({
      ...base,
      kind: 'overage',
      amount: amountOfRateGpuMs(overageGpuMs.times(rate), minorDigits),
      quantity: shownQuantity(overageGpuMs, msPerHour),
      unitPrice: rate,
      description: `Usage above commitment ${month}: ${formatQuantity(meteredGpuHours)} metered - ${formatQuantity(committedShown)} committed GPU-hours`,
    });
  }

  const sla = assessSla(lease, hours);
  if (sla !== null && sla.creditPct.greaterThan(0)) {
    // The credit is a share of the month's commitment charge, itself already rounded.
    const amount = roundMoney(sla.creditPct.dividedBy(100).times(commitment).negated(), minorDigits);
    charges.push({
      ...base,
      kind: 'sla_credit',
      amount,
      quantity: new Decimal(1),
      unitPrice: amount,
      description: `SLA credit ${month}: availability ${sla.availabilityPctShown.toFixed()} % (${formatQuantity(shownQuantity(sla.outageGpuMs, msPerHour))} outage GPU-hours), ${sla.creditPct.toFixed()} % of commitment`,
    });
  }

  if (lease.termination !== null && terminationMonth(lease) === month) {
    const fee = roundMoney(dec(lease.termination.terminationFee), minorDigits);
    if (!fee.isZero()) {
      charges.push({
        ...base,
        kind: 'termination_fee',
        amount: fee,
        quantity: new Decimal(1),
        unitPrice: fee,
        description: `Early termination fee, effective ${toInstant(lease.termination.effectiveAtMs)}`,
      });
    }
  }
  return charges;
}

/** GPU-milliseconds metered above the commitment (never negative): max(0, metered - committed). */
export function overageGpuMsOf(meteredGpuHours: Decimal, hours: MonthHours): Decimal {
  return Decimal.max(ZERO, meteredGpuHours.times(msPerHour).minus(hours.committedGpuMs));
}

/** The commitment's average rate per GPU-hour (the rate itself unless a ramp changes it mid-month). */
function blendedRate(hours: MonthHours): Decimal {
  return roundQuotient(hours.commitmentRateGpuMs, hours.committedGpuMs, 6);
}
