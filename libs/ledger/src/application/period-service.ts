import { ledgerEventRegistry, type EventDataOf } from '@compute-ledger/contracts';
import { ConflictError } from '../domain/errors.js';
import { pendingDraftsUntil } from '../projections/drafts.js';
import type { PeriodCloseRecord } from '../projections/ledger-model.js';
import { assert } from '../shared/assert.js';
import { monthInterval, nextMonth, toInstant, toMs } from '../shared/time.js';
import type { EventMetadata, EventStore, JsonObject } from '../store/event-store.js';
import { ConcurrencyError, DuplicateEventIdError } from '../store/errors.js';
import type { Clock } from './clock.js';
import type { CommandContext } from './ledger-commands.js';
import type { ModelRunner } from './model-runner.js';

/**
 * Closing a service month (DOMAIN.md, "Closing a period"). A close is one event in the `periods`
 * stream, appended at the revision the model knows, so two closes racing cannot both win: the
 * loser catches up and finds the month closed (409) or the next one to close moved on.
 */

export const periodsStreamId = 'periods';
export const periodCloseAttemptsMax = 5;

export function periodClosedEventId(month: string): string {
  return `period-closed:${month}`;
}

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
  constructor(private readonly options: PeriodServiceOptions) {}

  /** Closes `month`: in order, once, only after the billing run of its end. */
  async close(month: string, context: CommandContext): Promise<PeriodCloseResult> {
    for (let attempt = 1; ; attempt += 1) {
      await this.options.runner.catchUp();
      try {
        return await this.tryClose(month, context);
      } catch (error) {
        const lostRace = error instanceof ConcurrencyError || error instanceof DuplicateEventIdError;
        if (!lostRace) throw error;
        if (attempt >= periodCloseAttemptsMax) throw new ConflictError('the periods stream kept changing under this request; try again');
      }
    }
  }

  private async tryClose(month: string, context: CommandContext): Promise<PeriodCloseResult> {
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
    const metadata: EventMetadata = { actor: context.actor };
    if (context.correlationId !== undefined) metadata.correlationId = context.correlationId;
    const type = 'PeriodClosed';
    const event = {
      eventId: periodClosedEventId(month),
      type,
      schemaVersion: ledgerEventRegistry.currentVersion(type),
      data: ledgerEventRegistry.parseCurrent(type, data) as JsonObject,
      metadata,
    };
    const revision = model.streamRevisions.get(periodsStreamId);
    await this.options.store.append(periodsStreamId, [event], revision ?? 'no_stream');
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
