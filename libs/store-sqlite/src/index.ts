/**
 * The embedded event store on one SQLite file, through better-sqlite3 (the only library that
 * imports it): the port of libs/ledger/src/store, with its append, idempotency and subscription
 * rules.
 */
export { openSqliteEventStore, SqliteEventStore } from './sqlite-event-store.js';
export type { SqliteEventStoreOptions } from './sqlite-event-store.js';
export { sqliteStorePragmas, storeFileMode } from './open-database.js';
export { eventIdKey } from './event-id-key.js';
export { streamMarkRevisions } from './schema.js';
export { subscriptionPollIntervalMs } from './subscription.js';
