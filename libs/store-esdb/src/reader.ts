import { BACKWARDS, END, FORWARDS, StreamNotFoundError } from '@eventstore/db-client';
import type { EventStoreDBClient, ReadStreamOptions, ResolvedEvent } from '@eventstore/db-client';
import { normalizeInstant, readPageEventsMax, readStreamEventsMax } from '@compute-ledger/ledger';
import type { ReadAllOptions, RecordedEvent } from '@compute-ledger/ledger';
import { checkServerNames, fromServerEvent } from './log-codec.js';
import type { LogRecord, StreamNames } from './log-codec.js';
import type { LogState } from './log-state.js';
import { withReadRetries } from './retry.js';

/**
 * Runs of adjacent records read at the same time by readStream. A lease's stream is spread
 * over the log (one record or two per append that touched it), so a long history is many short
 * runs; 8 at a time keeps a few round trips in flight without flooding the server with reads.
 */
export const streamReadRunsInFlightMax = 8;

/**
 * Records read per server read. A record holds up to recordBytesMax (256 KiB) of events, so a
 * read of this many holds up to 16 MiB; a record of format 1 holds one event.
 */
export const recordsPerReadMax = 64;

/**
 * Positions read per readPositions call by eventIdsAt, so that at most this many decoded events
 * are held at once however many positions are asked.
 */
export const eventIdsAtChunkPositions = 4_096;

/** Folds the log to its head, then answers `look` on the folded state (the writer's queue). */
export type Folded = <T>(look: (state: LogState) => T) => Promise<T>;

/**
 * The read side. The log stream's server events are records (log-codec.ts), each holding
 * consecutive ledger events; the writer's fold (log-state.ts) knows where every record starts,
 * so a read of ledger positions folds the log to its head (one read when nothing is new), finds
 * the records that hold them, reads those records, a plain stream read from a server revision,
 * and unpacks them. A ledger stream is read from the log at the positions of its events, which
 * the same fold knows. Links that earlier versions appended to the ledger streams (`$>`
 * events) are not read.
 *
 * Every read requires the leader. A follower can lag the leader, and the writer folds the log
 * to decide on its head: a fold short of the head makes every append lose its race until the
 * follower catches up, and a readStream short of the head makes the caller's retry decide on
 * the same stale stream. A node that is not the leader answers such a read NotLeader with the
 * leader's address, and the client reconnects there; the read is then tried again.
 */
export class EsdbReader {
  constructor(
    private readonly client: EventStoreDBClient,
    private readonly names: StreamNames,
  ) {}

  /** Records from server revision `fromRevision` (inclusive), at most `count`, in log order. */
  async readRecords(fromRevision: number, count: number): Promise<LogRecord[]> {
    const resolved = await this.readRecordsResolved(fromRevision, count);
    return resolved.map((event) => fromServerEvent(event, this.names.log));
  }

  /** The same as events as the server answers them, for the verifier, which reports what it cannot decode. */
  readRecordsResolved(fromRevision: number, count: number): Promise<ResolvedEvent[]> {
    return this.collect(this.names.log, { fromRevision: BigInt(fromRevision), maxCount: count, direction: FORWARDS });
  }

  /** Position of the last event of the log, or -1 when there is none yet: its last record, unpacked. */
  async headPosition(deadlineMs?: number): Promise<number> {
    const options: ReadStreamOptions = { fromRevision: END, maxCount: 1, direction: BACKWARDS };
    if (deadlineMs !== undefined) options.deadline = deadlineMs;
    const [last] = await this.collect(this.names.log, options);
    return last === undefined ? -1 : (fromServerEvent(last, this.names.log).events.at(-1)?.position ?? -1);
  }

  async readAll(options: ReadAllOptions, folded: Folded): Promise<RecordedEvent[]> {
    const fromPosition = options.fromPosition ?? 0;
    checkCount('fromPosition', fromPosition, 0, Number.MAX_SAFE_INTEGER);
    checkCount('limit', options.limit, 1, readPageEventsMax);
    const toPosition = options.knownAt === undefined ? Number.MAX_SAFE_INTEGER : await this.positionKnownAt(options.knownAt, folded);
    const lastPosition = Math.min(toPosition, fromPosition + options.limit - 1);
    const span = await folded((state) => {
      const last = Math.min(lastPosition, state.headPosition);
      return last < fromPosition ? undefined : { first: state.recordOf(fromPosition), last: state.recordOf(last), lastPosition: last };
    });
    if (span === undefined) return [];
    const events: RecordedEvent[] = [];
    for (let revision = span.first; revision <= span.last; revision += recordsPerReadMax) {
      const count = Math.min(recordsPerReadMax, span.last - revision + 1);
      const records = await this.readRecords(revision, count);
      checkAnswered(records, revision, count);
      for (const record of records) {
        for (const event of record.events) if (event.position >= fromPosition && event.position <= span.lastPosition) events.push(event);
      }
    }
    checkPositions(events, fromPosition, span.lastPosition - fromPosition + 1);
    return events;
  }

  /**
   * A ledger stream's events from `fromRevision`, read from the log at the positions the
   * writer's fold knows for them (after a fold to the head).
   */
  async readStream(streamId: string, fromRevision: number, limit: number | undefined, folded: Folded): Promise<RecordedEvent[]> {
    checkServerNames(streamId);
    checkCount('fromRevision', fromRevision, 0, Number.MAX_SAFE_INTEGER);
    if (limit !== undefined) checkCount('limit', limit, 1, readStreamEventsMax);
    // Without a limit, one event more than the maximum tells a stream that is too long from one that just fits.
    const { positions, records } = await folded((state) => {
      const found = state.streamPositions(streamId, fromRevision, limit ?? readStreamEventsMax + 1);
      return { positions: found, records: found.map((position) => state.recordOf(position)) };
    });
    if (limit === undefined && positions.length > readStreamEventsMax) {
      throw new RangeError(`stream ${streamId} has more than readStreamEventsMax (${readStreamEventsMax}) events: read it in pages with a limit`);
    }
    const events = await this.readPositions(positions, records);
    for (const [index, event] of events.entries()) {
      const revision = fromRevision + index;
      if (event.streamId !== streamId || event.revision !== revision) {
        throw new Error(`the log event at position ${event.position} is ${event.streamId} ${event.revision}, where the fold put ${streamId} ${revision}: the log is damaged (run verify)`);
      }
    }
    return events;
  }

  /**
   * The event id at each of these positions, of those the log holds (0 to the head, after a fold
   * to the head). The fold keeps ids by position only the other way round (LogState.positionOf),
   * so the ids are read from the log: the distinct positions in ascending order, in chunks of
   * eventIdsAtChunkPositions, each chunk read by readPositions. That costs what reading the
   * records that hold the positions costs: one server read per run of up to recordsPerReadMax
   * adjacent records, streamReadRunsInFlightMax at a time, every event of those records sent
   * and decoded whole. Positions close together share records and reads: the readings of one
   * append are a few records, read in one call, however many of them are asked.
   */
  async eventIdsAt(positions: readonly number[], folded: Folded): Promise<Map<number, string>> {
    const wanted = await folded((state) => {
      const held = Float64Array.from(positions.filter((position) => Number.isSafeInteger(position) && position >= 0 && position <= state.headPosition)).sort();
      const sorted = held.filter((position, index) => index === 0 || position !== held[index - 1]);
      return { sorted: Array.from(sorted), records: Array.from(sorted, (position) => state.recordOf(position)) };
    });
    const eventIds = new Map<number, string>();
    for (let first = 0; first < wanted.sorted.length; first += eventIdsAtChunkPositions) {
      const last = first + eventIdsAtChunkPositions;
      const events = await this.readPositions(wanted.sorted.slice(first, last), wanted.records.slice(first, last));
      for (const event of events) eventIds.set(event.position, event.eventId);
    }
    return eventIds;
  }

  /**
   * The log events at the given positions (ascending, no repeats), in that order, given the
   * server revision of the record that holds each (from the fold): one read per run of adjacent
   * records, streamReadRunsInFlightMax runs at a time. A position the log no longer answers
   * (cut by $maxCount or a scavenge after the fold read it) means a damaged log.
   */
  async readPositions(sortedPositions: readonly number[], recordRevisions: readonly number[]): Promise<RecordedEvent[]> {
    const allRuns = [...runs(recordRevisions)];
    const byPosition = new Map<number, RecordedEvent>();
    const wanted = new Set(sortedPositions);
    for (let first = 0; first < allRuns.length; first += streamReadRunsInFlightMax) {
      const batch = allRuns.slice(first, first + streamReadRunsInFlightMax);
      const pages = await Promise.all(batch.map(([start, count]) => this.readRecords(start, count)));
      for (const [index, records] of pages.entries()) {
        const [start] = batch[index] ?? [-1];
        for (const record of records) {
          // A record at another revision than the fold's (the log was cut below it) answers nothing.
          if (record.revision < start) continue;
          for (const event of record.events) if (wanted.has(event.position)) byPosition.set(event.position, event);
        }
      }
    }
    const missing = sortedPositions.find((position) => !byPosition.has(position));
    if (missing !== undefined) throw new Error(`the log does not answer position ${missing}, which it held when folded: the log is damaged (run verify)`);
    return sortedPositions.map((position) => byPosition.get(position)!);
  }

  /**
   * The last position recorded at or before `knownAt`. recordedAt is non-decreasing along the
   * log and an append's events share one, so this is a binary search over the folded records,
   * about log2(records) one-record reads.
   */
  async positionKnownAt(knownAt: string, folded: Folded): Promise<number> {
    const instant = normalizeInstant(knownAt);
    let low = 0;
    let high = await folded((state) => state.headRevision);
    let answer = -1;
    while (low <= high) {
      const middle = low + Math.floor((high - low) / 2);
      const [probe] = await this.readRecords(middle, 1);
      const last = probe?.revision === middle ? probe.events.at(-1) : undefined;
      if (last === undefined) throw new Error(`the log does not answer the record at revision ${middle}, which it held when folded: the log is damaged (run verify)`);
      if (last.recordedAt <= instant) {
        answer = last.position;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return answer;
  }

  /** Reads a whole answer; a stream that does not exist is an empty one. */
  private collect(streamName: string, options: ReadStreamOptions): Promise<ResolvedEvent[]> {
    return withReadRetries(async () => {
      const events: ResolvedEvent[] = [];
      try {
        for await (const resolved of this.client.readStream(streamName, { ...options, requiresLeader: true })) events.push(resolved);
      } catch (error) {
        if (error instanceof StreamNotFoundError) return [];
        throw error;
      }
      return events;
    });
  }
}

/** Ascending record revisions (repeats allowed) as [first, count] runs of adjacent ones, each at most recordsPerReadMax long, each read with one call. */
function* runs(sortedRevisions: readonly number[]): Generator<[number, number]> {
  let start = -1;
  let count = 0;
  for (const revision of sortedRevisions) {
    if (count > 0 && revision === start + count - 1) continue;
    if (count > 0 && revision === start + count && count < recordsPerReadMax) {
      count += 1;
      continue;
    }
    if (count > 0) yield [start, count];
    start = revision;
    count = 1;
  }
  if (count > 0) yield [start, count];
}

/** A read of records the fold knows must answer them all, from the revision asked. */
function checkAnswered(records: readonly LogRecord[], fromRevision: number, count: number): void {
  if (records[0]?.revision !== fromRevision || records.length !== count) {
    throw new Error(`the log does not answer the records from revision ${fromRevision}, which it held when folded: the log is damaged (run verify)`);
  }
}

/** The events of a read are the positions asked for, without holes. */
function checkPositions(events: readonly RecordedEvent[], fromPosition: number, count: number): void {
  const missing = events.length === count ? events.findIndex((event, index) => event.position !== fromPosition + index) : Math.min(events.length, count);
  if (missing !== -1) throw new Error(`the log does not answer position ${fromPosition + missing}, which it held when folded: the log is damaged (run verify)`);
}

function checkCount(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, not ${value}`);
  }
}
