import type { LedgerEvent } from '@compute-ledger/contracts';
import { assert } from '../shared/assert.js';
import type { EventStore, ExpectedRevision } from '../store/event-store.js';
import { fromRecordedEvent } from './event-codec.js';
import { streamCacheEntriesMax, streamReadPageEventsMax } from './limits.js';

/** A stream's folded state and the revision of its last folded event (-1: no stream yet). */
export interface StreamEntry<State> {
  state: State;
  revision: number;
}

/** How the events of one kind of stream are folded. */
export interface StreamFold<State, Event extends LedgerEvent> {
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  /** Refuses events that do not belong to this kind of stream (a corrupt log or a bug). */
  accepts: (event: LedgerEvent) => event is Event;
}

export function expectedRevisionOf(revision: number): ExpectedRevision {
  return revision < 0 ? 'no_stream' : revision;
}

/**
 * Keeps the folded state of the streams this process has used, so that loading a stream reads
 * only the events appended since it was last loaded (readStream from revision + 1). Every load
 * does read the store, so a state is never older than the load that returned it, even when
 * other processes append to the same streams.
 *
 * Loads of the same stream may run concurrently: each event is folded only if it is the next
 * one, so two loads never fold an event twice. The entry returned is live: its state and
 * revision move on with later loads, so a caller reads both right before it decides, with no
 * await in between.
 */
export class StreamStateCache<State, Event extends LedgerEvent> {
  private readonly entries = new Map<string, StreamEntry<State>>();

  constructor(
    private readonly store: EventStore,
    private readonly fold: StreamFold<State, Event>,
    private readonly entriesMax = streamCacheEntriesMax,
  ) {}

  async load(streamId: string): Promise<StreamEntry<State>> {
    const entry = this.entryOf(streamId);
    for (;;) {
      const recorded = await this.store.readStream(streamId, entry.revision + 1, streamReadPageEventsMax);
      for (const event of recorded) {
        if (event.revision <= entry.revision) continue;
        assert(event.revision === entry.revision + 1, `stream ${streamId} is read without gaps`);
        const decoded = fromRecordedEvent(event);
        assert(this.fold.accepts(decoded), `a ${decoded.type} event belongs in stream ${streamId}`);
        entry.state = this.fold.evolve(entry.state, decoded);
        entry.revision = event.revision;
      }
      if (recorded.length < streamReadPageEventsMax) return entry;
    }
  }

  /**
   * Folds events this process has just appended at `expectedRevision`, so the next load reads
   * nothing. If the entry has moved meanwhile (another load caught up first) or was dropped, the
   * next load catches up from the store instead.
   */
  appended(streamId: string, expectedRevision: number, events: readonly Event[], nextRevision: number): void {
    const entry = this.entries.get(streamId);
    if (entry === undefined || entry.revision !== expectedRevision) return;
    if (nextRevision !== expectedRevision + events.length) return;
    for (const event of events) entry.state = this.fold.evolve(entry.state, event);
    entry.revision = nextRevision;
  }

  private entryOf(streamId: string): StreamEntry<State> {
    const existing = this.entries.get(streamId);
    if (existing !== undefined) {
      // Map order is insertion order: moving the entry to the end keeps the least recently used first.
      this.entries.delete(streamId);
      this.entries.set(streamId, existing);
      return existing;
    }
    const entry: StreamEntry<State> = { state: this.fold.initialState(), revision: -1 };
    this.entries.set(streamId, entry);
    if (this.entries.size > this.entriesMax) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return entry;
  }
}
