import { readLedgerEvent } from '@compute-ledger/contracts';
import { evolveMetering, initialUsageState, isMeteringEvent, type UsageState } from '../domain/metering/usage.js';
import { usageStream } from '../domain/streams.js';
import type { UsageSeries } from '../projections/ledger-model.js';
import { assert } from '../shared/assert.js';
import type { EventStore } from '../store/event-store.js';
import { usageLookupGapEventsMax, usageLookupPageEventsMax } from './limits.js';
import type { ModelRunner } from './model-runner.js';

/**
 * What the command side asks about readings and allocations, answered by the ledger model and
 * the log, so that it keeps nothing per reading itself (its memory grows with leases and
 * months, never with readings):
 * - whether a reading exists, and for which lease: the model's reading index, which holds every
 *   reading it has folded, off the garbage-collected heap;
 * - what a reading was recorded with, and its corrections (a resend is compared with the first,
 *   a correction is idempotent by the second): read from the log at the positions the model's
 *   usage series name, only for the readings a request names that are already recorded;
 * - the revision of a lease's usage stream, to append at: the model's stream revisions.
 *
 * Before a command decides, the model is brought up to the head of the log (`catchUp`), so a
 * reading recorded by another process is known. What is appended after that is caught by the
 * append itself: it expects the usage stream's revision, and the store refuses an event id
 * already taken.
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
   * The readings among `readingIds` that the model knows, with the usage streams of `leaseIds`,
   * as the model stands now. Synchronous, so that readings and revisions are of one position.
   */
  snapshot(readingIds: Iterable<string>, leaseIds: Iterable<string>): UsageSnapshot {
    const { model } = this.runner;
    const readings = new Map<string, RecordedReadingRef>();
    for (const readingId of readingIds) {
      if (readings.has(readingId)) continue;
      const slot = model.readings.slotOf(readingId);
      if (slot === undefined) continue;
      const series = model.seriesList[model.readings.seriesIndexAt(slot)];
      assert(series !== undefined, `reading ${readingId} names a series of the model`);
      readings.set(readingId, { slot, series });
    }
    const revisions = new Map<string, number>();
    for (const leaseId of leaseIds) revisions.set(leaseId, model.streamRevisions.get(usageStream(leaseId)) ?? -1);
    return new UsageSnapshot(model.position, readings, revisions);
  }

  /** The lease a reading was recorded for, as the model knows it now, or undefined. */
  leaseOfReading(readingId: string): string | undefined {
    const { model } = this.runner;
    const slot = model.readings.slotOf(readingId);
    return slot === undefined ? undefined : model.seriesList[model.readings.seriesIndexAt(slot)]?.leaseId;
  }

  /** The site an allocation belongs to, as the model knows it now, or undefined. */
  siteOfAllocation(allocationId: string): string | undefined {
    return this.runner.model.allocations.get(allocationId)?.siteId;
  }

  /**
   * The usage state of each lease of the snapshot, holding only the snapshot's readings of that
   * lease: their recording and corrections, read from the log and folded in log order. Leases
   * without such readings get an empty state.
   */
  async statesOf(snapshot: UsageSnapshot): Promise<Map<string, UsageState>> {
    const states = new Map<string, UsageState>();
    for (const leaseId of snapshot.leaseIds()) states.set(leaseId, initialUsageState());
    const positions = positionsOf(snapshot);
    for (const [from, to] of readRanges(positions)) {
      const page = await this.store.readForFold(from, to - from + 1);
      for (const recorded of page) {
        if (recorded.position > to) break;
        if (!positions.has(recorded.position)) continue;
        const event = readLedgerEvent(recorded.type, recorded.schemaVersion, recorded.data, { trusted: true });
        assert(isMeteringEvent(event), `position ${recorded.position} of a usage series holds a usage event`);
        let state = states.get(event.data.leaseId);
        if (state === undefined) {
          state = initialUsageState();
          states.set(event.data.leaseId, state);
        }
        evolveMetering(state, event);
        positions.delete(recorded.position);
      }
    }
    assert(positions.size === 0, `every usage event the model names is in the log (${positions.size} missing)`);
    return states;
  }
}

/** A reading the model knows: its slot in the reading index and its series. */
interface RecordedReadingRef {
  slot: number;
  series: UsageSeries;
}

/** Readings and usage stream revisions as the model held them at one position. */
export class UsageSnapshot {
  constructor(
    /** The model's position when the snapshot was taken. */
    readonly position: number,
    readonly readings: ReadonlyMap<string, RecordedReadingRef>,
    private readonly revisions: ReadonlyMap<string, number>,
  ) {}

  /** Revision of the lease's usage stream (-1: none yet). */
  revisionOf(leaseId: string): number {
    const revision = this.revisions.get(leaseId);
    assert(revision !== undefined, `lease ${leaseId} is part of the snapshot`);
    return revision;
  }

  leaseIds(): Iterable<string> {
    return this.revisions.keys();
  }
}

/**
 * Positions of the usage events of the snapshot's readings (each reading's recording and its
 * corrections), found by one pass over each series that holds some of them.
 */
function positionsOf(snapshot: UsageSnapshot): Set<number> {
  const slotsBySeries = new Map<UsageSeries, Set<number>>();
  for (const { slot, series } of snapshot.readings.values()) {
    let slots = slotsBySeries.get(series);
    if (slots === undefined) {
      slots = new Set();
      slotsBySeries.set(series, slots);
    }
    slots.add(slot);
  }
  const positions = new Set<number>();
  for (const [series, slots] of slotsBySeries) {
    for (let index = 0; index < series.slots.length; index += 1) {
      const position = series.positions.at(index);
      if (position > snapshot.position) break;
      if (slots.has(series.slots.at(index))) positions.add(position);
    }
  }
  return positions;
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
