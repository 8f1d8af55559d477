import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { dataDirectoryMode, openLedger, type Clock, type EventStore, type Ledger, type LedgerOptions } from '@compute-ledger/ledger';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';

/**
 * Where a ledger is opened on a store: the one place that picks an adapter for a store URL.
 * `ledger serve`, every other command, and the tests all open their ledger through here.
 */

const sqliteScheme = 'sqlite:';

/**
 * Opens the store `url` names: `sqlite:<path>` (its directory is created, the owner's only), or
 * an EventStoreDB / KurrentDB connection string. The EventStoreDB adapter, and with it the
 * client and gRPC, is imported only for a URL that is not SQLite's, so a SQLite ledger never
 * loads them.
 */
export async function openStore(url: string, clock?: Clock): Promise<EventStore> {
  if (url.startsWith(sqliteScheme)) {
    const path = url.slice(sqliteScheme.length);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: dataDirectoryMode });
    return openSqliteEventStore(clock === undefined ? { path } : { path, clock });
  }
  const esdb = await import('@compute-ledger/store-esdb');
  if (esdb.isEsdbConnectionString(url)) {
    return esdb.openEsdbEventStore(clock === undefined ? { connectionString: url } : { connectionString: url, clock });
  }
  throw new Error(`unsupported LEDGER_STORE ${url}: expected sqlite:<path>, or esdb://, esdb+discover://, kurrentdb:// or kurrent:// and a server`);
}

export type LedgerAtOptions = Omit<LedgerOptions, 'store'>;

/**
 * Opens the ledger on the store a URL names (openStore, with the ledger's clock), or on a store
 * already opened. A store opened here is closed again when the ledger cannot be opened on it.
 */
export async function openLedgerAt(store: string | EventStore, options: LedgerAtOptions = {}): Promise<Ledger> {
  if (typeof store !== 'string') return openLedger({ ...options, store });
  const opened = await openStore(store, options.clock);
  try {
    return await openLedger({ ...options, store: opened });
  } catch (error) {
    await opened.close().catch(() => undefined);
    throw error;
  }
}
