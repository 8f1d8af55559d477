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

export type BillingEvent = LedgerEventOf<'InvoiceIssued' | 'BillingRunCompleted' | 'PaymentReceived' | 'CreditNoteIssued' | 'CreditGranted'>;

export function isBillingEvent(event: LedgerEvent): event is BillingEvent {
  return event.type === 'InvoiceIssued' || event.type === 'BillingRunCompleted' || event.type === 'PaymentReceived' || event.type === 'CreditNoteIssued' || event.type === 'CreditGranted';
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

export type BillingCommand = RunBilling | RecordPayment | IssueCreditNote | GrantCredit;

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
}

export function initialBillingState(): BillingState {
  return { runs: new Map(), latestRun: null, series: { invoice: 0, credit_note: 0 }, documents: new Map(), payments: new Map(), creditNotes: new Map(), grants: new Map() };
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
  for (const document of command.plan()) {
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
  events.push({ type: 'BillingRunCompleted', data: { billingDate, cutoffPosition: command.cutoff, documents } });
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
