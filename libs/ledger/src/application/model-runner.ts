import { readLedgerEvent, type LedgerEvent } from '@compute-ledger/contracts';
import { foldedEventOfRow, type EventStore, type FoldedEvent, type FoldRow, type Subscription } from '../store/event-store.js';
import { LedgerModel, type LeaseFold } from '../projections/ledger-model.js';
import { usageRecordedEventId } from '../domain/streams.js';
import { monthOfInstant } from '../shared/time.js';
import { eventsAt } from './usage-lookup.js';
import { commitCheckpointFile, modelCheckpointedEvent, modelCheckpointStream, writeCheckpointFile } from './model-checkpoint.js';
import { rmSync } from 'node:fs';

/**
 * Keeps one ledger model in step with the log: a catch-up read on demand (before a command or
 * a report needs the latest state) and a live subscription. Reads are serialized so an event is
 * folded exactly once, in order.
 */

/**
 * Events per catch-up read. Small pages keep a page's decoded events young: at 10,000 they
 * outlive the young generation and are copied into the old one, which made a replay about a
 * fifth slower.
 */
export const catchUpPageEventsMax = 1_000;

export class ModelRunner {
  readonly model: LedgerModel;
  private pending: Promise<void> = Promise.resolve();
  private subscription: Subscription | null = null;
  /** Position of the checkpoint on disk (null: none written or restored), so an unchanged model is not written again. */
  private checkpointedAt: number | null;
  /**
   * Position of the last event that is a fact of the model rather than the ledger's own
   * bookkeeping (a checkpoint's digest): a model that folded only digests since its checkpoint
   * is not written again, or every checkpoint would call for the next.
   */
  private lastFactAt: number;

  constructor(
    private readonly store: EventStore,
    foldLease: LeaseFold,
    model?: LedgerModel,
  ) {
    this.model = model ?? new LedgerModel(foldLease);
    this.checkpointedAt = model === undefined ? null : model.position;
    this.lastFactAt = this.model.position;
  }

  /** Folds every event the store holds beyond the model's position. */
  catchUp(): Promise<void> {
    const next = this.pending.then(() => this.readToHead());
    this.pending = next.catch(() => undefined);
    return next;
  }

  /** Folds the events up to `position` only (a rebuild compared with a checkpoint at that position). */
  catchUpTo(position: number): Promise<void> {
    const next = this.pending.then(() => this.readToHead(position));
    this.pending = next.catch(() => undefined);
    return next;
  }

  /** Follows the log live from the model's position. */
  follow(): Subscription {
    if (this.subscription !== null) return this.subscription;
    this.subscription = this.store.subscribe({
      afterPosition: this.model.position,
      // Appends of this process are folded as they are made (foldAppended): not read again.
      heldPosition: () => this.model.position,
      onEvents: (events) => {
        const next = this.pending.then(() => this.applyNewLearning(events));
        this.pending = next.catch(() => undefined);
        return next;
      },
    });
    return this.subscription;
  }

  /**
   * Folds events this process has just appended, from memory, when they come right after the
   * model's position (otherwise the next catch-up reads them from the log). Queued behind any
   * read in progress, so events are still folded once each, in order. `events` are in position
   * order, each with the event as the store recorded it (`decoded` is its data, as read back).
   */
  foldAppended(events: readonly { recorded: FoldedEvent; decoded: LedgerEvent }[]): void {
    const next = this.pending.then(async () => {
      const first = events[0];
      if (first === undefined || first.recorded.position !== this.model.position + 1) return;
      await this.learnReadingsOf(events.map(({ decoded }) => decoded));
      for (const { recorded, decoded } of events) this.model.apply(recorded, decoded);
    });
    this.pending = next.catch(() => undefined);
  }

  /** Position of the last checkpoint this runner wrote or was restored from, or null. */
  get checkpointedPosition(): number | null {
    return this.checkpointedAt;
  }

  /** Events folded since the last checkpoint that are facts of the model (none written or restored: all of them). */
  get factsSinceCheckpoint(): number {
    return this.lastFactAt - (this.checkpointedAt ?? -1);
  }

  /**
   * Writes the model to `path` so a restart resumes from here, and records its digest in the
   * log first (see model-checkpoint.ts). Nothing is written for a model that folded no fact
   * since its checkpoint, nor for an empty one.
   */
  async checkpoint(path: string): Promise<void> {
    await this.catchUp();
    for (;;) {
      const position = this.model.position;
      if (position < 0 || this.lastFactAt <= (this.checkpointedAt ?? -1)) return;
      const [last] = await this.store.readAll({ fromPosition: position, limit: 1 });
      // The subscription may have folded more while the hash was read: the header must name
      // the event the model stopped at, or the next start would not trust the checkpoint.
      if (this.model.position !== position || last === undefined) continue;
      // Serializing is synchronous: the model cannot move while the file is written.
      const { temporary, digest } = writeCheckpointFile(path, this.model, last.hash);
      try {
        await this.store.append(modelCheckpointStream, [modelCheckpointedEvent(position, last.hash, digest)], 'any');
        commitCheckpointFile(temporary, path);
      } catch (error) {
        rmSync(temporary, { force: true });
        throw error;
      }
      this.checkpointedAt = position;
      return;
    }
  }

  async close(): Promise<void> {
    await this.subscription?.close();
    this.subscription = null;
    await this.pending;
  }

  private async readToHead(lastPosition = Number.MAX_SAFE_INTEGER): Promise<void> {
    for (;;) {
      const limit = Math.min(catchUpPageEventsMax, lastPosition - this.model.position);
      if (limit <= 0) return;
      if (!(await this.foldPage(this.model.position + 1, limit, lastPosition))) return;
    }
  }

  /**
   * Folds the page of at most `limit` events from `from`, up to `lastPosition`; answers whether
   * more may follow (the page was full and none of it lay beyond). From a store that has them,
   * the page is read as rows, and readings are folded from their text (LedgerModel.applyUsageRow).
   */
  private async foldPage(from: number, limit: number, lastPosition: number): Promise<boolean> {
    if (this.store.readFoldRows === undefined) {
      const events = await this.store.readForFold(from, limit);
      const upTo = events.filter((event) => event.position <= lastPosition);
      await this.applyNewLearning(upTo);
      return events.length === limit && upTo.length === events.length;
    }
    const rows = await this.store.readFoldRows(from, limit);
    const upTo = rows.filter((row) => row[0] <= lastPosition);
    await this.learnReadingsOf(upTo.filter((row) => row[4] === 'UsageCorrected').map((row) => this.decoded(foldedEventOfRow(row))));
    for (const row of upTo) this.applyRow(row);
    return rows.length === limit && upTo.length === rows.length;
  }

  /** applyNew, once the readings its corrections name are known to the model. */
  private async applyNewLearning(events: readonly FoldedEvent[]): Promise<void> {
    const fresh = events.filter((recorded) => recorded.position > this.model.position);
    await this.learnReadingsOf(fresh.filter((recorded) => recorded.type === 'UsageCorrected').map((recorded) => this.decoded(recorded)));
    this.applyNew(fresh);
  }

  /**
   * Before corrections are folded: the readings they correct that the model does not know by
   * id (LedgerModel.needsReading) are read from the store, found by the event id their reading
   * id gives, and learnt. Corrections are few; readings are not, and the model keeps none.
   */
  private async learnReadingsOf(events: readonly LedgerEvent[]): Promise<void> {
    const readingIds = new Set<string>();
    for (const event of events) if (event.type === 'UsageCorrected' && this.model.needsReading(event.data.readingId)) readingIds.add(event.data.readingId);
    if (readingIds.size === 0) return;
    const positions = await this.store.positionsOfEventIds([...readingIds].map(usageRecordedEventId));
    for await (const recorded of eventsAt(this.store, new Set(positions.values()))) {
      const event = this.decoded(recorded);
      if (event.type !== 'UsageRecorded' || !this.model.needsReading(event.data.readingId)) continue;
      this.model.learnReading(event.data.readingId, event.data.leaseId, monthOfInstant(event.data.periodStart), event.data.gpuHours);
    }
  }

  private decoded(recorded: FoldedEvent): LedgerEvent {
    return readLedgerEvent(recorded.type, recorded.schemaVersion, recorded.data, { trusted: true });
  }

  /** Like applyNew for one row: a reading in the store's layout is folded from its text, any other row parsed. */
  private applyRow(row: FoldRow): void {
    if (row[0] <= this.model.position) return;
    if (this.model.applyUsageRow(row)) this.lastFactAt = row[0];
    else this.applyNew([foldedEventOfRow(row)]);
  }

  /** Applies the events the model has not seen yet; a subscription may deliver some twice. */
  private applyNew(events: readonly FoldedEvent[]): void {
    for (const recorded of events) {
      if (recorded.position <= this.model.position) continue;
      this.model.apply(recorded, this.decoded(recorded));
      if (recorded.type !== 'ModelCheckpointed') this.lastFactAt = recorded.position;
    }
  }
}
