import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson, ConcurrencyError, DuplicateEventIdError } from '@compute-ledger/ledger';
import type { EventStore, EventToAppend, ExpectedRevision, RecordedEvent, StreamWrite } from '@compute-ledger/ledger';

/**
 * The contract every event store adapter passes: the SQLite adapter against a file and in
 * memory, the EventStoreDB adapter against its test double and a real server. An adapter
 * declares what it can do (an injected clock, appendMany, reopening, tampering with its
 * storage) and the tests that need more than it can do are skipped for it, never weakened.
 */

export interface ContractSubject {
  store: EventStore;
  /** Closes `store` and opens the same storage again. */
  reopen?: () => Promise<EventStore>;
  /** Changes the stored data of the event at `position` behind the store's back. */
  tamper?: (position: number) => Promise<void>;
  /** Closes whatever is open and removes the storage. */
  dispose: () => Promise<void>;
}

export interface ContractFactory {
  /** A fresh, empty store; `clock` is where recordedAt comes from when `supportsClock`. */
  create: (options: { clock: () => Date }) => Promise<ContractSubject>;
  supportsClock: boolean;
  supportsAppendMany: boolean;
  /** Subjects can reopen their storage. */
  supportsReopen: boolean;
  /** Subjects can tamper with their storage. */
  supportsTamper: boolean;
}

/** A clock the test sets; every store call that records reads it. */
export class TestClock {
  private current = new Date('2026-03-01T00:00:00.000Z');
  readonly read = (): Date => new Date(this.current.getTime());

  set(instant: string): void {
    this.current = new Date(instant);
  }

  advance(milliseconds: number): void {
    this.current = new Date(this.current.getTime() + milliseconds);
  }
}

let sequence = 0;

/** A usage-like event with an id no other test uses. */
export function usageEvent(overrides: Partial<EventToAppend> = {}): EventToAppend {
  sequence += 1;
  return {
    eventId: `event-${process.pid}-${sequence}`,
    type: 'UsageRecorded',
    schemaVersion: 1,
    data: { gpuHours: '12.5', leaseId: 'lease-1', readingId: `reading-${sequence}` },
    metadata: { actor: 'meter-agent' },
    ...overrides,
  };
}

export function usageEvents(count: number): EventToAppend[] {
  return Array.from({ length: count }, () => usageEvent());
}

const genesisHash = '0'.repeat(64);

/** The chain as the architecture defines it, recomputed here from the events alone. */
export function expectedHash(previousHash: string, event: RecordedEvent): string {
  const { position, streamId, revision, eventId, type, schemaVersion, data, metadata, recordedAt } = event;
  const canonical = canonicalJson({ position, streamId, revision, eventId, type, schemaVersion, data, metadata, recordedAt });
  return createHash('sha256').update(previousHash + canonical).digest('hex');
}

export async function readWholeLog(store: EventStore, pageEvents = 100): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ fromPosition: nextPosition(events), limit: pageEvents });
    if (page.length === 0) return events;
    events.push(...page);
  }
}

function nextPosition(events: readonly RecordedEvent[]): number {
  const last = events[events.length - 1];
  return last === undefined ? 0 : last.position + 1;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function describeEventStoreContract(name: string, factory: ContractFactory): void {
  describe(`${name}: event store contract`, () => {
    const clock = new TestClock();
    let subject: ContractSubject;
    let store: EventStore;

    beforeEach(async () => {
      clock.set('2026-03-01T00:00:00.000Z');
      subject = await factory.create({ clock: clock.read });
      store = subject.store;
    });

    afterEach(async () => {
      await subject.dispose();
    });

    describe('expected revision', () => {
      it('no_stream appends to a new stream and refuses an existing one', async () => {
        const result = await store.append('lease-1', [usageEvent()], 'no_stream');
        expect(result).toMatchObject({ nextRevision: 0, written: true });
        await expect(store.append('lease-1', [usageEvent()], 'no_stream')).rejects.toThrow(ConcurrencyError);
      });

      it('stream_exists refuses a missing stream and appends to an existing one', async () => {
        await expect(store.append('lease-1', [usageEvent()], 'stream_exists')).rejects.toThrow(ConcurrencyError);
        await store.append('lease-1', [usageEvent()], 'no_stream');
        const result = await store.append('lease-1', [usageEvent()], 'stream_exists');
        expect(result.nextRevision).toBe(1);
      });

      it('any appends to a missing stream and to an existing one', async () => {
        expect((await store.append('lease-1', [usageEvent()], 'any')).nextRevision).toBe(0);
        expect((await store.append('lease-1', usageEvents(2), 'any')).nextRevision).toBe(2);
      });

      it('a number must be the revision of the stream\'s last event', async () => {
        await expect(store.append('lease-1', [usageEvent()], 0)).rejects.toThrow(ConcurrencyError);
        await store.append('lease-1', usageEvents(2), 'no_stream');
        await expect(store.append('lease-1', [usageEvent()], 0)).rejects.toThrow(ConcurrencyError);
        await expect(store.append('lease-1', [usageEvent()], 2)).rejects.toThrow(ConcurrencyError);
        expect((await store.append('lease-1', [usageEvent()], 1)).nextRevision).toBe(2);
      });

      it('a ConcurrencyError names the stream, the expectation and what the stream holds', async () => {
        await store.append('lease-1', usageEvents(3), 'no_stream');
        const error = await store.append('lease-1', [usageEvent()], 0).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ streamId: 'lease-1', expected: '0', actual: '2' });
        const missing = await store.append('lease-2', [usageEvent()], 'stream_exists').catch((caught: unknown) => caught);
        expect(missing).toMatchObject({ streamId: 'lease-2', expected: 'stream_exists', actual: 'no_stream' });
      });

      it('a refused append writes nothing', async () => {
        await store.append('lease-1', [usageEvent()], 'no_stream');
        await expect(store.append('lease-1', usageEvents(3), 'no_stream')).rejects.toThrow(ConcurrencyError);
        expect(await store.readStream('lease-1')).toHaveLength(1);
        expect(await store.headPosition()).toBe((await store.readAll({ limit: 10 }))[0]?.position);
      });

      it('of concurrent appends expecting the same revision exactly one wins', async () => {
        await store.append('lease-1', [usageEvent()], 'no_stream');
        const attempts = await Promise.allSettled(Array.from({ length: 8 }, () => store.append('lease-1', usageEvents(2), 0)));
        const won = attempts.filter((attempt) => attempt.status === 'fulfilled');
        const lost = attempts.flatMap((attempt) => (attempt.status === 'rejected' ? [attempt.reason as unknown] : []));
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(7);
        for (const reason of lost) expect(reason).toBeInstanceOf(ConcurrencyError);
        expect(await store.readStream('lease-1')).toHaveLength(3);
      });

      it('of concurrent appends creating the same stream exactly one wins', async () => {
        const attempts = await Promise.allSettled(Array.from({ length: 5 }, () => store.append('lease-1', [usageEvent()], 'no_stream')));
        expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1);
        expect(await store.readStream('lease-1')).toHaveLength(1);
      });
    });

    describe('idempotent appends', () => {
      it('the same ids with the same content again write nothing and answer the recorded result', async () => {
        const events = usageEvents(3);
        const first = await store.append('lease-1', events, 'no_stream');
        await store.append('lease-1', usageEvents(2), 'any');
        const headBefore = await store.headPosition();
        // A retry after the stream moved on, with a stale expectation and another correlation id.
        const retried = events.map((event) => ({ ...event, metadata: { actor: 'meter-agent', correlationId: 'retry-2' } }));
        const retry = await store.append('lease-1', retried, 'no_stream');
        expect(retry).toEqual({ nextRevision: first.nextRevision, position: first.position, written: false });
        expect(await store.headPosition()).toBe(headBefore);
        expect(await store.readStream('lease-1')).toHaveLength(5);
      });

      it('the same data with its keys in another order is the same content', async () => {
        const event = usageEvent({ data: { a: '1', b: { c: 2, d: [true, null] } } });
        await store.append('lease-1', [event], 'no_stream');
        const reordered = { ...event, data: { b: { d: [true, null], c: 2 }, a: '1' } };
        expect((await store.append('lease-1', [reordered], 'no_stream')).written).toBe(false);
      });

      it('the same id with other data is a DuplicateEventIdError and writes nothing', async () => {
        const event = usageEvent();
        await store.append('lease-1', [event], 'no_stream');
        const changed = { ...event, data: { ...event.data, gpuHours: '99.0' } };
        await expect(store.append('lease-1', [changed], 'any')).rejects.toThrow(DuplicateEventIdError);
        expect(await store.readStream('lease-1')).toHaveLength(1);
      });

      it('the same id with another type, schema version or stream is a DuplicateEventIdError', async () => {
        const event = usageEvent();
        await store.append('lease-1', [event], 'no_stream');
        await expect(store.append('lease-1', [{ ...event, type: 'UsageCorrected' }], 'any')).rejects.toThrow(DuplicateEventIdError);
        await expect(store.append('lease-1', [{ ...event, schemaVersion: 2 }], 'any')).rejects.toThrow(DuplicateEventIdError);
        await expect(store.append('lease-2', [event], 'any')).rejects.toThrow(DuplicateEventIdError);
        expect(await store.readStream('lease-2')).toEqual([]);
      });

      it('a mix of recorded and new ids is refused, and the new ones are not written', async () => {
        const recorded = usageEvent();
        await store.append('lease-1', [recorded], 'no_stream');
        const fresh = usageEvent();
        const error = await store.append('lease-1', [recorded, fresh], 'any').catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect((await store.readStream('lease-1')).map((event) => event.eventId)).toEqual([recorded.eventId]);
      });

      it('an id twice in one append is refused', async () => {
        const event = usageEvent();
        await expect(store.append('lease-1', [event, event], 'any')).rejects.toThrow(DuplicateEventIdError);
        expect(await store.headPosition()).toBe(-1);
      });
    });

    describe('atomicity', () => {
      it('a multi-event append with one bad event leaves nothing behind', async () => {
        await store.append('lease-1', [usageEvent()], 'no_stream');
        const bad = usageEvent({ data: { gpuHours: Number.NaN } });
        await expect(store.append('lease-1', [usageEvent(), usageEvent(), bad], 0)).rejects.toThrow();
        expect(await store.readStream('lease-1')).toHaveLength(1);
        // The store carries on from where the log really is.
        expect((await store.append('lease-1', usageEvents(2), 0)).nextRevision).toBe(2);
        expect(await store.verify()).toMatchObject({ ok: true, eventsChecked: 3 });
      });

      it('refuses malformed appends before writing anything', async () => {
        await expect(store.append('lease-1', [], 'any')).rejects.toThrow(RangeError);
        await expect(store.append('', [usageEvent()], 'any')).rejects.toThrow();
        await expect(store.append('lease-1', [usageEvent({ eventId: '' })], 'any')).rejects.toThrow();
        await expect(store.append('lease-1', [usageEvent()], -1)).rejects.toThrow(RangeError);
        await expect(store.append('lease-1', [usageEvent({ schemaVersion: 0 })], 'any')).rejects.toThrow(RangeError);
        expect(await store.headPosition()).toBe(-1);
      });

      it.skipIf(!factory.supportsAppendMany)('appendMany writes several streams and answers one result per write', async () => {
        const results = await appendMany(store, [
          { streamId: 'lease-1', events: usageEvents(2), expectedRevision: 'no_stream' },
          { streamId: 'lease-2', events: usageEvents(1), expectedRevision: 'no_stream' },
          { streamId: 'lease-1', events: usageEvents(1), expectedRevision: 1 },
        ]);
        expect(results.map((result) => result.nextRevision)).toEqual([1, 0, 2]);
        expect(results.every((result) => result.written)).toBe(true);
        expect(results[2]?.position).toBe(await store.headPosition());
      });

      it.skipIf(!factory.supportsAppendMany)('appendMany with one failing write leaves none of its writes', async () => {
        await store.append('lease-3', [usageEvent()], 'no_stream');
        const attempt = appendMany(store, [
          { streamId: 'lease-1', events: usageEvents(2), expectedRevision: 'no_stream' },
          { streamId: 'lease-2', events: usageEvents(2), expectedRevision: 'any' },
          { streamId: 'lease-3', events: usageEvents(1), expectedRevision: 'no_stream' },
        ]);
        await expect(attempt).rejects.toThrow(ConcurrencyError);
        expect(await store.readStream('lease-1')).toEqual([]);
        expect(await store.readStream('lease-2')).toEqual([]);
        expect(await readWholeLog(store)).toHaveLength(1);
        expect((await store.append('lease-1', [usageEvent()], 'no_stream')).written).toBe(true);
        expect(await store.verify()).toMatchObject({ ok: true, eventsChecked: 2 });
      });

      it.skipIf(!factory.supportsAppendMany)('appendMany retried as a whole writes nothing the second time', async () => {
        const writes: StreamWrite[] = [
          { streamId: 'lease-1', events: usageEvents(2), expectedRevision: 'no_stream' },
          { streamId: 'lease-2', events: usageEvents(1), expectedRevision: 'no_stream' },
        ];
        const first = await appendMany(store, writes);
        const second = await appendMany(store, writes);
        expect(second).toEqual(first.map((result) => ({ ...result, written: false })));
        expect(await readWholeLog(store)).toHaveLength(3);
      });
    });

    describe('idempotent appends in a batch', () => {
      it.skipIf(!factory.supportsAppendMany)('appendMany with a retried write among new ones answers the recorded result for it and writes the others', async () => {
        // With `any` the retry's expectation holds, so nothing but its ids tells that it is recorded.
        const recorded: StreamWrite = { streamId: 'lease-1', events: usageEvents(2), expectedRevision: 'any' };
        const [first] = await appendMany(store, [recorded]);
        const fresh: StreamWrite[] = [
          { streamId: 'lease-2', events: usageEvents(2), expectedRevision: 'no_stream' },
          { streamId: 'lease-1', events: usageEvents(1), expectedRevision: 1 },
        ];
        const results = await appendMany(store, [fresh[0]!, recorded, fresh[1]!]);
        expect(results[1]).toEqual({ ...first, written: false });
        expect(results.map((result) => [result.nextRevision, result.written])).toEqual([[1, true], [1, false], [2, true]]);
        const log = await readWholeLog(store);
        expect(log.map((event) => event.eventId)).toEqual([...recorded.events, ...fresh[0]!.events, ...fresh[1]!.events].map((event) => event.eventId));
        const ids = log.map((event) => event.eventId);
        expect(await store.positionsOfEventIds(ids)).toEqual(new Map(log.map((event) => [event.eventId, event.position])));
      });
    });

    describe('order and reads', () => {
      it('gives every event a strictly increasing global position, in append order', async () => {
        const appended: string[] = [];
        for (let round = 0; round < 4; round += 1) {
          for (const streamId of ['lease-1', 'lease-2', 'lease-3']) {
            const events = usageEvents(round + 1);
            await store.append(streamId, events, 'any');
            appended.push(...events.map((event) => event.eventId));
          }
        }
        const log = await readWholeLog(store, 7);
        expect(log.map((event) => event.eventId)).toEqual(appended);
        for (let index = 1; index < log.length; index += 1) {
          expect(log[index]!.position).toBeGreaterThan(log[index - 1]!.position);
        }
        expect(await store.headPosition()).toBe(log[log.length - 1]?.position);
      });

      it('reads a stream in revision order, from a revision, with a limit', async () => {
        const events = usageEvents(5);
        await store.append('lease-1', events.slice(0, 2), 'no_stream');
        await store.append('lease-2', usageEvents(3), 'no_stream');
        await store.append('lease-1', events.slice(2), 1);
        const stream = await store.readStream('lease-1');
        expect(stream.map((event) => event.revision)).toEqual([0, 1, 2, 3, 4]);
        expect(stream.map((event) => event.eventId)).toEqual(events.map((event) => event.eventId));
        expect((await store.readStream('lease-1', 3)).map((event) => event.revision)).toEqual([3, 4]);
        expect((await store.readStream('lease-1', 1, 2)).map((event) => event.revision)).toEqual([1, 2]);
        expect(await store.readStream('lease-1', 5)).toEqual([]);
        expect(await store.readStream('lease-9')).toEqual([]);
      });

      it('answers events as appended, with store-set fields', async () => {
        const event = usageEvent({ data: { gpuHours: '1050.5', nested: { list: [1, 'two', false, null] } } });
        await store.append('lease-1', [event], 'no_stream');
        const [read] = await store.readStream('lease-1');
        expect(read).toMatchObject({ streamId: 'lease-1', revision: 0, eventId: event.eventId, type: event.type, schemaVersion: 1 });
        expect(read?.data).toEqual(event.data);
        expect(read?.metadata).toEqual(event.metadata);
        expect(read?.recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(read?.hash).toMatch(/^[0-9a-f]{64}$/);
        const withoutMetadata = usageEvent({ metadata: undefined });
        await store.append('lease-1', [withoutMetadata], 0);
        expect((await store.readStream('lease-1', 1))[0]?.metadata).toEqual({});
      });

      it('pages through the log with an inclusive fromPosition and a limit', async () => {
        for (let index = 0; index < 5; index += 1) await store.append(`lease-${index % 2}`, usageEvents(5), 'any');
        const log = await readWholeLog(store, 100);
        expect(log).toHaveLength(25);
        const third = log[2]!;
        const page = await store.readAll({ fromPosition: third.position, limit: 4 });
        expect(page.map((event) => event.eventId)).toEqual(log.slice(2, 6).map((event) => event.eventId));
        const paged = await readWholeLog(store, 3);
        expect(paged.map((event) => event.position)).toEqual(log.map((event) => event.position));
        expect(await store.readAll({ fromPosition: log[24]!.position + 1, limit: 10 })).toEqual([]);
      });

      it('reads an empty log', async () => {
        expect(await store.readAll({ limit: 10 })).toEqual([]);
        expect(await store.headPosition()).toBe(-1);
      });
    });

    describe('event ids and positions', () => {
      it('finds each recorded id at its position, whichever append and stream recorded it, and leaves unknown ids out', async () => {
        await store.append('lease-1', usageEvents(3), 'no_stream');
        await store.append('lease-2', usageEvents(2), 'no_stream');
        await store.append('lease-1', [usageEvent()], 2);
        const log = await readWholeLog(store);
        const asked = [usageEvent().eventId, ...log.map((event) => event.eventId).reverse(), `${log[0]!.eventId}-other`, log[0]!.eventId.slice(0, -1)];
        expect(await store.positionsOfEventIds(asked)).toEqual(new Map(log.map((event) => [event.eventId, event.position])));
        expect(await store.positionsOfEventIds([log[4]!.eventId])).toEqual(new Map([[log[4]!.eventId, log[4]!.position]]));
      });

      it('names the event id at each position, and leaves out positions the log does not hold', async () => {
        await store.append('lease-1', usageEvents(2), 'no_stream');
        await store.append('lease-2', usageEvents(3), 'no_stream');
        const log = await readWholeLog(store);
        const head = await store.headPosition();
        const beyond = [head + 1, head + 2, head + 1_000_000, -1, 0.5, Number.NaN];
        const asked = [...beyond, ...log.map((event) => event.position).reverse()];
        expect(await store.eventIdsAt(asked)).toEqual(new Map(log.map((event) => [event.position, event.eventId])));
        expect(await store.eventIdsAt([head + 1])).toEqual(new Map());
      });

      it('answers an id or a position asked more than once once, and an empty question or an empty log with an empty map', async () => {
        expect(await store.positionsOfEventIds([])).toEqual(new Map());
        expect(await store.eventIdsAt([])).toEqual(new Map());
        const never = usageEvent().eventId;
        expect(await store.positionsOfEventIds([never, never])).toEqual(new Map());
        expect(await store.eventIdsAt([0, 0, 1])).toEqual(new Map());
        const events = usageEvents(2);
        await store.append('lease-1', events, 'no_stream');
        const [first, second] = await readWholeLog(store);
        const ids = [first!.eventId, second!.eventId, first!.eventId, never, first!.eventId];
        expect(await store.positionsOfEventIds(ids)).toEqual(new Map([[first!.eventId, first!.position], [second!.eventId, second!.position]]));
        const positions = [second!.position, first!.position, second!.position];
        expect(await store.eventIdsAt(positions)).toEqual(new Map([[first!.position, first!.eventId], [second!.position, second!.eventId]]));
      });

      it('holds no id of a refused append, and a retry keeps its ids where they were first recorded', async () => {
        const events = usageEvents(2);
        const first = await store.append('lease-1', events, 'no_stream');
        const refused = usageEvents(2);
        await expect(store.append('lease-1', refused, 'no_stream')).rejects.toThrow(ConcurrencyError);
        await store.append('lease-2', usageEvents(1), 'no_stream');
        expect((await store.append('lease-1', events, 'any')).written).toBe(false);
        const log = await readWholeLog(store);
        expect(log[1]?.position).toBe(first.position);
        const ids = [...events, ...refused].map((event) => event.eventId);
        expect(await store.positionsOfEventIds(ids)).toEqual(new Map(log.slice(0, 2).map((event) => [event.eventId, event.position])));
      });

      it('answers more ids and positions than an adapter reads at once, most of the ids not recorded', async () => {
        for (let round = 0; round < 5; round += 1) await store.append(`lease-${round % 2}`, usageEvents(1_000), 'any');
        const log = await readWholeLog(store, 1_000);
        const absent = Array.from({ length: 10_000 }, (_, index) => `absent-${process.pid}-${index}`);
        const asked = absent.flatMap((eventId, index) => (index % 2 === 0 ? [eventId, log[index / 2]!.eventId] : [eventId]));
        expect(await store.positionsOfEventIds(asked)).toEqual(new Map(log.map((event) => [event.eventId, event.position])));
        const positions = [...log.map((event) => event.position), ...Array.from({ length: 5_000 }, (_, index) => log.length + index)];
        expect(await store.eventIdsAt(positions)).toEqual(new Map(log.map((event) => [event.position, event.eventId])));
      });
    });

    describe('subscriptions', () => {
      it('catches up from the start, then delivers live appends in order, each once', async () => {
        await store.append('lease-1', usageEvents(5), 'no_stream');
        const delivered: RecordedEvent[] = [];
        let caughtUpAfter = -1;
        const subscription = store.subscribe({
          onEvents: (events) => {
            delivered.push(...events);
          },
          onCaughtUp: () => {
            caughtUpAfter = delivered.length;
          },
        });
        await subscription.caughtUp;
        expect(caughtUpAfter).toBe(5);
        await store.append('lease-2', usageEvents(3), 'no_stream');
        await store.append('lease-1', usageEvents(2), 4);
        await waitFor(() => delivered.length >= 10, 2_000);
        await subscription.close();
        const log = await readWholeLog(store);
        expect(delivered.map((event) => event.eventId)).toEqual(log.map((event) => event.eventId));
      });

      it('starts after a checkpoint', async () => {
        await store.append('lease-1', usageEvents(4), 'no_stream');
        const log = await readWholeLog(store);
        const delivered: RecordedEvent[] = [];
        const subscription = store.subscribe({ afterPosition: log[1]!.position, onEvents: (events) => void delivered.push(...events) });
        await subscription.caughtUp;
        await subscription.close();
        expect(delivered.map((event) => event.eventId)).toEqual(log.slice(2).map((event) => event.eventId));
      });

      it('catches up at once on an empty log and then receives the first events', async () => {
        const delivered: RecordedEvent[] = [];
        const subscription = store.subscribe({ onEvents: (events) => void delivered.push(...events) });
        await subscription.caughtUp;
        await store.append('lease-1', usageEvents(2), 'no_stream');
        await waitFor(() => delivered.length === 2, 2_000);
        await subscription.close();
      });

      it('waits for the handler before it delivers the next batch', async () => {
        let inHandler = 0;
        let overlapped = false;
        const delivered: number[] = [];
        const subscription = store.subscribe({
          onEvents: async (events) => {
            inHandler += 1;
            overlapped ||= inHandler > 1;
            await new Promise((resolve) => setTimeout(resolve, 10));
            delivered.push(...events.map((event) => event.position));
            inHandler -= 1;
          },
        });
        await subscription.caughtUp;
        for (let index = 0; index < 10; index += 1) await store.append('lease-1', [usageEvent()], 'any');
        await waitFor(() => delivered.length === 10, 3_000);
        await subscription.close();
        expect(overlapped).toBe(false);
        expect(delivered).toEqual([...delivered].sort((a, b) => a - b));
        expect(new Set(delivered).size).toBe(10);
      });

      it('delivers nothing after close', async () => {
        const delivered: RecordedEvent[] = [];
        const subscription = store.subscribe({ onEvents: (events) => void delivered.push(...events) });
        await subscription.caughtUp;
        await subscription.close();
        await store.append('lease-1', usageEvents(2), 'no_stream');
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(delivered).toEqual([]);
      });

      it('stops and reports when the handler fails', async () => {
        await store.append('lease-1', usageEvents(2), 'no_stream');
        const errors: Error[] = [];
        let calls = 0;
        const subscription = store.subscribe({
          onEvents: () => {
            calls += 1;
            throw new Error('projection broke');
          },
          onError: (error) => errors.push(error),
        });
        await expect(subscription.caughtUp).rejects.toThrow('projection broke');
        await store.append('lease-1', usageEvents(1), 'any');
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(calls).toBe(1);
        expect(errors.map((error) => error.message)).toEqual(['projection broke']);
        await subscription.close();
      });
    });

    describe.skipIf(!factory.supportsClock)('recordedAt and knownAt', () => {
      it('records the clock in ISO-8601 UTC with milliseconds', async () => {
        clock.set('2026-03-01T10:15:30.123Z');
        await store.append('lease-1', [usageEvent()], 'no_stream');
        expect((await store.readStream('lease-1'))[0]?.recordedAt).toBe('2026-03-01T10:15:30.123Z');
      });

      it('never lets recordedAt go backwards, even when the clock does', async () => {
        clock.set('2026-03-01T10:00:00.000Z');
        await store.append('lease-1', [usageEvent()], 'no_stream');
        clock.set('2026-03-01T09:00:00.000Z');
        await store.append('lease-1', [usageEvent()], 0);
        clock.set('2026-03-01T11:00:00.000Z');
        await store.append('lease-1', [usageEvent()], 1);
        const times = (await store.readStream('lease-1')).map((event) => event.recordedAt);
        expect(times).toEqual(['2026-03-01T10:00:00.000Z', '2026-03-01T10:00:00.000Z', '2026-03-01T11:00:00.000Z']);
        expect(await store.positionKnownAt('2026-03-01T09:30:00.000Z')).toBe(-1);
      });

      it('answers the log as it was known at an instant', async () => {
        const positions: number[] = [];
        for (const [hour, count] of [[8, 2], [9, 3], [10, 1]] as const) {
          clock.set(`2026-03-01T${String(hour).padStart(2, '0')}:00:00.000Z`);
          positions.push((await store.append(`lease-${hour}`, usageEvents(count), 'no_stream')).position);
        }
        expect(await store.positionKnownAt('2026-03-01T07:59:59.999Z')).toBe(-1);
        expect(await store.positionKnownAt('2026-03-01T08:00:00.000Z')).toBe(positions[0]);
        expect(await store.positionKnownAt('2026-03-01T09:30:00Z')).toBe(positions[1]);
        expect(await store.positionKnownAt('2026-03-01T11:30:00+01:00')).toBe(positions[2]);
        expect(await store.positionKnownAt('2027-01-01T00:00:00.000Z')).toBe(positions[2]);
        const known = await store.readAll({ limit: 100, knownAt: '2026-03-01T09:59:59.999Z' });
        expect(known).toHaveLength(5);
        expect(known[known.length - 1]?.position).toBe(positions[1]);
        expect(await store.readAll({ limit: 100, knownAt: '2026-03-01T07:00:00.000Z' })).toEqual([]);
      });

      it('refuses an instant without a zone', async () => {
        await expect(store.positionKnownAt('2026-03-01T09:30:00')).rejects.toThrow(RangeError);
        await expect(store.readAll({ limit: 1, knownAt: 'yesterday' })).rejects.toThrow(RangeError);
      });
    });

    describe('tamper evidence', () => {
      it('verifies an empty log', async () => {
        expect(await store.verify()).toEqual({ ok: true, eventsChecked: 0, headPosition: -1, headHash: genesisHash });
      });

      it('chains every event to the one before with sha256 over canonical JSON', async () => {
        await store.append('lease-1', usageEvents(3), 'no_stream');
        await store.append('lease-2', [usageEvent({ metadata: undefined, data: { z: 1, a: [{ y: 'x', b: null }] } })], 'no_stream');
        const log = await readWholeLog(store);
        let previousHash = genesisHash;
        for (const event of log) {
          expect(event.hash).toBe(expectedHash(previousHash, event));
          previousHash = event.hash;
        }
        const last = log[log.length - 1]!;
        expect(await store.verify()).toEqual({ ok: true, eventsChecked: 4, headPosition: last.position, headHash: last.hash });
      });

      it('verifies from a known position and hash onward', async () => {
        await store.append('lease-1', usageEvents(4), 'no_stream');
        const log = await readWholeLog(store);
        const anchor = log[1]!;
        const last = log[3]!;
        expect(await store.verify({ position: anchor.position, hash: anchor.hash })).toEqual({
          ok: true,
          eventsChecked: 2,
          headPosition: last.position,
          headHash: last.hash,
        });
        const wrong = await store.verify({ position: anchor.position, hash: genesisHash });
        expect(wrong).toMatchObject({ ok: false, firstInvalidPosition: anchor.position });
      });

      it.skipIf(!factory.supportsTamper)('names the event whose stored data was changed', async () => {
        for (let index = 0; index < 4; index += 1) await store.append(`lease-${index}`, usageEvents(3), 'no_stream');
        const log = await readWholeLog(store);
        const victim = log[7]!;
        await subject.tamper?.(victim.position);
        expect(await store.verify()).toMatchObject({ ok: false, firstInvalidPosition: victim.position });
      });
    });

    describe.skipIf(!factory.supportsReopen)('durability', () => {
      it('keeps every event across a reopen and continues the chain', async () => {
        await store.append('lease-1', usageEvents(3), 'no_stream');
        const before = await readWholeLog(store);
        const verified = await store.verify();
        store = await subject.reopen!();
        expect(await readWholeLog(store)).toEqual(before);
        expect(await store.positionsOfEventIds(before.map((event) => event.eventId))).toEqual(new Map(before.map((event) => [event.eventId, event.position])));
        expect(await store.eventIdsAt(before.map((event) => event.position))).toEqual(new Map(before.map((event) => [event.position, event.eventId])));
        const next = await store.append('lease-1', [usageEvent()], 2);
        expect(next.nextRevision).toBe(3);
        const after = await store.verify();
        expect(after).toMatchObject({ ok: true, eventsChecked: 4 });
        if (verified.ok) expect(await store.verify({ position: verified.headPosition, hash: verified.headHash })).toMatchObject({ ok: true, eventsChecked: 1 });
      });
    });

    describe('against a model', () => {
      it('keeps the streams a simple model predicts, for random appends and expectations', async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(appendCommand, { minLength: 1, maxLength: 25 }), async (commands) => {
            const modelSubject = await factory.create({ clock: clock.read });
            try {
              await checkAgainstModel(modelSubject.store, commands);
            } finally {
              await modelSubject.dispose();
            }
          }),
          { numRuns: 25 },
        );
      });

      it('finds ids and positions where a simple model of the log puts them, for random appends, retries and questions', async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(appendCommand, { minLength: 1, maxLength: 15 }), fc.array(lookupQuestion, { minLength: 1, maxLength: 4 }), async (commands, questions) => {
            const modelSubject = await factory.create({ clock: clock.read });
            try {
              await checkLookupsAgainstModel(modelSubject.store, commands, questions);
            } finally {
              await modelSubject.dispose();
            }
          }),
          { numRuns: 25 },
        );
      });
    });
  });
}

async function appendMany(store: EventStore, writes: readonly StreamWrite[]) {
  if (!store.appendMany) throw new Error('the adapter has no appendMany');
  return store.appendMany(writes);
}

type ExpectationKind = 'any' | 'no_stream' | 'stream_exists' | 'exact' | 'off_by_one';

interface AppendCommand {
  stream: number;
  eventCount: number;
  expectation: ExpectationKind;
  /** Retry the nth earlier successful append (modulo their count) instead, when there is one. */
  retryOf: number | null;
}

const appendCommand: fc.Arbitrary<AppendCommand> = fc.record({
  stream: fc.integer({ min: 0, max: 2 }),
  eventCount: fc.integer({ min: 1, max: 3 }),
  expectation: fc.constantFrom<ExpectationKind>('any', 'no_stream', 'stream_exists', 'exact', 'off_by_one'),
  retryOf: fc.option(fc.nat(), { freq: 4 }),
});

interface ModelAppend {
  streamId: string;
  events: EventToAppend[];
  result: { nextRevision: number; position: number };
}

/** Runs the commands against the store and against plain arrays, and compares the two. */
async function checkAgainstModel(store: EventStore, commands: readonly AppendCommand[]): Promise<void> {
  const model = new Map<string, EventToAppend[]>();
  const successes: ModelAppend[] = [];
  for (const command of commands) {
    const earlier = command.retryOf === null || successes.length === 0 ? undefined : successes[command.retryOf % successes.length];
    if (earlier) {
      const retry = await store.append(earlier.streamId, earlier.events, 'any');
      expect(retry).toEqual({ ...earlier.result, written: false });
      continue;
    }
    const streamId = `stream-${command.stream}`;
    const recorded = model.get(streamId) ?? [];
    const events = usageEvents(command.eventCount);
    const expected = expectationFor(command.expectation, recorded.length - 1);
    if (!modelAccepts(command.expectation, recorded.length - 1)) {
      await expect(store.append(streamId, events, expected)).rejects.toThrow(ConcurrencyError);
      continue;
    }
    const result = await store.append(streamId, events, expected);
    expect(result.nextRevision).toBe(recorded.length + events.length - 1);
    model.set(streamId, [...recorded, ...events]);
    successes.push({ streamId, events, result: { nextRevision: result.nextRevision, position: result.position } });
  }
  for (const [streamId, events] of model) {
    const stream = await store.readStream(streamId);
    expect(stream.map((event) => event.eventId)).toEqual(events.map((event) => event.eventId));
    expect(stream.map((event) => event.revision)).toEqual(events.map((_, index) => index));
  }
  const total = [...model.values()].reduce((count, events) => count + events.length, 0);
  expect(await readWholeLog(store)).toHaveLength(total);
  expect(await store.verify()).toMatchObject({ ok: true, eventsChecked: total });
}

/** Which ids and positions one question asks: indexes into the model's log, shifted past its end to ask what is not there. */
interface LookupQuestion {
  /** Indexes into the recorded ids; one at or past their count asks an id never recorded. */
  ids: number[];
  /** Offsets from the first position: at or past the count of events asks beyond the head, below 0 before the log. */
  positions: number[];
}

const lookupQuestion: fc.Arbitrary<LookupQuestion> = fc.record({
  ids: fc.array(fc.nat({ max: 60 }), { maxLength: 30 }),
  positions: fc.array(fc.integer({ min: -3, max: 60 }), { maxLength: 30 }),
});

/**
 * Runs the appends against the store and keeps the log they make as the model does (the ids in
 * append order, the position an append answers for its last event), then asks the questions:
 * every recorded id is at its place in the log, every other id and position is absent.
 */
async function checkLookupsAgainstModel(store: EventStore, commands: readonly AppendCommand[], questions: readonly LookupQuestion[]): Promise<void> {
  const modelLog: string[] = [];
  const lastOfAppends = new Map<string, number>();
  const successes: { streamId: string; events: EventToAppend[] }[] = [];
  for (const command of commands) {
    const earlier = command.retryOf === null || successes.length === 0 ? undefined : successes[command.retryOf % successes.length];
    if (earlier !== undefined) {
      // A retry records nothing: its ids stay where the first attempt put them.
      expect((await store.append(earlier.streamId, earlier.events, 'any')).written).toBe(false);
      continue;
    }
    const streamId = `stream-${command.stream}`;
    const events = usageEvents(command.eventCount);
    const result = await store.append(streamId, events, 'any');
    modelLog.push(...events.map((event) => event.eventId));
    lastOfAppends.set(events[events.length - 1]!.eventId, result.position);
    successes.push({ streamId, events });
  }
  const log = await readWholeLog(store);
  expect(log.map((event) => event.eventId)).toEqual(modelLog);
  const positionOf = new Map(log.map((event) => [event.eventId, event.position]));
  for (const [eventId, position] of lastOfAppends) expect(positionOf.get(eventId)).toBe(position);
  const firstPosition = log[0]?.position ?? 0;
  for (const question of questions) {
    const ids = question.ids.map((index) => modelLog[index] ?? `never-recorded-${index}`);
    const expectedPositions = new Map(ids.flatMap((eventId) => (positionOf.has(eventId) ? [[eventId, positionOf.get(eventId)!] as const] : [])));
    expect(await store.positionsOfEventIds(ids)).toEqual(expectedPositions);
    const positions = question.positions.map((offset) => firstPosition + offset);
    const expectedIds = new Map(positions.flatMap((position) => {
      const event = log.find((recorded) => recorded.position === position);
      return event === undefined ? [] : [[position, event.eventId] as const];
    }));
    expect(await store.eventIdsAt(positions)).toEqual(expectedIds);
  }
}

function expectationFor(kind: ExpectationKind, currentRevision: number): ExpectedRevision {
  if (kind === 'exact') return Math.max(currentRevision, 0);
  if (kind === 'off_by_one') return currentRevision + 1;
  return kind;
}

function modelAccepts(kind: ExpectationKind, currentRevision: number): boolean {
  switch (kind) {
    case 'any':
      return true;
    case 'no_stream':
      return currentRevision === -1;
    case 'stream_exists':
      return currentRevision >= 0;
    case 'exact':
      return currentRevision >= 0;
    case 'off_by_one':
      return false;
  }
}
