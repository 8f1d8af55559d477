/**
 * The event store on EventStoreDB / KurrentDB, through @eventstore/db-client (the only library
 * that imports it): the port of libs/ledger/src/store, on one log stream
 * (docs/adr/0001-esdb-single-log.md).
 */
export { EsdbEventStore, openCheckTimeoutMs, openEsdbEventStore } from './esdb-event-store.js';
export type { EsdbEventStoreOptions } from './esdb-event-store.js';
export { isEsdbConnectionString } from './connection.js';
