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
