import type { LedgerEvent } from '@compute-ledger/contracts';
import { assert } from '../shared/assert.js';
import type { EventStore } from '../store/event-store.js';
import { fromRecordedEvent } from './event-codec.js';
import { streamCacheEntriesMax, streamReadPageEventsMax } from './limits.js';

/** A stream's folded state and the revision of its last folded event (-1: no stream yet). */
export interface StreamEntry<State> {
  state: State;
  revision: number;
}

/** An entry and the log position up to which it is known to hold every event of its stream. */
interface CachedEntry<State> extends StreamEntry<State> {
  completeAt: number;
}

/** How the events of one kind of stream are folded. */
export interface StreamFold<State, Event extends LedgerEvent> {
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  /** Refuses events that do not belong to this kind of stream (a corrupt log or a bug). */
  accepts: (event: LedgerEvent) => event is Event;
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
  private readonly entries = new Map<string, CachedEntry<State>>();
  /**
   * Entries complete up to `completeFrom` or later are complete up to `completeTo`: the log
   * between the two holds only appends of this process, folded as they were made (`advance`).
   */
  private completeFrom = Number.POSITIVE_INFINITY;
  private completeTo = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: EventStore,
    private readonly fold: StreamFold<State, Event>,
    private readonly entriesMax = streamCacheEntriesMax,
  ) {}

  /**
   * `knownHead`, when given, is the head of the log as read right before this load: an entry
   * known to hold every event of its stream up to that position is answered without a read.
   * A batch of many streams reads the head once, and then only the streams that moved.
   */
  async load(streamId: string, knownHead?: number): Promise<StreamEntry<State>> {
    const entry = this.entryOf(streamId);
    if (knownHead !== undefined && this.isCompleteAt(entry, knownHead)) return entry;
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
      if (recorded.length < streamReadPageEventsMax) {
        if (knownHead !== undefined) entry.completeAt = Math.max(entry.completeAt, knownHead);
        return entry;
      }
    }
  }

  private isCompleteAt(entry: CachedEntry<State>, position: number): boolean {
    return entry.completeAt >= position || (entry.completeAt >= this.completeFrom && this.completeTo >= position);
  }

  /**
   * This process appended positions `fromHead + 1` to `toPosition` in one transaction, right
   * after the head it read (`fromHead`), and folded what it appended to this cache's streams:
   * every entry complete up to `fromHead` is then complete up to `toPosition`.
   */
  advance(fromHead: number, toPosition: number): void {
    if (this.completeTo !== fromHead) this.completeFrom = fromHead;
    this.completeTo = toPosition;
  }

  /**
   * Folds events this process has just appended at `expectedRevision`, so the next load reads
   * nothing. If the entry has moved meanwhile (another load caught up first) or was dropped, the
   * next load catches up from the store instead.
   */
  appended(streamId: string, expectedRevision: number, events: readonly Event[], nextRevision: number, lastPosition?: number): void {
    const entry = this.entries.get(streamId);
    if (entry === undefined) return;
    if (entry.revision !== expectedRevision || nextRevision !== expectedRevision + events.length) {
      // Not folded: the stream moved under this entry, which must be read before it is trusted again.
      entry.completeAt = Number.NEGATIVE_INFINITY;
      return;
    }
    for (const event of events) entry.state = this.fold.evolve(entry.state, event);
    entry.revision = nextRevision;
    // The append held at the expected revision, so no other event of the stream came before it.
    if (lastPosition !== undefined) entry.completeAt = Math.max(entry.completeAt, lastPosition);
  }

  private entryOf(streamId: string): CachedEntry<State> {
    const existing = this.entries.get(streamId);
    if (existing !== undefined) {
      // Map order is insertion order: moving the entry to the end keeps the least recently used first.
      this.entries.delete(streamId);
      this.entries.set(streamId, existing);
      return existing;
    }
    const entry: CachedEntry<State> = { state: this.fold.initialState(), revision: -1, completeAt: Number.NEGATIVE_INFINITY };
    this.entries.set(streamId, entry);
    if (this.entries.size > this.entriesMax) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return entry;
  }
}
