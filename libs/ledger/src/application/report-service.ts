import {
  currencyMinorDigits,
  readLedgerEvent,
  usageReadingsPageDefault,
  usageReadingsPageMax,
  type ArAgingReportAnswer,
  type BacklogReportAnswer,
  type CapacityReportAnswer,
  type ContractBalancesReportAnswer,
  type CurrencyCode,
  type DraftListQuery,
  type EventDataOf,
  type InvoiceDocumentAnswer,
  type InvoiceListAnswer,
  type LeaseAnswer,
  type LeaseUsageAnswer,
  type MrrMovementsReportAnswer,
  type MrrReportAnswer,
  type PeriodAnswer,
  type PeriodsAnswer,
  type ReconciliationReportAnswer,
  type RevenueReportAnswer,
  type RpoAnswer,
  type TrialBalanceReportAnswer,
} from '@compute-ledger/contracts';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import type { LeaseState } from '../domain/lease/lease-state.js';
import { leaseStatus } from '../domain/lease/lease.js';
import { committedGpuHoursShown, monthHours } from '../charging/charges.js';
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
import { amountDue, invoiceStatus, receivablesOfTenant, type TenantReceivables } from '../projections/receivables.js';
import { creditGrantAnswer, creditsReport } from '../projections/credits.js';
import { draftsAt, draftView } from '../projections/drafts.js';
import { ZERO, dec, formatMoney, formatQuantity } from '../shared/decimal.js';
import { monthInterval, nextMonth, toInstant, toMs } from '../shared/time.js';
import type { CreditNoteRecord, DocumentRecord, KeptDocument, PeriodCloseRecord } from '../projections/ledger-model.js';
import type { EventStore } from '../store/event-store.js';
import { assert } from '../shared/assert.js';
import { fillUsageEventIds } from './usage-event-ids.js';
import { eventsAt } from './usage-lookup.js';
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

  async mrr(query: TimeQuery): Promise<MrrReportAnswer> {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...mrrReport(scope, asOfMs) };
  }

  async mrrMovements(query: MonthTimeQuery): Promise<MrrMovementsReportAnswer> {
    const { scope, knownAt } = await this.scope(query.knownAt);
    return { knownAt, ...mrrMovementsReport(scope, query.month) };
  }

  async revenue(query: MonthTimeQuery): Promise<RevenueReportAnswer> {
    const { scope, knownAt } = await this.scope(query.knownAt);
    return { knownAt, ...revenueReport(scope, query.month) };
  }

  async backlog(query: TimeQuery): Promise<BacklogReportAnswer> {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...backlogReport(scope, asOfMs) };
  }

  async rpo(query: TimeQuery): Promise<RpoAnswer> {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...rpoReport(scope, asOfMs) };
  }

  async trialBalance(query: TimeQuery): Promise<TrialBalanceReportAnswer> {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...trialBalanceReport(scope, asOfMs) };
  }

  async contractBalances(query: TimeQuery): Promise<ContractBalancesReportAnswer> {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...contractBalancesReport(scope, asOfMs) };
  }

  async arAging(query: TimeQuery): Promise<ArAgingReportAnswer> {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...arAgingReport(scope, asOfMs) };
  }

  async reconciliation(query: MonthTimeQuery): Promise<ReconciliationReportAnswer> {
    const { scope, knownAt } = await this.scope(query.knownAt);
    return { knownAt, ...reconciliationReport(scope, query.month) };
  }

  async capacity(query: TimeQuery): Promise<CapacityReportAnswer> {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...capacityReport(scope, asOfMs) };
  }

  /** GET /v1/reports/credits: every grant known at knownAt, drawn, expired and remaining as of asOf. */
  async credits(query: TimeQuery) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    return { asOf, knownAt, ...creditsReport(scope.model, asOfMs, scope.cutoff, this.minorDigits) };
  }

  /** The grants known at knownAt, of one tenant when asked, as of asOf. */
  async creditGrants(query: TimeQuery & { tenantId?: string }) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const { asOf, asOfMs } = this.asOfMs(query);
    const grants = scope.model.grantsAt(scope.cutoff, query.tenantId).map((record) => creditGrantAnswer(scope.model, record, asOfMs, scope.cutoff, this.minorDigits));
    return { asOf, knownAt, grants };
  }

  /** One grant as known at knownAt, as of asOf. */
  async creditGrant(grantId: string, query: TimeQuery = {}) {
    const { scope } = await this.scope(query.knownAt);
    const record = scope.model.grants.get(grantId);
    if (record === undefined || record.position > scope.cutoff) throw new NotFoundError(`credit grant ${grantId} does not exist`);
    return creditGrantAnswer(scope.model, record, this.asOfMs(query).asOfMs, scope.cutoff, this.minorDigits);
  }

  /**
   * A grant as it was recorded: as known right after it and its invoice, as of when recorded, so
   * that sending it again answers the very body of the first time.
   */
  creditGrantAsRecorded(grantId: string) {
    const model = this.options.runner.model;
    const record = model.grants.get(grantId);
    if (record === undefined) throw new NotFoundError(`credit grant ${grantId} does not exist`);
    const invoicePosition = record.data.invoiceId === undefined ? record.position : (model.documents.get(record.data.invoiceId)?.position ?? record.position);
    return creditGrantAnswer(model, record, toMs(record.data.recordedAt), Math.max(record.position, invoicePosition), this.minorDigits);
  }

  /** Every close known at knownAt, with its seal and the prior-period adjustments booked after it. */
  async periods(query: { knownAt?: string } = {}): Promise<PeriodsAnswer> {
    const { scope, knownAt } = await this.scope(query.knownAt);
    return { knownAt, periods: scope.model.closesAt(scope.cutoff).map((close) => periodView(scope, close)) };
  }

  /** One closed month as known at knownAt; a month not closed then does not exist as a period. */
  async period(month: string, query: { knownAt?: string } = {}): Promise<PeriodAnswer> {
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

  /**
   * A billing document or credit note with its lines and what is paid now, as known at knownAt.
   * It costs the documents of its tenant only: the document is found by its id, and only its
   * tenant's receivables are settled.
   */
  async invoice(invoiceId: string, knownAt?: string): Promise<InvoiceView> {
    const { scope } = await this.scope(knownAt);
    const document = scope.model.documents.get(invoiceId);
    if (document !== undefined && document.position <= scope.cutoff) {
      const receivables = receivablesOfTenant(scope.model, document.data.tenantId, this.options.clock().getTime(), scope.cutoff);
      return this.issuedDocumentView(await this.issuedAsRecorded(document), receivables);
    }
    const note = scope.model.creditNoteByDocument(invoiceId);
    if (note !== undefined && note.position <= scope.cutoff) return this.creditNoteView(note);
    throw new NotFoundError(`invoice ${invoiceId} does not exist`);
  }

  /** A draft of a billing run with its audit trail, as known at knownAt. */
  async draft(draftId: string, knownAt?: string) {
    const { scope } = await this.scope(knownAt);
    const draft = scope.model.drafts.get(draftId);
    if (draft === undefined || draft.position > scope.cutoff) throw new NotFoundError(`draft ${draftId} does not exist`);
    return draftView(draft, scope.cutoff);
  }

  /** Drafts in order of creation, optionally of one status (as it was at knownAt). */
  async drafts(query: { status?: DraftListQuery['status']; knownAt?: string }) {
    const { scope, knownAt } = await this.scope(query.knownAt);
    return { knownAt, drafts: draftsAt(scope.model, scope.cutoff, query.status) };
  }

  /** Every document in order of issue (invoices, credit notes of runs and by hand), optionally filtered; one tenant's cost its documents only. */
  async invoices(query: { tenantId?: string; billingDate?: string; knownAt?: string }): Promise<InvoiceListAnswer> {
    const { scope, knownAt } = await this.scope(query.knownAt);
    const billingDateMs = query.billingDate === undefined ? null : toMs(query.billingDate);
    const invoices = this.documentViews(scope, query.tenantId).filter((view) => billingDateMs === null || (view.billingDate !== null && toMs(view.billingDate) === billingDateMs));
    return { knownAt, invoices };
  }

  /**
   * Documents known at the scope's cut-off as the API shows them, in order of issue: those of
   * one tenant, or of every tenant when `tenantId` is undefined.
   */
  private documentViews(scope: ReportScope, tenantId: string | undefined): InvoiceListView[] {
    const nowMs = this.options.clock().getTime();
    const views: (InvoiceListView & { position: number })[] = [];
    const tenants = tenantId === undefined ? scope.model.tenantsAt(scope.cutoff).map((tenant) => tenant.tenantId) : [tenantId];
    for (const id of tenants) {
      const { documents, creditNotes } = scope.model.billingOfTenant(id);
      const receivables = receivablesOfTenant(scope.model, id, nowMs, scope.cutoff);
      for (const document of documents) {
        if (document.position <= scope.cutoff) views.push({ position: document.position, ...this.issuedDocumentView(document.data, receivables) });
      }
      for (const note of creditNotes) {
        if (note.position <= scope.cutoff) views.push({ position: note.position, ...this.creditNoteView(note) });
      }
    }
    return views.sort((a, b) => a.position - b.position).map(({ position: _position, ...view }) => view);
  }

  /**
   * A document a billing run issued, with what is paid and due on it now (`receivables` are its
   * tenant's). A credit note of a run is owed to the tenant, not by it: it has no due date (its
   * event keeps the run's terms, unused).
   */
  private issuedDocumentView<Data extends KeptDocument>(data: Data, receivables: TenantReceivables): Omit<InvoiceView, 'lines'> & Pick<Data, 'lines'> {
    const isInvoice = data.kind === 'invoice';
    const zero = formatMoney(ZERO, this.minorDigits);
    const balance = receivables.invoices.find((invoice) => invoice.invoiceId === data.invoiceId);
    return {
      ...data,
      dueAt: isInvoice ? data.dueAt : null,
      amountPaid: formatMoney(balance?.applied ?? ZERO, this.minorDigits),
      amountDue: isInvoice ? formatMoney(balance === undefined ? dec(data.total) : amountDue(balance), this.minorDigits) : zero,
      status: isInvoice ? (balance === undefined ? 'open' : invoiceStatus(balance)) : 'issued',
    };
  }

  /** A document as its InvoiceIssued event recorded it, line sources included: the model keeps none (KeptLine). */
  private async issuedAsRecorded(document: DocumentRecord): Promise<EventDataOf<'InvoiceIssued'>> {
    let issued: EventDataOf<'InvoiceIssued'> | undefined;
    for await (const recorded of eventsAt(this.options.store, new Set([document.position]))) {
      const event = readLedgerEvent(recorded.type, recorded.schemaVersion, recorded.data, { trusted: true });
      if (event.type === 'InvoiceIssued') issued = event.data;
    }
    assert(issued?.invoiceId === document.data.invoiceId, `position ${document.position} of the log holds document ${document.data.invoiceId}`);
    return issued;
  }

  /** A credit note by hand: no lines and no billing date; it carries its reason and the invoice it credits. */
  private creditNoteView(note: CreditNoteRecord): InvoiceView {
    const zero = formatMoney(ZERO, this.minorDigits);
    return {
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
    };
  }

  /** The lease as it stands now (as known at knownAt). */
  async lease(leaseId: string, knownAt?: string): Promise<LeaseAnswer> {
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
  async usage(leaseId: string, query: UsagePageQuery): Promise<LeaseUsageAnswer> {
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
    await fillUsageEventIds(this.options.store, page.sources);
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

/** A billing document as the API shows it: the contracts' answer (libs/contracts/src/answers/billing.ts). */
export type InvoiceView = InvoiceDocumentAnswer;

/** A billing document as a list shows it: its lines without their sources. */
export type InvoiceListView = InvoiceListAnswer['invoices'][number];

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
