import { readLedgerEvent } from '@compute-ledger/contracts';
import { evolveMetering, initialUsageState, isMeteringEvent, type UsageState } from '../domain/metering/usage.js';
import { usageRecordedEventId, usageStream } from '../domain/streams.js';
import { assert } from '../shared/assert.js';
import type { EventStore, FoldedEvent } from '../store/event-store.js';
import { usageLookupGapEventsMax, usageLookupPageEventsMax } from './limits.js';
import type { ModelRunner } from './model-runner.js';

/**
 * What the command side asks about readings and allocations, answered by the log and the ledger
 * model, so that neither keeps anything per reading (memory grows with leases and months, never
 * with readings):
 * - whether a reading exists, where and for which lease: the store's index of event ids (a
 *   reading's event id is the one its reading id gives), and for the few readings recorded under
 *   another id, the model's known readings (LedgerModel.knownReadings);
 * - what a reading was recorded with, and its corrections (a resend is compared with the first,
 *   a correction is idempotent by the second): read from the log at those positions, only for
 *   the readings a request names that are already recorded;
 * - the revision of a lease's usage stream, to append at: the model's stream revisions.
 *
 * Before a command decides, the model is brought up to the head of the log (`catchUp`), and
 * what is read is what the log held at the model's position then. What is appended after that
 * is caught by the append itself: it expects the usage stream's revision, and the store refuses
 * an event id already taken.
 */
export class UsageLookup {
  constructor(
    private readonly store: EventStore,
    private readonly runner: ModelRunner,
  ) {}

  /** Brings the model to the head of the log as it is now. */
  catchUp(): Promise<void> {
    return this.runner.catchUp();
  }

  /**
   * The readings among `readingIds` that were recorded by the model's position, with the usage
   * state of each lease of `leaseIds` holding them, and those leases' usage stream revisions at
   * that position.
   */
  async snapshot(readingIds: Iterable<string>, leaseIds: Iterable<string>): Promise<UsageSnapshot> {
    const { model } = this.runner;
    // What the model holds is taken before the first wait, so that all of it is of one position.
    const position = model.position;
    const revisions = new Map<string, number>();
    for (const leaseId of leaseIds) revisions.set(leaseId, model.streamRevisions.get(usageStream(leaseId)) ?? -1);
    const ids = [...new Set(readingIds)];
    const positions = new Set<number>();
    for (const readingId of ids) for (const known of model.knownReadings.get(readingId)?.positions ?? []) positions.add(known);
    if (ids.length > 0) {
      for (const found of (await this.store.positionsOfEventIds(ids.map(usageRecordedEventId))).values()) if (found <= position) positions.add(found);
    }
    const states = new Map<string, UsageState>();
    const readings = new Map<string, string>();
    let read = 0;
    for await (const recorded of eventsAt(this.store, positions)) {
      const event = readLedgerEvent(recorded.type, recorded.schemaVersion, recorded.data, { trusted: true });
      assert(isMeteringEvent(event), `position ${recorded.position} of a reading holds a usage event`);
      let state = states.get(event.data.leaseId);
      if (state === undefined) {
        state = initialUsageState();
        states.set(event.data.leaseId, state);
      }
      evolveMetering(state, event);
      readings.set(event.data.readingId, event.data.leaseId);
      read += 1;
    }
    assert(read === positions.size, `every usage event found for a reading is in the log (${positions.size - read} missing)`);
    return new UsageSnapshot(position, readings, states, revisions);
  }

  /** The lease a reading was recorded for, as the log holds it at the model's position, or undefined. */
  async leaseOfReading(readingId: string): Promise<string | undefined> {
    return (await this.snapshot([readingId], [])).readings.get(readingId);
  }

  /** The site an allocation belongs to, as the model knows it now, or undefined. */
  siteOfAllocation(allocationId: string): string | undefined {
    return this.runner.model.allocations.get(allocationId)?.siteId;
  }
}

/** Readings, their leases' usage states and usage stream revisions as the log held them at one position. */
export class UsageSnapshot {
  constructor(
    /** The model's position when the snapshot was taken. */
    readonly position: number,
    /** The lease of each reading asked for that was recorded by then. */
    readonly readings: ReadonlyMap<string, string>,
    private readonly states: ReadonlyMap<string, UsageState>,
    private readonly revisions: ReadonlyMap<string, number>,
  ) {}

  /** Revision of the lease's usage stream (-1: none yet). */
  revisionOf(leaseId: string): number {
    const revision = this.revisions.get(leaseId);
    assert(revision !== undefined, `lease ${leaseId} is part of the snapshot`);
    return revision;
  }

  /** The lease's usage state holding the snapshot's readings of that lease (their recording and corrections), folded in log order (a new empty one when it holds none). */
  stateOf(leaseId: string): UsageState {
    return this.states.get(leaseId) ?? initialUsageState();
  }
}

/** The events at `positions` that the log holds, in log order, read a range of neighbours at a time. */
export async function* eventsAt(store: EventStore, positions: ReadonlySet<number>): AsyncGenerator<FoldedEvent> {
  for (const [from, to] of readRanges(positions)) {
    for (const recorded of await store.readForFold(from, to - from + 1)) {
      if (recorded.position > to) break;
      if (positions.has(recorded.position)) yield recorded;
    }
  }
}

/** Sorted positions as ranges to read, joining neighbours less than a gap apart, each at most a page. */
function readRanges(positions: ReadonlySet<number>): [number, number][] {
  const sorted = [...positions].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const position of sorted) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && position - last[1] <= usageLookupGapEventsMax && position - last[0] < usageLookupPageEventsMax) last[1] = position;
    else ranges.push([position, position]);
  }
  return ranges;
}
