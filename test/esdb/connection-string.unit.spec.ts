import { describe, expect, it } from 'vitest';
import { StoreOpenError } from '@compute-ledger/ledger';
import { isEsdbConnectionString, openEsdbEventStore } from '@compute-ledger/store-esdb';

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

  it('refuses a maxAppendSize that is not a positive number of bytes, before connecting', async () => {
    for (const value of ['lots', '0', '-5', '1.5']) {
      const opening = openEsdbEventStore({ connectionString: `esdb://127.0.0.1:1?tls=false&maxAppendSize=${value}` });
      await expect(opening).rejects.toThrow(StoreOpenError);
      await expect(opening).rejects.toThrow(/maxAppendSize must be a positive number of bytes/);
    }
  });
});
