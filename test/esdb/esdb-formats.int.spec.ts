import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStoreDBClient, jsonEvent, NO_STREAM } from '@eventstore/db-client';
import { openEsdbEventStore } from '@compute-ledger/store-esdb';
import { ConcurrencyError } from '@compute-ledger/ledger';
import type { EventStore, EventToAppend, RecordedEvent } from '@compute-ledger/ledger';
import { expectedHash, readWholeLog, usageEvent, usageEvents } from '../store/event-store.contract.js';
import { startEsdbDouble } from './double/esdb-double.js';
import type { EsdbDouble } from './double/esdb-double.js';
import { freshPrefix, logStreamName } from './esdb-fixtures.js';

const genesisHash = '0'.repeat(64);

/**
 * Appends ledger events the way envelope format 1 wrote them: one server event per ledger
 * event, its position its server revision, the port's fields in its metadata. The chain and the
 * stream revisions are computed here, from the events alone. Answers the events as recorded.
 */
async function appendFormat1(
  client: EventStoreDBClient,
  logStream: string,
  log: RecordedEvent[],
  writes: ReadonlyArray<{ streamId: string; events: EventToAppend[] }>,
  recordedAt: string,
): Promise<RecordedEvent[]> {
  const appendStart = log.length;
  const appended: RecordedEvent[] = [];
  for (const { streamId, events } of writes) {
    for (const event of events) {
      const previous = [...log, ...appended];
      const revision = previous.filter((earlier) => earlier.streamId === streamId).length;
      const unhashed: RecordedEvent = { ...event, metadata: event.metadata ?? {}, position: previous.length, streamId, revision, recordedAt, hash: '' };
      appended.push({ ...unhashed, hash: expectedHash(previous.at(-1)?.hash ?? genesisHash, unhashed) });
    }
  }
  const serverEvents = appended.map((event) =>
    jsonEvent({
      id: randomUUID(),
      type: event.type,
      data: event.data,
      metadata: {
        ledger: { format: 1, streamId: event.streamId, revision: event.revision, eventId: event.eventId, schemaVersion: event.schemaVersion, recordedAt, hash: event.hash, appendStart },
        metadata: event.metadata,
      },
    }),
  );
  await client.appendToStream(logStream, serverEvents, { expectedRevision: appendStart === 0 ? NO_STREAM : BigInt(appendStart - 1) });
  log.push(...appended);
  return appended;
}

async function collect(store: EventStore, afterPosition: number, count: number): Promise<string[]> {
  const delivered: string[] = [];
  const subscription = store.subscribe({ afterPosition, onEvents: (events) => void delivered.push(...events.map((event) => event.eventId)) });
  await subscription.caughtUp;
  const deadline = Date.now() + 5_000;
  while (delivered.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  await subscription.close();
  return delivered;
}

/**
 * The log's envelope formats: format 1 (a server event per ledger event), which logs written
 * before records may begin with, and format 2 (records of several events of one append).
 */
describe('EventStoreDB store: envelope formats', () => {
  let double: EsdbDouble;

  beforeAll(async () => {
    double = await startEsdbDouble();
  });

  afterAll(async () => {
    await double.stop();
  });

  it('reads, verifies and folds exactly a log written in format 1 and continued in format 2', async () => {
    const prefix = freshPrefix('formats');
    const logStream = `${prefix}${logStreamName}`;
    const client = EventStoreDBClient.connectionString(double.url);
    const written: RecordedEvent[] = [];
    const old = '2026-01-01T00:00:00.000Z';
    const lease1 = usageEvents(3);
    await appendFormat1(client, logStream, written, [{ streamId: 'lease-1', events: lease1 }], old);
    await appendFormat1(client, logStream, written, [{ streamId: 'lease-2', events: usageEvents(2) }], '2026-01-02T00:00:00.000Z');
    await client.dispose();

    const store = await openEsdbEventStore({ connectionString: double.url, streamPrefix: prefix, clock: () => new Date('2026-02-01T00:00:00.000Z') });
    try {
      expect(await store.headPosition()).toBe(4);
      expect(await store.readAll({ limit: 100 })).toEqual(written);
      // The fold knows the format-1 streams: expectations and idempotency hold against them.
      await expect(store.append('lease-1', usageEvents(1), 1)).rejects.toThrow(ConcurrencyError);
      expect(await store.append('lease-1', lease1, 'no_stream')).toEqual({ nextRevision: 2, position: 2, written: false });
      const more = usageEvents(4);
      expect(await store.append('lease-1', more, 2)).toEqual({ nextRevision: 6, position: 8, written: true });
      expect(await store.appendMany([
        { streamId: 'lease-2', events: usageEvents(1), expectedRevision: 1 },
        { streamId: 'lease-3', events: usageEvents(2), expectedRevision: 'no_stream' },
      ])).toEqual([
        { nextRevision: 2, position: 9, written: true },
        { nextRevision: 1, position: 11, written: true },
      ]);
      // Two format-2 records after five format-1 events.
      expect(double.log.stream(logStream)?.map((event) => event.type)).toEqual([...written.map((event) => event.type), 'LedgerRecord', 'LedgerRecord']);

      const log = await readWholeLog(store, 3);
      expect(log.map((event) => event.position)).toEqual([...Array(12).keys()]);
      expect(log.slice(0, 5)).toEqual(written);
      let previousHash = genesisHash;
      for (const event of log) {
        expect(event.hash).toBe(expectedHash(previousHash, event));
        previousHash = event.hash;
      }
      expect(await store.verify()).toEqual({ ok: true, eventsChecked: 12, headPosition: 11, headHash: previousHash });
      // From an anchor in the format-1 part, and from one inside a record.
      expect(await store.verify({ position: 3, hash: log[3]!.hash })).toMatchObject({ ok: true, eventsChecked: 8 });
      expect(await store.verify({ position: 6, hash: log[6]!.hash })).toMatchObject({ ok: true, eventsChecked: 5 });
      expect(await store.verify({ position: 6, hash: log[5]!.hash })).toMatchObject({ ok: false, firstInvalidPosition: 6 });

      const lease1Read = await store.readStream('lease-1');
      expect(lease1Read.map((event) => event.eventId)).toEqual([...lease1, ...more].map((event) => event.eventId));
      expect(lease1Read.map((event) => event.position)).toEqual([0, 1, 2, 5, 6, 7, 8]);
      expect((await store.readStream('lease-1', 2, 3)).map((event) => event.position)).toEqual([2, 5, 6]);
      expect(await store.readAll({ fromPosition: 4, limit: 3 })).toEqual(log.slice(4, 7));

      expect(await store.positionKnownAt('2025-12-31T00:00:00.000Z')).toBe(-1);
      expect(await store.positionKnownAt(old)).toBe(2);
      expect(await store.positionKnownAt('2026-01-15T00:00:00.000Z')).toBe(4);
      expect(await store.positionKnownAt('2026-02-01T00:00:00.000Z')).toBe(11);
      expect(await store.readAll({ limit: 100, knownAt: '2026-01-15T00:00:00.000Z' })).toEqual(written);

      // Subscriptions from the start, from inside the format-1 part, from inside a record.
      const ids = log.map((event) => event.eventId);
      expect(await collect(store, -1, 12)).toEqual(ids);
      expect(await collect(store, 3, 8)).toEqual(ids.slice(4));
      expect(await collect(store, 6, 5)).toEqual(ids.slice(7));
      expect(await collect(store, 11, 0)).toEqual([]);
    } finally {
      await store.close();
    }

    // A fresh instance folds the mixed log exactly and continues it.
    const fresh = await openEsdbEventStore({ connectionString: double.url, streamPrefix: prefix });
    try {
      expect(await fresh.append('lease-3', [usageEvent()], 1)).toMatchObject({ written: true, nextRevision: 2, position: 12 });
      expect(await fresh.verify()).toMatchObject({ ok: true, eventsChecked: 13 });
    } finally {
      await fresh.close();
    }
  });

  it('packs a large append into few records, and reads across their edges exactly', async () => {
    const prefix = freshPrefix('records');
    const store = await openEsdbEventStore({ connectionString: double.url, streamPrefix: prefix, maxAppendSizeBytes: 16 * 1_048_576 });
    try {
      const writes = Array.from({ length: 200 }, (_, lease) => ({ streamId: `lease-${lease}`, events: usageEvents(10), expectedRevision: 'no_stream' as const }));
      await store.appendMany(writes);
      const records = double.log.stream(`${prefix}${logStreamName}`) ?? [];
      // About 230 bytes an event: 2,000 events are some 450 KiB, two records of at most 256 KiB.
      expect(records.length).toBeGreaterThan(1);
      expect(records.length).toBeLessThan(10);
      for (const record of records) expect(record.data.length).toBeLessThanOrEqual(256 * 1024);
      const log = await readWholeLog(store, 333);
      expect(log.map((event) => event.eventId)).toEqual(writes.flatMap((write) => write.events.map((event) => event.eventId)));
      const edge = JSON.parse(Buffer.from(records[1]!.data).toString('utf8')) as { first: number };
      expect(await store.readAll({ fromPosition: edge.first - 2, limit: 4 })).toEqual(log.slice(edge.first - 2, edge.first + 2));
      expect(await store.verify()).toMatchObject({ ok: true, eventsChecked: 2_000 });
      expect((await store.readStream('lease-199')).map((event) => event.position)).toEqual([...Array(10).keys()].map((index) => 1_990 + index));
    } finally {
      await store.close();
    }
  });
});
