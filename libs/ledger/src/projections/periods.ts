import type { PeriodCloseRecord, LedgerModel } from './ledger-model.js';
import { chargeKindOrder, terminationMonth } from '../charging/charges.js';
import type { ChargeKind } from '@compute-ledger/contracts';
import { ZERO, type Decimal } from '../shared/decimal.js';
import { monthsBetween, nextMonth } from '../shared/time.js';

/**
 * Closed periods in the books (DOMAIN.md, "Closing a period"). A closed month's books are what
 * the log held at its seal; a fact recorded after the seal whose entries would fall in a closed
 * month is booked, with the same amounts, in the first open month when it was recorded. Every
 * month up to the latest closed one is final: a month before the first close is fixed by that
 * first close's seal (its books feed the closed month's trial balance).
 *
 * Knowledge is cut by seal positions: facts recorded in (seal of c_i, seal of c_i+1] were
 * recorded while c_i was the latest closed month, so they are booked in c_i+1.
 */

/**
 * The knowledge position that fixes a month's books, as known with `closes`: the seal of the
 * earliest close at or after it, or null while the month is open.
 */
export function frozenPositionOf(closes: readonly PeriodCloseRecord[], month: string): number | null {
  const last = closes.at(-1);
  if (last === undefined || month > last.data.month) return null;
  return closes.find((close) => close.data.month >= month)!.data.seal.position;
}

/** The latest closed month as known with `closes`, or null. */
export function latestClosedMonth(closes: readonly PeriodCloseRecord[]): string | null {
  return closes.at(-1)?.data.month ?? null;
}

/** The month a fact that belongs to `month`, recorded at `position`, is booked in. */
export function bookingMonthOf(closes: readonly PeriodCloseRecord[], month: string, position: number): string {
  let closedThen: string | null = null;
  for (const close of closes) {
    if (close.data.seal.position >= position) break;
    closedThen = close.data.month;
  }
  return closedThen === null || month > closedThen ? month : nextMonth(closedThen);
}

/** A part of a lease's recognition of one month: in its own books, or a prior-period adjustment in a later month. */
export interface RecognitionPiece {
  /** The month whose books carry it. */
  bookMonth: string;
  priorPeriod: boolean;
  amounts: { kind: ChargeKind; amount: Decimal }[];
}

function amountsAt(model: LedgerModel, leaseId: string, month: string, position: number, minorDigits: number): Map<ChargeKind, Decimal> {
  const lease = model.leaseAt(leaseId, position);
  const amounts = new Map<ChargeKind, Decimal>();
  if (lease === null) return amounts;
  for (const charge of model.memos.charges.of(lease, month, model.meteredAt(leaseId, month, position), minorDigits)) amounts.set(charge.kind, charge.amount);
  return amounts;
}

/** Whether nothing that a month's charges depend on changed between two positions. */
function sameFacts(model: LedgerModel, leaseId: string, month: string, from: number, to: number): boolean {
  return model.leaseAt(leaseId, from) === model.leaseAt(leaseId, to) && model.meteredAt(leaseId, month, from).equals(model.meteredAt(leaseId, month, to));
}

/**
 * A lease's recognition of `month` as known at `cutoff`, split by the books that carry it: the
 * month's own (as known at its seal, when closed), then one adjustment per later month in which
 * facts recorded after the seal changed it; `adjustmentsOnly` leaves the month's own out.
 */
export function recognitionPieces(
  model: LedgerModel,
  leaseId: string,
  month: string,
  cutoff: number,
  closes: readonly PeriodCloseRecord[],
  minorDigits: number,
  adjustmentsOnly = false,
): RecognitionPiece[] {
  const frozen = frozenPositionOf(closes, month);
  const own = (position: number): RecognitionPiece => ({
    bookMonth: month,
    priorPeriod: false,
    amounts: [...amountsAt(model, leaseId, month, position, minorDigits)].map(([kind, amount]) => ({ kind, amount })),
  });
  if (frozen === null) return adjustmentsOnly ? [] : [own(cutoff)];
  const pieces = adjustmentsOnly ? [] : [own(frozen)];
  let from = frozen;
  // The charges at the seal are computed only when something changed after it: most months never move.
  let known: Map<ChargeKind, Decimal> | null = null;
  const beforeOf = (): Map<ChargeKind, Decimal> => (known ??= amountsAt(model, leaseId, month, frozen, minorDigits));
  const firstLater = closes.findIndex((close) => close.data.seal.position > frozen);
  const boundaries: { to: number; bookMonth: string }[] = [];
  if (firstLater >= 0) for (const close of closes.slice(firstLater)) boundaries.push({ to: Math.min(close.data.seal.position, cutoff), bookMonth: close.data.month });
  boundaries.push({ to: cutoff, bookMonth: nextMonth(latestClosedMonth(closes)!) });
  for (const { to, bookMonth } of boundaries) {
    if (to <= from || sameFacts(model, leaseId, month, from, to)) {
      from = Math.max(from, to);
      continue;
    }
    const before = beforeOf();
    const after = amountsAt(model, leaseId, month, to, minorDigits);
    const amounts = chargeKindOrder
      .map((kind) => ({ kind, amount: (after.get(kind) ?? ZERO).minus(before.get(kind) ?? ZERO) }))
      .filter((entry) => !entry.amount.isZero());
    if (amounts.length > 0) pieces.push({ bookMonth, priorPeriod: true, amounts });
    known = after;
    from = to;
  }
  return pieces;
}

/**
 * Months up to the latest closed one in which a lease may recognize anything by any state known
 * at `cutoff`: the terms of each of its states, termination months and months with readings.
 */
export function closedMonthsOfLease(model: LedgerModel, leaseId: string, cutoff: number, closes: readonly PeriodCloseRecord[]): string[] {
  const latest = latestClosedMonth(closes);
  const record = model.leases.get(leaseId);
  if (latest === null || record === undefined) return [];
  const months = new Set<string>();
  record.events.forEach((entry, index) => {
    if (entry.position > cutoff) return;
    const state = record.states[index]!;
    for (const month of monthsBetween(state.startsAtMs, state.endsAtMs)) months.add(month);
    const terminated = terminationMonth(state);
    if (terminated !== null) months.add(terminated);
  });
  for (const month of model.usageMonths(leaseId)) months.add(month);
  return [...months].filter((month) => month <= latest).sort();
}

/** Revenue fields of a charge kind, as the revenue report names them. */
export const revenueKindOf = { commitment: 'commitment', overage: 'usage', termination_fee: 'terminationFees', sla_credit: 'slaCredits' } as const;
