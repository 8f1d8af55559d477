import { readLedgerEvent, type LedgerEvent } from '@compute-ledger/contracts';
import { foldedEventOfRow, type EventStore, type FoldedEvent, type FoldRow, type Subscription } from '../store/event-store.js';
import { LedgerModel, type LeaseFold } from '../projections/ledger-model.js';
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
const replayReserveEventsMin = 100_000;

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
        const next = this.pending.then(() => this.applyNew(events));
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
    const next = this.pending.then(() => {
      const first = events[0];
      if (first === undefined || first.recorded.position !== this.model.position + 1) return;
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
    for (let page = 0; ; page += 1) {
      const limit = Math.min(catchUpPageEventsMax, lastPosition - this.model.position);
      if (limit <= 0) return;
      if (!(await this.foldPage(this.model.position + 1, limit, lastPosition))) return;
      // More than a page behind: perhaps a rebuild. A long replay sizes the reading index once for
      // the events ahead, most of which are readings, instead of doubling it step by step. (An
      // ordinary catch-up ends within its first page and never asks for the head.)
      if (page === 0) await this.reserveForReplay();
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
      this.applyNew(upTo);
      return events.length === limit && upTo.length === events.length;
    }
    const rows = await this.store.readFoldRows(from, limit);
    for (const row of rows) {
      if (row[0] > lastPosition) return false;
      this.applyRow(row);
    }
    return rows.length === limit;
  }

  private async reserveForReplay(): Promise<void> {
    const ahead = (await this.store.headPosition()) - this.model.position;
    if (ahead >= replayReserveEventsMin) this.model.readings.reserve(this.model.readings.size + ahead);
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
      this.model.apply(recorded, readLedgerEvent(recorded.type, recorded.schemaVersion, recorded.data, { trusted: true }));
      if (recorded.type !== 'ModelCheckpointed') this.lastFactAt = recorded.position;
    }
  }
}
