import { randomUUID } from 'node:crypto';
import { openEsdbEventStore } from '@compute-ledger/store-esdb';
import type { EventStore } from '@compute-ledger/ledger';
import type { ContractFactory, ContractSubject } from '../store/event-store.contract.js';
import type { EsdbDouble } from './double/esdb-double.js';

/** The log stream's name on the server (see the adapter's README section), after the store's prefix. */
export const logStreamName = 'ledger-log';

/**
 * A stream prefix no other store of this run or of an earlier run uses: a real server keeps
 * everything, so each store gets a namespace of its own instead of an empty server.
 */
export function freshPrefix(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}-`;
}

/**
 * The contract subject for one server: a fresh prefix per store, reopening with the same
 * prefix, and, on the double, tampering with a stored event as someone with the server's
 * files could.
 */
export function esdbContractFactory(url: () => string, double?: () => EsdbDouble): ContractFactory {
  return {
    supportsClock: true,
    supportsAppendMany: true,
    supportsReopen: true,
    supportsTamper: double !== undefined,
    async create({ clock }) {
      const streamPrefix = freshPrefix('contract');
      const open = () => openEsdbEventStore({ connectionString: url(), clock, streamPrefix });
      let store: EventStore = await open();
      const subject: ContractSubject = {
        store,
        async reopen() {
          await store.close();
          store = await open();
          return store;
        },
        async dispose() {
          await store.close();
        },
      };
      if (double !== undefined) subject.tamper = async (position) => tamperWithEvent(double(), `${streamPrefix}${logStreamName}`, position);
      return subject;
    },
  };
}

/**
 * Changes the stored data of the ledger event at `position`: in the server event of format 1
 * at that revision, or in the record (format 2) whose events hold it.
 */
function tamperWithEvent(double: EsdbDouble, logStream: string, position: number): void {
  const stored = double.log.stream(logStream) ?? [];
  for (const event of stored) {
    if (event.type !== 'LedgerRecord') {
      if (event.revision === position) return double.log.tamper(logStream, event.revision, flipFirstStringCharacter);
      continue;
    }
    const record = JSON.parse(Buffer.from(event.data).toString('utf8')) as { first: number; events: { data: unknown }[] };
    const index = position - record.first;
    const victim = record.events[index];
    if (victim === undefined) continue;
    return double.log.tamper(logStream, event.revision, () => {
      victim.data = JSON.parse(Buffer.from(flipFirstStringCharacter(Buffer.from(JSON.stringify(victim.data), 'utf8'))).toString('utf8'));
      return Buffer.from(JSON.stringify(record), 'utf8');
    });
  }
  throw new Error(`the double holds no ledger event at position ${position} in ${logStream}`);
}

/** Changes the first character of the first string value: the JSON stays valid, the content does not. */
function flipFirstStringCharacter(data: Uint8Array): Uint8Array {
  const text = Buffer.from(data).toString('utf8');
  const index = text.indexOf(':"') + 2;
  const replacement = text[index] === 'x' ? 'y' : 'x';
  return Buffer.from(text.slice(0, index) + replacement + text.slice(index + 1), 'utf8');
}
