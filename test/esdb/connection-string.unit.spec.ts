import { describe, expect, it } from 'vitest';
import { isEsdbConnectionString } from '@compute-ledger/ledger';

describe('EventStoreDB connection strings', () => {
  it('takes the client\'s schemes and KurrentDB\'s names for them', () => {
    for (const url of [
      'esdb://localhost:2113?tls=false',
      'esdb+discover://cluster.internal:2113',
      'esdb://admin:changeit@a:2113,b:2113,c:2113',
      'kurrentdb://localhost:2113?tls=false',
      'kurrentdb+discover://cluster.internal:2113',
      'kurrent://localhost:2113',
      'kurrent+discover://cluster.internal:2113',
    ]) {
      expect(isEsdbConnectionString(url)).toBe(true);
    }
  });

  it('leaves other stores alone', () => {
    for (const url of ['sqlite:./data/ledger.db', 'postgres://localhost/ledger', 'esdb:/missing-slash', 'http://localhost:2113']) {
      expect(isEsdbConnectionString(url)).toBe(false);
    }
  });
});
