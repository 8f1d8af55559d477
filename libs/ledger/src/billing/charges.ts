import type { ChargeKind } from '@compute-ledger/contracts';
import type { LeaseState } from '../domain/lease/lease-state.js';
import { Decimal, ZERO, dec, formatQuantity, roundMoney } from '../shared/decimal.js';
import { hoursBetween, monthInterval, overlapMs, toInstant } from '../shared/time.js';

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
  /** GPU-hours billed for commitment and overage; 1 otherwise. */
  quantity: Decimal;
  /** Rate per GPU-hour, or the amount itself for one-off charges. */
  unitPrice: Decimal;
  description: string;
}

export interface MonthHours {
  /** W: the part of the month inside the term (after amendments and termination), or null. */
  windowStartMs: number;
  windowEndMs: number;
  committedGpuHours: Decimal;
  /** Exact, unrounded commitment amount. */
  commitmentExact: Decimal;
}

/** W = M ∩ [startsAt, endsAt) of the lease as it stands; empty when they do not overlap. */
export function termWindow(lease: LeaseState, month: string): { startMs: number; endMs: number } {
  const { startMs, endMs } = monthInterval(month);
  const windowStartMs = Math.max(startMs, lease.startsAtMs);
  const windowEndMs = Math.min(endMs, lease.endsAtMs);
  return windowEndMs > windowStartMs ? { startMs: windowStartMs, endMs: windowEndMs } : { startMs: windowStartMs, endMs: windowStartMs };
}

/** Committed GPU-hours and the exact commitment of a lease over [fromMs, toMs) ∩ its term. */
export function commitmentOver(lease: LeaseState, fromMs: number, toMs: number): { gpuHours: Decimal; amountExact: Decimal } {
  const startMs = Math.max(fromMs, lease.startsAtMs);
  const endMs = Math.min(toMs, lease.endsAtMs);
  let gpuHours = ZERO;
  let amountExact = ZERO;
  if (endMs <= startMs) return { gpuHours, amountExact };
  const schedule = lease.schedule;
  for (let index = 0; index < schedule.length; index += 1) {
    const entry = schedule[index]!;
    const segmentEndMs = index + 1 < schedule.length ? schedule[index + 1]!.effectiveFromMs : lease.endsAtMs;
    const overlap = overlapMs(entry.effectiveFromMs, segmentEndMs, startMs, endMs);
    if (overlap === 0 || entry.gpuCount === 0) continue;
    const segmentGpuHours = hoursBetween(0, overlap).times(entry.gpuCount);
    gpuHours = gpuHours.plus(segmentGpuHours);
    amountExact = amountExact.plus(segmentGpuHours.times(dec(entry.ratePerGpuHour)));
  }
  return { gpuHours, amountExact };
}

export function monthHours(lease: LeaseState, month: string): MonthHours {
  const window = termWindow(lease, month);
  const { gpuHours, amountExact } = commitmentOver(lease, window.startMs, window.endMs);
  return { windowStartMs: window.startMs, windowEndMs: window.endMs, committedGpuHours: gpuHours, commitmentExact: amountExact };
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

/** Outage GPU-hours of the lease inside the window, before the cap. */
export function outageGpuHours(lease: LeaseState, windowStartMs: number, windowEndMs: number): Decimal {
  let total = ZERO;
  for (const outage of lease.outages) {
    const overlap = overlapMs(outage.startsAtMs, outage.endsAtMs, windowStartMs, windowEndMs);
    if (overlap > 0) total = total.plus(hoursBetween(0, overlap).times(outage.affectedGpus));
  }
  return total;
}

export interface SlaAssessment {
  outageGpuHours: Decimal;
  availabilityPct: Decimal;
  creditPct: Decimal;
}

/**
 * Availability of the month and the credit tier that applies: among the tiers whose threshold
 * the availability is below, the largest credit.
 */
export function assessSla(lease: LeaseState, hours: MonthHours): SlaAssessment | null {
  if (lease.sla.length === 0 || hours.committedGpuHours.isZero()) return null;
  const uncapped = outageGpuHours(lease, hours.windowStartMs, hours.windowEndMs);
  const outage = Decimal.min(uncapped, hours.committedGpuHours);
  const availabilityPct = new Decimal(100).times(new Decimal(1).minus(outage.dividedBy(hours.committedGpuHours)));
  let creditPct = ZERO;
  for (const tier of lease.sla) {
    if (availabilityPct.lessThan(dec(tier.availabilityBelowPct)) && dec(tier.creditPct).greaterThan(creditPct)) {
      creditPct = dec(tier.creditPct);
    }
  }
  return { outageGpuHours: outage, availabilityPct, creditPct };
}

/** The month containing the termination's instant, if the lease was terminated. */
export function terminationMonth(lease: LeaseState): string | null {
  return lease.termination === null ? null : toInstant(lease.termination.effectiveAtMs).slice(0, 7);
}

/**
 * Every charge of lease L for service month M, in kind order, rounded to `minorDigits`.
 * `meteredGpuHours` is the month's metered total as known at the moment of computation.
 */
export function chargesFor(lease: LeaseState, month: string, meteredGpuHours: Decimal, minorDigits: number): readonly Charge[] {
  // A lease state is never changed once folded (an event makes a new one), so its charges for a
  // month and a metered total are the same every time: reports and billing ask for them again
  // and again, at every knowledge cut-off.
  let byInput = chargeMemo.get(lease);
  if (byInput === undefined) {
    byInput = new Map();
    chargeMemo.set(lease, byInput);
  }
  const key = `${month} ${meteredGpuHours.toString()} ${minorDigits}`;
  const known = byInput.get(key);
  if (known !== undefined) return known;
  // Live cut-offs see the metered total grow with every reading: keep a lease's latest few.
  if (byInput.size >= chargeMemoEntriesPerLease) byInput.delete(byInput.keys().next().value!);
  const charges = Object.freeze(computeCharges(lease, month, meteredGpuHours, minorDigits));
  byInput.set(key, charges);
  return charges;
}

const chargeMemo = new WeakMap<LeaseState, Map<string, readonly Charge[]>>();
const chargeMemoEntriesPerLease = 64;

function computeCharges(lease: LeaseState, month: string, meteredGpuHours: Decimal, minorDigits: number): Charge[] {
  const hours = monthHours(lease, month);
  const charges: Charge[] = [];
  const base = { leaseId: lease.leaseId, serviceMonth: month };

  const commitment = roundMoney(hours.commitmentExact, minorDigits);
  if (!hours.committedGpuHours.isZero()) {
    charges.push({
      ...base,
      kind: 'commitment',
      amount: commitment,
      quantity: hours.committedGpuHours,
      unitPrice: blendedRate(hours),
      description: `Committed capacity ${month}: ${formatQuantity(hours.committedGpuHours)} GPU-hours`,
    });
  }

  const overageHours = Decimal.max(ZERO, meteredGpuHours.minus(hours.committedGpuHours));
  if (overageHours.greaterThan(0)) {
    const rate = overageRateFor(lease, month);
    charges.push({
      ...base,
      kind: 'overage',
      amount: roundMoney(overageHours.times(rate), minorDigits),
      quantity: overageHours,
      unitPrice: rate,
      description: `Usage above commitment ${month}: ${formatQuantity(meteredGpuHours)} metered - ${formatQuantity(hours.committedGpuHours)} committed GPU-hours`,
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
      description: `SLA credit ${month}: availability ${sla.availabilityPct.toDecimalPlaces(4, Decimal.ROUND_HALF_UP).toFixed()} % (${formatQuantity(sla.outageGpuHours)} outage GPU-hours), ${sla.creditPct.toFixed()} % of commitment`,
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

/** The commitment's average rate per GPU-hour (the rate itself unless a ramp changes it mid-month). */
function blendedRate(hours: MonthHours): Decimal {
  return hours.commitmentExact.dividedBy(hours.committedGpuHours).toDecimalPlaces(6, Decimal.ROUND_HALF_UP);
}
