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
      if (double !== undefined) subject.tamper = async (position) => double().log.tamper(`${streamPrefix}${logStreamName}`, position, flipFirstStringCharacter);
      return subject;
    },
  };
}

/** Changes the first character of the first string value: the JSON stays valid, the content does not. */
function flipFirstStringCharacter(data: Uint8Array): Uint8Array {
  const text = Buffer.from(data).toString('utf8');
  const index = text.indexOf(':"') + 2;
  const replacement = text[index] === 'x' ? 'y' : 'x';
  return Buffer.from(text.slice(0, index) + replacement + text.slice(index + 1), 'utf8');
}
