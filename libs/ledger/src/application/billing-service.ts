import {
  currencyMinorDigits,
  ledgerEventRegistry,
  type CurrencyCode,
  type EventDataOf,
  type IssueCreditNoteBody,
  type RecordPaymentBody,
} from '@compute-ledger/contracts';
import { documentNumber, planBillingRun } from '../billing/billing-run.js';
import { ConflictError, NotFoundError, RuleViolationError, ValidationError } from '../domain/errors.js';
import type { BillingRunRecord, DraftRecord } from '../projections/ledger-model.js';
import { decideApproval, decideVoid, draftEventIds, draftIdOf, draftOf, needsApproval, runDraftOf } from '../domain/billing/drafts.js';
import { draftFacts } from '../projections/drafts.js';
import { amountDue, invoiceStatus, receivablesAt } from '../projections/receivables.js';
import { Decimal, dec, formatMoney, fractionDigits } from '../shared/decimal.js';
import { toInstant, toMs } from '../shared/time.js';
import type { EventMetadata, EventStore, EventToAppend, JsonObject } from '../store/event-store.js';
import { ConcurrencyError, DuplicateEventIdError } from '../store/errors.js';
import { canonicalJson } from '../store/canonical-json.js';
import type { ModelRunner } from './model-runner.js';
import type { CommandContext } from './ledger-commands.js';
import type { Clock } from './clock.js';

/**
 * Billing runs, payments and credit notes by hand. All three write to one `billing` stream,
 * whose expected revision makes document numbers gap-free and a run happen once per date, even
 * when several runs or instances race: the loser re-reads the log and answers with the winner's
 * result.
 */

export const billingStreamId = 'billing';
export const billingAppendAttemptsMax = 5;

export interface Outcome<T> {
  outcome: 'created' | 'unchanged';
  result: T;
}

export interface BillingRunResult {
  billingDate: string;
  cutoffPosition: number;
  documents: { invoiceId: string; kind: 'invoice' | 'credit_note'; tenantId: string; total: string }[];
  approvalAbove?: string;
  drafts?: { draftId: string; kind: 'invoice' | 'credit_note'; tenantId: string; total: string }[];
}

export interface BillingServiceOptions {
  store: EventStore;
  runner: ModelRunner;
  currency: CurrencyCode;
  clock: Clock;
  /** Documents whose absolute total is above this are drafts awaiting approval (`LEDGER_APPROVAL_ABOVE`); none when unset. */
  approvalAbove?: string | undefined;
}

export class BillingService {
  private readonly minorDigits: number;

  constructor(private readonly options: BillingServiceOptions) {
    this.minorDigits = currencyMinorDigits[options.currency];
  }

  /** Runs billing for `billingDate` once; the same date again answers with the same result. */
  async runBilling(billingDate: string, context: CommandContext): Promise<Outcome<BillingRunResult>> {
    return this.withRetry(() => this.tryRunBilling(billingDate, context));
  }

  async recordPayment(body: RecordPaymentBody, context: CommandContext): Promise<Outcome<EventDataOf<'PaymentReceived'>>> {
    return this.withRetry(async () => {
      const model = this.options.runner.model;
      const existing = model.payments.get(body.paymentId);
      const data: EventDataOf<'PaymentReceived'> = stripUndefined({ ...body, amount: this.money(body.amount, 'amount') });
      if (existing !== undefined) return this.sameOrConflict(existing.data, data, `payment ${body.paymentId}`);
      this.requireTenant(body.tenantId);
      if (body.invoiceId !== undefined) this.requireInvoiceOf(body.invoiceId, body.tenantId);
      this.requirePositive(data.amount, 'amount');
      if (toMs(body.receivedAt) > this.options.clock().getTime()) {
        throw new RuleViolationError(`payment ${body.paymentId} is dated ${body.receivedAt}, in the future`);
      }
      const written = await this.append([{ eventId: `payment:${body.paymentId}`, type: 'PaymentReceived', data }], context);
      return { outcome: written ? 'created' : 'unchanged', result: data };
    });
  }

  async issueCreditNote(body: IssueCreditNoteBody, context: CommandContext): Promise<Outcome<EventDataOf<'CreditNoteIssued'>>> {
    return this.withRetry(async () => {
      const model = this.options.runner.model;
      const existing = model.creditNotes.get(body.creditNoteId);
      const issuedAt = body.issuedAt ?? existing?.data.issuedAt ?? toInstant(this.options.clock().getTime());
      const amount = this.money(body.amount, 'amount');
      if (existing !== undefined) {
        const { documentId: _documentId, currency: _currency, ...stored } = existing.data;
        const asked = stripUndefined({ ...body, amount, issuedAt });
        return this.sameOrConflict(stored, asked, `credit note ${body.creditNoteId}`, existing.data);
      }
      this.requireTenant(body.tenantId);
      if (body.invoiceId !== undefined) this.requireInvoiceOf(body.invoiceId, body.tenantId);
      this.requirePositive(amount, 'amount');
      const data: EventDataOf<'CreditNoteIssued'> = stripUndefined({
        creditNoteId: body.creditNoteId,
        documentId: documentNumber('credit_note', model.series.credit_note.length + 1),
        tenantId: body.tenantId,
        amount,
        currency: this.options.currency,
        reason: body.reason,
        invoiceId: body.invoiceId,
        issuedAt,
      });
      const written = await this.append([{ eventId: `credit-note:${body.creditNoteId}`, type: 'CreditNoteIssued', data }], context);
      return { outcome: written ? 'created' : 'unchanged', result: data };
    });
  }

  /** Approves a draft of a run (four eyes: never by the actor who ran it), issuing it with the next number of its series. */
  async approveDraft(draftId: string, context: CommandContext): Promise<Outcome<{ invoiceId: string }>> {
    return this.withRetry(async () => {
      const model = this.options.runner.model;
      const draft = this.requireDraft(draftId);
      const nextNumber = documentNumber(draft.data.kind, model.series[draft.data.kind].length + 1);
      const decision = decideApproval({ draft: draftFacts(draft), actor: context.actor, nextNumber, now: toInstant(this.options.clock().getTime()) });
      if (decision.outcome === 'unchanged') return { outcome: 'unchanged', result: { invoiceId: decision.invoiceId } };
      const written = await this.append(decision.events.map((event) => ({ ...event, data: event.data as unknown as JsonObject })), context);
      return { outcome: written ? 'created' : 'unchanged', result: { invoiceId: decision.invoiceId } };
    });
  }

  /** Voids a draft of a run with a reason: its lines are owed again, and the next run bills them. */
  async voidDraft(draftId: string, reason: string, context: CommandContext): Promise<Outcome<{ draftId: string }>> {
    return this.withRetry(async () => {
      const draft = this.requireDraft(draftId);
      const decision = decideVoid({ draft: draftFacts(draft), actor: context.actor, reason, now: toInstant(this.options.clock().getTime()) });
      if (decision.outcome === 'unchanged') return { outcome: 'unchanged', result: { draftId } };
      const written = await this.append([{ ...decision.event, data: decision.event.data as unknown as JsonObject }], context);
      return { outcome: written ? 'created' : 'unchanged', result: { draftId } };
    });
  }

  /** Amount paid, amount due and status of every invoice of a tenant now, as known now. */
  invoiceBalances(asOfMs: number, cutoff: number) {
    const balances = new Map<string, { amountPaid: string; amountDue: string; status: 'open' | 'partially_paid' | 'paid' }>();
    for (const tenant of receivablesAt(this.options.runner.model, asOfMs, cutoff).values()) {
      for (const invoice of tenant.invoices) {
        balances.set(invoice.invoiceId, {
          amountPaid: formatMoney(invoice.applied, this.minorDigits),
          amountDue: formatMoney(amountDue(invoice), this.minorDigits),
          status: invoiceStatus(invoice),
        });
      }
    }
    return balances;
  }

  private async tryRunBilling(billingDate: string, context: CommandContext): Promise<Outcome<BillingRunResult>> {
    const model = this.options.runner.model;
    const done = model.runs.find((run) => run.data.billingDate === billingDate || toMs(run.data.billingDate) === toMs(billingDate));
    if (done !== undefined) return { outcome: 'unchanged', result: runResult(done) };
    const latest = model.runs.at(-1);
    if (latest !== undefined && toMs(latest.data.billingDate) > toMs(billingDate)) {
      throw new ConflictError(`a billing run for ${billingDate} is earlier than the latest completed run, ${latest.data.billingDate}`);
    }
    if (toMs(billingDate) > this.options.clock().getTime()) {
      throw new RuleViolationError(`billing date ${billingDate} is in the future: the months it bills in arrears are not over`);
    }
    const cutoff = model.position;
    const planned = planBillingRun(model, { billingDate, cutoff, currency: this.options.currency, minorDigits: this.minorDigits });
    const sequences = { invoice: model.series.invoice.length, credit_note: model.series.credit_note.length };
    const events: Omit<EventToAppend, 'schemaVersion'>[] = [];
    const documents: BillingRunResult['documents'] = [];
    const approvalAbove = this.options.approvalAbove === undefined ? null : dec(this.options.approvalAbove);
    const drafts: NonNullable<BillingRunResult['drafts']> = [];
    for (const document of planned) {
      if (needsApproval(document.total, approvalAbove)) {
        const created = draftOf(document, { draftId: draftIdOf(model.draftOrder.length + drafts.length + 1), billingDate, currency: this.options.currency, createdBy: context.actor, minorDigits: this.minorDigits });
        events.push({ eventId: draftEventIds.created(created.draftId), type: 'DraftCreated', data: created as unknown as JsonObject });
        drafts.push(runDraftOf(created));
        continue;
      }
      sequences[document.kind] += 1;
      const invoiceId = documentNumber(document.kind, sequences[document.kind]);
      const total = formatMoney(document.total, this.minorDigits);
      const data: EventDataOf<'InvoiceIssued'> = {
        invoiceId,
        kind: document.kind,
        tenantId: document.tenantId,
        billingDate,
        issuedAt: billingDate,
        dueAt: document.dueAt,
        currency: this.options.currency,
        lines: document.lines,
        total,
      };
      events.push({ eventId: `document:${invoiceId}`, type: 'InvoiceIssued', data: data as unknown as JsonObject });
      documents.push({ invoiceId, kind: document.kind, tenantId: document.tenantId, total });
    }
    const run: EventDataOf<'BillingRunCompleted'> = { billingDate, cutoffPosition: cutoff, documents, ...(approvalAbove === null ? {} : { approvalAbove: this.options.approvalAbove, drafts }) };
    events.push({ eventId: `billing-run:${billingDate}`, type: 'BillingRunCompleted', data: run as unknown as JsonObject });
    const written = await this.append(events, context);
    return { outcome: written ? 'created' : 'unchanged', result: run };
  }

  /**
   * Appends to the billing stream at the revision the model knows, then folds the result in.
   * Answers false when the store found the very same events already recorded: the same request,
   * decided on the same model by another process or instance, got there first and created them.
   */
  private async append(events: Omit<EventToAppend, 'schemaVersion'>[], context: CommandContext): Promise<boolean> {
    const metadata: EventMetadata = { actor: context.actor };
    if (context.correlationId !== undefined) metadata.correlationId = context.correlationId;
    if (context.causationId !== undefined) metadata.causationId = context.causationId;
    const toAppend: EventToAppend[] = events.map((event) => ({
      ...event,
      schemaVersion: ledgerEventRegistry.currentVersion(event.type),
      data: ledgerEventRegistry.parseCurrent(event.type, event.data) as JsonObject,
      metadata,
    }));
    const revision = this.options.runner.model.streamRevisions.get(billingStreamId);
    const result = await this.options.store.append(billingStreamId, toAppend, revision ?? 'no_stream');
    await this.options.runner.catchUp();
    return result.written;
  }

  /**
   * Decides on the latest model; when another writer got there first, catches up and decides
   * again. Another writer may also have recorded the same ids with other content: a billing run
   * for the same date planned on a later cut-off, or the same payment or credit note sent at the
   * same moment with other details. The model sees every event when it decides, so such a clash
   * comes only from a race, and the next attempt, caught up, answers it properly: the run as the
   * winner recorded it, or a conflict that names the id.
   */
  private async withRetry<T>(attempt: () => Promise<T>): Promise<T> {
    for (let attemptNumber = 1; ; attemptNumber += 1) {
      await this.options.runner.catchUp();
      try {
        return await attempt();
      } catch (error) {
        const lostRace = error instanceof ConcurrencyError || error instanceof DuplicateEventIdError;
        if (!lostRace) throw error;
        if (attemptNumber >= billingAppendAttemptsMax) throw new ConflictError('the billing stream kept changing under this request; try again');
      }
    }
  }

  private sameOrConflict<T, R>(stored: T, asked: unknown, what: string, result?: R): Outcome<R extends undefined ? T : R> {
    if (canonicalJson(stored) !== canonicalJson(asked)) {
      throw new ConflictError(`${what} already exists with other content`);
    }
    return { outcome: 'unchanged', result: (result ?? stored) as R extends undefined ? T : R };
  }

  private requireDraft(draftId: string): DraftRecord {
    const draft = this.options.runner.model.drafts.get(draftId);
    if (draft === undefined) throw new NotFoundError(`draft ${draftId} does not exist`);
    return draft;
  }

  private requireTenant(tenantId: string): void {
    if (!this.options.runner.model.tenants.has(tenantId)) throw new NotFoundError(`tenant ${tenantId} does not exist`);
  }

  private requireInvoiceOf(invoiceId: string, tenantId: string): void {
    const document = this.options.runner.model.documents.get(invoiceId);
    if (document === undefined || document.data.kind !== 'invoice') throw new NotFoundError(`invoice ${invoiceId} does not exist`);
    if (document.data.tenantId !== tenantId) throw new RuleViolationError(`invoice ${invoiceId} belongs to another tenant than ${tenantId}`);
  }

  private requirePositive(amount: string, field: string): void {
    if (!dec(amount).greaterThan(0)) throw new ValidationError(`${field} must be greater than zero`, [{ path: field, message: 'must be greater than zero' }]);
  }

  /** A money amount in the ledger's minor digits (`"500"` -> `"500.00"`), refusing finer ones. */
  private money(value: string, field: string): string {
    if (fractionDigits(value) > this.minorDigits) {
      throw new ValidationError(`${field} ${value} has more decimals than ${this.options.currency} allows (${this.minorDigits})`, [
        { path: field, message: `at most ${this.minorDigits} fractional digits` },
      ]);
    }
    return formatMoney(new Decimal(value), this.minorDigits);
  }
}

function runResult(run: BillingRunRecord): BillingRunResult {
  return run.data;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
