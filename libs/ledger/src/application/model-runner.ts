import { readLedgerEvent, type LedgerEvent } from '@compute-ledger/contracts';
import type { EventStore, FoldedEvent, Subscription } from '../store/event-store.js';
import { LedgerModel, type LeaseFold } from '../projections/ledger-model.js';
import { saveCheckpoint } from './model-checkpoint.js';

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

  constructor(
    private readonly store: EventStore,
    foldLease: LeaseFold,
    model?: LedgerModel,
  ) {
    this.model = model ?? new LedgerModel(foldLease);
    this.checkpointedAt = model === undefined ? null : model.position;
  }

  /** Folds every event the store holds beyond the model's position. */
  catchUp(): Promise<void> {
    const next = this.pending.then(() => this.readToHead());
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

  /** Writes the model to `path` so a restart resumes from here (see model-checkpoint.ts). */
  async checkpoint(path: string): Promise<void> {
    await this.catchUp();
    for (;;) {
      const position = this.model.position;
      if (position === this.checkpointedAt) return;
      const [last] = position < 0 ? [] : await this.store.readAll({ fromPosition: position, limit: 1 });
      // The subscription may have folded more while the hash was read: the header must name
      // the event the model stopped at, or the next start would not trust the checkpoint.
      if (this.model.position !== position) continue;
      saveCheckpoint(path, this.model, last?.hash ?? '');
      this.checkpointedAt = position;
      return;
    }
  }

  async close(): Promise<void> {
    await this.subscription?.close();
    this.subscription = null;
    await this.pending;
  }

  private async readToHead(): Promise<void> {
    for (let page = 0; ; page += 1) {
      const events = await this.store.readForFold(this.model.position + 1, catchUpPageEventsMax);
      this.applyNew(events);
      if (events.length < catchUpPageEventsMax) return;
      // More than a page behind: perhaps a rebuild. A long replay sizes the reading index once for
      // the events ahead, most of which are readings, instead of doubling it step by step. (An
      // ordinary catch-up ends within its first page and never asks for the head.)
      if (page === 0) await this.reserveForReplay();
    }
  }

  private async reserveForReplay(): Promise<void> {
    const ahead = (await this.store.headPosition()) - this.model.position;
    if (ahead >= replayReserveEventsMin) this.model.readings.reserve(this.model.readings.size + ahead);
  }

  /** Applies the events the model has not seen yet; a subscription may deliver some twice. */
  private applyNew(events: readonly FoldedEvent[]): void {
    for (const recorded of events) {
      if (recorded.position <= this.model.position) continue;
      this.model.apply(recorded, readLedgerEvent(recorded.type, recorded.schemaVersion, recorded.data, { trusted: true }));
    }
  }
}
