import type { Database } from 'better-sqlite3';
import { StoreOpenError } from '@compute-ledger/ledger';

/** `PRAGMA application_id` of a ledger file: "CLDG" in ASCII, so `file(1)` and people can tell it apart. */
export const ledgerApplicationId = 0x434c4447;

/** The meta row that names the format, next to the application id in the file header. */
export const ledgerFormat = 'compute-ledger/event-store';

/**
 * Version of the schema below, kept in `PRAGMA user_version` and in the meta table. A later
 * version adds an upgrade step from the one before, run in the transaction that opens the file.
 */
export const schemaVersionCurrent = 1;

/**
 * Revisions between two entries of `stream_marks`: a stream read from any revision walks at
 * most this many events back before it reaches what it wants.
 */
export const streamMarkRevisions = 64;

/**
 * Why the schema looks like this (measured with test/bench/store-append.bench.ts):
 * - `position` is the rowid, so the log in global order is the table itself and appends go to
 *   its end. The events table has no secondary index: SQLite would update one per inserted row
 *   at a random place (2,000 interleaved streams, random event ids), which more than doubled
 *   the cost of an append.
 * - A stream is a chain: each event names the position of the stream's previous event, and
 *   `streams` holds the stream's last revision and position. A read walks the chain back from
 *   the head, or from the nearest entry of `stream_marks` (every `streamMarkRevisions`-th
 *   revision), so a per-event stream index is not needed.
 * - Event ids are found through `event_key`, a 53-bit hash of the id, which is the rowid of
 *   `event_keys`: unique, so an append of an id already recorded fails that one INSERT and the
 *   store only then looks closer (see writer.ts). The rare id whose key another id already has
 *   is kept in `event_key_collisions` instead.
 * - `event_keys` and `stream_marks` are filled once per transaction, by one INSERT ... SELECT
 *   over the rows just written: sorted, a batch's entries land next to each other.
 * - Streams get a small integer key; hashes are 32-byte blobs.
 * - No index on `recorded_at`: it is non-decreasing in position order, so "the log as known at
 *   T" is found by a binary search over positions.
 * - STRICT tables, so a value of the wrong type is refused by SQLite, not discovered by a reader.
 * Chains, heads, marks and keys hold nothing the events do not: verify checks them against it.
 */
const schemaStatements = `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE streams (
  stream_key INTEGER PRIMARY KEY,
  stream_id TEXT NOT NULL UNIQUE,
  head_revision INTEGER NOT NULL,
  head_position INTEGER NOT NULL
) STRICT;

CREATE TABLE events (
  position INTEGER PRIMARY KEY,
  stream_key INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  previous_position INTEGER,
  event_key INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  type TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  data TEXT NOT NULL,
  metadata TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  hash BLOB NOT NULL
) STRICT;

CREATE TABLE stream_marks (
  stream_key INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (stream_key, revision)
) STRICT, WITHOUT ROWID;

CREATE TABLE event_keys (
  event_key INTEGER PRIMARY KEY,
  position INTEGER NOT NULL
) STRICT;

CREATE TABLE event_key_collisions (
  event_id TEXT PRIMARY KEY,
  position INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
`;

/** What a file says it is: read before anything is written to it. */
export interface FileIdentity {
  applicationId: number;
  userVersion: number;
  objectCount: number;
  meta: ReadonlyMap<string, string>;
}

export function readIdentity(db: Database): FileIdentity {
  const applicationId = Number(db.pragma('application_id', { simple: true }));
  const userVersion = Number(db.pragma('user_version', { simple: true }));
  const objectCount = Number(db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get());
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'").pluck().get() === 1;
  const meta = new Map<string, string>();
  if (hasMeta && applicationId === ledgerApplicationId) {
    const rows = db.prepare('SELECT key, value FROM meta').raw().all() as [string, string][];
    for (const [key, value] of rows) meta.set(key, value);
  }
  return { applicationId, userVersion, objectCount, meta };
}

/** True for a database with nothing in it yet (a new file): the only kind this code may initialize. */
export function isBlank(identity: FileIdentity): boolean {
  return identity.applicationId === 0 && identity.userVersion === 0 && identity.objectCount === 0;
}

/** Refuses anything that is not a ledger of a schema version this build can open. */
export function checkIdentity(identity: FileIdentity, path: string): void {
  if (identity.applicationId !== ledgerApplicationId) {
    const found = `0x${identity.applicationId.toString(16).padStart(8, '0')}`;
    throw new StoreOpenError(`${path} is an SQLite database but not a compute-ledger event store (application_id ${found})`);
  }
  if (identity.userVersion > schemaVersionCurrent) {
    throw new StoreOpenError(
      `${path} has ledger schema version ${identity.userVersion}, newer than ${schemaVersionCurrent}, the newest this build can open: upgrade the ledger`,
    );
  }
  if (identity.meta.get('format') !== ledgerFormat) {
    throw new StoreOpenError(`${path} has the ledger application id but no "${ledgerFormat}" meta row: the file is damaged`);
  }
  if (identity.userVersion < 1 || identity.meta.get('schema_version') !== String(identity.userVersion)) {
    throw new StoreOpenError(
      `${path} has inconsistent schema versions (user_version ${identity.userVersion}, meta ${identity.meta.get('schema_version') ?? 'none'}): the file is damaged`,
    );
  }
}

/** Creates the schema in a blank database; the caller holds the write transaction. */
export function createSchema(db: Database, createdAt: string): void {
  db.exec(schemaStatements);
  const insertMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
  insertMeta.run('format', ledgerFormat);
  insertMeta.run('schema_version', String(schemaVersionCurrent));
  insertMeta.run('created_at', createdAt);
  db.pragma(`application_id = ${ledgerApplicationId}`);
  db.pragma(`user_version = ${schemaVersionCurrent}`);
}
