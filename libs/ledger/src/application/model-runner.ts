import { readLedgerEvent } from '@compute-ledger/contracts';
import type { EventStore, FoldedEvent, Subscription } from '../store/event-store.js';
import { LedgerModel, type LeaseFold } from '../projections/ledger-model.js';
import { saveCheckpoint } from './model-checkpoint.js';

/**
 * Keeps one ledger model in step with the log: a catch-up read on demand (before a command or
 * a report needs the latest state) and a live subscription. Reads are serialized so an event is
 * folded exactly once, in order.
 */

export const catchUpPageEventsMax = 10_000;

export class ModelRunner {
  readonly model: LedgerModel;
  private pending: Promise<void> = Promise.resolve();
  private subscription: Subscription | null = null;
  /** Position of the checkpoint on disk, so an unchanged model is not written again. */
  private checkpointedPosition: number | null;

  constructor(
    private readonly store: EventStore,
    foldLease: LeaseFold,
    model?: LedgerModel,
  ) {
    this.model = model ?? new LedgerModel(foldLease);
    this.checkpointedPosition = model === undefined ? null : model.position;
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
      onEvents: (events) => {
        const next = this.pending.then(() => this.applyNew(events));
        this.pending = next.catch(() => undefined);
        return next;
      },
    });
    return this.subscription;
  }

  /** Writes the model to `path` so a restart resumes from here (see model-checkpoint.ts). */
  async checkpoint(path: string): Promise<void> {
    await this.catchUp();
    const position = this.model.position;
    if (position === this.checkpointedPosition) return;
    const [last] = position < 0 ? [] : await this.store.readAll({ fromPosition: position, limit: 1 });
    saveCheckpoint(path, this.model, last?.hash ?? '');
    this.checkpointedPosition = position;
  }

  async close(): Promise<void> {
    await this.subscription?.close();
    this.subscription = null;
    await this.pending;
  }

  private async readToHead(): Promise<void> {
    for (;;) {
      const events = await this.store.readForFold(this.model.position + 1, catchUpPageEventsMax);
      this.applyNew(events);
      if (events.length < catchUpPageEventsMax) return;
    }
  }

  /** Applies the events the model has not seen yet; a subscription may deliver some twice. */
  private applyNew(events: readonly FoldedEvent[]): void {
    for (const recorded of events) {
      if (recorded.position <= this.model.position) continue;
      this.model.apply(recorded, readLedgerEvent(recorded.type, recorded.schemaVersion, recorded.data, { trusted: true }));
    }
  }
}
