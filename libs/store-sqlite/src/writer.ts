import type { Database, Transaction } from 'better-sqlite3';
import { SqliteError } from 'better-sqlite3';
import {
  assert,
  canonicalJson,
  chainHashQuoted,
  checkExpectedRevision,
  expectedRevisionHolds,
  genesisHash,
  instantFromDate,
} from '@compute-ledger/ledger';
import type { AppendResult, StreamWrite } from '@compute-ledger/ledger';
import { validateBatch } from './batch-validation.js';
import { findEventPositions, findRecordedWrite, isEventKeyTaken } from './recorded-events.js';
import type { Statements } from './statements.js';

/**
 * Streams whose head this process remembers between transactions. Past it the oldest entries
 * are forgotten at the end of a transaction (and read again from the file when needed), so
 * memory stays bounded however many streams exist.
 */
export const streamHeadCacheEntriesMax = 100_000;

/** Metadata text of an event appended without metadata. */
const emptyMetadataJson = '{}';

/** Event types whose JSON literal is kept; a ledger has a few dozen types. */
const typeJsonCacheEntriesMax = 1_000;

interface StreamHead {
  /** Key in the streams table, or -1 before the stream's first event is written. */
  key: number;
  /** Revision and position of the stream's last event, or -1. */
  revision: number;
  position: number;
  /** The stream id as a JSON string literal, for the hash chain. */
  idJson: string;
  /** The last transaction that moved this head, so each transaction saves each head once. */
  movedInTransaction: number;
}

/** What the events of one transaction share. */
interface BatchContext {
  path: Path;
  serial: number;
  recordedAt: string;
  recordedAtJson: string;
  /** Heads this transaction moved, to be saved at its end. */
  movedHeads: StreamHead[];
  /**
   * On the careful path, where the batch's ids already are, looked up once before anything is
   * written: the batch's own ids are distinct (validateBatch), so its writes cannot record one
   * of them before a later write asks.
   */
  recordedPositions: ReadonlyMap<string, number>;
}

export interface WriteOutcome {
  results: AppendResult[];
  /** Whether any event was written (false when every write was an idempotent retry). */
  written: boolean;
}

/** How a transaction learns about event ids already in the log. */
type Path = 'optimistic' | 'careful';

type WriteTransaction = Transaction<(writes: readonly StreamWrite[], eventKeys: Float64Array, path: Path) => WriteOutcome>;

/**
 * Thrown inside the optimistic transaction to roll it back and run the careful one: a key of
 * the batch is taken, or a write's expectation fails on a stream an earlier write of the batch
 * moved (which may be a retry the optimistic path wrote again as new).
 */
class DecideCarefully extends Error {}

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
 * at once on either path, since it may be a retry of an append that moved the stream. On the
 * optimistic path it may also have failed because an earlier write of the batch to the same
 * stream was a retry, written again as if new (its keys are only found taken at the end): then
 * the careful path decides too, so such a batch answers the retry as recorded and writes the
 * rest, as it would had the retry come alone.
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
  private readonly typeJsons = new Map<string, string>();
  private transactionSerial = 0;
  private cacheValid = false;
  private seenDataVersion = -1;
  private readonly transaction: WriteTransaction;

  constructor(
    db: Database,
    private readonly statements: Statements,
    private readonly clock: () => Date,
  ) {
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
      if (!(error instanceof DecideCarefully)) throw error;
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
    this.transactionSerial += 1;
    const recordedPositions =
      path === 'careful' ? findEventPositions(this.statements, writes.flatMap((write) => write.events.map((event) => event.eventId)), eventKeys) : new Map<string, number>();
    const batch: BatchContext = { path, serial: this.transactionSerial, recordedAt, recordedAtJson: JSON.stringify(recordedAt), movedHeads: [], recordedPositions };
    const results: AppendResult[] = [];
    let eventIndex = 0;
    for (const write of writes) {
      results.push(this.writeOne(write, eventKeys, eventIndex, batch));
      eventIndex += write.events.length;
    }
    const written = this.headPosition >= firstPosition;
    if (written) {
      this.indexEvents(firstPosition, path);
      this.saveStreamHeads(batch.movedHeads);
      this.lastRecordedAt = recordedAt;
    }
    this.forgetOldestStreamHeads();
    return { results, written };
  }

  private writeOne(write: StreamWrite, eventKeys: Float64Array, firstEventIndex: number, batch: BatchContext): AppendResult {
    const { path } = batch;
    if (path === 'careful') {
      const recorded = findRecordedWrite(this.statements, write, batch.recordedPositions);
      if (recorded) return recorded;
    }
    const head = this.streamHead(write.streamId);
    if (!expectedRevisionHolds(write.expectedRevision, head.revision)) {
      if (path === 'optimistic') {
        const recorded = findRecordedWrite(this.statements, write, this.positionsOfWrite(write, eventKeys, firstEventIndex));
        if (recorded) return recorded;
        if (head.movedInTransaction === batch.serial) throw new DecideCarefully();
      }
      checkExpectedRevision(write.streamId, write.expectedRevision, head.revision);
    }
    return this.insertEvents(write, head, eventKeys, firstEventIndex, batch);
  }

  /**
   * Appends one write's events. Serializing and hashing happen here, one event at a time, right
   * before its insert: strings that die at once cost the garbage collector next to nothing,
   * while holding a batch's worth of them until the commit would promote them all.
   */
  private insertEvents(write: StreamWrite, head: StreamHead, eventKeys: Float64Array, firstEventIndex: number, batch: BatchContext): AppendResult {
    const { streamId, events } = write;
    const { recordedAt, recordedAtJson } = batch;
    if (head.key === -1) head.key = this.createStream(streamId);
    const insert = this.statements.insertEvent;
    const streamIdJson = head.idJson;
    let previousHash = this.headHash;
    let position = this.headPosition;
    let revision = head.revision;
    let previousPosition = head.revision === -1 ? null : head.position;
    for (let index = 0; index < events.length; index += 1) {
      const event = events[index];
      const eventKey = eventKeys[firstEventIndex + index];
      assert(event !== undefined, 'the index is within the write');
      assert(eventKey !== undefined, 'one event key per event');
      const dataJson = canonicalJson(event.data);
      const metadataJson = event.metadata === undefined ? emptyMetadataJson : canonicalJson(event.metadata);
      position += 1;
      revision += 1;
      const { eventId, type, schemaVersion } = event;
      const eventIdJson = JSON.stringify(eventId);
      const typeJson = this.typeJson(type);
      previousHash = chainHashQuoted(previousHash, { position, revision, schemaVersion, dataJson, metadataJson, eventIdJson, streamIdJson, typeJson, recordedAtJson });
      insert.run(position, head.key, revision, previousPosition, eventKey, eventId, type, schemaVersion, dataJson, metadataJson, recordedAt, previousHash);
      if (batch.path === 'careful') this.indexEventKey(eventKey, eventId, position);
      previousPosition = position;
    }
    this.headHash = previousHash;
    this.headPosition = position;
    head.revision = revision;
    head.position = position;
    if (head.movedInTransaction !== batch.serial) {
      head.movedInTransaction = batch.serial;
      batch.movedHeads.push(head);
    }
    return { nextRevision: revision, position, written: true };
  }

  /** Where the write's ids already are (`eventKeys[firstEventIndex + i]` is the key of its event i). */
  private positionsOfWrite(write: StreamWrite, eventKeys: Float64Array, firstEventIndex: number): Map<string, number> {
    const { events } = write;
    return findEventPositions(this.statements, events.map((event) => event.eventId), eventKeys.subarray(firstEventIndex, firstEventIndex + events.length));
  }

  /** The careful path indexes each new id as it goes, so that a later id of the batch sees it taken. */
  private indexEventKey(eventKey: number, eventId: string, position: number): void {
    if (isEventKeyTaken(this.statements, eventKey)) this.statements.insertCollision.run(eventId, position);
    else this.statements.insertEventKey.run(eventKey, position);
  }

  /** Adds the transaction's events to the index tables, in one statement each. */
  private indexEvents(firstPosition: number, path: Path): void {
    this.statements.indexStreamMarks.run(firstPosition, this.headPosition);
    if (path === 'careful') return;
    try {
      this.statements.indexEventKeys.run(firstPosition, this.headPosition);
    } catch (error) {
      if (error instanceof SqliteError && error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DecideCarefully();
      throw error;
    }
  }

  /** Once per stream a transaction moved, however many of its events it wrote. */
  private saveStreamHeads(movedHeads: readonly StreamHead[]): void {
    for (const head of movedHeads) this.statements.updateStreamHead.run(head.revision, head.position, head.key);
  }

  private streamHead(streamId: string): StreamHead {
    const cached = this.streamHeads.get(streamId);
    if (cached) return cached;
    const row = this.statements.streamHead.get(streamId);
    const idJson = JSON.stringify(streamId);
    const head: StreamHead = row
      ? { key: row[0], revision: row[1], position: row[2], idJson, movedInTransaction: 0 }
      : { key: -1, revision: -1, position: -1, idJson, movedInTransaction: 0 };
    this.streamHeads.set(streamId, head);
    return head;
  }

  private typeJson(type: string): string {
    const cached = this.typeJsons.get(type);
    if (cached !== undefined) return cached;
    if (this.typeJsons.size >= typeJsonCacheEntriesMax) this.typeJsons.clear();
    const typeJson = JSON.stringify(type);
    this.typeJsons.set(type, typeJson);
    return typeJson;
  }

  /**
   * Only between transactions: a head that the running transaction moved must stay cached until
   * its end, because it is saved to the file only then.
   */
  private forgetOldestStreamHeads(): void {
    let excess = this.streamHeads.size - streamHeadCacheEntriesMax;
    if (excess <= 0) return;
    for (const streamId of this.streamHeads.keys()) {
      this.streamHeads.delete(streamId);
      excess -= 1;
      if (excess === 0) return;
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
