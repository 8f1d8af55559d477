import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import type { EventStore } from '@compute-ledger/ledger';
import type { ContractFactory, ContractSubject } from './event-store.contract.js';

/** A temp dir that the test removes again. */
export function temporaryDirectory(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'ledger-store-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * A raw connection to a ledger file, bypassing the store, for the tests that play the
 * attacker. It is closed after each change so the store sees a settled file.
 */
export function withRawConnection<T>(path: string, work: (db: Database) => T): T {
  const db = new BetterSqlite3(path);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/** Changes one character of the stored data of the event at `position`. */
export function flipDataByte(db: Database, position: number): void {
  const data = db.prepare<[number], string>('SELECT data FROM events WHERE position = ?').pluck().get(position);
  if (data === undefined) throw new Error(`no event at ${position}`);
  // The first character of the first string value: the JSON stays valid, the content does not.
  const index = data.indexOf(':"') + 2;
  const replacement = data[index] === 'x' ? 'y' : 'x';
  db.prepare('UPDATE events SET data = ? WHERE position = ?').run(data.slice(0, index) + replacement + data.slice(index + 1), position);
}

export const sqliteFileFactory: ContractFactory = {
  supportsClock: true,
  supportsAppendMany: true,
  supportsReopen: true,
  supportsTamper: true,
  async create({ clock }) {
    const directory = temporaryDirectory();
    const path = join(directory.path, 'ledger.sqlite');
    let store: EventStore = openSqliteEventStore({ path, clock });
    const subject: ContractSubject = {
      store,
      async reopen() {
        await store.close();
        store = openSqliteEventStore({ path, clock });
        return store;
      },
      async tamper(position) {
        withRawConnection(path, (db) => flipDataByte(db, position));
      },
      async dispose() {
        await store.close();
        directory.remove();
      },
    };
    return subject;
  },
};

export const sqliteMemoryFactory: ContractFactory = {
  supportsClock: true,
  supportsAppendMany: true,
  supportsReopen: false,
  supportsTamper: false,
  async create({ clock }) {
    const store = openSqliteEventStore({ path: ':memory:', clock });
    return { store, dispose: () => store.close() };
  },
};
