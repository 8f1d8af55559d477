import { currencyMinorDigits, type CurrencyCode, type EventDataOf, type IssueCreditNoteBody, type RecordPaymentBody } from '@compute-ledger/contracts';
import { decideBilling, runOf, type BillingCommand, type BillingEvent, type BillingRun, type BillingState } from '../domain/billing/billing.js';
import { billingStreamId, tenantStream } from '../domain/streams.js';
import { planBillingRun } from '../charging/run-plan.js';
import { assert } from '../shared/assert.js';
import type { Clock } from './clock.js';
import type { AggregateStreams } from './aggregate-streams.js';
import type { CommandHandler } from './command-handler.js';
import type { CommandContext } from './event-codec.js';
import type { ModelRunner } from './model-runner.js';

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

export class BillingCommands {
  private readonly minorDigits: number;

  constructor(
    private readonly handler: CommandHandler,
    private readonly streams: AggregateStreams,
    private readonly runner: ModelRunner,
    private readonly currency: CurrencyCode,
    private readonly clock: Clock,
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
    const decided = await this.decide(context, async () => {
      await this.runner.catchUp();
      const model = this.runner.model;
      const cutoff = model.position;
      const plan = () => planBillingRun(model, { billingDate, cutoff, currency: this.currency, minorDigits: this.minorDigits });
      return { type: 'RunBilling', billingDate, nowMs: this.clock().getTime(), cutoff, plan, currency: this.currency };
    });
    const run = lastOf(decided.events, 'BillingRunCompleted')?.data ?? runOf(decided.state, billingDate);
    assert(run !== null, `the billing run of ${billingDate} exists once decided`);
    return { outcome: decided.outcome, result: run };
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
