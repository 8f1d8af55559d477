import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appendEventsMax,
  ConcurrencyError,
  DuplicateEventIdError,
  readPageEventsMax,
  StoreOpenError,
} from '@compute-ledger/ledger';
import { openSqliteEventStore, subscriptionPollIntervalMs } from '@compute-ledger/store-sqlite';
import type { EventToAppend, RecordedEvent, StreamWrite } from '@compute-ledger/ledger';
import type { SqliteEventStore } from '@compute-ledger/store-sqlite';
import { describeEventStoreContract, readWholeLog, usageEvent, usageEvents } from './event-store.contract.js';
import { flipDataByte, sqliteFileFactory, sqliteMemoryFactory, temporaryDirectory, withRawConnection } from './sqlite-fixtures.js';

describeEventStoreContract('SQLite file', sqliteFileFactory);
describeEventStoreContract('SQLite in memory', sqliteMemoryFactory);

describe('SQLite event store', () => {
  let directory: ReturnType<typeof temporaryDirectory>;
  let path: string;

  beforeEach(() => {
    directory = temporaryDirectory();
    path = join(directory.path, 'ledger.sqlite');
  });

  afterEach(() => {
    directory.remove();
  });

  /** A closed ledger file with `count` events over three streams. */
  async function ledgerWith(count: number): Promise<RecordedEvent[]> {
    const store = openSqliteEventStore({ path });
    for (let index = 0; index < count; index += 1) await store.append(`lease-${index % 3}`, [usageEvent()], 'any');
    const log = await readWholeLog(store);
    await store.close();
    return log;
  }

  async function verifyFile() {
    const store = openSqliteEventStore({ path });
    try {
      return await store.verify();
    } finally {
      await store.close();
    }
  }

  it('reads rows for a fold that are readAll less what a fold never reads, in pages of any size, whatever types follow each other', async () => {
    const store = openSqliteEventStore({ path });
    try {
      const types = ['UsageRecorded', 'UsageRecorded', 'LeaseSigned', 'UsageRecorded', 'UsageCorrected', 'UsageCorrected', 'UsageRecorded'];
      for (const [index, type] of types.entries()) await store.append(`lease-${index % 2}`, [usageEvent({ type, schemaVersion: 1 + (index % 2) })], 'any');
      const log = await readWholeLog(store);
      const expected = log.map(({ position, streamId, revision, eventId, type, schemaVersion, data }) => [position, streamId, revision, eventId, type, schemaVersion, JSON.stringify(data)]);
      for (const pageEvents of [1, 2, 3, 7]) {
        const rows = [];
        for (let from = 0; from < log.length; from += pageEvents) rows.push(...(await store.readFoldRows(from, pageEvents)));
        expect(rows).toEqual(expected);
      }
      expect(await store.readForFold(2, 3)).toEqual(log.slice(2, 5).map(({ metadata: _metadata, recordedAt: _recordedAt, hash: _hash, ...folded }) => folded));
    } finally {
      await store.close();
    }
  });

  it('does not read for a subscriber what it says it already holds (heldPosition)', async () => {
    const store = openSqliteEventStore({ path });
    try {
      await store.append('lease-1', usageEvents(3), 'no_stream');
      const log = await readWholeLog(store);
      let held = log[1]!.position;
      const delivered: RecordedEvent[] = [];
      const subscription = store.subscribe({ heldPosition: () => held, onEvents: (events) => void delivered.push(...events) });
      await subscription.caughtUp;
      expect(delivered.map((event) => event.position)).toEqual([log[2]!.position]);
      // The subscriber folds the next append by itself: the subscription skips it, and goes on after it.
      held = log[2]!.position + 1;
      const own = await store.append('lease-1', usageEvents(1), log[2]!.revision);
      expect(own.position).toBe(held);
      const last = await store.append('lease-1', usageEvents(1), own.nextRevision);
      await waitUntil(() => delivered.length >= 2);
      await subscription.close();
      expect(delivered.map((event) => event.position)).toEqual([log[2]!.position, last.position]);
    } finally {
      await store.close();
    }
  });

  describe('a file changed behind the store', () => {
    it('names exactly the event whose data changed by one character', async () => {
      await ledgerWith(10);
      withRawConnection(path, (db) => flipDataByte(db, 6));
      const result = await verifyFile();
      expect(result).toMatchObject({ ok: false, firstInvalidPosition: 6 });
      if (!result.ok) expect(result.reason).toContain('hash does not match');
    });

    it('names the position of a deleted row', async () => {
      await ledgerWith(10);
      withRawConnection(path, (db) => db.prepare('DELETE FROM events WHERE position = 4').run());
      const result = await verifyFile();
      expect(result).toMatchObject({ ok: false, firstInvalidPosition: 4 });
      if (!result.ok) expect(result.reason).toContain('missing');
    });

    it('names the first of two events whose data was swapped', async () => {
      await ledgerWith(10);
      withRawConnection(path, (db) => {
        const data = db.prepare<[number], string>('SELECT data FROM events WHERE position = ?').pluck();
        const update = db.prepare('UPDATE events SET data = ? WHERE position = ?');
        const [third, eighth] = [data.get(3), data.get(8)];
        update.run(eighth, 3);
        update.run(third, 8);
      });
      expect(await verifyFile()).toMatchObject({ ok: false, firstInvalidPosition: 3 });
    });

    it('names an event moved to another position', async () => {
      await ledgerWith(6);
      withRawConnection(path, (db) => db.prepare('UPDATE events SET position = 100 WHERE position = 2').run());
      expect(await verifyFile()).toMatchObject({ ok: false, firstInvalidPosition: 2 });
    });

    it('names an event whose stored hash was replaced, even with a valid-looking one', async () => {
      await ledgerWith(5);
      withRawConnection(path, (db) => db.prepare('UPDATE events SET hash = ? WHERE position = 1').run(Buffer.alloc(32, 0xaa)));
      expect(await verifyFile()).toMatchObject({ ok: false, firstInvalidPosition: 1 });
    });

    it('says when a row cannot be parsed', async () => {
      await ledgerWith(5);
      withRawConnection(path, (db) => db.prepare("UPDATE events SET metadata = '{not json' WHERE position = 2").run());
      const result = await verifyFile();
      expect(result).toMatchObject({ ok: false, firstInvalidPosition: 2 });
      if (!result.ok) expect(result.reason).toContain('cannot be parsed');
    });

    it('names the first event of a stream whose name was changed', async () => {
      const log = await ledgerWith(6);
      withRawConnection(path, (db) => db.prepare("UPDATE streams SET stream_id = 'lease-9' WHERE stream_id = 'lease-1'").run());
      const first = log.find((event) => event.streamId === 'lease-1');
      expect(await verifyFile()).toMatchObject({ ok: false, firstInvalidPosition: first?.position });
    });

    it('names an event whose link to the stream\'s previous event was changed', async () => {
      await ledgerWith(9);
      withRawConnection(path, (db) => db.prepare('UPDATE events SET previous_position = 1 WHERE position = 7').run());
      const result = await verifyFile();
      expect(result).toMatchObject({ ok: false, firstInvalidPosition: 7 });
      if (!result.ok) expect(result.reason).toContain('previous_position');
    });

    it('names the last event of a stream whose head was moved back', async () => {
      await ledgerWith(9);
      withRawConnection(path, (db) => db.prepare("UPDATE streams SET head_revision = 1, head_position = 3 WHERE stream_id = 'lease-0'").run());
      const result = await verifyFile();
      expect(result).toMatchObject({ ok: false, firstInvalidPosition: 6 });
    });

    it('names an event whose mark or event key entry is gone', async () => {
      await ledgerWith(9);
      withRawConnection(path, (db) => db.prepare('DELETE FROM stream_marks WHERE position = 1').run());
      expect(await verifyFile()).toMatchObject({ ok: false, firstInvalidPosition: 1 });
      withRawConnection(path, (db) => db.prepare('INSERT INTO stream_marks VALUES ((SELECT stream_key FROM events WHERE position = 1), 0, 1)').run());
      withRawConnection(path, (db) => db.prepare('DELETE FROM event_keys WHERE position = 5').run());
      expect(await verifyFile()).toMatchObject({ ok: false, firstInvalidPosition: 5 });
    });

    it('names the event an extra index entry points to', async () => {
      await ledgerWith(4);
      withRawConnection(path, (db) => db.prepare('INSERT INTO event_keys VALUES (42, 2)').run());
      const result = await verifyFile();
      expect(result).toMatchObject({ ok: false, firstInvalidPosition: 2 });
    });

    it('passes a log that was only read and reopened', async () => {
      const log = await ledgerWith(7);
      expect(await verifyFile()).toEqual({ ok: true, eventsChecked: 7, headPosition: 6, headHash: log[6]?.hash });
    });
  });

  describe('streams read through their chains', () => {
    it('reads any revision range of a long stream interleaved with others', async () => {
      const store = openSqliteEventStore({ path });
      const ids: string[] = [];
      for (let round = 0; round < 40; round += 1) {
        const events = usageEvents(5);
        ids.push(...events.map((event) => event.eventId));
        await store.appendMany([
          { streamId: 'long', events, expectedRevision: 'any' },
          { streamId: `short-${round % 7}`, events: [usageEvent()], expectedRevision: 'any' },
        ]);
      }
      for (const [from, limit] of [[0, 200], [0, 1], [63, 2], [64, 64], [100, 37], [127, 1], [128, 72], [190, 50], [199, 5]] as const) {
        const read = await store.readStream('long', from, limit);
        expect(read.map((event) => event.eventId)).toEqual(ids.slice(from, from + limit));
        expect(read.map((event) => event.revision)).toEqual(ids.slice(from, from + limit).map((_, index) => from + index));
      }
      expect(await store.readStream('long', 200)).toEqual([]);
      expect(await store.verify()).toMatchObject({ ok: true, eventsChecked: 240 });
      await store.close();
    });
  });

  describe('event ids whose key another id already has', () => {
    it('keeps such an event, finds it again on a retry, and verify names the entry that was planted', async () => {
      const event = usageEvent();
      const keyOfEvent = await eventKeyOf(event);
      const store = openSqliteEventStore({ path });
      await store.append('lease-1', usageEvents(3), 'no_stream');
      // Plant an entry that gives the new id's key to the event at position 1, as a collision would.
      withRawConnection(path, (db) => db.prepare('INSERT INTO event_keys VALUES (?, 1)').run(keyOfEvent));
      const first = await store.append('lease-2', [event], 'no_stream');
      expect(first).toEqual({ nextRevision: 0, position: 3, written: true });
      withRawConnection(path, (db) => {
        const kept = db.prepare<[], [string, number]>('SELECT event_id, position FROM event_key_collisions').raw().all();
        expect(kept).toEqual([[event.eventId, 3]]);
      });
      expect(await store.append('lease-2', [event], 'no_stream')).toEqual({ ...first, written: false });
      const changed = { ...event, data: { gpuHours: '0' } };
      await expect(store.append('lease-2', [changed], 'any')).rejects.toThrow(DuplicateEventIdError);
      expect((await store.readStream('lease-2')).map((recorded) => recorded.eventId)).toEqual([event.eventId]);
      expect(await store.verify()).toMatchObject({ ok: false, firstInvalidPosition: 1 });
      await store.close();
    });

    it('finds an id kept as a collision, and not an id whose key only another event owns', async () => {
      const event = usageEvent();
      const keyOfEvent = await eventKeyOf(event);
      const store = openSqliteEventStore({ path });
      await store.append('lease-1', usageEvents(3), 'no_stream');
      const [, owner] = await readWholeLog(store);
      withRawConnection(path, (db) => db.prepare('INSERT INTO event_keys VALUES (?, 1)').run(keyOfEvent));
      // The key's owner, at position 1, has another id: the id is not recorded.
      expect(await store.positionsOfEventIds([event.eventId])).toEqual(new Map());
      await store.append('lease-2', [event], 'no_stream');
      expect(await store.positionsOfEventIds([event.eventId, owner!.eventId, event.eventId])).toEqual(new Map([[event.eventId, 3], [owner!.eventId, 1]]));
      expect(await store.eventIdsAt([3, 1])).toEqual(new Map([[3, event.eventId], [1, owner!.eventId]]));
      await store.close();
    });

    /** The key the store gives an event id, read from a scratch ledger. */
    async function eventKeyOf(event: EventToAppend): Promise<number> {
      const scratchPath = join(directory.path, 'scratch.sqlite');
      const scratch = openSqliteEventStore({ path: scratchPath });
      await scratch.append('scratch', [event], 'no_stream');
      await scratch.close();
      return withRawConnection(scratchPath, (db) => db.prepare<[], number>('SELECT event_key FROM events').pluck().get() ?? 0);
    }
  });

  describe('opening files', () => {
    it('marks a new file as a ledger with its schema version', async () => {
      await ledgerWith(1);
      withRawConnection(path, (db) => {
        expect(db.pragma('application_id', { simple: true })).toBe(0x434c4447);
        expect(db.pragma('user_version', { simple: true })).toBe(1);
        expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
        const meta = Object.fromEntries(db.prepare<[], [string, string]>('SELECT key, value FROM meta').raw().all());
        expect(meta).toMatchObject({ format: 'compute-ledger/event-store', schema_version: '1' });
      });
    });

    it('refuses an SQLite database of another application and leaves it unchanged', () => {
      withRawConnection(path, (db) => db.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT); INSERT INTO invoices VALUES (1, '10.00')"));
      expectRefusedUnchanged(path, /not a compute-ledger event store/);
    });

    it('refuses a WAL-mode SQLite database of another application and leaves it unchanged', () => {
      withRawConnection(path, (db) => {
        db.pragma('journal_mode = WAL');
        db.exec('CREATE TABLE notes (body TEXT)');
      });
      expectRefusedUnchanged(path, /not a compute-ledger event store/);
    });

    it('refuses a file of random bytes and leaves it unchanged', () => {
      writeFileSync(path, randomBytes(8_192));
      expectRefusedUnchanged(path, /not an SQLite database/);
    });

    it('refuses a short text file and leaves it unchanged', () => {
      writeFileSync(path, 'position,stream\n0,lease-1\n');
      expectRefusedUnchanged(path, /not an SQLite database/);
    });

    it('refuses a ledger of a newer schema version and leaves it unchanged', async () => {
      await ledgerWith(3);
      withRawConnection(path, (db) => {
        db.pragma('user_version = 2');
        db.prepare("UPDATE meta SET value = '2' WHERE key = 'schema_version'").run();
      });
      expectRefusedUnchanged(path, /schema version 2, newer than 1/);
    });

    it('refuses a directory', () => {
      mkdirSync(path);
      expect(() => openSqliteEventStore({ path })).toThrow(StoreOpenError);
    });

    it('opens an empty file as a new ledger', async () => {
      writeFileSync(path, '');
      const store = openSqliteEventStore({ path });
      await store.append('lease-1', [usageEvent()], 'no_stream');
      await store.close();
      expect(await verifyFile()).toMatchObject({ ok: true, eventsChecked: 1 });
    });
  });

  describe('reopening', () => {
    it('keeps every event and continues the chain from the last hash', async () => {
      const before = await ledgerWith(20);
      const store = openSqliteEventStore({ path });
      expect(await readWholeLog(store)).toEqual(before);
      const next = await store.append('lease-0', [usageEvent()], 'stream_exists');
      expect(next.position).toBe(20);
      const anchor = before[19]!;
      expect(await store.verify({ position: anchor.position, hash: anchor.hash })).toMatchObject({ ok: true, eventsChecked: 1, headPosition: 20 });
      await store.close();
      expect(await verifyFile()).toMatchObject({ ok: true, eventsChecked: 21 });
    });
  });

  describe('two connections on one file, as two processes would have', () => {
    let first: SqliteEventStore;
    let second: SqliteEventStore;

    beforeEach(() => {
      first = openSqliteEventStore({ path });
      second = openSqliteEventStore({ path });
    });

    afterEach(async () => {
      await first.close();
      await second.close();
    });

    it('interleaved appends get contiguous positions and one valid chain', async () => {
      for (let round = 0; round < 10; round += 1) {
        await first.append('lease-a', usageEvents(2), 'any');
        await second.append('lease-b', usageEvents(3), 'any');
        await second.append('lease-a', [usageEvent()], 'any');
      }
      const log = await readWholeLog(first);
      expect(log.map((event) => event.position)).toEqual(log.map((_, index) => index));
      expect((await first.readStream('lease-a')).map((event) => event.revision)).toEqual([...Array(30).keys()]);
      expect(await second.verify()).toMatchObject({ ok: true, eventsChecked: 60 });
    });

    it('checks expectations against the other connection\'s appends', async () => {
      await first.append('lease-a', [usageEvent()], 'no_stream');
      await second.append('lease-a', [usageEvent()], 0);
      await expect(first.append('lease-a', [usageEvent()], 0)).rejects.toThrow(ConcurrencyError);
      expect((await first.append('lease-a', [usageEvent()], 1)).nextRevision).toBe(2);
    });

    it('recognizes a retry of the other connection\'s append', async () => {
      const events = usageEvents(2);
      const original = await first.append('lease-a', events, 'no_stream');
      expect(await second.append('lease-a', events, 'no_stream')).toEqual({ ...original, written: false });
    });

    it('keeps recordedAt non-decreasing across connections with different clocks', async () => {
      await first.close();
      await second.close();
      first = openSqliteEventStore({ path, clock: () => new Date('2026-03-01T12:00:00.000Z') });
      second = openSqliteEventStore({ path, clock: () => new Date('2026-03-01T08:00:00.000Z') });
      await first.append('lease-a', [usageEvent()], 'any');
      await second.append('lease-a', [usageEvent()], 'any');
      const times = (await second.readStream('lease-a')).map((event) => event.recordedAt);
      expect(times).toEqual(['2026-03-01T12:00:00.000Z', '2026-03-01T12:00:00.000Z']);
    });

    it('delivers to a subscription the appends made through the other connection', async () => {
      const delivered: RecordedEvent[] = [];
      const subscription = first.subscribe({ onEvents: (events) => void delivered.push(...events) });
      await subscription.caughtUp;
      await second.append('lease-b', usageEvents(3), 'no_stream');
      const deadline = Date.now() + subscriptionPollIntervalMs * 4;
      while (delivered.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      await subscription.close();
      expect(delivered.map((event) => event.position)).toEqual([0, 1, 2]);
    });
  });

  describe('batches and limits', () => {
    it('appends a batch of 10,000 readings over 2,000 streams in one call', async () => {
      const store = openSqliteEventStore({ path });
      const writes: StreamWrite[] = Array.from({ length: appendEventsMax }, (_, index) => ({
        streamId: `usage-lease-${index % 2_000}`,
        events: [usageEvent()],
        expectedRevision: 'any',
      }));
      const results = await store.appendMany(writes);
      expect(results).toHaveLength(appendEventsMax);
      expect(results[results.length - 1]).toEqual({ nextRevision: 4, position: appendEventsMax - 1, written: true });
      expect(await store.readStream('usage-lease-7')).toHaveLength(5);
      expect(await store.verify()).toMatchObject({ ok: true, eventsChecked: appendEventsMax });
      await store.close();
    });

    it('refuses calls over the limits', async () => {
      const store = openSqliteEventStore({ path });
      const tooMany: StreamWrite[] = Array.from({ length: appendEventsMax + 1 }, () => ({ streamId: 'lease-1', events: [usageEvent()], expectedRevision: 'any' }));
      await expect(store.appendMany(tooMany)).rejects.toThrow(RangeError);
      await expect(store.readAll({ limit: readPageEventsMax + 1 })).rejects.toThrow(RangeError);
      await expect(store.readAll({ limit: 0 })).rejects.toThrow(RangeError);
      await expect(store.readAll({ fromPosition: -1, limit: 1 })).rejects.toThrow(RangeError);
      await expect(store.appendMany([])).rejects.toThrow(RangeError);
      expect(await store.headPosition()).toBe(-1);
      await store.close();
    });

    it('refuses calls after close', async () => {
      const store = openSqliteEventStore({ path });
      await store.close();
      await expect(store.append('lease-1', [usageEvent()], 'any')).rejects.toThrow('closed');
    });
  });
});

/** Opening must fail with StoreOpenError and leave the file exactly as it was. */
async function waitUntil(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('the condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function expectRefusedUnchanged(path: string, message: RegExp): void {
  const before = readFileSync(path);
  expect(() => openSqliteEventStore({ path })).toThrow(StoreOpenError);
  expect(() => openSqliteEventStore({ path })).toThrow(message);
  expect(readFileSync(path).equals(before)).toBe(true);
}
