import { MaxAppendSizeExceededError, NO_STREAM, UnknownError, WrongExpectedVersionError } from '@eventstore/db-client';
import type { AppendExpectedRevision, EventStoreDBClient } from '@eventstore/db-client';
import { checkExpectedRevision, instantFromDate, validateStreamWrite } from '../append-rules.js';
import { canonicalJson } from '../canonical-json.js';
import { DuplicateEventIdError } from '../errors.js';
import type { AppendResult, EventToAppend, ExpectedRevision, RecordedEvent, StreamWrite } from '../event-store.js';
import { chainHash } from '../hash-chain.js';
import { appendEventsMax, appendManyWritesMax, readPageEventsMax } from '../limits.js';
import { checkServerNames, linkTarget, toLinkEventData, toLogEventData } from './log-codec.js';
import type { LogEvent, StreamNames } from './log-codec.js';
import { LogState } from './log-state.js';
import type { EsdbReader } from './reader.js';
import { appendRetryWindowMs, backoff, isUnknownOutcome, linkRetryWindowMs, logAppendAttemptsMax } from './retry.js';
import { checkAppendSize } from './sizes.js';
import type { ServerSizeLimits } from './sizes.js';

/** Events read per page when the writer folds the log. */
const foldPageEventsMax = readPageEventsMax;

/**
 * Streams linked at the same time after one append. An appendMany of a usage batch can touch
 * thousands of streams; their link appends go out this many at a time rather than all at once.
 * Over BatchAppend they share one call, and the server commits concurrent writes together, so
 * a usage batch over 2,000 leases takes 2,000 / 64 = 32 round trips rather than 125 at 16.
 */
export const linkAppendsInFlightMax = 64;

interface PreparedEvent extends EventToAppend {
  dataJson: string;
  metadataJson: string;
}

interface PreparedWrite {
  streamId: string;
  expectedRevision: ExpectedRevision;
  events: PreparedEvent[];
}

interface Plan {
  results: AppendResult[];
  /** The log events to append, empty when every write was already recorded. */
  events: LogEvent[];
}

/** How the server answered an append to the log. */
type LogAppendOutcome = 'written' | 'lost_race' | 'unknown';

/** Why linking an append did not finish: the append itself is recorded whatever this says. */
export interface LinkFailure {
  position: number;
  error: unknown;
}

/**
 * The write side (the protocol is described in esdb-event-store.ts). Appends of one store
 * instance go one at a time through a queue, so an instance never races itself for the log.
 */
export class EsdbWriter {
  private readonly state = new LogState();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly names: StreamNames,
    private readonly reader: EsdbReader,
    private readonly clock: () => Date,
    private readonly sizeLimits: ServerSizeLimits,
    private readonly onLinkFailure: (failure: LinkFailure) => void = () => undefined,
  ) {}

  write(writes: readonly StreamWrite[]): Promise<AppendResult[]> {
    const batch = prepareBatch(writes);
    const written = this.queue.then(() => this.writeSerialized(batch));
    this.queue = written.catch(() => undefined);
    return written;
  }

  /** Resolves when the appends already asked for are done. */
  async idle(): Promise<void> {
    await this.queue;
  }

  /**
   * Folds, decides and appends until the log takes the append, the decision refuses it, or the
   * retry window runs out. An append whose answer was lost (a timeout, NotLeader, the node going
   * away) is "in doubt": it is neither answered as failed nor sent again blindly (a repeat of a
   * write that is not yet replicated is dropped by the server and times out). The next fold
   * tells: an in-doubt append's first event carries a hash no other append can carry, so finding
   * it at its position means it was recorded, and it is answered as written. Each in-doubt
   * append can only land at the position it expected, so once the log is past it, unmatched, it
   * never will.
   */
  private async writeSerialized(batch: readonly PreparedWrite[]): Promise<AppendResult[]> {
    const started = Date.now();
    const inDoubt: Plan[] = [];
    let lastTrouble = 'no attempt finished';
    for (let attempt = 1; ; attempt += 1) {
      if (attempt > 1) {
        if (attempt > logAppendAttemptsMax || Date.now() - started > appendRetryWindowMs) throw this.givingUp(attempt - 1, started, lastTrouble, inDoubt.length > 0);
        await backoff(attempt - 1);
      }
      const landed = await this.catchUp(inDoubt);
      if (landed !== undefined) {
        await this.linkOwnAppend(landed.events);
        // Later appends of other writers may have landed after it; the last of them may lack links.
        if (this.state.linkedThrough < this.state.headPosition) {
          await this.linkLastAppend().catch((error: unknown) => this.onLinkFailure({ position: this.state.lastAppendStart, error }));
        }
        return landed.results;
      }
      const plan = await this.plan(batch);
      if (plan.events.length === 0) return plan.results;
      checkAppendSize(plan.events.map(toLogEventData), this.sizeLimits);
      const outcome = await this.appendToLog(plan.events);
      if (outcome === 'lost_race') {
        lastTrouble = 'another writer appended first';
        continue;
      }
      if (outcome === 'unknown') {
        lastTrouble = 'the server did not say whether the append was recorded';
        inDoubt.push(plan);
        continue;
      }
      for (const logEvent of plan.events) this.state.apply(logEvent);
      await this.linkOwnAppend(plan.events);
      return plan.results;
    }
  }

  private givingUp(attempts: number, started: number, lastTrouble: string, hadDoubt: boolean): Error {
    const doubt = hadDoubt ? ' An earlier attempt may still be recorded: send the same event ids again, and a recorded append is answered as a repeat.' : '';
    return new Error(`the ledger log did not take this append after ${attempts} attempts in ${Date.now() - started} ms (last: ${lastTrouble}).${doubt}`);
  }

  /**
   * Folds what other writers appended since, then makes sure the log's last append is linked.
   * Answers the in-doubt plan the fold found recorded, if any (its events are folded like any).
   */
  private async catchUp(inDoubt: readonly Plan[] = []): Promise<Plan | undefined> {
    let landed: Plan | undefined;
    for (;;) {
      const events = await this.reader.readLog(this.state.headPosition + 1, foldPageEventsMax);
      for (const logEvent of events) {
        landed ??= inDoubt.find((plan) => plan.events[0]?.event.hash === logEvent.event.hash);
        this.state.apply(logEvent);
      }
      if (events.length < foldPageEventsMax) break;
    }
    if (landed !== undefined) return landed;
    if (this.state.linkedThrough < this.state.headPosition) await this.linkLastAppend();
    return undefined;
  }

  /**
   * Links the log's last append into its streams where its writer has not (yet): it may have
   * stopped between its two writes. Every earlier append was linked before the one after it
   * was written, so this is the only one that can lack links, and per stream only a suffix of it.
   */
  private async linkLastAppend(): Promise<void> {
    const start = this.state.lastAppendStart;
    const tail = await this.reader.readLog(start, this.state.headPosition - start + 1);
    await forEachLimited(groupByStream(tail.map((logEvent) => logEvent.event)), async ([streamId, events]) => {
      // What the stream holds at these revisions must be these links; the rest are appended.
      await this.appendLinks(streamId, await this.linksStillMissing(streamId, events));
    });
    this.state.linkedThrough = this.state.headPosition;
  }

  /**
   * Links an append this writer made. The append is recorded whatever happens here, so a failure
   * is not the caller's: it is reported to onLinkFailure, and the links are left to the next
   * append, which links the log's last append before it writes (until then readStream may not
   * show these events, which the protocol allows for).
   */
  private async linkOwnAppend(events: readonly LogEvent[]): Promise<void> {
    try {
      await forEachLimited(groupByStream(events.map((logEvent) => logEvent.event)), ([streamId, streamEvents]) => this.appendLinks(streamId, streamEvents));
      // Every append before this one was linked before it was written; so the log is linked through it.
      const last = events.at(-1)?.event.position ?? -1;
      if (last === this.state.headPosition) this.state.linkedThrough = last;
    } catch (error) {
      this.onLinkFailure({ position: events[0]?.event.position ?? -1, error });
    }
  }

  /**
   * Appends the links of consecutive events of one stream at the exact revision before them.
   * Another writer linking the same events at the same time writes the same link ids, which
   * the server answers as a repeat, or, when its repeat cache no longer holds them, as a wrong
   * expected version: so a refusal is settled by reading what the stream holds at those
   * revisions. The same links there are a repeat; links to other events were not written by a
   * ledger. An unknown outcome is settled the same way, never by sending the same links again
   * blindly (a repeat of a write not yet replicated is dropped and times out).
   */
  private async appendLinks(streamId: string, events: readonly RecordedEvent[]): Promise<void> {
    const started = Date.now();
    let pending = events;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const first = pending[0]!;
      const links = pending.map((event) => toLinkEventData(this.names, event.position));
      let settle = false;
      try {
        await this.client.appendToStream(this.names.ledgerStream(streamId), links, { expectedRevision: serverRevision(first.revision - 1) });
        return;
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError) && !isUnknownOutcome(error)) throw translateClientError(error);
        if (Date.now() - started > linkRetryWindowMs || attempt >= logAppendAttemptsMax) throw error;
        settle = true;
      }
      if (settle) {
        if (attempt > 1) await backoff(attempt - 1);
        pending = await this.linksStillMissing(streamId, pending);
      }
    }
  }

  /** The events whose links the stream does not hold yet, after checking that what it holds is theirs. */
  private async linksStillMissing(streamId: string, events: readonly RecordedEvent[]): Promise<readonly RecordedEvent[]> {
    const first = events[0]!;
    const held = await this.reader.readLinkTargets(streamId, first.revision, events.length);
    if (held.length === 0) {
      const linked = await this.reader.linkedRevision(streamId);
      if (linked !== first.revision - 1) {
        throw new Error(`stream ${streamId} is linked up to revision ${linked}, but its next events start at ${first.revision}: the log is damaged (run verify)`);
      }
    }
    for (const [index, target] of held.entries()) {
      const expected = linkTarget(this.names, events[index]!.position);
      if (target !== expected) {
        throw new Error(
          `stream ${streamId} holds ${target} at revision ${first.revision + index}, where the ledger links ${expected}: it was written outside this ledger`,
        );
      }
    }
    return events.slice(held.length);
  }

  /**
   * Decides every write on the folded state, the way the SQLite store decides inside its
   * transaction: a write whose ids are all recorded with the same content is answered as
   * recorded; any id recorded with other content, or a mix of recorded and new ids, is refused;
   * otherwise the expected revision is checked and the events get their chain links.
   */
  private async plan(batch: readonly PreparedWrite[]): Promise<Plan> {
    const recorded = await this.recordedEvents(batch);
    const results: AppendResult[] = [];
    const events: LogEvent[] = [];
    const heads = new Map<string, number>();
    const appendStart = this.state.headPosition + 1;
    const recordedAt = this.nextRecordedAt();
    let position = this.state.headPosition;
    let previousHash = this.state.headHash;
    for (const write of batch) {
      const repeat = recorded.size === 0 ? undefined : findRecordedWrite(write, recorded);
      if (repeat !== undefined) {
        results.push(repeat);
        continue;
      }
      const { streamId } = write;
      let revision = heads.get(streamId) ?? this.state.streamHead(streamId);
      checkExpectedRevision(streamId, write.expectedRevision, revision);
      for (const { eventId, type, schemaVersion, data, metadata, dataJson, metadataJson } of write.events) {
        position += 1;
        revision += 1;
        const hash = chainHash(previousHash, { position, streamId, revision, eventId, type, schemaVersion, dataJson, metadataJson, recordedAt });
        events.push({ event: { position, streamId, revision, eventId, type, schemaVersion, data, metadata: metadata ?? {}, recordedAt, hash }, appendStart });
        previousHash = hash;
      }
      heads.set(streamId, revision);
      results.push({ nextRevision: revision, position, written: true });
    }
    return { results, events };
  }

  /** The recorded copies of the batch's ids that are in the log, read in runs of adjacent positions. */
  private async recordedEvents(batch: readonly PreparedWrite[]): Promise<Map<string, RecordedEvent>> {
    const positions = new Set<number>();
    for (const write of batch) {
      for (const event of write.events) {
        const position = this.state.positionOf(event.eventId);
        if (position !== undefined) positions.add(position);
      }
    }
    const recorded = new Map<string, RecordedEvent>();
    for (const [start, count] of runs([...positions].sort((a, b) => a - b))) {
      for (const { event } of await this.reader.readLog(start, count)) if (positions.has(event.position)) recorded.set(event.eventId, event);
    }
    return recorded;
  }

  /**
   * The server-side half of the protocol: the append is accepted only while the log's last
   * revision is still the head this writer folded and decided on.
   */
  private async appendToLog(events: readonly LogEvent[]): Promise<LogAppendOutcome> {
    try {
      await this.client.appendToStream(this.names.log, events.map(toLogEventData), { expectedRevision: serverRevision(this.state.headPosition) });
      return 'written';
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) return 'lost_race';
      if (isUnknownOutcome(error)) return 'unknown';
      throw translateClientError(error);
    }
  }

  /** recordedAt of one append: the clock, held back to never go before the log's last event. */
  private nextRecordedAt(): string {
    const now = instantFromDate(this.clock());
    return now > this.state.lastRecordedAt ? now : this.state.lastRecordedAt;
  }
}

/** Validates every write and serializes every event before anything is sent, so a bad event writes nothing. */
function prepareBatch(writes: readonly StreamWrite[]): PreparedWrite[] {
  if (writes.length === 0) throw new RangeError('appendMany needs at least one write');
  if (writes.length > appendManyWritesMax) throw new RangeError(`appendMany of ${writes.length} writes, more than ${appendManyWritesMax}`);
  const eventIds = new Set<string>();
  const prepared: PreparedWrite[] = [];
  for (const write of writes) {
    validateStreamWrite(write);
    for (const event of write.events) {
      checkServerNames(write.streamId, event.type);
      if (eventIds.has(event.eventId)) throw new DuplicateEventIdError(event.eventId, 'it appears more than once in one append');
      eventIds.add(event.eventId);
    }
    if (eventIds.size > appendEventsMax) throw new RangeError(`appendMany of more than appendEventsMax (${appendEventsMax}) events`);
  }
  for (const write of writes) {
    const events = write.events.map((event) => ({ ...event, dataJson: canonicalJson(event.data), metadataJson: canonicalJson(event.metadata ?? {}) }));
    prepared.push({ streamId: write.streamId, expectedRevision: write.expectedRevision, events });
  }
  return prepared;
}

/**
 * A write is a repeat when every one of its ids is recorded with the same stream, type, schema
 * version and data (metadata may differ: a retry may carry another correlation id), the same
 * rule as the SQLite store's.
 */
function findRecordedWrite(write: PreparedWrite, recorded: ReadonlyMap<string, RecordedEvent>): AppendResult | undefined {
  let matched: RecordedEvent | undefined;
  let matchedCount = 0;
  for (const event of write.events) {
    const found = recorded.get(event.eventId);
    if (found === undefined) continue;
    checkSameContent(write.streamId, event, found);
    matched = found;
    matchedCount += 1;
  }
  if (matched === undefined) return undefined;
  if (matchedCount < write.events.length) {
    throw new DuplicateEventIdError(matched.eventId, `the append to ${write.streamId} mixes ids already recorded with new ones`);
  }
  // Every event matched, so `matched` is the recorded copy of the write's last event.
  return { nextRevision: matched.revision, position: matched.position, written: false };
}

function checkSameContent(streamId: string, event: PreparedEvent, recorded: RecordedEvent): void {
  const differences: string[] = [];
  if (recorded.streamId !== streamId) differences.push(`stream ${recorded.streamId} instead of ${streamId}`);
  if (recorded.type !== event.type) differences.push(`type ${recorded.type} instead of ${event.type}`);
  if (recorded.schemaVersion !== event.schemaVersion) differences.push(`schema version ${recorded.schemaVersion} instead of ${event.schemaVersion}`);
  if (differences.length === 0 && canonicalJson(recorded.data) !== event.dataJson) differences.push('other data');
  if (differences.length > 0) {
    throw new DuplicateEventIdError(event.eventId, `recorded at position ${recorded.position} with ${differences.join(', ')}`);
  }
}

/** The server's expectation for "the last revision is exactly this one" (-1: no stream yet). */
function serverRevision(revision: number): AppendExpectedRevision {
  return revision === -1 ? NO_STREAM : BigInt(revision);
}

/**
 * Errors of the client that mean something the caller can act on become the port's words. The
 * size checks before an append (sizes.ts) make these rare: they are for a server configured
 * below what the store was told.
 */
function translateClientError(error: unknown): unknown {
  if (error instanceof MaxAppendSizeExceededError) {
    return new RangeError(`the append is larger than the server's MaxAppendSize (${error.maxAppendSize} bytes): raise it, or send fewer events per append`, {
      cause: error,
    });
  }
  if (error instanceof UnknownError && /MaximumAppendEventSizeExceeded/.test(error.message)) {
    return new RangeError(`an event of the append is larger than the server's MaxAppendEventSize: raise it, or make the event smaller`, { cause: error });
  }
  return error;
}

function groupByStream(events: readonly RecordedEvent[]): Map<string, RecordedEvent[]> {
  const groups = new Map<string, RecordedEvent[]>();
  for (const event of events) {
    const group = groups.get(event.streamId);
    if (group === undefined) groups.set(event.streamId, [event]);
    else group.push(event);
  }
  return groups;
}

/** Runs `work` for every entry, at most linkAppendsInFlightMax at a time. */
async function forEachLimited<K, V>(entries: ReadonlyMap<K, V>, work: (entry: [K, V]) => Promise<void>): Promise<void> {
  const all = [...entries];
  for (let start = 0; start < all.length; start += linkAppendsInFlightMax) {
    await Promise.all(all.slice(start, start + linkAppendsInFlightMax).map(work));
  }
}

/** Sorted positions as [first, count] runs of adjacent ones, each read with one call. */
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
