import type { Database } from 'better-sqlite3';
import { AdapterStore, instantFromDate } from '@compute-ledger/ledger';
import type {
  AppendResult,
  EventStore,
  FoldedEvent,
  FoldRow,
  ReadAllOptions,
  RecordedEvent,
  StreamWrite,
  SubscribeOptions,
  VerifyAnchor,
  VerifyResult,
} from '@compute-ledger/ledger';
import { openLedgerDatabase } from './open-database.js';
import { SqliteReader } from './reader.js';
import { findEventIdsAt, findEventPositions } from './recorded-events.js';
import { prepareStatements } from './statements.js';
import type { Statements } from './statements.js';
import { CatchUpSubscription } from './subscription.js';
import { verifyChain } from './verifier.js';
import { SqliteWriter } from './writer.js';

export interface SqliteEventStoreOptions {
  /** The ledger file, created when it does not exist; ':memory:' for a store that lives in this process only. */
  path: string;
  /** Where recordedAt comes from. Default: the system clock. */
  clock?: () => Date;
}

/**
 * Opens the SQLite event store at `path`, creating the file when it does not exist. A file that
 * is not a ledger, or a ledger of a newer schema version, is refused with StoreOpenError and left
 * as it was.
 */
export function openSqliteEventStore(options: SqliteEventStoreOptions): SqliteEventStore {
  const clock = options.clock ?? (() => new Date());
  const db = openLedgerDatabase(options.path, () => instantFromDate(clock()));
  return new SqliteEventStore(db, clock);
}

/**
 * The embedded event store: one SQLite file, one writer at a time (across processes too), any
 * number of readers. Its methods are async for the port's sake; the work is synchronous, so
 * calls from one process run one after the other in the order they were made.
 */
export class SqliteEventStore extends AdapterStore<CatchUpSubscription> implements EventStore {
  private readonly statements: Statements;
  private readonly writer: SqliteWriter;
  private readonly reader: SqliteReader;

  /** Use openSqliteEventStore, which checks the file first. */
  constructor(
    private readonly db: Database,
    clock: () => Date,
  ) {
    super();
    this.statements = prepareStatements(db);
    this.writer = new SqliteWriter(db, this.statements, clock);
    this.reader = new SqliteReader(this.statements);
  }

  async readStream(streamId: string, fromRevision?: number, limit?: number): Promise<RecordedEvent[]> {
    this.checkOpen();
    return this.reader.readStream(streamId, fromRevision, limit);
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    this.checkOpen();
    return this.reader.readAll(options);
  }

  async readForFold(fromPosition: number, limit: number): Promise<FoldedEvent[]> {
    this.checkOpen();
    return this.reader.readForFold(fromPosition, limit);
  }

  async readFoldRows(fromPosition: number, limit: number): Promise<FoldRow[]> {
    this.checkOpen();
    return this.reader.readFoldRows(fromPosition, limit);
  }

  /** One or two primary-key lookups per id (recorded-events.ts), all chunks on one snapshot of the file. */
  async positionsOfEventIds(eventIds: readonly string[]): Promise<Map<string, number>> {
    this.checkOpen();
    return this.db.transaction(() => findEventPositions(this.statements, eventIds))();
  }

  /** One primary-key lookup per distinct position, in position order (recorded-events.ts), all chunks on one snapshot of the file. */
  async eventIdsAt(positions: readonly number[]): Promise<Map<number, string>> {
    this.checkOpen();
    return this.db.transaction(() => findEventIdsAt(this.statements, positions))();
  }

  async headPosition(): Promise<number> {
    this.checkOpen();
    return this.reader.headPosition();
  }

  async positionKnownAt(knownAt: string): Promise<number> {
    this.checkOpen();
    return this.reader.positionKnownAt(knownAt);
  }

  async verify(from?: VerifyAnchor): Promise<VerifyResult> {
    this.checkOpen();
    return verifyChain(this.statements, from);
  }

  /** The writes in one transaction; a commit wakes this instance's subscriptions at once. */
  protected async write(writes: readonly StreamWrite[]): Promise<AppendResult[]> {
    const outcome = this.writer.write(writes);
    if (outcome.written) for (const subscription of this.openSubscriptions) subscription.notify();
    return outcome.results;
  }

  protected openSubscription(options: SubscribeOptions, onStopped: (subscription: CatchUpSubscription) => void): CatchUpSubscription {
    const source = {
      headPosition: () => this.reader.headPosition(),
      readPage: (fromPosition: number, limit: number) => this.reader.readAll({ fromPosition, limit }),
    };
    return new CatchUpSubscription(source, options, onStopped);
  }

  /** Closes the file. */
  protected async release(): Promise<void> {
    this.db.close();
  }
}
