import type { Database, Transaction } from 'better-sqlite3';
import { SqliteError } from 'better-sqlite3';
import { assert } from '../../shared/assert.js';
import { expectedRevisionHolds, checkExpectedRevision, instantFromDate } from '../append-rules.js';
import { canonicalJson } from '../canonical-json.js';
import type { AppendResult, StreamWrite } from '../event-store.js';
import { chainHash, genesisHash } from '../hash-chain.js';
import { appendManyWritesMax } from '../limits.js';
import { validateBatch } from './batch-validation.js';
import { findRecordedWrite, isEventKeyTaken } from './recorded-events.js';
import type { Statements } from './statements.js';

/**
 * Streams whose head this process remembers. Past it the oldest entries are forgotten (and
 * read again from the file when needed), so memory stays bounded however many streams exist.
 */
export const streamHeadCacheEntriesMax = 100_000;

/** Metadata text of an event appended without metadata. */
const emptyMetadataJson = '{}';

interface StreamHead {
  /** Key in the streams table, or -1 before the stream's first event is written. */
  key: number;
  /** Revision of the stream's last event, or -1. */
  revision: number;
}

export interface WriteOutcome {
  results: AppendResult[];
  /** Whether any event was written (false when every write was an idempotent retry). */
  written: boolean;
}

/** How a transaction learns about event ids already in the log. */
type Path = 'optimistic' | 'careful';

type WriteTransaction = Transaction<(writes: readonly StreamWrite[], eventKeys: Float64Array, path: Path) => WriteOutcome>;

/** Thrown inside the optimistic transaction to roll it back and run the careful one. */
class EventKeyTaken extends Error {}

/**
 * The write side of the SQLite store.
 *
 * Order. SQLite lets one connection write at a time, and every write here runs in a BEGIN
 * IMMEDIATE transaction, which takes that lock before reading anything. So, inside the
 * transaction, this process is the only writer of the file: positions are assigned there as
 * head + 1, + 2, ... and can never interleave with another writer's, and a reader that sees
 * position p sees every position before it (they were committed earlier or in the same commit).
 * That is what makes the global order total and free of gaps.
 *
 * Idempotency, optimistically. Almost every appended event id is new, so a transaction first
 * writes as if all were, and adds the batch's ids to the unique `event_keys` table in one sorted
 * INSERT at the end. If that INSERT finds a key already taken (a retry, or rarely two ids with
 * the same 53-bit key), the whole transaction is rolled back and run again on the careful path,
 * which looks every id up before it writes. A write whose expected revision fails is looked up
 * at once on either path, since it may be a retry of an append that moved the stream.
 *
 * Caches. The head of the log (position, hash, recordedAt) and the heads of recently used
 * streams are kept between transactions. Another process may have written in between: `PRAGMA
 * data_version` changes exactly then, so it is checked at the start of every transaction and the
 * caches are dropped when it moved. A transaction that fails also drops them, since they may
 * hold what was rolled back.
 */
export class SqliteWriter {
  private headPosition = -1;
  private headHash = genesisHash;
  private lastRecordedAt = '';
  private readonly streamHeads = new Map<string, StreamHead>();
  private cacheValid = false;
  private seenDataVersion = -1;
  private readonly transaction: WriteTransaction;

  constructor(
    db: Database,
    private readonly statements: Statements,
    private readonly clock: () => Date,
  ) {
    // A stream touched earlier in a batch must still be cached when the batch touches it again:
    // its index entries are only written at the end of the batch.
    assert(streamHeadCacheEntriesMax > appendManyWritesMax, 'the stream head cache holds every stream of one batch');
    this.transaction = db.transaction((writes: readonly StreamWrite[], eventKeys: Float64Array, path: Path) =>
      this.writeBatch(writes, eventKeys, path),
    );
  }

  write(writes: readonly StreamWrite[]): WriteOutcome {
    const eventKeys = validateBatch(writes);
    try {
      return this.transaction.immediate(writes, eventKeys, 'optimistic');
    } catch (error) {
      this.dropCaches();
      if (!(error instanceof EventKeyTaken)) throw error;
    }
    try {
      return this.transaction.immediate(writes, eventKeys, 'careful');
    } catch (error) {
      this.dropCaches();
      throw error;
    }
  }

  private writeBatch(writes: readonly StreamWrite[], eventKeys: Float64Array, path: Path): WriteOutcome {
    this.refreshCaches();
    const firstPosition = this.headPosition + 1;
    const recordedAt = this.nextRecordedAt();
    const results: AppendResult[] = [];
    let eventIndex = 0;
    for (const write of writes) {
      results.push(this.writeOne(write, eventKeys, eventIndex, recordedAt, path));
      eventIndex += write.events.length;
    }
    const written = this.headPosition >= firstPosition;
    if (written) {
      this.indexEvents(firstPosition, path);
      this.lastRecordedAt = recordedAt;
    }
    return { results, written };
  }

  private writeOne(write: StreamWrite, eventKeys: Float64Array, firstEventIndex: number, recordedAt: string, path: Path): AppendResult {
    if (path === 'careful') {
      const recorded = findRecordedWrite(this.statements, write, eventKeys, firstEventIndex);
      if (recorded) return recorded;
    }
    const head = this.streamHead(write.streamId);
    if (!expectedRevisionHolds(write.expectedRevision, head.revision)) {
      const recorded = path === 'optimistic' ? findRecordedWrite(this.statements, write, eventKeys, firstEventIndex) : undefined;
      if (recorded) return recorded;
      checkExpectedRevision(write.streamId, write.expectedRevision, head.revision);
    }
    return this.insertEvents(write, head, eventKeys, firstEventIndex, recordedAt, path);
  }

  /**
   * Appends one write's events. Serializing and hashing happen here, one event at a time, right
   * before its insert: strings that die at once cost the garbage collector next to nothing,
   * while holding a batch's worth of them until the commit would promote them all.
   */
  private insertEvents(
    write: StreamWrite,
    head: StreamHead,
    eventKeys: Float64Array,
    firstEventIndex: number,
    recordedAt: string,
    path: Path,
  ): AppendResult {
    const { streamId, events } = write;
    if (head.key === -1) head.key = this.createStream(streamId);
    const insert = this.statements.insertEvent;
    let previousHash = this.headHash;
    let position = this.headPosition;
    let revision = head.revision;
    for (let index = 0; index < events.length; index += 1) {
      const event = events[index];
      const eventKey = eventKeys[firstEventIndex + index];
      assert(event !== undefined && eventKey !== undefined, 'one event key per event');
      const dataJson = canonicalJson(event.data);
      const metadataJson = event.metadata === undefined ? emptyMetadataJson : canonicalJson(event.metadata);
      position += 1;
      revision += 1;
      const { eventId, type, schemaVersion } = event;
      previousHash = chainHash(previousHash, { position, streamId, revision, eventId, type, schemaVersion, dataJson, metadataJson, recordedAt });
      insert.run(position, head.key, revision, eventKey, eventId, type, schemaVersion, dataJson, metadataJson, recordedAt, previousHash);
      if (path === 'careful') this.indexEventKey(eventKey, eventId, position);
    }
    this.headHash = previousHash;
    this.headPosition = position;
    head.revision = revision;
    return { nextRevision: revision, position, written: true };
  }

  /** The careful path indexes each new id as it goes, so that a later id of the batch sees it taken. */
  private indexEventKey(eventKey: number, eventId: string, position: number): void {
    if (isEventKeyTaken(this.statements, eventKey)) this.statements.insertCollision.run(eventId, position);
    else this.statements.insertEventKey.run(eventKey, position);
  }

  /** Adds the batch's events to the index tables, sorted, in one statement each. */
  private indexEvents(firstPosition: number, path: Path): void {
    this.statements.indexStreamEvents.run(firstPosition, this.headPosition);
    if (path === 'careful') return;
    try {
      this.statements.indexEventKeys.run(firstPosition, this.headPosition);
    } catch (error) {
      if (error instanceof SqliteError && error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new EventKeyTaken();
      throw error;
    }
  }

  private streamHead(streamId: string): StreamHead {
    const cached = this.streamHeads.get(streamId);
    if (cached) return cached;
    const row = this.statements.streamHead.get(streamId);
    const head: StreamHead = row ? { key: row[0], revision: row[1] ?? -1 } : { key: -1, revision: -1 };
    if (this.streamHeads.size >= streamHeadCacheEntriesMax) this.forgetOldestStreamHead();
    this.streamHeads.set(streamId, head);
    return head;
  }

  private forgetOldestStreamHead(): void {
    for (const streamId of this.streamHeads.keys()) {
      this.streamHeads.delete(streamId);
      return;
    }
  }

  private createStream(streamId: string): number {
    return Number(this.statements.insertStream.run(streamId).lastInsertRowid);
  }

  /** recordedAt of this transaction's events: the clock, held back to never go before the log's last event. */
  private nextRecordedAt(): string {
    const now = instantFromDate(this.clock());
    return now > this.lastRecordedAt ? now : this.lastRecordedAt;
  }

  private refreshCaches(): void {
    const dataVersion = this.statements.dataVersion.get();
    assert(dataVersion !== undefined, 'PRAGMA data_version answers a number');
    if (this.cacheValid && dataVersion === this.seenDataVersion) return;
    this.streamHeads.clear();
    const head = this.statements.head.get();
    this.headPosition = head ? head[0] : -1;
    this.headHash = head ? head[1] : genesisHash;
    this.lastRecordedAt = head ? head[2] : '';
    this.seenDataVersion = dataVersion;
    this.cacheValid = true;
  }

  private dropCaches(): void {
    this.cacheValid = false;
    this.streamHeads.clear();
  }
}
