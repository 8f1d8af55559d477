import { currencyMinorDigits, type CurrencyCode, type EventDataOf, type IssueCreditNoteBody, type RecordCreditGrantBody, type RecordPaymentBody } from '@compute-ledger/contracts';
import { decideBilling, runOf, type BillingCommand, type BillingEvent, type BillingRun, type BillingState, type RunBilling } from '../domain/billing/billing.js';
import { billingStreamId, leaseStream, tenantStream } from '../domain/streams.js';
import { planBillingRun } from '../charging/run-plan.js';
import { assert } from '../shared/assert.js';
import type { Clock } from './clock.js';
import type { AggregateStreams } from './aggregate-streams.js';
import type { CommandHandler } from './command-handler.js';
import type { CommandContext } from './event-codec.js';
import type { ModelRunner } from './model-runner.js';
import { fillUsageEventIds, lineSourcesOf } from './usage-event-ids.js';

/**
 * Billing runs, payments and credit notes by hand, decided by the billing decider on the one
 * `billing` stream. Its expected revision makes document numbers gap-free and a run happen once
 * per date, even when several runs or instances race: the loser loads the stream again and
 * answers with the winner's result.
 */

export interface Outcome<T> {
  outcome: 'created' | 'unchanged';
  result: T;
}

export type BillingRunResult = BillingRun;

/** What a run for a date would issue now: its documents, unnumbered, and the cut-off it read. */
export interface BillingPreview {
  billingDate: string;
  cutoffPosition: number;
  documents: (Omit<EventDataOf<'InvoiceIssued'>, 'invoiceId'> & { number: null })[];
}

export class BillingCommands {
  private readonly minorDigits: number;

  constructor(
    private readonly handler: CommandHandler,
    private readonly streams: AggregateStreams,
    private readonly runner: ModelRunner,
    private readonly currency: CurrencyCode,
    private readonly clock: Clock,
    /** Documents of a run whose absolute total is above this are drafts awaiting approval; null: none is. */
    private readonly approvalAbove: string | null = null,
  ) {
    this.minorDigits = currencyMinorDigits[currency];
  }

  /**
   * Runs billing for `billingDate` once; the same date again answers with the same result. The
   * plan reads the model caught up after the billing stream is loaded, so it knows every
   * document of the state it is decided on; a document issued after that load moves the stream
   * and the run is decided again.
   */
  async runBilling(billingDate: string, context: CommandContext): Promise<Outcome<BillingRunResult>> {
    const decided = await this.decide(context, () => this.runCommand(billingDate, this.clock().getTime(), context.actor, this.approvalAbove));
    const run = lastOf(decided.events, 'BillingRunCompleted')?.data ?? runOf(decided.state, billingDate);
    assert(run !== null, `the billing run of ${billingDate} exists once decided`);
    return { outcome: decided.outcome, result: run };
  }

  /**
   * What a run for `billingDate` would issue if it ran now, on the usage known now, credits
   * applied: the run's own decision on the billing stream as it stands, recording nothing. Any
   * month start is allowed, future ones included (an upcoming invoice); a date already run
   * previews nothing, and one before the latest run is refused as the run would be.
   */
  async previewBilling(billingDate: string): Promise<BillingPreview> {
    const { state } = await this.streams.billing.load(billingStreamId);
    // Decided as if now were after the billing date (a preview may look at a month still to
    // come), with no draft: every document it would issue is shown, unnumbered.
    const command = await this.runCommand(billingDate, Number.MAX_SAFE_INTEGER, 'preview', null);
    const events = decideBilling(command, state);
    await fillUsageEventIds(this.handler.store, lineSourcesOf(events));
    const documents = events.flatMap((event) => (event.type === 'InvoiceIssued' ? [event.data] : []));
    return { billingDate, cutoffPosition: command.cutoff, documents: documents.map(({ invoiceId: _invoiceId, ...document }) => ({ number: null, ...document })) };
  }

  /** Records a credit grant and, for a prepaid one, its invoice with the next INV number (DOMAIN.md, "Credit grants"). */
  async recordCreditGrant(body: RecordCreditGrantBody, context: CommandContext): Promise<Outcome<EventDataOf<'CreditGranted'>>> {
    const decided = await this.decide(context, async () => {
      const tenant = (await this.streams.tenants.load(tenantStream(body.tenantId))).state;
      const leaseTenants = new Map(
        await Promise.all((body.leaseIds ?? []).map(async (leaseId) => [leaseId, (await this.streams.leases.load(leaseStream(leaseId))).state?.tenantId] as const)),
      );
      return {
        type: 'GrantCredit',
        data: body,
        nowMs: this.clock().getTime(),
        currency: this.currency,
        tenant: tenant === null ? undefined : { tenantId: tenant.tenantId, paymentTermsDays: tenant.paymentTermsDays },
        leaseTenants,
      };
    });
    const grant = lastOf(decided.events, 'CreditGranted')?.data ?? decided.state.grants.get(body.grantId);
    assert(grant !== undefined, `credit grant ${body.grantId} exists once decided`);
    return { outcome: decided.outcome, result: grant };
  }

  /** Approves a draft of a run (four eyes: never by the actor who ran it), issuing it with the next number of its series. */
  async approveDraft(draftId: string, context: CommandContext): Promise<Outcome<{ invoiceId: string }>> {
    const decided = await this.decide(context, async () => ({ type: 'ApproveDraft', draftId, actor: context.actor, nowMs: this.clock().getTime() }));
    const invoiceId = lastOf(decided.events, 'DraftApproved')?.data.invoiceId ?? decided.state.drafts.get(draftId)?.approved?.invoiceId;
    assert(invoiceId !== undefined, `draft ${draftId} is issued once approved`);
    return { outcome: decided.outcome, result: { invoiceId } };
  }

  /** Voids a draft of a run with a reason: its lines are owed again, and the next run bills them. */
  async voidDraft(draftId: string, reason: string, context: CommandContext): Promise<Outcome<{ draftId: string }>> {
    const decided = await this.decide(context, async () => ({ type: 'VoidDraft', draftId, reason, actor: context.actor, nowMs: this.clock().getTime() }));
    return { outcome: decided.outcome, result: { draftId } };
  }

  async recordPayment(body: RecordPaymentBody, context: CommandContext): Promise<Outcome<EventDataOf<'PaymentReceived'>>> {
    const decided = await this.decide(context, async () => {
      const tenantExists = (await this.streams.tenants.load(tenantStream(body.tenantId))).state !== null;
      return { type: 'RecordPayment', data: body, nowMs: this.clock().getTime(), tenantExists, currency: this.currency };
    });
    const payment = lastOf(decided.events, 'PaymentReceived')?.data ?? decided.state.payments.get(body.paymentId);
    assert(payment !== undefined, `payment ${body.paymentId} exists once decided`);
    return { outcome: decided.outcome, result: payment };
  }

  async issueCreditNote(body: IssueCreditNoteBody, context: CommandContext): Promise<Outcome<EventDataOf<'CreditNoteIssued'>>> {
    const decided = await this.decide(context, async () => {
      const tenantExists = (await this.streams.tenants.load(tenantStream(body.tenantId))).state !== null;
      return { type: 'IssueCreditNote', data: body, nowMs: this.clock().getTime(), tenantExists, currency: this.currency };
    });
    const note = lastOf(decided.events, 'CreditNoteIssued')?.data ?? decided.state.creditNotes.get(body.creditNoteId);
    assert(note !== undefined, `credit note ${body.creditNoteId} exists once decided`);
    return { outcome: decided.outcome, result: note };
  }

  /**
   * The run for `billingDate` as a command: the model caught up (after the billing stream was
   * loaded), its position as the cut-off, and the plan charging computes there, asked for only
   * when the decider finds the run due. The one build of a run, for the run and its preview.
   */
  private async runCommand(billingDate: string, nowMs: number, actor: string, approvalAbove: string | null): Promise<RunBilling> {
    await this.runner.catchUp();
    const model = this.runner.model;
    const cutoff = model.position;
    const plan = () => planBillingRun(model, { billingDate, cutoff, currency: this.currency, minorDigits: this.minorDigits });
    return { type: 'RunBilling', billingDate, nowMs, cutoff, plan, currency: this.currency, actor, approvalAbove };
  }

  /**
   * Loads the billing stream, builds the command (what else it reads is loaded after the stream),
   * decides and appends; then brings the model up to what was appended, so that a report read
   * right after sees it.
   */
  private async decide(
    context: CommandContext,
    command: () => Promise<BillingCommand>,
  ): Promise<{ outcome: 'created' | 'unchanged'; events: readonly BillingEvent[]; state: BillingState }> {
    let events: readonly BillingEvent[] = [];
    let state: BillingState | null = null;
    const outcome = await this.handler.execute(
      this.streams.billing,
      billingStreamId,
      context,
      async (loaded) => {
        const built = await command();
        events = decideBilling(built, loaded);
        await fillUsageEventIds(this.handler.store, lineSourcesOf(events));
        state = loaded;
        return events;
      },
      { takenIdIsRace: true },
    );
    await this.runner.catchUp();
    assert(state !== null, 'the billing stream is loaded once decided');
    return { outcome, events, state };
  }
}

function lastOf<Type extends BillingEvent['type']>(events: readonly BillingEvent[], type: Type): Extract<BillingEvent, { type: Type }> | undefined {
  return events.findLast((event): event is Extract<BillingEvent, { type: Type }> => event.type === type);
}
