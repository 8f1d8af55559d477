import type { LeaseState } from '../domain/lease/lease-state.js';
import { committedAt } from '../domain/lease/lease.js';
import { allocatedGpuHours, type AllocationInterval } from '../domain/site/capacity.js';
import { amountOfRateGpuMs, commitmentOver, committedGpuHoursShown, monthHours, overageGpuMsOf, type Charge } from '../charging/charges.js';
import { dueDifferences } from '../charging/run-plan.js';
import { ZERO, dec, formatMoney, formatQuantity, roundMoney, shownQuantity, sum, type Decimal } from '../shared/decimal.js';
import { addMonths, monthContaining, monthInterval, monthOf, msPerDay, msPerHour, previousMonth, toInstant } from '../shared/time.js';
import { bookingMonthOf, closedMonthsOfLease, frozenPositionOf, recognitionPieces, revenueKindOf } from './periods.js';
import type { PriorPeriodAdjustmentKind } from '@compute-ledger/contracts';
import { accountBalances, accountCodes, accounts, pushLeaseRecognitions, unorderedJournalEntries, type AccountCode, type JournalEntry } from './journal.js';
import { assert } from '../shared/assert.js';
import { allocationEndAt, compareIds, type LedgerModel } from './ledger-model.js';
import { amountDue, receivablesAt } from './receivables.js';
import { grantExpiriesAt } from './credits.js';

/**
 * Every report of API.md as a pure function of the model, an effective instant or month, and a
 * knowledge cut-off (the position of the last event recorded at or before knownAt).
 */

export interface ReportScope {
  model: LedgerModel;
  cutoff: number;
  minorDigits: number;
}

const hoursPerYear = 8760;
const monthsPerYear = 12;

// ---- Recurring revenue ---------------------------------------------------------------------

/** Exact ARR of a lease at an instant: committed GPUs x rate x 8760. */
export function leaseArrExact(lease: LeaseState, atMs: number): Decimal {
  const { gpuCount, ratePerGpuHour } = committedAt(lease, atMs);
  return dec(ratePerGpuHour).times(gpuCount).times(hoursPerYear);
}

function knownLeases(scope: ReportScope): LeaseState[] {
  const leases: LeaseState[] = [];
  for (const leaseId of [...scope.model.leases.keys()].sort(compareIds)) {
    const lease = scope.model.leaseAt(leaseId, scope.cutoff);
    if (lease !== null) leases.push(lease);
  }
  return leases;
}

/**
 * The leases a report as of `atMs` sees: known at the cut-off and signed by then. A lease exists
 * from its signedAt (DOMAIN.md, "Recurring revenue"), whatever its startsAt and whenever it was
 * recorded.
 */
function leasesSignedBy(scope: ReportScope, atMs: number): LeaseState[] {
  return knownLeases(scope).filter((lease) => lease.signedAtMs <= atMs);
}

/** Tenant MRR and ARR at an instant, rounded half up at the tenant level. */
export function tenantRecurring(scope: ReportScope, atMs: number): Map<string, { mrr: Decimal; arr: Decimal }> {
  const arrExact = new Map<string, Decimal>();
  for (const tenant of scope.model.tenantsAt(scope.cutoff)) arrExact.set(tenant.tenantId, ZERO);
  for (const lease of leasesSignedBy(scope, atMs)) {
    arrExact.set(lease.tenantId, (arrExact.get(lease.tenantId) ?? ZERO).plus(leaseArrExact(lease, atMs)));
  }
  const result = new Map<string, { mrr: Decimal; arr: Decimal }>();
  for (const [tenantId, arr] of arrExact) {
    result.set(tenantId, { mrr: roundMoney(arr.dividedBy(monthsPerYear), scope.minorDigits), arr: roundMoney(arr, scope.minorDigits) });
  }
  return result;
}

export function mrrReport(scope: ReportScope, asOfMs: number) {
  const tenants = [...tenantRecurring(scope, asOfMs)].map(([tenantId, value]) => ({ tenantId, ...value }));
  return {
    mrr: formatMoney(sum(tenants.map((tenant) => tenant.mrr)), scope.minorDigits),
    arr: formatMoney(sum(tenants.map((tenant) => tenant.arr)), scope.minorDigits),
    tenants: tenants.map((tenant) => ({
      tenantId: tenant.tenantId,
      mrr: formatMoney(tenant.mrr, scope.minorDigits),
      arr: formatMoney(tenant.arr, scope.minorDigits),
    })),
  };
}

export type Movement = 'new' | 'reactivation' | 'expansion' | 'contraction' | 'churn' | 'none';

/** Ending MRR of a month: the MRR in force at its last instant. */
function endingMrr(scope: ReportScope, month: string): Map<string, Decimal> {
  const atMs = monthInterval(month).endMs - 1;
  return new Map([...tenantRecurring(scope, atMs)].map(([tenantId, value]) => [tenantId, value.mrr]));
}

/**
 * Whether any lease of the tenant carried recurring revenue at some instant before `beforeMs`;
 * a lease counts only from its signedAt, as in the MRR of every instant.
 */
function hadMrrBefore(leases: readonly LeaseState[], tenantId: string, beforeMs: number): boolean {
  return leases.some((lease) => {
    if (lease.tenantId !== tenantId) return false;
    return lease.schedule.some((entry, index) => {
      const segmentStartMs = Math.max(entry.effectiveFromMs, lease.signedAtMs);
      const segmentEndMs = Math.min(lease.schedule[index + 1]?.effectiveFromMs ?? lease.endsAtMs, lease.endsAtMs, beforeMs);
      return entry.gpuCount > 0 && dec(entry.ratePerGpuHour).greaterThan(0) && segmentStartMs < segmentEndMs;
    });
  });
}

export function classifyMovement(start: Decimal, end: Decimal, hadBefore: boolean): Movement {
  if (start.isZero() && end.greaterThan(0)) return hadBefore ? 'reactivation' : 'new';
  if (start.greaterThan(0) && end.isZero()) return 'churn';
  if (start.greaterThan(0) && end.greaterThan(start)) return 'expansion';
  if (start.greaterThan(0) && end.lessThan(start)) return 'contraction';
  return 'none';
}

export function mrrMovementsReport(scope: ReportScope, month: string) {
  const starting = endingMrr(scope, previousMonth(month));
  const ending = endingMrr(scope, month);
  const leases = knownLeases(scope);
  const totals = { new: ZERO, reactivation: ZERO, expansion: ZERO, contraction: ZERO, churn: ZERO };
  const tenants = [...ending.keys()].sort(compareIds).map((tenantId) => {
    const start = starting.get(tenantId) ?? ZERO;
    const end = ending.get(tenantId) ?? ZERO;
    const movement = classifyMovement(start, end, hadMrrBefore(leases, tenantId, monthInterval(month).startMs));
    if (movement === 'new' || movement === 'reactivation') totals[movement] = totals[movement].plus(end);
    if (movement === 'expansion') totals.expansion = totals.expansion.plus(end.minus(start));
    if (movement === 'contraction') totals.contraction = totals.contraction.plus(start.minus(end));
    if (movement === 'churn') totals.churn = totals.churn.plus(start);
    return { tenantId, startingMrr: formatMoney(start, scope.minorDigits), endingMrr: formatMoney(end, scope.minorDigits), movement };
  });
  const money = (value: Decimal): string => formatMoney(value, scope.minorDigits);
  return {
    month,
    startingMrr: money(sum(starting.values())),
    new: money(totals.new),
    reactivation: money(totals.reactivation),
    expansion: money(totals.expansion),
    contraction: money(totals.contraction),
    churn: money(totals.churn),
    endingMrr: money(sum(ending.values())),
    tenants,
  };
}

// ---- Revenue and backlog ---------------------------------------------------------------------

function monthCharges(scope: ReportScope, lease: LeaseState, month: string): readonly Charge[] {
  return scope.model.memos.charges.of(lease, month, scope.model.meteredAt(lease.leaseId, month, scope.cutoff), scope.minorDigits);
}

function chargeOf(charges: readonly Charge[], kind: Charge['kind']): Decimal {
  return charges.find((charge) => charge.kind === kind)?.amount ?? ZERO;
}

type RevenueField = 'commitment' | 'usage' | 'terminationFees' | 'slaCredits';
const revenueFields: readonly RevenueField[] = ['commitment', 'usage', 'terminationFees', 'slaCredits'];
const priorPeriodKinds: readonly PriorPeriodAdjustmentKind[] = [...revenueFields, 'creditNotes', 'promotionalCredits', 'expiredCredits'];

/**
 * The scope a book report of `month` reads: a closed month's books as known at its seal (every
 * later fact is booked elsewhere), an open month's as known at the cut-off.
 */
function booksScope(scope: ReportScope, month: string): ReportScope {
  const frozen = frozenPositionOf(scope.model.closesAt(scope.cutoff), month);
  return frozen === null ? scope : { ...scope, cutoff: Math.min(frozen, scope.cutoff) };
}

/**
 * Revenue recognized in a month's books. A closed month answers as known at its seal; an open
 * one adds the prior-period adjustments booked in it to its fields (and its leases), and lists
 * them, per month they belong to and kind.
 */
export function revenueReport(asked: ReportScope, month: string) {
  const scope = booksScope(asked, month);
  const money = (value: Decimal): string => formatMoney(value, scope.minorDigits);
  const closes = scope.model.closesAt(scope.cutoff);
  const totals: Record<RevenueField, Decimal> = { commitment: ZERO, usage: ZERO, terminationFees: ZERO, slaCredits: ZERO };
  const adjustments = new Map<string, { month: string; kind: PriorPeriodAdjustmentKind; amount: Decimal }>();
  const adjust = (belongsTo: string, kind: PriorPeriodAdjustmentKind, amount: Decimal): void => {
    const key = `${belongsTo} ${priorPeriodKinds.indexOf(kind)}`;
    const known = adjustments.get(key);
    adjustments.set(key, { month: belongsTo, kind, amount: (known?.amount ?? ZERO).plus(amount) });
  };
  const leases = [];
  for (const lease of knownLeases(scope)) {
    const charges = monthCharges(scope, lease, month);
    const row: Record<RevenueField, Decimal> = {
      commitment: chargeOf(charges, 'commitment'),
      usage: chargeOf(charges, 'overage'),
      terminationFees: chargeOf(charges, 'termination_fee'),
      slaCredits: chargeOf(charges, 'sla_credit'),
    };
    let adjusted = false;
    for (const closedMonth of closedMonthsOfLease(scope.model, lease.leaseId, scope.cutoff, closes)) {
      if (closedMonth >= month) continue;
      for (const piece of recognitionPieces(scope.model, lease.leaseId, closedMonth, scope.cutoff, closes, scope.minorDigits, true)) {
        if (!piece.priorPeriod || piece.bookMonth !== month) continue;
        for (const { kind, amount } of piece.amounts) {
          const field = revenueKindOf[kind];
          row[field] = row[field].plus(amount);
          adjust(closedMonth, field, amount);
          adjusted = true;
        }
      }
    }
    if (charges.length === 0 && !adjusted) continue;
    for (const field of revenueFields) totals[field] = totals[field].plus(row[field]);
    leases.push({ leaseId: lease.leaseId, tenantId: lease.tenantId, ...(Object.fromEntries(revenueFields.map((field) => [field, money(row[field])])) as Record<RevenueField, string>) });
  }
  let creditNotes = ZERO;
  for (const note of scope.model.creditNotes.values()) {
    if (note.position > scope.cutoff) continue;
    const belongsTo = monthOf(Date.parse(note.data.issuedAt));
    const bookMonth = bookingMonthOf(closes, belongsTo, note.position);
    if (bookMonth !== month) continue;
    creditNotes = creditNotes.minus(dec(note.data.amount));
    if (belongsTo !== month) adjust(belongsTo, 'creditNotes', dec(note.data.amount).negated());
  }
  const { promotionalCredits, expiredCredits } = creditRevenue(scope, month, closes, adjust);
  const total = totals.commitment.plus(totals.usage).plus(totals.terminationFees).plus(totals.slaCredits).plus(creditNotes).plus(promotionalCredits).plus(expiredCredits);
  return {
    month,
    commitment: money(totals.commitment),
    usage: money(totals.usage),
    terminationFees: money(totals.terminationFees),
    slaCredits: money(totals.slaCredits),
    creditNotes: money(creditNotes),
    promotionalCredits: money(promotionalCredits),
    expiredCredits: money(expiredCredits),
    total: money(total),
    // After the leases: the report's main list, the rows of its table and CSV.
    leases,
    priorPeriodAdjustments: [...adjustments.keys()]
      .sort()
      .map((key) => adjustments.get(key)!)
      .filter((entry) => !entry.amount.isZero())
      .map((entry) => ({ month: entry.month, kind: entry.kind, amount: money(entry.amount) })),
  };
}

/**
 * What grants do to a month's revenue (DOMAIN.md, "Credit grants"): promotional credit lines
 * reduce the revenue of their run's billing month, prepaid grants that expire are revenue of the
 * month of their expiresAt. Either may be booked in a later month when its own was closed.
 */
function creditRevenue(
  scope: ReportScope,
  month: string,
  closes: ReturnType<LedgerModel['closesAt']>,
  adjust: (belongsTo: string, kind: PriorPeriodAdjustmentKind, amount: Decimal) => void,
): { promotionalCredits: Decimal; expiredCredits: Decimal } {
  let promotionalCredits = ZERO;
  for (const document of scope.model.documentsAt(scope.cutoff)) {
    const belongsTo = monthOf(Date.parse(document.data.billingDate));
    if (bookingMonthOf(closes, belongsTo, document.position) !== month) continue;
    for (const line of document.data.lines) {
      if (line.kind !== 'credit' || scope.model.grants.get(line.grantId ?? '')?.data.kind !== 'promotional') continue;
      promotionalCredits = promotionalCredits.plus(dec(line.amount));
      if (belongsTo !== month) adjust(belongsTo, 'promotionalCredits', dec(line.amount));
    }
  }
  let expiredCredits = ZERO;
  for (const expiry of grantExpiriesAt(scope.model, monthInterval(month).endMs, scope.cutoff)) {
    if (expiry.kind !== 'prepaid') continue;
    const belongsTo = monthOf(expiry.expiresAtMs);
    if (bookingMonthOf(closes, belongsTo, expiry.position) !== month) continue;
    expiredCredits = expiredCredits.plus(expiry.amount);
    if (belongsTo !== month) adjust(belongsTo, 'expiredCredits', expiry.amount);
  }
  return { promotionalCredits, expiredCredits };
}

/** The commitment of a lease still to be delivered over [fromMs, toMs), like a commitment charge: rounded once. */
function remainingCommitment(scope: ReportScope, lease: LeaseState, fromMs: number, toMs: number): Decimal {
  return amountOfRateGpuMs(commitmentOver(lease, fromMs, toMs).rateGpuMs, scope.minorDigits);
}

export function backlogReport(scope: ReportScope, asOfMs: number) {
  const leases = leasesSignedBy(scope, asOfMs).map((lease) => ({
    leaseId: lease.leaseId,
    tenantId: lease.tenantId,
    remaining: remainingCommitment(scope, lease, asOfMs, lease.endsAtMs),
  }));
  return {
    total: formatMoney(sum(leases.map((lease) => lease.remaining)), scope.minorDigits),
    leases: leases.map((lease) => ({ ...lease, remaining: formatMoney(lease.remaining, scope.minorDigits) })),
  };
}

export const rpoBands = ['within12Months', 'months13to24', 'months25to36', 'beyond36Months'] as const;
export type RpoBand = (typeof rpoBands)[number];
/** What the remaining performance obligation leaves out, and the paragraph that allows it. */
export const rpoExcludes = 'usage-based consideration (ASC 606-10-50-14A)' as const;

/**
 * The remaining performance obligation at `asOfMs` (DOMAIN.md, "Closing a period"): each lease's
 * backlog split at t+12, t+24 and t+36 calendar months. A band is the difference of two rounded
 * cumulative amounts, [t, band end) less [t, band start), so the bands add up to the lease's
 * backlog exactly, whatever the rounding of each piece.
 */
export function rpoReport(scope: ReportScope, asOfMs: number) {
  const bandEndsMs = [addMonths(asOfMs, 12), addMonths(asOfMs, 24), addMonths(asOfMs, 36), Number.POSITIVE_INFINITY];
  const totals = new Map<RpoBand, Decimal>(rpoBands.map((band) => [band, ZERO]));
  const money = (value: Decimal): string => formatMoney(value, scope.minorDigits);
  const leases = leasesSignedBy(scope, asOfMs).map((lease) => {
    const bands = {} as Record<RpoBand, string>;
    let before = ZERO;
    rpoBands.forEach((band, index) => {
      const cumulative = remainingCommitment(scope, lease, asOfMs, Math.min(bandEndsMs[index]!, lease.endsAtMs));
      const amount = cumulative.minus(before);
      before = cumulative;
      totals.set(band, totals.get(band)!.plus(amount));
      bands[band] = money(amount);
    });
    return { leaseId: lease.leaseId, tenantId: lease.tenantId, ...bands };
  });
  const bands = Object.fromEntries(rpoBands.map((band) => [band, money(totals.get(band)!)])) as Record<RpoBand, string>;
  return { bands, total: money(sum(totals.values())), leases, excludes: rpoExcludes };
}

// ---- Journal-based reports ---------------------------------------------------------------------

/**
 * The scope of a report of balances at `asOfMs`: at the end of a closed month, its books as known
 * at its seal (the adjustments later booked at that same instant belong to the next month).
 */
function balancesScope(scope: ReportScope, asOfMs: number): ReportScope {
  const month = monthContaining(asOfMs);
  return month.startMs === asOfMs ? booksScope(scope, previousMonth(month.month)) : scope;
}

export function trialBalanceReport(asked: ReportScope, asOfMs: number) {
  const scope = balancesScope(asked, asOfMs);
  const { accounts: balances } = accountBalances(unorderedJournalEntries(scope.model, asOfMs, scope.cutoff, scope.minorDigits), scope.model.memos);
  return trialBalanceOf(balances, scope.minorDigits);
}

/**
 * The trial balance of net account balances: each account on its debit or credit side, and the
 * totals, which must be equal (every entry is balanced, so their sum is): unequal totals are a
 * broken invariant, never an answer.
 */
export function trialBalanceOf(balances: ReadonlyMap<AccountCode, Decimal>, minorDigits: number) {
  let totalDebit = ZERO;
  let totalCredit = ZERO;
  const rows = accountCodes.map((account) => {
    const net = balances.get(account) ?? ZERO;
    const debit = net.greaterThan(0) ? net : ZERO;
    const credit = net.lessThan(0) ? net.negated() : ZERO;
    totalDebit = totalDebit.plus(debit);
    totalCredit = totalCredit.plus(credit);
    return { account, name: accounts[account], debit: formatMoney(debit, minorDigits), credit: formatMoney(credit, minorDigits) };
  });
  assert(totalDebit.equals(totalCredit), `the trial balance is balanced (debits ${totalDebit.toFixed()}, credits ${totalCredit.toFixed()})`);
  return { accounts: rows, totalDebit: formatMoney(totalDebit, minorDigits), totalCredit: formatMoney(totalCredit, minorDigits) };
}

export function contractBalancesReport(asked: ReportScope, asOfMs: number) {
  const scope = balancesScope(asked, asOfMs);
  const { leases: balances, accounts: accountNets } = accountBalances(unorderedJournalEntries(scope.model, asOfMs, scope.cutoff, scope.minorDigits), scope.model.memos);
  // 2300 is a liability: credit minus debit.
  const customerCredits = (accountNets.get('2300') ?? ZERO).negated();
  let deferred = ZERO;
  let unbilled = ZERO;
  const leases = knownLeases(scope).map((lease) => {
    // 1200 is a liability when its net is on the credit side: credit minus debit.
    const balance = (balances.get(lease.leaseId) ?? ZERO).negated();
    if (balance.greaterThan(0)) deferred = deferred.plus(balance);
    else unbilled = unbilled.plus(balance.negated());
    return { leaseId: lease.leaseId, tenantId: lease.tenantId, balance: formatMoney(balance, scope.minorDigits) };
  });
  return { deferredRevenue: formatMoney(deferred, scope.minorDigits), unbilledReceivables: formatMoney(unbilled, scope.minorDigits), customerCredits: formatMoney(customerCredits, scope.minorDigits), leases };
}

// ---- Receivables ---------------------------------------------------------------------------------

export type AgingBucket = 'current' | 'days1to30' | 'days31to60' | 'days61to90' | 'over90';
export const agingBuckets: readonly AgingBucket[] = ['current', 'days1to30', 'days31to60', 'days61to90', 'over90'];

export function agingBucket(daysPastDue: number): AgingBucket {
  if (daysPastDue <= 0) return 'current';
  if (daysPastDue <= 30) return 'days1to30';
  if (daysPastDue <= 60) return 'days31to60';
  if (daysPastDue <= 90) return 'days61to90';
  return 'over90';
}

export function arAgingReport(scope: ReportScope, asOfMs: number) {
  const money = (value: Decimal): string => formatMoney(value, scope.minorDigits);
  const zeroBuckets = (): Record<AgingBucket, Decimal> => ({ current: ZERO, days1to30: ZERO, days31to60: ZERO, days61to90: ZERO, over90: ZERO });
  const totals = zeroBuckets();
  const tenants = [];
  for (const receivables of receivablesAt(scope.model, asOfMs, scope.cutoff).values()) {
    const buckets = zeroBuckets();
    for (const invoice of receivables.invoices) {
      const due = amountDue(invoice);
      if (due.lessThanOrEqualTo(0)) continue;
      const bucket = agingBucket(Math.floor((asOfMs - invoice.dueAtMs) / msPerDay));
      buckets[bucket] = buckets[bucket].plus(due);
      totals[bucket] = totals[bucket].plus(due);
    }
    const total = sum(agingBuckets.map((bucket) => buckets[bucket]));
    tenants.push({
      tenantId: receivables.tenantId,
      ...Object.fromEntries(agingBuckets.map((bucket) => [bucket, money(buckets[bucket])])) as Record<AgingBucket, string>,
      total: money(total),
      creditBalance: money(receivables.creditBalance),
    });
  }
  const total = sum(agingBuckets.map((bucket) => totals[bucket]));
  return {
    tenants,
    totals: { ...Object.fromEntries(agingBuckets.map((bucket) => [bucket, money(totals[bucket])])) as Record<AgingBucket, string>, total: money(total) },
  };
}

// ---- Reconciliation and capacity ---------------------------------------------------------------

/**
 * GPU-hours allocated to a lease over [fromMs, toMs) by the allocations known at the cut-off, as
 * shown: summed exactly in GPU-milliseconds, then half up to 6 fractional digits.
 */
export function allocatedGpuHoursAt(scope: ReportScope, lease: LeaseState, fromMs: number, toMs: number): Decimal {
  const known: AllocationInterval[] = [];
  for (const allocation of scope.model.allocationsOf(lease.leaseId)) {
    if (allocation.position > scope.cutoff) continue;
    known.push({ gpuCount: allocation.gpuCount, startsAtMs: allocation.startsAtMs, endsAtMs: allocationEndAt(allocation, scope.cutoff) });
  }
  return allocatedGpuHours(known, Math.max(fromMs, lease.startsAtMs), Math.min(toMs, lease.endsAtMs));
}

export function reconciliationReport(scope: ReportScope, month: string) {
  const money = (value: Decimal): string => formatMoney(value, scope.minorDigits);
  const { startMs, endMs } = monthInterval(month);
  // A run dated after every rule's due date: what it would bill for the month is what is not yet invoiced.
  const settleAll = { billingDate: toInstant(Date.UTC(9999, 0, 1)), cutoff: scope.cutoff, currency: '', minorDigits: scope.minorDigits };
  let allOk = true;
  let allThreeWay = true;
  const known = knownLeases(scope);
  const recognized = recognizedByLease(scope, known, month);
  const leases = [];
  for (const lease of known) {
    const hours = monthHours(lease, month);
    const metered = scope.model.meteredAt(lease.leaseId, month, scope.cutoff);
    const charges = monthCharges(scope, lease, month);
    const invoicedLines = scope.model.linesFor(lease.leaseId, month, scope.cutoff);
    if (charges.length === 0 && invoicedLines.length === 0 && metered.isZero()) continue;
    const chargesTotal = sum(charges.map((charge) => charge.amount));
    const invoiced = sum(invoicedLines.map((line) => dec(line.amount)));
    // Only the month asked about: a run's every month would walk the whole term.
    const notYetInvoiced = sum(dueDifferences(scope.model, lease, month, charges, settleAll).map((due) => due.amount));
    const ok = chargesTotal.equals(invoiced.plus(notYetInvoiced));
    allOk &&= ok;
    // The three-way check: metered usage -> invoiced lines -> journal entries, for the month.
    const overageGpuHours = shownQuantity(overageGpuMsOf(metered, hours), msPerHour);
    const invoicedOverageGpuHours = sum(invoicedLines.filter((line) => line.kind === 'overage').map((line) => dec(line.quantity)));
    const journalRecognized = recognized.get(lease.leaseId) ?? ZERO;
    const threeWay = {
      usageInvoiced: invoicedOverageGpuHours.equals(overageGpuHours),
      invoicedInJournal: invoiced.plus(notYetInvoiced).equals(journalRecognized),
    };
    allThreeWay &&= threeWay.usageInvoiced && threeWay.invoicedInJournal;
    leases.push({
      leaseId: lease.leaseId,
      tenantId: lease.tenantId,
      committedGpuHours: formatQuantity(committedGpuHoursShown(hours)),
      allocatedGpuHours: formatQuantity(allocatedGpuHoursAt(scope, lease, startMs, endMs)),
      meteredGpuHours: formatQuantity(metered),
      overageGpuHours: formatQuantity(shownQuantity(overageGpuMsOf(metered, hours), msPerHour)),
      charges: money(chargesTotal),
      chargesByKind: Object.fromEntries(charges.map((charge) => [charge.kind, money(charge.amount)])),
      invoiced: money(invoiced),
      notYetInvoiced: money(notYetInvoiced),
      ok,
      invoicedOverageGpuHours: formatQuantity(invoicedOverageGpuHours),
      journalRecognized: money(journalRecognized),
      threeWay: { ...threeWay, ok: threeWay.usageInvoiced && threeWay.invoicedInJournal },
    });
  }
  return { month, ok: allOk, threeWayOk: allThreeWay, leases };
}

/**
 * What the journal recognizes for each lease's service month, as known at the cut-off: its own
 * recognition and every prior-period adjustment of it, read from the lease's contract balance
 * (a recognition debits 1200 by its amount, an SLA credit credits it).
 */
function recognizedByLease(scope: ReportScope, leases: readonly LeaseState[], month: string): Map<string, Decimal> {
  const closes = scope.model.closesAt(scope.cutoff);
  const latest = closes.at(-1)?.data.month;
  const firstOpenStartMs = latest === undefined ? 0 : monthInterval(latest).endMs;
  const asOfMs = Math.max(monthInterval(month).endMs, firstOpenStartMs);
  const recognized = new Map<string, Decimal>();
  for (const lease of leases) {
    const entries: JournalEntry[] = [];
    pushLeaseRecognitions(entries, scope.model, lease, asOfMs, scope.cutoff, closes, scope.minorDigits, month);
    for (const entry of entries) {
      for (const posting of entry.postings) {
        if (posting.account !== '1200' || posting.leaseId === undefined) continue;
        recognized.set(posting.leaseId, (recognized.get(posting.leaseId) ?? ZERO).plus(posting.debit).minus(posting.credit));
      }
    }
  }
  return recognized;
}

export function capacityReport(scope: ReportScope, asOfMs: number) {
  const allocated = new Map<string, number>();
  for (const allocation of scope.model.allocations.values()) {
    if (allocation.position > scope.cutoff || allocation.startsAtMs > asOfMs) continue;
    if (allocationEndAt(allocation, scope.cutoff) > asOfMs) allocated.set(allocation.siteId, (allocated.get(allocation.siteId) ?? 0) + allocation.gpuCount);
  }
  const sites = [...scope.model.sites.values()]
    .filter((site) => site.position <= scope.cutoff)
    .sort((a, b) => compareIds(a.siteId, b.siteId))
    .map((site) => {
      const used = allocated.get(site.siteId) ?? 0;
      return { siteId: site.siteId, gpuSku: site.gpuSku, gpuCount: site.gpuCount, allocated: used, free: site.gpuCount - used };
    });
  return { sites };
}
