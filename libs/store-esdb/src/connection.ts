/**
 * Connection strings. @eventstore/db-client 6 reads `esdb://` (one node, or a list of nodes
 * whose gossip it asks) and `esdb+discover://` (a cluster found through DNS). KurrentDB, the
 * renamed server, documents the same strings as `kurrentdb://` and `kurrentdb+discover://`
 * (and `kurrent://`); they speak the same protocol, so they are rewritten to the client's
 * names. Everything after the scheme (hosts, `tls=false`, `nodePreference`, credentials) is
 * passed on unchanged.
 */

const clientSchemes: ReadonlyArray<readonly [accepted: string, client: string]> = [
  ['esdb://', 'esdb://'],
  ['esdb+discover://', 'esdb+discover://'],
  ['kurrentdb://', 'esdb://'],
  ['kurrentdb+discover://', 'esdb+discover://'],
  ['kurrent://', 'esdb://'],
  ['kurrent+discover://', 'esdb+discover://'],
];

export function isEsdbConnectionString(url: string): boolean {
  return clientSchemes.some(([accepted]) => url.startsWith(accepted));
}

export function toClientConnectionString(url: string): string {
  for (const [accepted, client] of clientSchemes) {
    if (url.startsWith(accepted)) return client + url.slice(accepted.length);
  }
  throw new RangeError(`not an EventStoreDB connection string (${clientSchemes.map(([accepted]) => accepted).join(', ')}): ${redactCredentials(url)}`);
}

/** The connection string with its password hidden, for error messages and logs. */
export function redactCredentials(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** The ledger's own connection string parameters: the server's size limits, which the client has no setting for. */
export interface LedgerParameters {
  maxAppendSizeBytes?: number;
  maxAppendEventSizeBytes?: number;
}

const ledgerParameterNames: Readonly<Record<string, keyof LedgerParameters>> = {
  maxappendsize: 'maxAppendSizeBytes',
  maxappendeventsize: 'maxAppendEventSizeBytes',
};

/**
 * Takes the ledger's own parameters (`maxAppendSize=<bytes>`, `maxAppendEventSize=<bytes>`, the
 * server's setting names, any case) out of a connection string, leaving the client's.
 */
export function splitLedgerParameters(url: string): { url: string; parameters: LedgerParameters } {
  const query = url.indexOf('?');
  if (query === -1) return { url, parameters: {} };
  const parameters: LedgerParameters = {};
  const kept: string[] = [];
  for (const pair of url.slice(query + 1).split('&')) {
    const [key = '', value = ''] = pair.split('=');
    const name = ledgerParameterNames[key.toLowerCase()];
    if (name === undefined) {
      kept.push(pair);
      continue;
    }
    const bytes = Number(value);
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new RangeError(`${key} must be a positive number of bytes, not ${value}`);
    parameters[name] = bytes;
  }
  return { url: kept.length === 0 ? url.slice(0, query) : `${url.slice(0, query)}?${kept.join('&')}`, parameters };
}
