import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { StoreOpenError } from '@compute-ledger/ledger';
import { openEsdbEventStore } from '@compute-ledger/store-esdb';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { openStore } from '@compute-ledger/api';
import { describeEventStoreContract, usageEvent, usageEvents } from '../store/event-store.contract.js';
import { startEsdbDouble } from './double/esdb-double.js';
import type { EsdbDouble } from './double/esdb-double.js';
import { esdbContractFactory, freshPrefix, logStreamName } from './esdb-fixtures.js';

let double: EsdbDouble;

beforeAll(async () => {
  double = await startEsdbDouble();
});

afterAll(async () => {
  await double.stop();
});

describeEventStoreContract(
  'EventStoreDB adapter on the test double',
  esdbContractFactory(
    () => double.url,
    () => double,
  ),
);

const eventStoreUrl = process.env.EVENTSTORE_URL;

/** The same contract against a real server, when one is given (see the README for starting one). */
describe.skipIf(eventStoreUrl === undefined)('against the server at EVENTSTORE_URL', () => {
  describeEventStoreContract(
    'EventStoreDB adapter on a real server',
    esdbContractFactory(() => eventStoreUrl ?? ''),
  );
});

describe('EventStoreDB adapter: what the contract does not cover', () => {
  it('opens from every connection string scheme the ledger accepts', async () => {
    const port = new URL(double.url.replace('esdb://', 'http://')).port;
    for (const scheme of ['esdb', 'kurrentdb', 'kurrent']) {
      const store = await openStore(`${scheme}://127.0.0.1:${port}?tls=false`);
      expect(await store.headPosition()).toBeGreaterThanOrEqual(-1);
      await store.close();
    }
  });

  it('refuses a server that does not answer, and a log stream of something else, with StoreOpenError', async () => {
    await expect(openStore('esdb://127.0.0.1:1?tls=false')).rejects.toThrow(StoreOpenError);
    const streamPrefix = freshPrefix('foreign');
    const client = EventStoreDBClient.connectionString(double.url);
    await client.appendToStream(`${streamPrefix}${logStreamName}`, jsonEvent({ type: 'SomethingElse', data: { hello: 'world' } }));
    await client.dispose();
    await expect(openEsdbEventStore({ connectionString: double.url, streamPrefix })).rejects.toThrow(/not a ledger event/);
  });

  it('refuses names the server reserves, before writing anything', async () => {
    const store = await openEsdbEventStore({ connectionString: double.url, streamPrefix: freshPrefix('names') });
    await expect(store.append('$system', [usageEvent()], 'any')).rejects.toThrow(RangeError);
    await expect(store.append(logStreamName, [usageEvent()], 'any')).rejects.toThrow(RangeError);
    await expect(store.append('lease-1', [usageEvent({ type: '$>' })], 'any')).rejects.toThrow(RangeError);
    await expect(store.readStream(logStreamName)).rejects.toThrow(RangeError);
    expect(await store.headPosition()).toBe(-1);
    await store.close();
  });

  it('answers an append over the server\'s MaxAppendSize with a RangeError that says so', async () => {
    const small = await startEsdbDouble({ maxAppendSizeBytes: 2_048 });
    const store = await openEsdbEventStore({ connectionString: small.url });
    await expect(store.append('lease-1', usageEvents(20), 'no_stream')).rejects.toThrow(/MaxAppendSize \(2048 bytes\)/);
    expect((await store.append('lease-1', usageEvents(1), 'no_stream')).written).toBe(true);
    await store.close();
    await small.stop();
  });
});
