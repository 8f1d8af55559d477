import type { DocumentRecord, KeptLine, LedgerModel, PeriodCloseRecord } from './ledger-model.js';
import { chargeKindOrder, type Charge } from '../charging/charges.js';
import type { ModelMemos } from './memos.js';
import { assert } from '../shared/assert.js';
import type { LeaseState } from '../domain/lease/lease-state.js';
import type { Decimal} from '../shared/decimal.js';
import { ZERO, dec } from '../shared/decimal.js';
import { monthContaining, monthInterval, monthsBetween, toMs } from '../shared/time.js';
import { terminationMonth } from '../charging/charges.js';
import { bookingMonthOf, closedMonthsOfLease, recognitionPieces, type RecognitionPiece } from './periods.js';
import type { ChargeKind } from '@compute-ledger/contracts';
import { grantExpiriesAt } from './credits.js';

/**
 * The double-entry journal (DOMAIN.md, "Revenue, contract balances and the journal"), derived
 * from the model for an effective instant (asOf) and a knowledge cut-off. Every entry is
 * balanced by construction (postings come in pairs, see `transfer`) and checked as it is made
 * (`journalEntries`, `accountBalances`): an unbalanced entry is a broken invariant, never an
 * answer. The trial balance sums them.
 */

export const accounts = {
  '1000': 'Cash',
  '1100': 'Accounts receivable',
  '1200': 'Contract balances',
  '2300': 'Customer credits',
  '4000': 'Revenue: commitment',
  '4010': 'Revenue: usage',
  '4020': 'Revenue: termination fees',
  '4030': 'Revenue: expired credits',
  '4090': 'SLA credits',
  '4095': 'Credit notes',
  '4096': 'Promotional credits',
} as const;
export type AccountCode = keyof typeof accounts;
export const accountCodes = Object.keys(accounts) as AccountCode[];

export interface Posting {
  account: AccountCode;
  /** The lease sub-account of 1200. */
  leaseId?: string;
  debit: Decimal;
  credit: Decimal;
}

export interface JournalEntry {
  entryId: string;
  effectiveAtMs: number;
  description: string;
  /** Global position of the event the entry comes from (the latest one, for recognized revenue). */
  position: number;
  postings: readonly Posting[];
  /** A prior-period adjustment: booked here because the month it belongs to was closed when its fact was recorded. */
  priorPeriod?: { month: string };
  /** The service month a recognition of revenue recognizes (in its own books at the month's end, or as a prior-period adjustment). */
  recognizedMonth?: string;
}

const recognitionAccount = { commitment: '4000', overage: '4010', termination_fee: '4020', sla_credit: '4090' } as const;

function posting(account: AccountCode, amount: Decimal, side: 'debit' | 'credit', leaseId?: string): Posting {
  const base = leaseId === undefined ? { account } : { account, leaseId };
  return side === 'debit' ? { ...base, debit: amount, credit: ZERO } : { ...base, debit: ZERO, credit: amount };
}

/** A pair of postings moving `amount` from credit to debit; a negative amount swaps the sides. */
function transfer(debitAccount: AccountCode, creditAccount: AccountCode, amount: Decimal, leaseId?: string): Posting[] {
  const debitLease = debitAccount === '1200' ? leaseId : undefined;
  const creditLease = creditAccount === '1200' ? leaseId : undefined;
  if (amount.isNegative()) {
    return [posting(creditAccount, amount.negated(), 'debit', creditLease), posting(debitAccount, amount.negated(), 'credit', debitLease)];
  }
  return [posting(debitAccount, amount, 'debit', debitLease), posting(creditAccount, amount, 'credit', creditLease)];
}

/**
 * The months a lease recognizes revenue in by `asOfMs`: those of its term that ended by then,
 * and the month of its termination. Only months up to `asOfMs` are ever listed, so the cost of a
 * journal is bounded by the instant asked about, not by how far the term runs.
 */
function serviceMonthsEndedBy(lease: LeaseState, asOfMs: number): string[] {
  const months = monthsBetween(lease.startsAtMs, Math.min(lease.endsAtMs, monthContaining(asOfMs).startMs));
  const terminated = terminationMonth(lease);
  if (terminated !== null && monthInterval(terminated).endMs <= asOfMs && !months.includes(terminated)) {
    months.push(terminated);
    months.sort();
  }
  return months;
}

/**
 * The service months and the months with readings, in order: usage of a month that a
 * retroactive termination cut off the term is still revenue of that month.
 */
function withUsageMonths(months: readonly string[], usageMonths: Iterable<string>): readonly string[] {
  let extra: string[] | null = null;
  for (const month of usageMonths) {
    if (!months.includes(month)) (extra ??= []).push(month);
  }
  return extra === null ? months : [...months, ...extra].sort();
}

/** What the journal derives from immutable facts (a charge, an issued document) is derived once, in the model's memos. */
function chargePostings(memos: ModelMemos, charge: Charge): readonly Posting[] {
  return memos.chargePostings.of(charge, () =>
    charge.kind === 'sla_credit' ? transfer('4090', '1200', charge.amount.negated(), charge.leaseId) : transfer('1200', recognitionAccount[charge.kind], charge.amount, charge.leaseId),
  );
}

function documentPostings(model: LedgerModel, document: DocumentRecord): readonly Posting[] {
  return model.memos.documentPostings.of(document, () => document.data.lines.flatMap((line) => linePostings(model, line)));
}

/**
 * A charge line moves the lease's contract balance; a prepayment line makes a customer credit
 * (2300) that the tenant owes; a credit line pays the document with a prepaid grant's credit, or
 * with a promotional grant's, which is contra-revenue (4096).
 */
function linePostings(model: LedgerModel, line: KeptLine): Posting[] {
  const amount = dec(line.amount);
  switch (line.kind) {
    case 'prepayment':
      return transfer('1100', '2300', amount);
    case 'credit': {
      const grant = model.grants.get(line.grantId ?? '');
      assert(grant !== undefined, `credit line of unknown grant ${String(line.grantId)}`);
      return transfer(grant.data.kind === 'prepaid' ? '2300' : '4096', '1100', amount.negated());
    }
    default:
      assert(line.leaseId !== null, `a ${line.kind} line names its lease`);
      return transfer('1100', '1200', amount, line.leaseId);
  }
}

function recognitionPostings(kind: ChargeKind, amount: Decimal, leaseId: string): Posting[] {
  return kind === 'sla_credit' ? transfer('4090', '1200', amount.negated(), leaseId) : transfer('1200', recognitionAccount[kind], amount, leaseId);
}

/**
 * Where an entry of a fact dated `effectiveAtMs` and recorded at `position` is booked: at its own
 * date, or, when its month was closed before it was recorded, at the first instant of the first
 * open month then, as a prior-period adjustment.
 */
function booked(closes: readonly PeriodCloseRecord[], effectiveAtMs: number, position: number): { effectiveAtMs: number; priorPeriod?: { month: string } } {
  if (closes.length === 0) return { effectiveAtMs };
  const month = monthContaining(effectiveAtMs).month;
  const bookMonth = bookingMonthOf(closes, month, position);
  return bookMonth === month ? { effectiveAtMs } : { effectiveAtMs: monthInterval(bookMonth).startMs, priorPeriod: { month } };
}

/** Every journal entry effective at or before `asOfMs`, as known at `cutoff`, in effective order. */
export function journalEntries(model: LedgerModel, asOfMs: number, cutoff: number, minorDigits: number): JournalEntry[] {
  return unorderedJournalEntries(model, asOfMs, cutoff, minorDigits).sort((a, b) => a.effectiveAtMs - b.effectiveAtMs || a.position - b.position || (a.entryId < b.entryId ? -1 : 1));
}

/** The entries of `journalEntries` in no particular order, each checked balanced: what balances sum. */
export function unorderedJournalEntries(model: LedgerModel, asOfMs: number, cutoff: number, minorDigits: number): JournalEntry[] {
  const entries: JournalEntry[] = [];
  const closes = model.closesAt(cutoff);
  for (const document of model.documentsAt(cutoff)) {
    const { effectiveAtMs, priorPeriod } = booked(closes, toMs(document.data.billingDate), document.position);
    if (effectiveAtMs > asOfMs) continue;
    entries.push({ entryId: document.data.invoiceId, effectiveAtMs, description: `${document.data.kind === 'invoice' ? 'Invoice' : 'Credit note'} ${document.data.invoiceId} to ${document.data.tenantId}`, position: document.position, postings: documentPostings(model, document), ...(priorPeriod === undefined ? {} : { priorPeriod }) });
  }
  for (const record of model.leases.values()) {
    const lease = model.leaseAt(record.leaseId, cutoff);
    if (lease !== null) pushLeaseRecognitions(entries, model, lease, asOfMs, cutoff, closes, minorDigits);
  }
  for (const note of model.creditNotes.values()) {
    if (note.position > cutoff) continue;
    const { effectiveAtMs, priorPeriod } = booked(closes, toMs(note.data.issuedAt), note.position);
    if (effectiveAtMs > asOfMs) continue;
    entries.push({ entryId: note.data.documentId, effectiveAtMs, description: `Credit note ${note.data.documentId} to ${note.data.tenantId}: ${note.data.reason}`, position: note.position, postings: transfer('4095', '1100', dec(note.data.amount)), ...(priorPeriod === undefined ? {} : { priorPeriod }) });
  }
  for (const payment of model.payments.values()) {
    if (payment.position > cutoff) continue;
    const { effectiveAtMs, priorPeriod } = booked(closes, toMs(payment.data.receivedAt), payment.position);
    if (effectiveAtMs > asOfMs) continue;
    entries.push({ entryId: payment.data.paymentId, effectiveAtMs, description: `Payment ${payment.data.paymentId} from ${payment.data.tenantId}`, position: payment.position, postings: transfer('1000', '1100', dec(payment.data.amount)), ...(priorPeriod === undefined ? {} : { priorPeriod }) });
  }
  for (const expiry of grantExpiriesAt(model, asOfMs, cutoff)) {
    // A promotional grant that expires was never paid for: nothing to book.
    if (expiry.kind !== 'prepaid') continue;
    const { effectiveAtMs, priorPeriod } = booked(closes, expiry.expiresAtMs, expiry.position);
    if (effectiveAtMs > asOfMs) continue;
    entries.push({ entryId: `${expiry.grantId}:expired`, effectiveAtMs, description: `Prepaid credit ${expiry.grantId} of ${expiry.tenantId} expired`, position: expiry.position, postings: transfer('2300', '4030', expiry.amount), ...(priorPeriod === undefined ? {} : { priorPeriod }) });
  }
  for (const entry of entries) assertBalanced(model.memos, entry);
  return entries;
}

/**
 * The revenue a lease recognizes by `asOfMs`, as known at `cutoff`: each service month's charges
 * at the month's end, or, once months are closed, each month's pieces (its own books and the
 * prior-period adjustments booked later). `onlyMonth` keeps the entries that recognize that one
 * service month (reconciliation asks for a month's, not the whole journal).
 */
export function pushLeaseRecognitions(
  entries: JournalEntry[],
  model: LedgerModel,
  lease: LeaseState,
  asOfMs: number,
  cutoff: number,
  closes: readonly PeriodCloseRecord[],
  minorDigits: number,
  onlyMonth?: string,
): void {
  // An entry names the lease's first event: the recognition is the contract's, month by month.
  const position = model.leases.get(lease.leaseId)!.events[0]!.position;
  const months = withUsageMonths(serviceMonthsEndedBy(lease, asOfMs), model.usageMonths(lease.leaseId));
  if (closes.length === 0) {
    for (const month of months) {
      // Months are in order: the rest end later still.
      if (monthInterval(month).endMs > asOfMs) break;
      if (onlyMonth !== undefined && month !== onlyMonth) continue;
      const charges = model.memos.charges.of(lease, month, model.meteredAt(lease.leaseId, month, cutoff), minorDigits);
      for (const entry of model.memos.recognitions.of(charges, () => ownRecognitions(model.memos, lease.leaseId, month, charges, position))) entries.push(entry);
    }
    return;
  }
  const withClosed = [...new Set([...months, ...closedMonthsOfLease(model, lease.leaseId, cutoff, closes)])].sort();
  for (const month of withClosed) {
    if (monthInterval(month).endMs > asOfMs) break;
    if (onlyMonth !== undefined && month !== onlyMonth) continue;
    for (const piece of recognitionPieces(model, lease.leaseId, month, cutoff, closes, minorDigits)) pushRecognition(entries, piece, lease.leaseId, month, asOfMs, position);
  }
}

/** The entries of a month's charges recognized in its own books at its end, in kind order (made once per list of charges, see ModelMemos). */
function ownRecognitions(memos: ModelMemos, leaseId: string, month: string, charges: readonly Charge[], position: number): readonly JournalEntry[] {
  const effectiveAtMs = monthInterval(month).endMs;
  const entries: JournalEntry[] = [];
  for (const kind of chargeKindOrder) {
    const charge = charges.find((candidate) => candidate.kind === kind);
    if (charge === undefined || charge.amount.isZero()) continue;
    entries.push(Object.freeze({ entryId: `${leaseId}:${month}:${kind}`, effectiveAtMs, description: `Recognized ${kind.replace('_', ' ')} ${month} of lease ${leaseId}`, position, postings: chargePostings(memos, charge), recognizedMonth: month }));
  }
  return Object.freeze(entries);
}

/** The entries of one piece of a recognition: in the month's own books at its end, or as an adjustment at the first instant of the month that books it. */
function pushRecognition(entries: JournalEntry[], piece: RecognitionPiece, leaseId: string, month: string, asOfMs: number, position: number): void {
  const effectiveAtMs = piece.priorPeriod ? monthInterval(piece.bookMonth).startMs : monthInterval(month).endMs;
  if (effectiveAtMs > asOfMs) return;
  for (const { kind, amount } of piece.amounts) {
    if (amount.isZero()) continue;
    const what = `${kind.replace('_', ' ')} ${month} of lease ${leaseId}`;
    entries.push(
      piece.priorPeriod
        ? { entryId: `${leaseId}:${month}:${kind}:booked-${piece.bookMonth}`, effectiveAtMs, description: `Prior-period adjustment of recognized ${what}, booked in ${piece.bookMonth}`, position, postings: recognitionPostings(kind, amount, leaseId), priorPeriod: { month }, recognizedMonth: month }
        : { entryId: `${leaseId}:${month}:${kind}`, effectiveAtMs, description: `Recognized ${what}`, position, postings: recognitionPostings(kind, amount, leaseId), recognizedMonth: month },
    );
  }
}

/** Stops at an unbalanced entry (debits must equal credits); checked once per list of postings, when it is first summed. */
function assertBalanced(memos: ModelMemos, entry: JournalEntry): void {
  netOfPostings(memos, entry);
}

export interface AccountBalance {
  account: AccountCode;
  debit: Decimal;
  credit: Decimal;
}

/** Net balance per account, each on its debit or credit side, and per lease for 1200. */
export function accountBalances(entries: readonly JournalEntry[], memos: ModelMemos): { accounts: Map<AccountCode, Decimal>; leases: Map<string, Decimal> } {
  const net = new Map<AccountCode, Decimal>();
  const leases = new Map<string, Decimal>();
  for (const entry of entries) {
    const { accounts: accountDeltas, leases: leaseDeltas } = netOfPostings(memos, entry);
    for (const [account, delta] of accountDeltas) net.set(account, (net.get(account) ?? ZERO).plus(delta));
    for (const [leaseId, delta] of leaseDeltas) leases.set(leaseId, (leases.get(leaseId) ?? ZERO).plus(delta));
  }
  return { accounts: net, leases };
}

export interface PostingsNet {
  accounts: [AccountCode, Decimal][];
  leases: [string, Decimal][];
}

/**
 * What an entry's postings move, per account and per lease: postings are shared and never
 * change, so this is summed once, and the entry is checked balanced then (the account deltas of
 * a balanced entry sum to zero).
 */
function netOfPostings(memos: ModelMemos, entry: JournalEntry): PostingsNet {
  return memos.postingsNet.of(entry.postings, (postings) => {
    const accounts = new Map<AccountCode, Decimal>();
    const leases = new Map<string, Decimal>();
    let net = ZERO;
    for (const item of postings) {
      const delta = item.debit.minus(item.credit);
      net = net.plus(delta);
      accounts.set(item.account, (accounts.get(item.account) ?? ZERO).plus(delta));
      if (item.leaseId !== undefined) leases.set(item.leaseId, (leases.get(item.leaseId) ?? ZERO).plus(delta));
    }
    assert(net.isZero(), `journal entry ${entry.entryId} is balanced (debits minus credits is ${net.toFixed()})`);
    return { accounts: [...accounts], leases: [...leases] };
  });
}
