import type { EventDataOf, InvoiceLine, LedgerEvent, LineSource, TenantBillingDetails } from '@compute-ledger/contracts';
import type { LeaseState } from '../domain/lease/lease-state.js';
import type { FoldedEvent, FoldRow } from '../store/event-store.js';
import { isUsageRecordedEventId } from '../domain/streams.js';
import { BigIntColumn, lastIndexAtOrBefore, PositionColumn } from '../shared/columns.js';
import { assert, InvariantError, unreachable } from '../shared/assert.js';
import { readUsageRecordedRow, type UsageRecordedFields } from './usage-recorded-text.js';
import { ModelMemos } from './memos.js';
import { grantTermsOf, type GrantWithDraws } from '../charging/credits.js';
import type { Decimal } from '../shared/decimal.js';
import { ZERO, dec, fromMicros, toMicros } from '../shared/decimal.js';
import { monthOfInstant, toMs } from '../shared/time.js';

/**
 * The ledger model: one fold of the log that answers billing and every report. It is
 * bitemporal: each fact keeps the global position that recorded it, so any question can be
 * asked "as known at" a position (a knowledge cut-off) without replaying the log. Usage is
 * aggregated per (lease, month) as it arrives, as cumulative totals by position, so billing and
 * reports cost O(leases x months), never O(readings).
 */

/** Folds one lease event into the lease as it stands; supplied by the lease domain. */
export type LeaseFold = (state: LeaseState | null, event: LedgerEvent) => LeaseState;

export interface TenantRecord {
  tenantId: string;
  name: string;
  currency: string;
  paymentTermsDays: number;
  position: number;
  /**
   * The latest billing details, left out while the tenant has none (so the snapshot of a tenant
   * without them is what it was before they existed). Not bitemporal: a document rendered today
   * shows the tenant's details as they stand today.
   */
  billingDetails?: TenantBillingDetails;
}

export interface SiteRecord {
  siteId: string;
  name: string;
  gpuSku: string;
  gpuCount: number;
  powerMw?: string;
  position: number;
}

export interface AllocationRecord {
  allocationId: string;
  leaseId: string;
  siteId: string;
  gpuCount: number;
  startsAtMs: number;
  position: number;
  /** Every release in log order; a termination may cut short one already released later. */
  releases: { endsAtMs: number; position: number }[];
}

/** When an allocation ends as known at `cutoff`: the earliest release known then, or never. */
export function allocationEndAt(allocation: AllocationRecord, cutoff: number): number {
  let endsAtMs = Number.POSITIVE_INFINITY;
  for (const release of allocation.releases) {
    if (release.position <= cutoff && release.endsAtMs < endsAtMs) endsAtMs = release.endsAtMs;
  }
  return endsAtMs;
}

export interface LeaseEventRecord {
  position: number;
  eventId: string;
  event: LedgerEvent;
}

export interface LeaseRecord {
  leaseId: string;
  tenantId: string;
  events: LeaseEventRecord[];
  /** The lease after each of its events: a cut-off between two of them answers the state folded then, the same object every time. */
  states: LeaseState[];
  current: LeaseState;
}

/**
 * Metered GPU-hours of one (lease, month): after each usage event, its position and the
 * cumulative total, and nothing else (12 bytes an event). Columns, not objects: a fleet's months
 * hold millions of entries. Which reading an event recorded is the log's to say: the model keeps
 * no index of readings (see KnownReading).
 */
export class UsageSeries {
  readonly positions = new PositionColumn();
  /** Cumulative metered GPU-hours after each event, in exact millionths. */
  readonly totals = new BigIntColumn();
  /** Distinct readings in the series. */
  readings = 0;
  /** The last of `totals`, kept as a bigint: reading it back from its column would make a new one each time. */
  total = 0n;
  /** Whether its lease's readings have moved on to another month (leftBehind). */
  private movedOn = false;
  /** The metered total after the last event, as a Decimal, and the length it was made at: most questions ask about the latest total. */
  private latestMetered: Decimal = ZERO;
  private latestMeteredLength = 0;

  constructor(
    readonly index: number,
    readonly leaseId: string,
    readonly month: string,
  ) {}

  /** Metered GPU-hours after the event at `index` (the latest made once per event it changes with). */
  meteredAtIndex(index: number): Decimal {
    const length = this.totals.length;
    if (index !== length - 1) return fromMicros(this.totals.at(index));
    if (this.latestMeteredLength !== length) {
      this.latestMetered = fromMicros(this.totals.at(index));
      this.latestMeteredLength = length;
    }
    return this.latestMetered;
  }

  /** Gives back the room its columns hold for more events. */
  trim(): void {
    this.positions.trim();
    this.totals.trim();
  }

  /**
   * Trims the series the first time its lease's readings move on to another month: from then on
   * it takes late readings only. Once: a lease whose readings alternate between two months
   * would otherwise copy its columns at every reading.
   */
  leftBehind(): void {
    if (this.movedOn) return;
    this.movedOn = true;
    this.trim();
  }
}

/**
 * The event id of a usage source that recorded a reading under the id its reading gives
 * (usageRecordedEventId): the model keeps no reading ids, so the store fills it in
 * (application/usage-event-ids.ts) before a source leaves the ledger.
 */
export const usageEventIdFromStore = '';

/**
 * A reading the model finds by its id, which it needs for few readings only: one recorded
 * under an event id other than the one its reading id gives (the store's index of event ids
 * cannot find it by the reading), and one that was corrected (folding a correction takes the
 * value it replaces). Every other reading is found through the store's index of event ids.
 */
export interface KnownReading {
  leaseId: string;
  month: string;
  /** Its current value, in millionths. */
  micros: bigint;
  /** Positions of its recording (when the model folded it as known) and of its corrections, in log order. */
  positions: number[];
}

/**
 * An invoice line as the model keeps it: without its sources (a usage line names up to 100
 * usage events), which stay in the log and are read back when the document is served whole
 * (ReportService.invoice, the audit pack). What the model derives from lines never reads them.
 */
export type KeptLine = Omit<InvoiceLine, 'sources' | 'omittedSources'>;

/** A billing document as the model keeps it: the recorded InvoiceIssued, its lines without sources. */
export type KeptDocument = Omit<EventDataOf<'InvoiceIssued'>, 'lines'> & { lines: KeptLine[] };

export interface DocumentRecord {
  position: number;
  eventId: string;
  data: KeptDocument;
}

/** A line without its sources, as the model keeps it and as document lists show it. */
export function keptLine({ sources: _sources, omittedSources: _omitted, ...line }: InvoiceLine | KeptLine & Partial<Pick<InvoiceLine, 'sources' | 'omittedSources'>>): KeptLine {
  return line;
}

export interface BillingRunRecord {
  position: number;
  data: EventDataOf<'BillingRunCompleted'>;
}

/**
 * A draft of a billing run awaiting approval (DraftCreated), and what became of it: approved
 * (issued as a document, which the log records with the approval) or voided. The positions let
 * any cut-off tell what it was then.
 */
export interface DraftRecord {
  position: number;
  eventId: string;
  data: EventDataOf<'DraftCreated'>;
  approved?: { position: number; data: EventDataOf<'DraftApproved'> };
  voided?: { position: number; data: EventDataOf<'DraftVoided'> };
}

export interface CreditNoteRecord {
  position: number;
  eventId: string;
  data: EventDataOf<'CreditNoteIssued'>;
}

/** A month's close: its event's position, and the close with its seal. */
export interface PeriodCloseRecord {
  position: number;
  data: EventDataOf<'PeriodClosed'>;
}

export interface CreditGrantRecord {
  position: number;
  eventId: string;
  data: EventDataOf<'CreditGranted'>;
}

/** One credit line drawn on a grant: the document, its billing date and position, the amount. */
export interface GrantDrawRecord {
  /** The document that drew, or the draft that draws while it is pending. */
  invoiceId: string;
  billingDateMs: number;
  amount: Decimal;
  position: number;
  /** A draft's draw ends when the draft is approved (its document draws instead) or voided (the credit is free again). */
  endPosition?: number;
}

export interface PaymentRecord {
  position: number;
  eventId: string;
  data: EventDataOf<'PaymentReceived'>;
}

/** What was invoiced for one (lease, month, kind), line by line, in log order. */
export interface InvoicedEntry {
  position: number;
  invoiceId: string;
  line: KeptLine;
  amount: Decimal;
  quantity: Decimal;
  /**
   * A draft's line counts as invoiced from its creation until the draft is approved (from then
   * on the issued document's line counts, once) or voided (its lines are owed again): the
   * position that ended it.
   */
  endPosition?: number;
}

/**
 * The entries of a list (in log order) that count as invoiced at `cutoff`: recorded by then, and
 * not ended by then (a draft approved or voided).
 */
function* invoicedEntriesAt(entries: readonly InvoicedEntry[], cutoff: number): Iterable<InvoicedEntry> {
  for (const entry of entries) {
    if (entry.position > cutoff) return;
    if (entry.endPosition === undefined || entry.endPosition > cutoff) yield entry;
  }
}

export function chargeKey(leaseId: string, month: string, kind: string): string {
  return `${leaseId}\u0000${month}\u0000${kind}`;
}

function leaseMonthKey(leaseId: string, month: string): string {
  return `${leaseId}\u0000${month}`;
}

/** A tenant's billing facts in log order: what its receivables are settled from. */
export interface TenantBilling {
  documents: DocumentRecord[];
  creditNotes: CreditNoteRecord[];
  payments: PaymentRecord[];
}

export class LedgerModel {
  /** Global position of the last event folded in, -1 before any. */
  position = -1;
  /** Revision of each stream as last seen, for appends with an expected revision. */
  readonly streamRevisions = new Map<string, number>();
  readonly tenants = new Map<string, TenantRecord>();
  readonly sites = new Map<string, SiteRecord>();
  readonly allocations = new Map<string, AllocationRecord>();
  /** The same allocations by lease, in log order. */
  private readonly allocationsByLease = new Map<string, AllocationRecord[]>();
  readonly leases = new Map<string, LeaseRecord>();
  readonly usage = new Map<string, Map<string, UsageSeries>>();
  /** The series each lease's last reading went to. */
  private readonly latestSeries = new Map<string, UsageSeries>();
  /** Every series in order of creation (log order). */
  readonly seriesList: UsageSeries[] = [];
  /** Readings recorded under another event id, and corrected readings, by reading id (KnownReading). */
  readonly knownReadings = new Map<string, KnownReading>();
  /**
   * Line sources of usage events whose event id is not the one a reading's id gives
   * (`usageRecordedEventId`): corrections, and readings recorded under another id. By position.
   */
  readonly usageSourceOverrides = new Map<number, LineSource>();
  readonly documents = new Map<string, DocumentRecord>();
  readonly documentOrder: string[] = [];
  readonly invoiced = new Map<string, InvoicedEntry[]>();
  /** The same entries by (lease, month), every kind, in log order: a month's lines without a walk over every document. */
  private readonly invoicedByLeaseMonth = new Map<string, InvoicedEntry[]>();
  /** Months that have ever been invoiced, per lease: billing must revisit them after a termination. */
  readonly invoicedMonths = new Map<string, Set<string>>();
  readonly runs: BillingRunRecord[] = [];
  /** Drafts of billing runs by draftId, and their ids in order of creation. */
  readonly drafts = new Map<string, DraftRecord>();
  readonly draftOrder: string[] = [];
  /** The invoiced entries of each draft's lines, ended when the draft is approved or voided. */
  private readonly draftEntries = new Map<string, { endPosition?: number }[]>();
  readonly creditNotes = new Map<string, CreditNoteRecord>();
  readonly payments = new Map<string, PaymentRecord>();
  readonly grants = new Map<string, CreditGrantRecord>();
  /** The credit lines drawn on each grant, in log order (derived from the documents). */
  readonly grantDraws = new Map<string, GrantDrawRecord[]>();
  /** Closed months in the order they closed (which is month order). */
  readonly closes: PeriodCloseRecord[] = [];
  /** Ids of billing documents in each series, in order of issue. */
  readonly series = { invoice: [] as string[], credit_note: [] as string[] };
  /**
   * The same billing facts by tenant, and credit notes by hand by their document id, so that
   * reading one tenant's invoices costs that tenant's documents, not the ledger's.
   */
  private readonly billingByTenant = new Map<string, TenantBilling>();
  private readonly creditNotesByDocument = new Map<string, CreditNoteRecord>();
  /** What the reports derive from this model's immutable facts, derived once (projections/memos.ts). */
  readonly memos = new ModelMemos();
  /** Where applyUsageRow reads a row's fields, the same object for every row. */
  private readonly rowFields: UsageRecordedFields = { readingId: '', leaseId: '', month: '', gpuHours: '' };

  constructor(private readonly foldLease: LeaseFold) {}

  /** Folds one recorded event; events must arrive in global order, each once. */
  apply(recorded: FoldedEvent, event: LedgerEvent): void {
    const { position } = recorded;
    this.advance(position, recorded.streamId, recorded.revision);
    switch (event.type) {
      case 'TenantRegistered':
        this.tenants.set(event.data.tenantId, { ...event.data, position });
        return;
      case 'TenantBillingDetailsUpdated': {
        const tenant = this.tenants.get(event.data.tenantId);
        assert(tenant !== undefined, `billing details of unknown tenant ${event.data.tenantId}`);
        this.tenants.set(event.data.tenantId, { ...tenant, billingDetails: event.data.billingDetails });
        return;
      }
      case 'SiteCommissioned':
        this.sites.set(event.data.siteId, { ...event.data, position });
        return;
      case 'CapacityAllocated':
        this.addAllocation({ ...event.data, startsAtMs: toMs(event.data.startsAt), position, releases: [] });
        return;
      case 'CapacityReleased': {
        const allocation = this.allocations.get(event.data.allocationId);
        assert(allocation !== undefined, `release of unknown allocation ${event.data.allocationId}`);
        allocation.releases.push({ endsAtMs: toMs(event.data.endsAt), position });
        return;
      }
      case 'LeaseSigned':
      case 'LeaseAmended':
      case 'LeaseTerminated':
      case 'OutageRecorded':
        this.applyLeaseEvent(recorded, event);
        return;
      case 'UsageRecorded':
        this.applyReading(recorded, event.data);
        return;
      case 'UsageCorrected':
        this.applyCorrection(recorded, event.data);
        return;
      case 'InvoiceIssued':
        this.applyDocument(recorded, event.data);
        return;
      case 'BillingRunCompleted':
        this.runs.push({ position, data: event.data });
        return;
      case 'DraftCreated':
        this.restoreDraft({ position, eventId: recorded.eventId, data: event.data });
        return;
      case 'DraftApproved':
        this.endDraft(event.data.draftId, position, (draft) => (draft.approved = { position, data: event.data }));
        return;
      case 'DraftVoided':
        this.endDraft(event.data.draftId, position, (draft) => (draft.voided = { position, data: event.data }));
        return;
      case 'CreditNoteIssued':
        this.restoreCreditNote({ position, eventId: recorded.eventId, data: event.data });
        return;
      case 'PaymentReceived':
        this.applyPayment({ position, eventId: recorded.eventId, data: event.data });
        return;
      case 'CreditGranted':
        this.grants.set(event.data.grantId, { position, eventId: recorded.eventId, data: event.data });
        return;
      case 'PeriodClosed':
        this.closes.push({ position, data: event.data });
        return;
      case 'ModelCheckpointed':
        // The ledger's bookkeeping (model-checkpoint.ts): no fact of the model, only its position.
        return;
      default:
        unreachable(event, 'event');
    }
  }

  /**
   * Folds a row of the log when it is a UsageRecorded event the store wrote in its own layout,
   * from the text of its data (usage-recorded-text.ts): what apply folds for the event, without
   * parsing it. Answers whether it folded the row; any other row is for apply.
   */
  applyUsageRow(row: FoldRow): boolean {
    const fields = this.rowFields;
    if (!readUsageRecordedRow(row, fields)) return false;
    const position = row[0];
    this.advance(position, row[1], row[2]);
    this.foldReading(position, row[3], fields.readingId, fields.leaseId, fields.month, fields.gpuHours);
    return true;
  }

  private advance(position: number, streamId: string, revision: number): void {
    // Not assert: its message would be built for every event of a replay.
    if (!(position > this.position)) throw new InvariantError(`event at ${position} arrives after ${this.position}`);
    this.position = position;
    this.streamRevisions.set(streamId, revision);
  }

  private applyLeaseEvent(recorded: FoldedEvent, event: LedgerEvent): void {
    const leaseId = (event.data as { leaseId: string }).leaseId;
    const existing = this.leases.get(leaseId);
    const current = this.foldLease(existing?.current ?? null, event);
    const record: LeaseEventRecord = { position: recorded.position, eventId: recorded.eventId, event };
    if (existing === undefined) {
      this.leases.set(leaseId, { leaseId, tenantId: current.tenantId, events: [record], states: [current], current });
    } else {
      existing.events.push(record);
      existing.states.push(current);
      existing.current = current;
    }
  }

  private applyReading(recorded: FoldedEvent, data: EventDataOf<'UsageRecorded'>): void {
    this.foldReading(recorded.position, recorded.eventId, data.readingId, data.leaseId, monthOfInstant(data.periodStart), data.gpuHours);
  }

  /**
   * A reading into its (lease, month) series: the fold of UsageRecorded, from an event or a row.
   * That a reading is recorded once is the store's to hold (its event id is unique); one under
   * another event id is known by its reading id, and must not repeat one known so.
   */
  private foldReading(position: number, eventId: string, readingId: string, leaseId: string, month: string, gpuHours: string): void {
    const series = this.seriesOf(leaseId, month);
    const micros = toMicros(gpuHours);
    series.readings += 1;
    this.pushUsage(series, position, micros);
    if (!isUsageRecordedEventId(eventId, readingId)) {
      this.usageSourceOverrides.set(position, { position, eventId, type: 'UsageRecorded' });
      assert(!this.knownReadings.has(readingId), `reading ${readingId} is recorded once`);
      this.knownReadings.set(readingId, { leaseId, month, micros, positions: [position] });
    }
  }

  /** Readings recorded, over every series (O(series)). */
  get readingsRecorded(): number {
    let readings = 0;
    for (const series of this.seriesList) readings += series.readings;
    return readings;
  }

  /** Whether folding a correction of this reading needs it learnt first (learnReading): the model does not know it by its id. */
  needsReading(readingId: string): boolean {
    return !this.knownReadings.has(readingId);
  }

  /**
   * Makes a reading recorded under the event id its reading id gives known by its id, with the
   * value it was recorded with, so that its correction can be folded: what the runner reads
   * from the store before it folds a correction (ModelRunner).
   */
  learnReading(readingId: string, leaseId: string, month: string, gpuHours: string): void {
    assert(!this.knownReadings.has(readingId), `reading ${readingId} is learnt once`);
    this.knownReadings.set(readingId, { leaseId, month, micros: toMicros(gpuHours), positions: [] });
  }

  private applyCorrection(recorded: FoldedEvent, data: EventDataOf<'UsageCorrected'>): void {
    const reading = this.knownReadings.get(data.readingId);
    assert(reading !== undefined, `correction of unknown reading ${data.readingId}`);
    assert(reading.leaseId === data.leaseId, `correction ${data.correctionId} names the lease of reading ${data.readingId}`);
    const series = this.usage.get(reading.leaseId)?.get(reading.month);
    assert(series !== undefined, `correction of reading ${data.readingId} follows its recording`);
    const micros = toMicros(data.gpuHours);
    const delta = micros - reading.micros;
    reading.micros = micros;
    reading.positions.push(recorded.position);
    this.pushUsage(series, recorded.position, delta);
    this.usageSourceOverrides.set(recorded.position, { position: recorded.position, eventId: recorded.eventId, type: recorded.type });
  }

  private pushUsage(series: UsageSeries, position: number, deltaMicros: bigint): void {
    series.positions.push(position);
    series.total += deltaMicros;
    series.totals.push(series.total);
  }

  private seriesOf(leaseId: string, month: string): UsageSeries {
    // Readings of a lease mostly come month after month: try the lease's latest series first.
    const latest = this.latestSeries.get(leaseId);
    if (latest !== undefined && latest.month === month) return latest;
    // The lease's readings moved on to another month: the one they leave takes late readings only.
    latest?.leftBehind();
    let byMonth = this.usage.get(leaseId);
    if (byMonth === undefined) {
      byMonth = new Map();
      this.usage.set(leaseId, byMonth);
    }
    let series = byMonth.get(month);
    if (series === undefined) {
      series = new UsageSeries(this.seriesList.length, leaseId, month);
      this.seriesList.push(series);
      byMonth.set(month, series);
    }
    this.latestSeries.set(leaseId, series);
    return series;
  }

  /** Puts back a series of a snapshot; series must come back in their original order. */
  restoreSeries(leaseId: string, month: string): UsageSeries {
    const series = this.seriesOf(leaseId, month);
    assert(series.index === this.seriesList.length - 1 && series.positions.length === 0, `series ${leaseId} ${month} is restored once, in order`);
    return series;
  }

  private applyDocument(recorded: Pick<FoldedEvent, 'position' | 'eventId'>, issued: EventDataOf<'InvoiceIssued'> | KeptDocument): void {
    const data: KeptDocument = { ...issued, lines: issued.lines.map(keptLine) };
    const document = { position: recorded.position, eventId: recorded.eventId, data };
    this.documents.set(data.invoiceId, document);
    this.documentOrder.push(data.invoiceId);
    this.billingOf(data.tenantId).documents.push(document);
    this.series[data.kind].push(data.invoiceId);
    for (const line of data.lines) if (line.kind === 'credit') this.recordDraw(recorded.position, data.invoiceId, data.billingDate, line);
    this.addInvoiced(recorded.position, data.invoiceId, data.lines);
  }

  private addInvoiced(position: number, invoiceId: string, lines: readonly KeptLine[]): InvoicedEntry[] {
    const added: InvoicedEntry[] = [];
    for (const line of lines) {
      // Prepayment and credit lines pay for charges; they are no charge, and line differences ignore them.
      if (line.leaseId === null) continue;
      const key = chargeKey(line.leaseId, line.serviceMonth, line.kind);
      let entries = this.invoiced.get(key);
      if (entries === undefined) {
        entries = [];
        this.invoiced.set(key, entries);
      }
      const entry: InvoicedEntry = { position, invoiceId, line, amount: dec(line.amount), quantity: dec(line.quantity) };
      entries.push(entry);
      const monthKey = leaseMonthKey(line.leaseId, line.serviceMonth);
      let ofMonth = this.invoicedByLeaseMonth.get(monthKey);
      if (ofMonth === undefined) {
        ofMonth = [];
        this.invoicedByLeaseMonth.set(monthKey, ofMonth);
      }
      ofMonth.push(entry);
      added.push(entry);
      let months = this.invoicedMonths.get(line.leaseId);
      if (months === undefined) {
        months = new Set();
        this.invoicedMonths.set(line.leaseId, months);
      }
      months.add(line.serviceMonth);
    }
    return added;
  }

  /** Folds a draft (or puts back one of a snapshot, with its approval or voiding): its lines count as invoiced until it ended. */
  private restoreDraft(draft: DraftRecord): void {
    this.drafts.set(draft.data.draftId, draft);
    this.draftOrder.push(draft.data.draftId);
    const entries: { endPosition?: number }[] = this.addInvoiced(draft.position, draft.data.draftId, draft.data.lines);
    // A pending draft's credit lines hold what they draw, so that no later run draws it twice.
    for (const line of draft.data.lines) if (line.kind === 'credit') entries.push(this.recordDraw(draft.position, draft.data.draftId, draft.data.billingDate, line));
    this.draftEntries.set(draft.data.draftId, entries);
    const endedAt = draft.approved?.position ?? draft.voided?.position;
    if (endedAt !== undefined) for (const entry of entries) entry.endPosition = endedAt;
  }

  private endDraft(draftId: string, position: number, record: (draft: DraftRecord) => void): void {
    const draft = this.drafts.get(draftId);
    assert(draft !== undefined && draft.approved === undefined && draft.voided === undefined, `draft ${draftId} is pending when it ends`);
    record(draft);
    for (const entry of this.draftEntries.get(draftId)!) entry.endPosition = position;
  }

  private recordDraw(position: number, documentId: string, billingDate: string, line: KeptLine): GrantDrawRecord {
    assert(line.grantId !== undefined, `credit line of ${documentId} names no grant`);
    let draws = this.grantDraws.get(line.grantId);
    if (draws === undefined) this.grantDraws.set(line.grantId, (draws = []));
    const draw: GrantDrawRecord = { invoiceId: documentId, billingDateMs: toMs(billingDate), amount: dec(line.amount).negated(), position };
    draws.push(draw);
    return draw;
  }

  /** Puts back the billing facts of a snapshot, in log order (the CN series interleaves two kinds). */
  restoreBilling(documents: DocumentRecord[], runs: BillingRunRecord[], creditNotes: CreditNoteRecord[], payments: PaymentRecord[], drafts: DraftRecord[] = []): void {
    // Drafts interleave with documents too: what was invoiced for a charge is kept in log order.
    const numbered = [
      ...documents.map((document) => ({ position: document.position, apply: () => this.applyDocument(document, document.data) })),
      ...creditNotes.map((note) => ({ position: note.position, apply: () => this.restoreCreditNote(note) })),
      ...drafts.map((draft) => ({ position: draft.position, apply: () => this.restoreDraft(draft) })),
    ].sort((a, b) => a.position - b.position);
    for (const entry of numbered) entry.apply();
    this.runs.push(...runs);
    // In log order, as a live model folded them (a snapshot lists them by id).
    for (const payment of [...payments].sort((a, b) => a.position - b.position)) this.applyPayment(payment);
  }

  private restoreCreditNote(note: CreditNoteRecord): void {
    this.creditNotes.set(note.data.creditNoteId, note);
    this.creditNotesByDocument.set(note.data.documentId, note);
    this.billingOf(note.data.tenantId).creditNotes.push(note);
    this.series.credit_note.push(note.data.documentId);
  }

  private applyPayment(payment: PaymentRecord): void {
    this.payments.set(payment.data.paymentId, payment);
    this.billingOf(payment.data.tenantId).payments.push(payment);
  }

  private billingOf(tenantId: string): TenantBilling {
    let billing = this.billingByTenant.get(tenantId);
    if (billing === undefined) {
      billing = { documents: [], creditNotes: [], payments: [] };
      this.billingByTenant.set(tenantId, billing);
    }
    return billing;
  }

  // ---- Reading the model at a knowledge cut-off ------------------------------------------

  /** The lease as known at `cutoff`, or null if it was not signed by then. */
  leaseAt(leaseId: string, cutoff: number): LeaseState | null {
    const record = this.leases.get(leaseId);
    if (record === undefined || record.events[0]!.position > cutoff) return null;
    let index = record.events.length - 1;
    while (record.events[index]!.position > cutoff) index -= 1;
    return record.states[index]!;
  }

  /** Folds an allocation, or puts back one of a snapshot. */
  addAllocation(allocation: AllocationRecord): void {
    this.allocations.set(allocation.allocationId, allocation);
    let ofLease = this.allocationsByLease.get(allocation.leaseId);
    if (ofLease === undefined) {
      ofLease = [];
      this.allocationsByLease.set(allocation.leaseId, ofLease);
    }
    ofLease.push(allocation);
  }

  /** The lease's allocations, known at any cut-off (each has its position), in log order. */
  allocationsOf(leaseId: string): readonly AllocationRecord[] {
    return this.allocationsByLease.get(leaseId) ?? [];
  }

  /** Lease events known at `cutoff`, as line sources. */
  leaseSources(leaseId: string, cutoff: number, types?: ReadonlySet<string>): LineSource[] {
    const record = this.leases.get(leaseId);
    if (record === undefined) return [];
    const sources: LineSource[] = [];
    for (const entry of record.events) {
      if (entry.position > cutoff) break;
      if (types === undefined || types.has(entry.event.type)) {
        sources.push({ position: entry.position, eventId: entry.eventId, type: entry.event.type });
      }
    }
    return sources;
  }

  /** Metered GPU-hours of (lease, month) as known at `cutoff`. */
  meteredAt(leaseId: string, month: string, cutoff: number): Decimal {
    const series = this.usage.get(leaseId)?.get(month);
    if (series === undefined) return ZERO;
    const index = lastIndexAtOrBefore(series.positions, cutoff);
    return index < 0 ? ZERO : series.meteredAtIndex(index);
  }

  /**
   * The usage events of (lease, month) known at `cutoff`, as line sources: the last `max` of
   * them, and how many earlier ones were left out.
   */
  usageSourcesAt(leaseId: string, month: string, cutoff: number, max = Number.POSITIVE_INFINITY): { sources: LineSource[]; omitted: number } {
    const series = this.usage.get(leaseId)?.get(month);
    if (series === undefined) return { sources: [], omitted: 0 };
    const end = lastIndexAtOrBefore(series.positions, cutoff) + 1;
    const start = Math.max(0, end - max);
    const sources: LineSource[] = [];
    for (let index = start; index < end; index += 1) sources.push(this.usageSource(series, index));
    return { sources, omitted: start };
  }

  /**
   * A page of the usage events of (lease, month) known at `cutoff`, in log order: at most `limit`
   * of them after position `after` (-1: from the first), and the position of the page's last
   * event when more follow it (else null). Its cost is the page's, not the month's.
   */
  usagePageAt(leaseId: string, month: string, cutoff: number, after: number, limit: number): { sources: LineSource[]; lastPosition: number | null } {
    const series = this.usage.get(leaseId)?.get(month);
    if (series === undefined) return { sources: [], lastPosition: null };
    const end = lastIndexAtOrBefore(series.positions, cutoff) + 1;
    const start = lastIndexAtOrBefore(series.positions, after) + 1;
    const stop = Math.min(end, start + limit);
    const sources: LineSource[] = [];
    for (let index = start; index < stop; index += 1) sources.push(this.usageSource(series, index));
    return { sources, lastPosition: stop < end && stop > start ? series.positions.at(stop - 1) : null };
  }

  /** A usage event as a line source; one that recorded a reading under its reading's id gets its id from the store (usageEventIdFromStore). */
  private usageSource(series: UsageSeries, index: number): LineSource {
    const position = series.positions.at(index);
    const override = this.usageSourceOverrides.get(position);
    if (override !== undefined) return override;
    return { position, eventId: usageEventIdFromStore, type: 'UsageRecorded' };
  }

  /**
   * Months in which the lease has readings (known at any cut-off; a month without readings at
   * the cut-off meters zero). A reading stays where it was recorded when a retroactive
   * termination or a shortened term leaves its month outside the term: it is billed there.
   */
  usageMonths(leaseId: string): Iterable<string> {
    return this.usage.get(leaseId)?.keys() ?? [];
  }

  /**
   * Sum of what was invoiced for (lease, month, kind) by documents known at `cutoff`, and by
   * drafts still pending then (a draft is counted as invoiced, so a later run does not bill its
   * lines twice; a voided one is not, so its lines come back).
   */
  invoicedAt(leaseId: string, month: string, kind: string, cutoff: number): { amount: Decimal; quantity: Decimal; lines: number } {
    const entries = this.invoiced.get(chargeKey(leaseId, month, kind));
    if (entries === undefined) return { amount: ZERO, quantity: ZERO, lines: 0 };
    let amount = ZERO;
    let quantity = ZERO;
    let lines = 0;
    for (const entry of invoicedEntriesAt(entries, cutoff)) {
      amount = amount.plus(entry.amount);
      quantity = quantity.plus(entry.quantity);
      lines += 1;
    }
    return { amount, quantity, lines };
  }

  /** Leases of a tenant known at `cutoff`, in ascending leaseId order. */
  leasesOfTenant(tenantId: string, cutoff: number): string[] {
    const ids: string[] = [];
    for (const record of this.leases.values()) {
      if (record.tenantId === tenantId && record.events[0]!.position <= cutoff) ids.push(record.leaseId);
    }
    return ids.sort();
  }

  /** Tenants known at `cutoff`, ascending by tenantId. */
  tenantsAt(cutoff: number): TenantRecord[] {
    return [...this.tenants.values()].filter((tenant) => tenant.position <= cutoff).sort((a, b) => compareIds(a.tenantId, b.tenantId));
  }

  /** Billing documents known at `cutoff`, in order of issue. */
  documentsAt(cutoff: number): DocumentRecord[] {
    const documents: DocumentRecord[] = [];
    for (const id of this.documentOrder) {
      const document = this.documents.get(id)!;
      if (document.position > cutoff) break;
      documents.push(document);
    }
    return documents;
  }

  /** A tenant's billing facts, all of them (callers filter by cut-off), in log order. */
  billingOfTenant(tenantId: string): Readonly<TenantBilling> {
    return this.billingByTenant.get(tenantId) ?? noBilling;
  }

  /** The credit note by hand whose document id is `documentId`, if any. */
  creditNoteByDocument(documentId: string): CreditNoteRecord | undefined {
    return this.creditNotesByDocument.get(documentId);
  }

  /** Closes known at `cutoff`, in month order. */
  closesAt(cutoff: number): PeriodCloseRecord[] {
    let end = this.closes.length;
    while (end > 0 && this.closes[end - 1]!.position > cutoff) end -= 1;
    return end === this.closes.length ? this.closes : this.closes.slice(0, end);
  }

  /** Grants known at `cutoff`, ascending by grantId; of one tenant when given. */
  grantsAt(cutoff: number, tenantId?: string): CreditGrantRecord[] {
    return [...this.grants.values()]
      .filter((grant) => grant.position <= cutoff && (tenantId === undefined || grant.data.tenantId === tenantId))
      .sort((a, b) => compareIds(a.data.grantId, b.data.grantId));
  }

  /** The draws on a grant by documents known at `cutoff`, in log order. */
  grantDrawsAt(grantId: string, cutoff: number): GrantDrawRecord[] {
    return (this.grantDraws.get(grantId) ?? []).filter((draw) => draw.position <= cutoff && (draw.endPosition === undefined || draw.endPosition > cutoff));
  }

  /** A grant known at `cutoff` with the draws of the documents known then. */
  grantWithDrawsAt(record: CreditGrantRecord, cutoff: number): GrantWithDraws {
    return {
      terms: grantTermsOf(record.data, { position: record.position, eventId: record.eventId, type: 'CreditGranted' }),
      draws: this.grantDrawsAt(record.data.grantId, cutoff),
    };
  }

  /** The tenant's grants known at `cutoff`, as a billing run draws them (the charging facts port). */
  grantsOfTenantAt(tenantId: string, cutoff: number): GrantWithDraws[] {
    return this.grantsAt(cutoff, tenantId).map((record) => this.grantWithDrawsAt(record, cutoff));
  }

  runsAt(cutoff: number): BillingRunRecord[] {
    return this.runs.filter((run) => run.position <= cutoff);
  }

  /**
   * The invoice lines known at cutoff for one lease and month (reconciliation), with those of
   * drafts pending then, in log order: billing counts them as invoiced, so reconciliation does
   * too. Its cost is the month's lines, not every document's.
   */
  linesFor(leaseId: string, month: string, cutoff: number): KeptLine[] {
    const lines: KeptLine[] = [];
    for (const entry of invoicedEntriesAt(this.invoicedByLeaseMonth.get(leaseMonthKey(leaseId, month)) ?? [], cutoff)) lines.push(entry.line);
    return lines;
  }
}

const noBilling: Readonly<TenantBilling> = Object.freeze({ documents: [], creditNotes: [], payments: [] });

/** Ids compare by code unit, the same on every machine and locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

