import { chmodSync, closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { StoreOpenError } from '@compute-ledger/ledger';
import { checkIdentity, createSchema, isBlank, ledgerApplicationId, readIdentity, schemaVersionCurrent } from './schema.js';

/** How long a writer waits for another process's write transaction before it fails. */
export const writeLockWaitMs = 5_000;

/**
 * Page cache of a connection. A 10,000-event transaction dirties a few megabytes of table and
 * index pages; with SQLite's 2 MB default they would spill to the WAL before the commit.
 */
export const pageCacheKibibytes = 65_536;

/**
 * WAL pages after which a commit copies the WAL back into the database file (SQLite's default
 * is 1,000). A 10,000-event batch writes well over 1,000 pages, some of them index pages that
 * the next batches write again: copied back every few batches instead of after each, such a
 * page is copied once. The WAL stays around 32 MiB.
 */
export const walCheckpointPages = 8_192;

/**
 * The connection settings of a ledger file. WAL lets readers run beside the one writer;
 * `synchronous = FULL` syncs the WAL at every commit, so an acknowledged append survives a
 * power loss, not only a crash of the process.
 */
export const sqliteStorePragmas: readonly string[] = [
  'journal_mode = WAL',
  'synchronous = FULL',
  `cache_size = -${pageCacheKibibytes}`,
  `wal_autocheckpoint = ${walCheckpointPages}`,
];

const sqliteHeaderMagic = Buffer.from('SQLite format 3\0', 'latin1');
const headerBytes = 100;
/** Offsets of big-endian 32-bit fields in the SQLite file header (sqlite.org/fileformat.html). */
const userVersionOffset = 60;
const applicationIdOffset = 68;

export const memoryPath = ':memory:';

/**
 * Opens (or creates) a ledger file. A file that exists is first inspected without writing to
 * it, so that a foreign or newer file is refused byte-for-byte unchanged: its header is read
 * directly, and a read-only connection reads the identity when a WAL may hold a newer one.
 */
export function openLedgerDatabase(path: string, createdAt: () => string): Database {
  if (path !== memoryPath) {
    inspectExistingFile(path);
    restrictToOwner(path);
  }
  const db = openConnection(path, false);
  try {
    for (const pragma of sqliteStorePragmas) db.pragma(pragma);
    db.transaction(() => initializeOrCheck(db, path, createdAt)).immediate();
    return db;
  } catch (error) {
    db.close();
    if (error instanceof StoreOpenError) throw error;
    throw new StoreOpenError(`cannot open ${path} as a ledger: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * Mode of the ledger file and of the WAL and shared-memory files beside it: they hold every
 * tenant's contracts, usage and invoices, so only the owner may read them. A new file is created
 * with it (SQLite gives the -wal and -shm files the database file's mode); an existing one that
 * others can read is narrowed to it, when this process owns it.
 */
export const storeFileMode = 0o600;

function restrictToOwner(path: string): void {
  if (!existsSync(path)) {
    closeSync(openSync(path, 'wx', storeFileMode));
    return;
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, storeFileMode);
    } catch {
      // Not there, or not ours to change (a file another account owns and shares on purpose).
    }
  }
}

function initializeOrCheck(db: Database, path: string, createdAt: () => string): void {
  const identity = readIdentity(db);
  if (isBlank(identity)) createSchema(db, createdAt());
  else checkIdentity(identity, path);
}

function openConnection(path: string, readonly: boolean): Database {
  try {
    return new BetterSqlite3(path, { readonly, fileMustExist: readonly, timeout: writeLockWaitMs });
  } catch (error) {
    throw new StoreOpenError(`cannot open ${path}: ${errorMessage(error)}`);
  }
}

function inspectExistingFile(path: string): void {
  const size = fileSize(path);
  const walSize = fileSize(`${path}-wal`) ?? 0;
  if (size === undefined || (size === 0 && walSize === 0)) return;
  if (size > 0) {
    const header = readHeader(path);
    if (!isSqliteHeader(header)) throw new StoreOpenError(`${path} is not an SQLite database, so not a compute-ledger event store`);
    // Without WAL content the header is the whole truth; with it, a newer identity may still sit in the WAL.
    if (walSize === 0) return checkHeader(header, path);
  }
  checkIdentityReadOnly(path);
}

function fileSize(path: string): number | undefined {
  try {
    const stats = statSync(path);
    if (!stats.isFile()) throw new StoreOpenError(`${path} is not a file`);
    return stats.size;
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return undefined;
    if (error instanceof StoreOpenError) throw error;
    throw new StoreOpenError(`cannot inspect ${path}: ${errorMessage(error)}`);
  }
}

function readHeader(path: string): Buffer {
  const header = Buffer.alloc(headerBytes);
  const descriptor = openSync(path, 'r');
  try {
    const bytesRead = readSync(descriptor, header, 0, headerBytes, 0);
    return header.subarray(0, bytesRead);
  } finally {
    closeSync(descriptor);
  }
}

function isSqliteHeader(header: Buffer): boolean {
  return header.length === headerBytes && header.subarray(0, sqliteHeaderMagic.length).equals(sqliteHeaderMagic);
}

/** The same refusals as `checkIdentity`, from the header alone; the meta rows are checked once open. */
function checkHeader(header: Buffer, path: string): void {
  const applicationId = header.readUInt32BE(applicationIdOffset);
  const userVersion = header.readUInt32BE(userVersionOffset);
  if (applicationId === 0 && userVersion === 0) return checkIdentityReadOnly(path);
  if (applicationId !== ledgerApplicationId || userVersion > schemaVersionCurrent) {
    checkIdentity({ applicationId, userVersion, objectCount: 1, meta: new Map() }, path);
  }
}

function checkIdentityReadOnly(path: string): void {
  const db = openConnection(path, true);
  try {
    const identity = readIdentity(db);
    if (!isBlank(identity)) checkIdentity(identity, path);
  } catch (error) {
    if (error instanceof StoreOpenError) throw error;
    throw new StoreOpenError(`cannot read ${path} as an SQLite database: ${errorMessage(error)}`);
  } finally {
    db.close();
  }
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
