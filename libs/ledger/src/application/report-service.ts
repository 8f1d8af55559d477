import { currencyMinorDigits, usageReadingsPageDefault, usageReadingsPageMax, type CurrencyCode, type InvoiceLine } from '@compute-ledger/contracts';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import type { LeaseState } from '../domain/lease/lease-state.js';
import { leaseStatus } from '../domain/lease/lease.js';
import { committedGpuHoursShown, monthHours } from '../billing/charges.js';
import { journalEntries } from '../projections/journal.js';
import {
  allocatedGpuHoursAt,
  arAgingReport,
  backlogReport,
  capacityReport,
  contractBalancesReport,
  mrrMovementsReport,
  mrrReport,
  reconciliationReport,
  revenueReport,
  rpoReport,
  trialBalanceReport,
  type ReportScope,
} from '../projections/reports.js';
import { amountDue, invoiceStatus, receivablesAt } from '../projections/receivables.js';
import { draftsAt, draftView } from '../projections/drafts.js';
import type { DraftStatus } from '../domain/billing/drafts.js';
import { ZERO, dec, formatMoney, formatQuantity } from '../shared/decimal.js';
import { monthInterval, nextMonth, toInstant, toMs } from '../shared/time.js';
import type { PeriodCloseRecord } from '../projections/ledger-model.js';
import type { EventStore } from '../store/event-store.js';
import type { ModelRunner } from './model-runner.js';
import type { Clock } from './clock.js';

/**
 * Answers every report for (asOf or month, knownAt). knownAt defaults to now and asOf to now;
 * each answer repeats both so it can be reproduced later.
 */

export interface TimeQuery {
  asOf?: string;
  knownAt?: string;
}

export interface MonthTimeQuery {
  month: string;
  knownAt?: string;
}

/** A month of a lease's usage, its readings a page at a time (see UsageQuery in the contracts). */
export interface UsagePageQuery extends MonthTimeQuery {
  /** Readings in the page: 1 to usageReadingsPageMax, default usageReadingsPageDefault. */
  limit?: number;
  /** The `nextCursor` of the page before; none for the first page. */
  cursor?: string | undefined;
}

export interface ReportServiceOptions {
  store: EventStore;
  runner: ModelRunner;
  currency: CurrencyCode;
  clock: Clock;
}

export class ReportService {
  readonly minorDigits: number;

  constructor(private readonly options: ReportServiceOptions) {
    this.minorDigits = currencyMinorDigits[options.currency];
  }

  get currency(): CurrencyCode {
    return this.options.currency;
  }

  /** The model position that stands for `knownAt`: every event recorded at or before it. */
  async scope(knownAt?: string): Promise<{ scope: ReportScope; knownAt: string }> {
    await this.options.runner.catchUp();
    const model = this.options.runner.model;
    const resolvedKnownAt = knownAt ?? toInstant(this.options.clock().getTime());
    const cutoff = knownAt === undefined ? model.position : Math.min(model.position, await this.options.store.positionKnownAt(knownAt));
    return { scope: { model, cutoff, minorDigits: this.minorDigits }, knownAt: resolvedKnownAt };
  }

  private asOfMs(query: TimeQuery): { asOf: string; asOfMs: number } {
    const asOf = query.asOf ?? toInstant(this.options.clock().getTime());
    return { asOf, asOfMs: toMs(asOf) };
  }

  async mrr(query: TimeQuery) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...mrrReport(scope, asOfMs) };
  }

  async mrrMovements(query: MonthTimeQuery) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    return { knownAt, ...mrrMovementsReport(scope, query.month) };
  }

  async revenue(query: MonthTimeQuery) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    return { knownAt, ...revenueReport(scope, query.month) };
  }

  async backlog(query: TimeQuery) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...backlogReport(scope, asOfMs) };
  }

  async rpo(query: TimeQuery) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...rpoReport(scope, asOfMs) };
  }

  async trialBalance(query: TimeQuery) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...trialBalanceReport(scope, asOfMs) };
  }

  async contractBalances(query: TimeQuery) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...contractBalancesReport(scope, asOfMs) };
  }

  async arAging(query: TimeQuery) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...arAgingReport(scope, asOfMs) };
  }

  async reconciliation(query: MonthTimeQuery) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    return { knownAt, ...reconciliationReport(scope, query.month) };
  }

  async capacity(query: TimeQuery) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...capacityReport(scope, asOfMs) };
  }

  /** Every close known at knownAt, with its seal and the prior-period adjustments booked after it. */
  async periods(query: { knownAt?: string } = {}) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    return { knownAt, periods: scope.model.closesAt(scope.cutoff).map((close) => periodView(scope, close)) };
  }

  /** One closed month as known at knownAt; a month not closed then does not exist as a period. */
  async period(month: string, query: { knownAt?: string } = {}) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const close = scope.model.closesAt(scope.cutoff).find((each) => each.data.month === month);
    if (close === undefined) throw new NotFoundError(`period ${month} is not closed`);
    return { knownAt, ...periodView(scope, close) };
  }

  /** Journal entries effective in [from, to), as known at knownAt, amounts as strings. */
  async journal(query: { from?: string; to?: string; knownAt?: string }) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const toMsValue = query.to === undefined ? this.options.clock().getTime() : toMs(query.to) - 1;
    const fromMsValue = query.from === undefined ? Number.NEGATIVE_INFINITY : toMs(query.from);
    const entries = journalEntries(scope.model, toMsValue, scope.cutoff, this.minorDigits).filter((entry) => entry.effectiveAtMs >= fromMsValue);
    return {
      knownAt,
      entries: entries.map((entry) => ({
        entryId: entry.entryId,
        effectiveAt: toInstant(entry.effectiveAtMs),
        description: entry.description,
        ...(entry.priorPeriod === undefined ? {} : { priorPeriod: true, priorPeriodMonth: entry.priorPeriod.month }),
        postings: entry.postings.map((posting) => ({
          account: posting.account,
          ...(posting.leaseId === undefined ? {} : { leaseId: posting.leaseId }),
          debit: formatMoney(posting.debit, this.minorDigits),
          credit: formatMoney(posting.credit, this.minorDigits),
        })),
      })),
    };
  }

  /** A billing document or credit note with its lines and what is paid now, as known at knownAt. */
  async invoice(invoiceId: string, knownAt?: string) {
    const { scope } = await this.scope(knownAt);
    const view = this.documentViews(scope, (id) => id === invoiceId)[0];
    if (view === undefined) throw new NotFoundError(`invoice ${invoiceId} does not exist`);
    return view;
  }

  /** A draft of a billing run with its audit trail, as known at knownAt. */
  async draft(draftId: string, knownAt?: string) {
    const { scope } = await this.scope(knownAt);
    const draft = scope.model.drafts.get(draftId);
    if (draft === undefined || draft.position > scope.cutoff) throw new NotFoundError(`draft ${draftId} does not exist`);
    return draftView(draft, scope.cutoff);
  }

  /** Drafts in order of creation, optionally of one status (as it was at knownAt). */
  async drafts(query: { status?: DraftStatus; knownAt?: string }) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    return { knownAt, drafts: draftsAt(scope.model, scope.cutoff, query.status) };
  }

  /** Every document in order of issue (invoices, credit notes of runs and by hand), optionally filtered. */
  async invoices(query: { tenantId?: string; billingDate?: string; knownAt?: string }) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const billingDateMs = query.billingDate === undefined ? null : toMs(query.billingDate);
    const invoices = this.documentViews(scope, () => true).filter(
      (view) =>
        (query.tenantId === undefined || view.tenantId === query.tenantId) &&
        (billingDateMs === null || (view.billingDate !== null && toMs(view.billingDate) === billingDateMs)),
    );
    return { knownAt, invoices };
  }

  /**
   * Documents known at the scope's cut-off as the API shows them, in order of issue. A credit
   * note by hand has no lines and no billing date; it carries its reason and the invoice it
   * credits. Amount paid, due and status are as of now.
   */
  private documentViews(scope: ReportScope, wanted: (documentId: string) => boolean) {
    const balances = receivablesAt(scope.model, this.options.clock().getTime(), scope.cutoff);
    const zero = formatMoney(ZERO, this.minorDigits);
    const views: (InvoiceView & { position: number })[] = [];
    for (const document of scope.model.documentsAt(scope.cutoff)) {
      if (!wanted(document.data.invoiceId)) continue;
      const isInvoice = document.data.kind === 'invoice';
      const balance = balances.get(document.data.tenantId)?.invoices.find((invoice) => invoice.invoiceId === document.data.invoiceId);
      views.push({
        position: document.position,
        ...document.data,
        // A credit note is owed to the tenant, not by it: it has no due date (its event keeps the run's terms, unused).
        dueAt: isInvoice ? document.data.dueAt : null,
        amountPaid: formatMoney(balance?.applied ?? ZERO, this.minorDigits),
        amountDue: isInvoice ? formatMoney(balance === undefined ? dec(document.data.total) : amountDue(balance), this.minorDigits) : zero,
        status: isInvoice ? (balance === undefined ? 'open' : invoiceStatus(balance)) : 'issued',
      });
    }
    for (const note of scope.model.creditNotes.values()) {
      if (note.position > scope.cutoff || !wanted(note.data.documentId)) continue;
      views.push({
        position: note.position,
        invoiceId: note.data.documentId,
        kind: 'credit_note',
        tenantId: note.data.tenantId,
        billingDate: null,
        issuedAt: note.data.issuedAt,
        dueAt: null,
        currency: note.data.currency,
        lines: [],
        total: formatMoney(dec(note.data.amount).negated(), this.minorDigits),
        amountPaid: zero,
        amountDue: zero,
        status: 'issued',
        creditNoteId: note.data.creditNoteId,
        reason: note.data.reason,
        ...(note.data.invoiceId === undefined ? {} : { creditedInvoiceId: note.data.invoiceId }),
      });
    }
    return views.sort((a, b) => a.position - b.position).map(({ position: _position, ...view }) => view);
  }

  /** The lease as it stands now (as known at knownAt). */
  async lease(leaseId: string, knownAt?: string) {
    const { scope } = await this.scope(knownAt);
    const lease = scope.model.leaseAt(leaseId, scope.cutoff);
    if (lease === null) throw new NotFoundError(`lease ${leaseId} does not exist`);
    return leaseView(lease, this.options.clock().getTime());
  }

  /**
   * A lease's usage for a month: metered, committed and allocated GPU-hours over the whole
   * month, and one page of its readings (usage events, in log order) with the cursor of the next
   * page, null after the last.
   */
  async usage(leaseId: string, query: UsagePageQuery) {
    const limit = query.limit ?? usageReadingsPageDefault;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > usageReadingsPageMax) {
      throw new ValidationError(`limit ${limit} is not a whole number from 1 to ${usageReadingsPageMax}`, [{ path: 'limit', message: `must be a whole number from 1 to ${usageReadingsPageMax}` }]);
    }
    if (query.cursor !== undefined && !/^(0|[1-9][0-9]{0,14})$/.test(query.cursor)) {
      throw new ValidationError(`cursor ${query.cursor} is not the nextCursor of an earlier page`, [{ path: 'cursor', message: 'must be the nextCursor of an earlier page' }]);
    }
    const after = query.cursor === undefined ? -1 : Number(query.cursor);
    const { scope, knownAt } = await this.scope(query.knownAt);
    const lease = scope.model.leaseAt(leaseId, scope.cutoff);
    if (lease === null) throw new NotFoundError(`lease ${leaseId} does not exist`);
    const { startMs, endMs } = monthInterval(query.month);
    const page = scope.model.usagePageAt(leaseId, query.month, scope.cutoff, after, limit);
    return {
      leaseId,
      month: query.month,
      knownAt,
      meteredGpuHours: formatQuantity(scope.model.meteredAt(leaseId, query.month, scope.cutoff)),
      committedGpuHours: formatQuantity(committedGpuHoursShown(monthHours(lease, query.month))),
      allocatedGpuHours: formatQuantity(allocatedGpuHoursAt(scope, lease, startMs, endMs)),
      readings: page.sources,
      nextCursor: page.lastPosition === null ? null : String(page.lastPosition),
    };
  }
}

/** A billing document as the API shows it. */
export interface InvoiceView {
  invoiceId: string;
  kind: 'invoice' | 'credit_note';
  tenantId: string;
  /** Null for a credit note by hand, which no billing run issued. */
  billingDate: string | null;
  issuedAt: string;
  /** Null for a credit note: the tenant owes nothing on it, so nothing is due. */
  dueAt: string | null;
  currency: string;
  lines: InvoiceLine[];
  total: string;
  amountPaid: string;
  amountDue: string;
  status: 'open' | 'partially_paid' | 'paid' | 'issued';
  creditNoteId?: string;
  reason?: string;
  creditedInvoiceId?: string;
}

/**
 * A close as the API shows it: its seal, and the prior-period adjustments that facts recorded
 * after it booked into later months (from the next month to the first open one).
 */
function periodView(scope: ReportScope, close: PeriodCloseRecord) {
  const closes = scope.model.closesAt(scope.cutoff);
  const firstOpen = nextMonth(closes.at(-1)!.data.month);
  const adjustments = [];
  for (let month = nextMonth(close.data.month); month <= firstOpen; month = nextMonth(month)) {
    for (const adjustment of revenueReport(scope, month).priorPeriodAdjustments) {
      if (adjustment.month === close.data.month) adjustments.push({ ...adjustment, bookedIn: month });
    }
  }
  return { month: close.data.month, closedAt: close.data.closedAt, closedBy: close.data.closedBy, seal: close.data.seal, adjustments };
}

export function leaseView(lease: LeaseState, nowMs: number) {
  return {
    leaseId: lease.leaseId,
    tenantId: lease.tenantId,
    siteId: lease.siteId,
    gpuSku: lease.gpuSku,
    signedAt: toInstant(lease.signedAtMs),
    startsAt: toInstant(lease.startsAtMs),
    endsAt: toInstant(lease.endsAtMs),
    status: leaseStatus(lease, nowMs),
    commitment: lease.schedule.map((entry) => ({ effectiveFrom: toInstant(entry.effectiveFromMs), gpuCount: entry.gpuCount, ratePerGpuHour: entry.ratePerGpuHour })),
    overageRatePerGpuHour: lease.overageRates.at(-1)?.ratePerGpuHour ?? '0',
    overageRates: lease.overageRates.map((entry) => ({ effectiveFrom: toInstant(entry.effectiveFromMs), ratePerGpuHour: entry.ratePerGpuHour })),
    commitmentBilling: lease.commitmentBilling,
    sla: lease.sla,
    amendments: lease.amendments.map((amendment) => ({ amendmentId: amendment.amendmentId, effectiveAt: toInstant(amendment.effectiveAtMs) })),
    termination: lease.termination === null ? null : { effectiveAt: toInstant(lease.termination.effectiveAtMs), terminationFee: lease.termination.terminationFee },
    outages: lease.outages.map((outage) => ({ outageId: outage.outageId, startsAt: toInstant(outage.startsAtMs), endsAt: toInstant(outage.endsAtMs), affectedGpus: outage.affectedGpus })),
  };
}
