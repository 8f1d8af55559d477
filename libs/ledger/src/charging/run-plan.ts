import type { ChargeKind, InvoiceLine, LineSource } from '@compute-ledger/contracts';
import type { PlannedDocument } from '../domain/billing/billing.js';
import type { LeaseState } from '../domain/lease/lease-state.js';
import { assert } from '../shared/assert.js';
import { Decimal, ZERO, formatMoney, formatQuantity, sum } from '../shared/decimal.js';
import { addDays, monthInterval, monthsBetween, toInstant, toMs } from '../shared/time.js';
import { type Charge, chargeKindOrder, chargesFor, terminationMonth } from './charges.js';
import type { ChargingFacts } from './facts.js';
import { drawDown } from './credits.js';

/**
 * A billing run (DOMAIN.md, "Billing"): for every tenant and lease, each due charge becomes a
 * line worth its current amount minus what was already invoiced for the same (lease, month,
 * kind). That difference is how late usage, corrections, retroactive amendments and
 * terminations are settled without touching an issued invoice.
 */

/** A line lists at most this many usage events as its sources; the rest are counted. */
export const lineUsageSourcesMax = 100;

const commitmentSourceTypes = new Set(['LeaseSigned', 'LeaseAmended', 'LeaseTerminated']);
const slaSourceTypes = new Set(['LeaseSigned', 'LeaseAmended', 'LeaseTerminated', 'OutageRecorded']);
const terminationSourceTypes = new Set(['LeaseTerminated']);

export interface BillingContext {
  billingDate: string;
  /** The knowledge cut-off: the global position of the last event the run reads. */
  cutoff: number;
  currency: string;
  minorDigits: number;
}

/** Whether a charge of `month` is due on `billingDate` (the table in DOMAIN.md). */
export function isDue(lease: LeaseState, kind: ChargeKind, month: string, billingDateMs: number): boolean {
  const interval = monthInterval(month);
  switch (kind) {
    case 'commitment':
      return lease.commitmentBilling === 'advance' ? interval.startMs <= billingDateMs : interval.endMs <= billingDateMs;
    case 'overage':
    case 'sla_credit':
      return interval.endMs <= billingDateMs;
    case 'termination_fee':
      return lease.termination !== null && lease.termination.effectiveAtMs < billingDateMs;
    default: {
      const unhandled: never = kind;
      throw new Error(`unknown charge kind ${String(unhandled)}`);
    }
  }
}

/**
 * Months a run must look at for a lease: its term, every month ever invoiced for it, and every
 * month with readings (usage recorded before a retroactive termination cut its month off the term).
 */
export function monthsToBill(model: ChargingFacts, lease: LeaseState, billingDateMs: number): string[] {
  const months = new Set(monthsBetween(lease.startsAtMs, Math.min(lease.endsAtMs, monthInterval(toInstant(billingDateMs).slice(0, 7)).endMs)));
  for (const month of model.invoicedMonths.get(lease.leaseId) ?? []) months.add(month);
  for (const month of model.usageMonths(lease.leaseId)) months.add(month);
  const terminated = terminationMonth(lease);
  if (terminated !== null) months.add(terminated);
  return [...months].sort();
}

/**
 * The lines one lease contributes to a run, in month then kind order: for every month the run
 * must look at.
 */
export function leaseLines(model: ChargingFacts, lease: LeaseState, context: BillingContext): InvoiceLine[] {
  const lines: InvoiceLine[] = [];
  for (const month of monthsToBill(model, lease, toMs(context.billingDate))) {
    const charges = chargesFor(lease, month, model.meteredAt(lease.leaseId, month, context.cutoff), context.minorDigits);
    for (const due of dueDifferences(model, lease, month, charges, context)) lines.push(lineFor(model, lease, month, due, context));
  }
  return lines;
}

/** A charge of a month due on the run's date, what documents known at the cut-off invoiced for it, and the difference a line bills. */
export interface DueDifference {
  kind: ChargeKind;
  charge: Charge | undefined;
  invoiced: { amount: Decimal; quantity: Decimal; lines: number };
  amount: Decimal;
}

/**
 * The differences a run bills for one month of a lease, in kind order, given the month's
 * charges: each due kind's current amount minus what was invoiced for it, when not zero. A
 * report that only sums them (reconciliation) asks this without building lines.
 */
export function dueDifferences(model: ChargingFacts, lease: LeaseState, month: string, charges: readonly Charge[], context: BillingContext): DueDifference[] {
  const billingDateMs = toMs(context.billingDate);
  const differences: DueDifference[] = [];
  for (const kind of chargeKindOrder) {
    if (!isDue(lease, kind, month, billingDateMs)) continue;
    const charge = charges.find((candidate) => candidate.kind === kind);
    const invoiced = model.invoicedAt(lease.leaseId, month, kind, context.cutoff);
    const current = charge?.amount ?? ZERO;
    const amount = current.minus(invoiced.amount);
    assert(amount.plus(invoiced.amount).equals(current) && amount.decimalPlaces() <= context.minorDigits, `the ${kind} line of ${lease.leaseId} ${month} is its charge minus what was invoiced, in whole minor units`);
    if (!amount.isZero()) differences.push({ kind, charge, invoiced, amount });
  }
  return differences;
}

function lineFor(model: ChargingFacts, lease: LeaseState, month: string, due: DueDifference, context: BillingContext): InvoiceLine {
  const { kind, charge, invoiced, amount } = due;
  const adjustment = invoiced.lines > 0;
  const { quantity, unitPrice } = lineQuantity(kind, amount, charge, invoiced.quantity);
  const { sources, omitted } = lineSources(model, lease.leaseId, month, kind, context.cutoff);
  const description = charge?.description ?? `${kind.replace('_', ' ')} ${month} no longer owed`;
  const line: InvoiceLine = {
    leaseId: lease.leaseId,
    serviceMonth: month,
    kind,
    description: adjustment ? `Adjustment for ${month}: ${description}` : description,
    quantity: formatQuantity(quantity),
    unitPrice: kind === 'commitment' || kind === 'overage' ? formatQuantity(unitPrice) : formatMoney(unitPrice, context.minorDigits),
    amount: formatMoney(amount, context.minorDigits),
    adjustment,
    sources,
  };
  if (omitted > 0) line.omittedSources = omitted;
  return line;
}

/**
 * GPU-hours and unit price of a line. A difference in hours at the charge's rate is shown as
 * such (600 GPU-hours at 3.50); a difference that is not (a retroactive rate change) is shown as
 * one unit at the amount, so quantity x unit price always equals the amount.
 */
function lineQuantity(
  kind: ChargeKind,
  amount: Decimal,
  charge: Charge | undefined,
  invoicedQuantity: Decimal,
): { quantity: Decimal; unitPrice: Decimal } {
  if ((kind === 'commitment' || kind === 'overage') && charge !== undefined) {
    const quantity = charge.quantity.minus(invoicedQuantity);
    if (!quantity.isZero() && quantity.times(charge.unitPrice).toDecimalPlaces(amount.decimalPlaces()).equals(amount)) {
      return { quantity, unitPrice: charge.unitPrice };
    }
    if (invoicedQuantity.isZero()) return { quantity: charge.quantity, unitPrice: charge.unitPrice };
  }
  return { quantity: new Decimal(1), unitPrice: amount };
}

function lineSources(model: ChargingFacts, leaseId: string, month: string, kind: ChargeKind, cutoff: number): { sources: LineSource[]; omitted: number } {
  switch (kind) {
    case 'commitment':
      return { sources: model.leaseSources(leaseId, cutoff, commitmentSourceTypes), omitted: 0 };
    case 'sla_credit':
      return { sources: model.leaseSources(leaseId, cutoff, slaSourceTypes), omitted: 0 };
    case 'termination_fee':
      return { sources: model.leaseSources(leaseId, cutoff, terminationSourceTypes), omitted: 0 };
    case 'overage':
      return usageSources(model, leaseId, month, cutoff);
    default: {
      const unhandled: never = kind;
      throw new Error(`unknown charge kind ${String(unhandled)}`);
    }
  }
}

/** The lease's terms, then its usage events of the month (the latest ones when over the cap). */
function usageSources(model: ChargingFacts, leaseId: string, month: string, cutoff: number): { sources: LineSource[]; omitted: number } {
  const usage = model.usageSourcesAt(leaseId, month, cutoff, lineUsageSourcesMax);
  return { sources: [...model.leaseSources(leaseId, cutoff, commitmentSourceTypes), ...usage.sources], omitted: usage.omitted };
}

/** Plans every document of a run: tenants in ascending id order, lines by lease, month, kind, then the credits drawn. */
export function planBillingRun(model: ChargingFacts, context: BillingContext): PlannedDocument[] {
  const billingDateMs = toMs(context.billingDate);
  const documents: PlannedDocument[] = [];
  for (const tenant of model.tenantsAt(context.cutoff)) {
    const lines: InvoiceLine[] = [];
    for (const leaseId of model.leasesOfTenant(tenant.tenantId, context.cutoff)) {
      const lease = model.leaseAt(leaseId, context.cutoff);
      if (lease !== null) lines.push(...leaseLines(model, lease, context));
    }
    if (lines.length === 0) continue;
    lines.push(...drawDown(lines, model.grantsOfTenantAt(tenant.tenantId, context.cutoff), billingDateMs, context.minorDigits).creditLines);
    const total = sum(lines.map((line) => new Decimal(line.amount)));
    documents.push({
      tenantId: tenant.tenantId,
      kind: total.isNegative() ? 'credit_note' : 'invoice',
      lines,
      total,
      dueAt: toInstant(addDays(billingDateMs, tenant.paymentTermsDays)),
    });
  }
  return documents;
}
