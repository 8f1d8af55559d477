import { BACKWARDS, END, FORWARDS, StreamNotFoundError } from '@eventstore/db-client';
import type { EventStoreDBClient, ReadStreamOptions, ResolvedEvent } from '@eventstore/db-client';
import { normalizeInstant } from '../append-rules.js';
import type { ReadAllOptions, RecordedEvent } from '../event-store.js';
import { readPageEventsMax, readStreamEventsMax } from '../limits.js';
import { checkServerNames, fromLogEvent, toSafeNumber } from './log-codec.js';
import type { LogEvent, StreamNames } from './log-codec.js';
import { withReadRetries } from './retry.js';

/**
 * The read side: positions are revisions of the log stream, so every read of the log is a
 * plain stream read from a revision, and a ledger stream is read through its links.
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

  async readStream(streamId: string, fromRevision = 0, limit?: number): Promise<RecordedEvent[]> {
    checkServerNames(streamId);
    checkCount('fromRevision', fromRevision, 0, Number.MAX_SAFE_INTEGER);
    if (limit !== undefined) checkCount('limit', limit, 1, readStreamEventsMax);
    // Without a limit, one event more than the maximum tells a stream that is too long from one that just fits.
    const maxCount = limit ?? readStreamEventsMax + 1;
    const links = await this.collect(this.names.ledgerStream(streamId), { fromRevision: BigInt(fromRevision), maxCount, resolveLinkTos: true });
    if (limit === undefined && links.length > readStreamEventsMax) {
      throw new RangeError(`stream ${streamId} has more than readStreamEventsMax (${readStreamEventsMax}) events: read it in pages with a limit`);
    }
    return links.map((link) => this.linkedEvent(streamId, link));
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

  /** What the links of a ledger stream from `fromRevision` point to (`<position>@<log>`), at most `count`, unresolved. */
  async readLinkTargets(streamId: string, fromRevision: number, count: number): Promise<string[]> {
    const links = await this.collect(this.names.ledgerStream(streamId), { fromRevision: BigInt(fromRevision), maxCount: count, direction: FORWARDS });
    return links.map((link) => {
      const data = link.event?.data;
      return data instanceof Uint8Array ? Buffer.from(data).toString('utf8') : `(an event of type ${link.event?.type ?? 'unknown'})`;
    });
  }

  /** Revision of the last event (link) of a ledger stream on the server, or -1. */
  async linkedRevision(streamId: string): Promise<number> {
    const [last] = await this.collect(this.names.ledgerStream(streamId), { fromRevision: END, maxCount: 1, direction: BACKWARDS });
    return last?.event === undefined ? -1 : toSafeNumber(last.event.revision);
  }

  /** A ledger stream holds only links into the log, each at the revision its event names. */
  private linkedEvent(streamId: string, resolved: ResolvedEvent): RecordedEvent {
    const { event } = fromLogEvent(resolved, this.names.log);
    const linkRevision = resolved.link === undefined ? undefined : toSafeNumber(resolved.link.revision);
    if (event.streamId !== streamId || event.revision !== linkRevision) {
      throw new Error(`revision ${linkRevision ?? '(not a link)'} of stream ${streamId} does not link to its event (it holds ${event.streamId} ${event.revision})`);
    }
    return event;
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

function checkCount(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, not ${value}`);
  }
}
