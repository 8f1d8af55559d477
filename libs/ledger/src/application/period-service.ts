import type { EventDataOf } from '@compute-ledger/contracts';
import { ConflictError } from '../domain/errors.js';
import { periodsStreamId } from '../domain/streams.js';
import { pendingDraftsUntil } from '../projections/drafts.js';
import type { PeriodCloseRecord } from '../projections/ledger-model.js';
import { assert } from '../shared/assert.js';
import { monthInterval, nextMonth, toInstant, toMs } from '../shared/time.js';
import type { EventStore } from '../store/event-store.js';
import type { Clock } from './clock.js';
import { CommandHandler } from './command-handler.js';
import { toStreamWrite, type CommandContext } from './event-codec.js';
import type { ModelRunner } from './model-runner.js';

/**
 * Closing a service month (DOMAIN.md, "Closing a period"). A close is one event in the `periods`
 * stream, appended at the revision the model knows, so two closes racing cannot both win: the
 * loser catches up and finds the month closed (409) or the next one to close moved on.
 */

export interface PeriodCloseResult {
  month: string;
  closedAt: string;
  seal: { position: number; hash: string };
}

export interface PeriodServiceOptions {
  store: EventStore;
  runner: ModelRunner;
  clock: Clock;
}

export class PeriodService {
  private readonly handler: CommandHandler;

  constructor(private readonly options: PeriodServiceOptions) {
    this.handler = new CommandHandler(options.store);
  }

  /**
   * Closes `month`: in order, once, only after the billing run of its end. Another close that
   * got there first moves the periods stream (or takes its event id): the next attempt, caught
   * up, answers it.
   */
  async close(month: string, context: CommandContext): Promise<PeriodCloseResult> {
    return this.handler.attempt(() => this.tryClose(month, context), { takenIdIsRace: true });
  }

  private async tryClose(month: string, context: CommandContext): Promise<PeriodCloseResult> {
    await this.options.runner.catchUp();
    const model = this.options.runner.model;
    const closed = model.closes.find((close) => close.data.month === month);
    if (closed !== undefined) {
      throw new ConflictError(`${month} is already closed (on ${closed.data.closedAt}, sealed at position ${closed.data.seal.position}); a closed month never opens again`);
    }
    const latest = model.closes.at(-1);
    if (latest !== undefined && nextMonth(latest.data.month) !== month) {
      throw new ConflictError(`months close in order: ${latest.data.month} is the latest closed, so the next to close is ${nextMonth(latest.data.month)}, not ${month}`);
    }
    const runDateMs = monthInterval(month).endMs;
    if (!model.runs.some((run) => toMs(run.data.billingDate) === runDateMs)) {
      throw new ConflictError(`${month} closes only after the billing run of ${toInstant(runDateMs)}, which has not run yet`);
    }
    const pending = pendingDraftsUntil(model, model.position, runDateMs);
    if (pending.length > 0) {
      const ids = pending.map((draft) => draft.draftId).join(', ');
      throw new ConflictError(`${month} closes only when no draft of a billing run up to ${toInstant(runDateMs)} awaits approval: approve or void ${ids} first`);
    }
    const headPosition = await this.options.store.headPosition();
    const [head] = await this.options.store.readAll({ fromPosition: headPosition, limit: 1 });
    assert(head !== undefined && head.position === headPosition, `the log head at ${headPosition} can be read`);
    const data: EventDataOf<'PeriodClosed'> = {
      month,
      closedAt: toInstant(this.options.clock().getTime()),
      closedBy: context.actor,
      seal: { position: head.position, hash: head.hash },
    };
    const write = toStreamWrite(periodsStreamId, model.streamRevisions.get(periodsStreamId) ?? -1, [{ type: 'PeriodClosed', data }], context);
    await this.options.store.append(write.streamId, write.events, write.expectedRevision);
    await this.options.runner.catchUp();
    return closeResult({ position: -1, data });
  }

  /** Every close known now, in month order. */
  async closes(): Promise<PeriodCloseRecord[]> {
    await this.options.runner.catchUp();
    return this.options.runner.model.closes;
  }
}

export function closeResult(close: PeriodCloseRecord): PeriodCloseResult {
  return { month: close.data.month, closedAt: close.data.closedAt, seal: close.data.seal };
}
