import { BACKWARDS, END, FORWARDS, StreamNotFoundError } from '@eventstore/db-client';
import type { EventStoreDBClient, ReadStreamOptions, ResolvedEvent } from '@eventstore/db-client';
import { normalizeInstant, readPageEventsMax, readStreamEventsMax } from '@compute-ledger/ledger';
import type { ReadAllOptions, RecordedEvent } from '@compute-ledger/ledger';
import { checkServerNames, fromLogEvent } from './log-codec.js';
import type { LogEvent, StreamNames } from './log-codec.js';
import { withReadRetries } from './retry.js';

/**
 * Runs of adjacent positions read at the same time by readStream. A lease's stream is spread
 * over the log (one run per append that touched it), so a long history is many short runs;
 * 8 at a time keeps a few round trips in flight without flooding the server with reads.
 */
export const streamReadRunsInFlightMax = 8;

/** Log positions of a stream's events from a revision, at most a count, after a fold to the head. */
export type StreamPositionsOf = (streamId: string, fromRevision: number, count: number) => Promise<number[]>;

/**
 * The read side: positions are revisions of the log stream, so every read of the log is a
 * plain stream read from a revision, and a ledger stream is read from the log at the positions
 * of its events, which the writer's fold of the log knows (log-state.ts). Links that earlier
 * versions appended to the ledger streams (`$>` events) are not read.
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

  /** Log events from `fromPosition` (inclusive), at most `count`, in log order. */
  async readLog(fromPosition: number, count: number): Promise<LogEvent[]> {
    const resolved = await this.readLogResolved(fromPosition, count);
    return resolved.map((event) => fromLogEvent(event, this.names.log));
  }

  /** The same as events as the server answers them, for the verifier, which reports what it cannot decode. */
  readLogResolved(fromPosition: number, count: number): Promise<ResolvedEvent[]> {
    return this.collect(this.names.log, { fromRevision: BigInt(fromPosition), maxCount: count, direction: FORWARDS });
  }

  /** Position of the last event of the log, or -1 when there is none yet. */
  async headPosition(deadlineMs?: number): Promise<number> {
    const options: ReadStreamOptions = { fromRevision: END, maxCount: 1, direction: BACKWARDS };
    if (deadlineMs !== undefined) options.deadline = deadlineMs;
    const [last] = await this.collect(this.names.log, options);
    return last === undefined ? -1 : fromLogEvent(last, this.names.log).event.position;
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    const fromPosition = options.fromPosition ?? 0;
    checkCount('fromPosition', fromPosition, 0, Number.MAX_SAFE_INTEGER);
    checkCount('limit', options.limit, 1, readPageEventsMax);
    const toPosition = options.knownAt === undefined ? Number.MAX_SAFE_INTEGER : await this.positionKnownAt(options.knownAt);
    const count = Math.min(options.limit, toPosition - fromPosition + 1);
    if (count <= 0) return [];
    return (await this.readLog(fromPosition, count)).map((logEvent) => logEvent.event);
  }

  /**
   * A ledger stream's events from `fromRevision`, read from the log at the positions the
   * writer's fold knows for them (`positionsOf`, which folds the log to its head first).
   */
  async readStream(streamId: string, fromRevision: number, limit: number | undefined, positionsOf: StreamPositionsOf): Promise<RecordedEvent[]> {
    checkServerNames(streamId);
    checkCount('fromRevision', fromRevision, 0, Number.MAX_SAFE_INTEGER);
    if (limit !== undefined) checkCount('limit', limit, 1, readStreamEventsMax);
    // Without a limit, one event more than the maximum tells a stream that is too long from one that just fits.
    const positions = await positionsOf(streamId, fromRevision, limit ?? readStreamEventsMax + 1);
    if (limit === undefined && positions.length > readStreamEventsMax) {
      throw new RangeError(`stream ${streamId} has more than readStreamEventsMax (${readStreamEventsMax}) events: read it in pages with a limit`);
    }
    const events = await this.readPositions(positions);
    for (const [index, event] of events.entries()) {
      const revision = fromRevision + index;
      if (event.streamId !== streamId || event.revision !== revision) {
        throw new Error(`the log event at position ${event.position} is ${event.streamId} ${event.revision}, where the fold put ${streamId} ${revision}: the log is damaged (run verify)`);
      }
    }
    return events;
  }

  /**
   * The log events at the given positions (ascending, no repeats), in that order: one read per
   * run of adjacent positions, streamReadRunsInFlightMax runs at a time. A position the log no
   * longer answers (cut by $maxCount or a scavenge after the fold read it) means a damaged log.
   */
  async readPositions(sortedPositions: readonly number[]): Promise<RecordedEvent[]> {
    const allRuns = [...runs(sortedPositions)];
    const pages: RecordedEvent[][] = [];
    for (let first = 0; first < allRuns.length; first += streamReadRunsInFlightMax) {
      const batch = allRuns.slice(first, first + streamReadRunsInFlightMax);
      pages.push(...(await Promise.all(batch.map(async ([start, count]) => (await this.readLog(start, count)).map((logEvent) => logEvent.event)))));
    }
    const events = pages.flat();
    const missing = sortedPositions.find((position, index) => events[index]?.position !== position);
    if (missing !== undefined) throw new Error(`the log does not answer position ${missing}, which it held when folded: the log is damaged (run verify)`);
    return events;
  }

  /**
   * The last position recorded at or before `knownAt`. recordedAt is non-decreasing along the
   * log and positions have no holes, so this is a binary search of about log2(n) one-event reads.
   */
  async positionKnownAt(knownAt: string): Promise<number> {
    const instant = normalizeInstant(knownAt);
    let low = 0;
    let high = await this.headPosition();
    let answer = -1;
    while (low <= high) {
      const middle = low + Math.floor((high - low) / 2);
      const [probe] = await this.readLog(middle, 1);
      if (probe !== undefined && probe.event.recordedAt <= instant) {
        answer = middle;
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

/** Sorted positions as [first, count] runs of adjacent ones, each at most readPageEventsMax long, each read with one call. */
function* runs(sortedPositions: readonly number[]): Generator<[number, number]> {
  let start = -1;
  let count = 0;
  for (const position of sortedPositions) {
    if (count > 0 && position === start + count && count < readPageEventsMax) {
      count += 1;
      continue;
    }
    if (count > 0) yield [start, count];
    start = position;
    count = 1;
  }
  if (count > 0) yield [start, count];
}

function checkCount(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, not ${value}`);
  }
}
