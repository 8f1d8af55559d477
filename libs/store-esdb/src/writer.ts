import { MaxAppendSizeExceededError, NO_STREAM, UnknownError, WrongExpectedVersionError } from '@eventstore/db-client';
import type { AppendExpectedRevision, EventData, EventStoreDBClient } from '@eventstore/db-client';
import {
  appendEventsMax,
  appendManyWritesMax,
  canonicalJson,
  chainHash,
  checkExpectedRevision,
  DuplicateEventIdError,
  findRecordedWrite as findRecordedCopies,
  instantFromDate,
  validateStreamWrite,
} from '@compute-ledger/ledger';
import type { AppendResult, EventToAppend, ExpectedRevision, RecordedEvent, StreamWrite } from '@compute-ledger/ledger';
import { checkServerNames, encodeRecords, recordBytesMax } from './log-codec.js';
import type { LogRecord, StreamNames } from './log-codec.js';
import { LogState } from './log-state.js';
import { recordsPerReadMax } from './reader.js';
import type { EsdbReader } from './reader.js';
import { appendRetryWindowMs, backoff, isUnknownOutcome, logAppendAttemptsMax } from './retry.js';
import { checkAppendSize } from './sizes.js';
import type { ServerSizeLimits } from './sizes.js';

/** Records read per page when the writer folds the log. */
const foldPageRecordsMax = recordsPerReadMax;

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
  /** The ledger events to append, in log order, empty when every write was already recorded. */
  events: RecordedEvent[];
}

/** How the server answered an append to the log. */
type LogAppendOutcome = 'written' | 'lost_race' | 'unknown';

/**
 * The write side (the protocol is described in esdb-event-store.ts), and the fold of the log
 * that readStream reads positions from. Appends and folds of one store instance go one at a
 * time through a queue, so an instance never races itself for the log and a fold never runs
 * beside an append of the same state.
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
  ) {}

  write(writes: readonly StreamWrite[]): Promise<AppendResult[]> {
    const batch = prepareBatch(writes);
    const written = this.queue.then(() => this.writeSerialized(batch));
    this.queue = written.catch(() => undefined);
    return written;
  }

  /**
   * Folds the log to its head (one read when nothing is new), then answers `look` on the
   * folded state: where a stream's events are, which record holds a position. Behind the
   * appends already asked for, so a read sees every append acknowledged before it, of any
   * instance.
   */
  folded<T>(look: (state: LogState) => T): Promise<T> {
    const answer = this.queue.then(async () => {
      await this.catchUp();
      return look(this.state);
    });
    this.queue = answer.catch(() => undefined);
    return answer;
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
   * tells: an in-doubt append's first record carries the hash of its first event, which no
   * other append can carry, so finding it at its server revision means it was recorded, and it
   * is answered as written. Each in-doubt append can only land at the revision it expected, so
   * once the log is past it, unmatched, it never will.
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
      if (landed !== undefined) return landed.results;
      const plan = await this.plan(batch);
      if (plan.events.length === 0) return plan.results;
      // Encoded once: the size check counts what is sent.
      const encoded = encodeRecords(plan.events, this.state.headRevision + 1, Math.min(recordBytesMax, this.sizeLimits.maxAppendEventSizeBytes));
      checkAppendSize(encoded.eventData, this.sizeLimits, { sizes: encoded.sizes, describe: (index) => describeRecord(encoded.records[index]) });
      const outcome = await this.appendToLog(encoded.eventData);
      if (outcome === 'lost_race') {
        lastTrouble = 'another writer appended first';
        continue;
      }
      if (outcome === 'unknown') {
        lastTrouble = 'the server did not say whether the append was recorded';
        inDoubt.push(plan);
        continue;
      }
      for (const record of encoded.records) this.state.apply(record);
      return plan.results;
    }
  }

  private givingUp(attempts: number, started: number, lastTrouble: string, hadDoubt: boolean): Error {
    const doubt = hadDoubt ? ' An earlier attempt may still be recorded: send the same event ids again, and a recorded append is answered as a repeat.' : '';
    return new Error(`the ledger log did not take this append after ${attempts} attempts in ${Date.now() - started} ms (last: ${lastTrouble}).${doubt}`);
  }

  /**
   * Folds what other writers appended since. Answers the in-doubt plan the fold found
   * recorded, if any (its events are folded like any).
   */
  private async catchUp(inDoubt: readonly Plan[] = []): Promise<Plan | undefined> {
    let landed: Plan | undefined;
    for (;;) {
      const records: LogRecord[] = await this.reader.readRecords(this.state.headRevision + 1, foldPageRecordsMax);
      for (const record of records) {
        landed ??= inDoubt.find((plan) => plan.events[0]?.hash === record.events[0]?.hash);
        this.state.apply(record);
      }
      if (records.length < foldPageRecordsMax) break;
    }
    return landed;
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
    const events: RecordedEvent[] = [];
    const heads = new Map<string, number>();
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
        events.push({ position, streamId, revision, eventId, type, schemaVersion, data, metadata: metadata ?? {}, recordedAt, hash });
        previousHash = hash;
      }
      heads.set(streamId, revision);
      results.push({ nextRevision: revision, position, written: true });
    }
    return { results, events };
  }

  /** The recorded copies of the batch's ids that are in the log, read in runs of adjacent records. */
  private async recordedEvents(batch: readonly PreparedWrite[]): Promise<Map<string, RecordedEvent>> {
    const positions = new Set<number>();
    for (const write of batch) {
      for (const event of write.events) {
        const position = this.state.positionOf(event.eventId);
        if (position !== undefined) positions.add(position);
      }
    }
    const sorted = [...positions].sort((a, b) => a - b);
    const recorded = new Map<string, RecordedEvent>();
    for (const event of await this.reader.readPositions(sorted, sorted.map((position) => this.state.recordOf(position)))) recorded.set(event.eventId, event);
    return recorded;
  }

  /**
   * The server-side half of the protocol: the append is accepted only while the log's last
   * record is still the one this writer folded and decided on.
   */
  private async appendToLog(eventData: EventData[]): Promise<LogAppendOutcome> {
    try {
      await this.client.appendToStream(this.names.log, eventData, { expectedRevision: serverRevision(this.state.headRevision) });
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

/** Whether a write is already recorded, by the port's idempotency rule, against the ids folded from the log. */
function findRecordedWrite(write: PreparedWrite, recorded: ReadonlyMap<string, RecordedEvent>): AppendResult | undefined {
  return findRecordedCopies(write, (event) => {
    const found = recorded.get(event.eventId);
    return found === undefined ? undefined : { ...found, dataJson: canonicalJson(found.data) };
  });
}

/** A record the server would refuse for its size: always one event alone (records are cut below the cap). */
function describeRecord(record: LogRecord | undefined): string {
  const events = record?.events ?? [];
  const [first] = events;
  if (first === undefined) return 'a record';
  return events.length === 1 ? `the event ${first.eventId} of type ${first.type} (a record of its own)` : `a record of ${events.length} events from position ${first.position}`;
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
