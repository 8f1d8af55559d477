import {
  currencyMinorDigits,
  type CurrencyCode,
  type DocumentKind,
  type EventDataOf,
  type InvoiceLine,
  type IssueCreditNoteBody,
  type LedgerEvent,
  type LedgerEventOf,
  type RecordCreditGrantBody,
  type RecordPaymentBody,
} from '@compute-ledger/contracts';
import { decideCreditGrant, type CreditGrantFacts } from './credit-grant.js';
import { decideApproval, decideVoid, draftIdOf, draftOf, needsApproval, runDraftOf, type DraftFacts } from './drafts.js';
import { assert } from '../../shared/assert.js';
import { Decimal, dec, formatMoney, fractionDigits } from '../../shared/decimal.js';
import { toInstant, toMs } from '../../shared/time.js';
import { unreachable, type Decider } from '../decider.js';
import { ConflictError, NotFoundError, RuleViolationError, ValidationError } from '../errors.js';
import { fingerprintJson } from '../values.js';

/**
 * Billing (DOMAIN.md, "Billing"): runs, document numbering, payments and credit notes, decided on
 * the state of the one `billing` stream. A run's documents are planned by charging (what each
 * tenant owes as lines of differences); this decider numbers them, gap-free per series in the
 * order planned, and records the run once per billing date.
 */

const billingEventTypes = ['InvoiceIssued', 'BillingRunCompleted', 'PaymentReceived', 'CreditNoteIssued', 'CreditGranted', 'DraftCreated', 'DraftApproved', 'DraftVoided'] as const;

export type BillingEvent = LedgerEventOf<(typeof billingEventTypes)[number]>;

export function isBillingEvent(event: LedgerEvent): event is BillingEvent {
  return (billingEventTypes as readonly string[]).includes(event.type);
}

/** A document of a run as charging planned it: tenants in ascending id order, lines by lease, month, kind. */
export interface PlannedDocument {
  tenantId: string;
  kind: DocumentKind;
  lines: InvoiceLine[];
  total: Decimal;
  dueAt: string;
}

export interface RunBilling {
  type: 'RunBilling';
  billingDate: string;
  /** The instant the command is decided at: a billing date after it is refused. */
  nowMs: number;
  /** The knowledge cut-off the plan was computed at: the global position of the last event it read. */
  cutoff: number;
  /**
   * The run's documents as charging plans them at `cutoff`, asked for only once the run is
   * known to be due (planning reads every lease; a repeat or a refused date needs none of it).
   */
  plan: () => readonly PlannedDocument[];
  currency: CurrencyCode;
  /** Who runs it: the drafts it records are created by them, and another key must approve them. */
  actor: string;
  /** Documents whose absolute total is above this are drafts awaiting approval; null: none is. */
  approvalAbove: string | null;
}

/** Four-eyes approval of a draft: issued with the next number of its series, never by the actor who ran its run. */
export interface ApproveDraft {
  type: 'ApproveDraft';
  draftId: string;
  actor: string;
  nowMs: number;
}

/** A draft voided with a reason: its lines are owed again, and the next run bills them. */
export interface VoidDraft {
  type: 'VoidDraft';
  draftId: string;
  reason: string;
  actor: string;
  nowMs: number;
}

export interface RecordPayment {
  type: 'RecordPayment';
  data: RecordPaymentBody;
  nowMs: number;
  /** Whether the paying tenant is registered. */
  tenantExists: boolean;
  currency: CurrencyCode;
}

export interface IssueCreditNote {
  type: 'IssueCreditNote';
  data: IssueCreditNoteBody;
  /** The instant the command is decided at, the note's issue instant when the body names none. */
  nowMs: number;
  tenantExists: boolean;
  currency: CurrencyCode;
}

/** A credit grant (DOMAIN.md, "Credit grants"); a prepaid one takes the next invoice number. */
export interface GrantCredit {
  type: 'GrantCredit';
  data: RecordCreditGrantBody;
  /** When the grant is recorded: its prepayment invoice's issuedAt. */
  nowMs: number;
  currency: CurrencyCode;
  /** The tenant as registered, and the tenant of each lease the grant names (undefined: no such lease). */
  tenant: CreditGrantFacts['tenant'];
  leaseTenants: CreditGrantFacts['leaseTenants'];
}

export type BillingCommand = RunBilling | RecordPayment | IssueCreditNote | GrantCredit | ApproveDraft | VoidDraft;

export type BillingRun = EventDataOf<'BillingRunCompleted'>;

export interface BillingState {
  /** Completed runs by the instant of their billing date, and the latest one. */
  runs: Map<number, BillingRun>;
  latestRun: BillingRun | null;
  /** Documents issued so far in each series: the next number is one more. */
  series: Record<DocumentKind, number>;
  /** Every document issued, by number: what a payment or a credit note may name. */
  documents: Map<string, { kind: DocumentKind; tenantId: string }>;
  payments: Map<string, EventDataOf<'PaymentReceived'>>;
  creditNotes: Map<string, EventDataOf<'CreditNoteIssued'>>;
  grants: Map<string, EventDataOf<'CreditGranted'>>;
  /** Drafts of runs by id, with their approval or voiding; ids are numbered in order of creation. */
  drafts: Map<string, DraftFacts>;
}

export function initialBillingState(): BillingState {
  return { runs: new Map(), latestRun: null, series: { invoice: 0, credit_note: 0 }, documents: new Map(), payments: new Map(), creditNotes: new Map(), grants: new Map(), drafts: new Map() };
}

/** Document numbers are gap-free per series: INV-000001, CN-000001, ... */
export function documentNumber(kind: DocumentKind, sequence: number): string {
  return `${kind === 'invoice' ? 'INV' : 'CN'}-${String(sequence).padStart(6, '0')}`;
}

/** The run recorded for `billingDate` (in whatever spelling of the same instant), or null. */
export function runOf(state: BillingState, billingDate: string): BillingRun | null {
  return state.runs.get(toMs(billingDate)) ?? null;
}

export function decideBilling(command: BillingCommand, state: BillingState): BillingEvent[] {
  switch (command.type) {
    case 'RunBilling':
      return decideRun(command, state);
    case 'RecordPayment':
      return decidePayment(command, state);
    case 'IssueCreditNote':
      return decideCreditNote(command, state);
    case 'ApproveDraft': {
      const draft = requireDraft(state, command.draftId);
      const nextNumber = documentNumber(draft.created.kind, state.series[draft.created.kind] + 1);
      const decision = decideApproval({ draft, actor: command.actor, nextNumber, now: toInstant(command.nowMs) });
      return decision.outcome === 'unchanged' ? [] : decision.events.map(({ eventId: _eventId, ...event }) => event);
    }
    case 'VoidDraft': {
      const decision = decideVoid({ draft: requireDraft(state, command.draftId), actor: command.actor, reason: command.reason, now: toInstant(command.nowMs) });
      if (decision.outcome === 'unchanged') return [];
      const { eventId: _eventId, ...event } = decision.event;
      return [event];
    }
    case 'GrantCredit':
      return decideCreditGrant(
        {
          body: command.data,
          recordedAt: toInstant(command.nowMs),
          nextInvoiceId: documentNumber('invoice', state.series.invoice + 1),
          currency: command.currency,
          minorDigits: currencyMinorDigits[command.currency],
        },
        { tenant: command.tenant, leaseTenants: command.leaseTenants, existing: state.grants.get(command.data.grantId) },
      );
    default:
      return unreachable(command, 'command');
  }
}

/** A run happens once per date, never for a date before the latest run, never for a date still to come. */
function decideRun(command: RunBilling, state: BillingState): BillingEvent[] {
  const { billingDate } = command;
  if (runOf(state, billingDate) !== null) return [];
  const latest = state.latestRun;
  if (latest !== null && toMs(latest.billingDate) > toMs(billingDate)) {
    throw new ConflictError(`a billing run for ${billingDate} is earlier than the latest completed run, ${latest.billingDate}`);
  }
  if (toMs(billingDate) > command.nowMs) {
    throw new RuleViolationError(`billing date ${billingDate} is in the future: the months it bills in arrears are not over`);
  }
  const minorDigits = currencyMinorDigits[command.currency];
  const sequences = { ...state.series };
  const events: BillingEvent[] = [];
  const documents: BillingRun['documents'] = [];
  const approvalAbove = command.approvalAbove === null ? null : dec(command.approvalAbove);
  const drafts: NonNullable<BillingRun['drafts']> = [];
  for (const document of command.plan()) {
    if (needsApproval(document.total, approvalAbove)) {
      const draftId = draftIdOf(state.drafts.size + drafts.length + 1);
      const created = draftOf(document, { draftId, billingDate, currency: command.currency, createdBy: command.actor, minorDigits });
      events.push({ type: 'DraftCreated', data: created });
      drafts.push(runDraftOf(created));
      continue;
    }
    sequences[document.kind] += 1;
    const invoiceId = documentNumber(document.kind, sequences[document.kind]);
    const total = formatMoney(document.total, minorDigits);
    events.push({
      type: 'InvoiceIssued',
      data: {
        invoiceId,
        kind: document.kind,
        tenantId: document.tenantId,
        billingDate,
        issuedAt: billingDate,
        dueAt: document.dueAt,
        currency: command.currency,
        lines: document.lines,
        total,
      },
    });
    documents.push({ invoiceId, kind: document.kind, tenantId: document.tenantId, total });
  }
  const approval = command.approvalAbove === null ? {} : { approvalAbove: command.approvalAbove, drafts };
  events.push({ type: 'BillingRunCompleted', data: { billingDate, cutoffPosition: command.cutoff, documents, ...approval } });
  return events;
}

/** A payment is recorded once by its id; the same payment again records nothing. */
function decidePayment(command: RecordPayment, state: BillingState): BillingEvent[] {
  const { data: body } = command;
  const data: EventDataOf<'PaymentReceived'> = stripUndefined({ ...body, amount: money(body.amount, 'amount', command.currency) });
  const existing = state.payments.get(body.paymentId);
  if (existing !== undefined) return sameOrConflict(existing, data, `payment ${body.paymentId}`);
  requireTenant(command.tenantExists, body.tenantId);
  if (body.invoiceId !== undefined) requireInvoiceOf(state, body.invoiceId, body.tenantId);
  requirePositive(data.amount, 'amount');
  if (toMs(body.receivedAt) > command.nowMs) {
    throw new RuleViolationError(`payment ${body.paymentId} is dated ${body.receivedAt}, in the future`);
  }
  return [{ type: 'PaymentReceived', data }];
}

/** A credit note is issued once by its id, numbered next in the credit note series. */
function decideCreditNote(command: IssueCreditNote, state: BillingState): BillingEvent[] {
  const { data: body } = command;
  const existing = state.creditNotes.get(body.creditNoteId);
  const issuedAt = body.issuedAt ?? existing?.issuedAt ?? toInstant(command.nowMs);
  const amount = money(body.amount, 'amount', command.currency);
  if (existing !== undefined) {
    const { documentId: _documentId, currency: _currency, ...stored } = existing;
    return sameOrConflict(stored, stripUndefined({ ...body, amount, issuedAt }), `credit note ${body.creditNoteId}`);
  }
  requireTenant(command.tenantExists, body.tenantId);
  if (body.invoiceId !== undefined) requireInvoiceOf(state, body.invoiceId, body.tenantId);
  requirePositive(amount, 'amount');
  const data: EventDataOf<'CreditNoteIssued'> = stripUndefined({
    creditNoteId: body.creditNoteId,
    documentId: documentNumber('credit_note', state.series.credit_note + 1),
    tenantId: body.tenantId,
    amount,
    currency: command.currency,
    reason: body.reason,
    invoiceId: body.invoiceId,
    issuedAt,
  });
  return [{ type: 'CreditNoteIssued', data }];
}

/**
 * Folds one event into the state, in place: the billing stream holds every document the ledger
 * issued, and copying its maps at every event would make loading it quadratic. A state is only
 * ever folded forward by the stream it belongs to.
 */
export function evolveBilling(state: BillingState, event: BillingEvent): BillingState {
  switch (event.type) {
    case 'InvoiceIssued':
      state.documents.set(event.data.invoiceId, { kind: event.data.kind, tenantId: event.data.tenantId });
      state.series[event.data.kind] += 1;
      return state;
    case 'BillingRunCompleted':
      state.runs.set(toMs(event.data.billingDate), event.data);
      state.latestRun = event.data;
      return state;
    case 'PaymentReceived':
      state.payments.set(event.data.paymentId, event.data);
      return state;
    case 'CreditNoteIssued':
      state.creditNotes.set(event.data.creditNoteId, event.data);
      state.series.credit_note += 1;
      return state;
    case 'CreditGranted':
      state.grants.set(event.data.grantId, event.data);
      return state;
    case 'DraftCreated':
      state.drafts.set(event.data.draftId, { created: event.data });
      return state;
    case 'DraftApproved':
      foundDraft(state, event.data.draftId).approved = event.data;
      return state;
    case 'DraftVoided':
      foundDraft(state, event.data.draftId).voided = event.data;
      return state;
    default:
      return unreachable(event, 'event');
  }
}

export const billingDecider: Decider<BillingState, BillingCommand, BillingEvent> = {
  decide: decideBilling,
  evolve: evolveBilling,
  initialState: initialBillingState,
};

/** An id already recorded: the same content records nothing, other content is a conflict. */
function sameOrConflict(stored: object, asked: object, what: string): BillingEvent[] {
  if (fingerprintJson(stored) !== fingerprintJson(asked)) throw new ConflictError(`${what} already exists with other content`);
  return [];
}

function requireDraft(state: BillingState, draftId: string): DraftFacts {
  const draft = state.drafts.get(draftId);
  if (draft === undefined) throw new NotFoundError(`draft ${draftId} does not exist`);
  return draft;
}

/** A draft the stream created before it approves or voids it. */
function foundDraft(state: BillingState, draftId: string): DraftFacts {
  const draft = state.drafts.get(draftId);
  assert(draft !== undefined, `draft ${draftId} is created before it is approved or voided`);
  return draft;
}

function requireTenant(exists: boolean, tenantId: string): void {
  if (!exists) throw new NotFoundError(`tenant ${tenantId} does not exist`);
}

function requireInvoiceOf(state: BillingState, invoiceId: string, tenantId: string): void {
  const document = state.documents.get(invoiceId);
  if (document === undefined || document.kind !== 'invoice') throw new NotFoundError(`invoice ${invoiceId} does not exist`);
  if (document.tenantId !== tenantId) throw new RuleViolationError(`invoice ${invoiceId} belongs to another tenant than ${tenantId}`);
}

function requirePositive(amount: string, field: string): void {
  if (!dec(amount).greaterThan(0)) throw new ValidationError(`${field} must be greater than zero`, [{ path: field, message: 'must be greater than zero' }]);
}

/** A money amount in the currency's minor digits (`"500"` -> `"500.00"`), refusing finer ones. */
function money(value: string, field: string, currency: CurrencyCode): string {
  const minorDigits = currencyMinorDigits[currency];
  if (fractionDigits(value) > minorDigits) {
    throw new ValidationError(`${field} ${value} has more decimals than ${currency} allows (${minorDigits})`, [
      { path: field, message: `at most ${minorDigits} fractional digits` },
    ]);
  }
  return formatMoney(new Decimal(value), minorDigits);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}
