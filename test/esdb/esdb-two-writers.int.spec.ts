import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConcurrencyError, DuplicateEventIdError } from '@compute-ledger/ledger';
import { openEsdbEventStore } from '@compute-ledger/store-esdb';
import type { AppendResult, EventStore } from '@compute-ledger/ledger';
import { expectedHash, readWholeLog, usageEvent, usageEvents } from '../store/event-store.contract.js';
import { startEsdbDouble } from './double/esdb-double.js';
import type { EsdbDouble } from './double/esdb-double.js';
import { freshPrefix } from './esdb-fixtures.js';

/**
 * Two store instances on one server, as two API instances would be: the log stays one chain,
 * each sees what the other recorded, and a check made on one instance's fold cannot be
 * overtaken by the other's append.
 */
describe('two EventStoreDB store instances on one server', () => {
  let double: EsdbDouble;
  let prefix: string;
  let first: EventStore;
  let second: EventStore;

  beforeAll(async () => {
    double = await startEsdbDouble();
  });

  afterAll(async () => {
    await double.stop();
  });

  beforeEach(async () => {
    prefix = freshPrefix('pair');
    [first, second] = await Promise.all([openEsdbEventStore({ connectionString: double.url, streamPrefix: prefix }), openEsdbEventStore({ connectionString: double.url, streamPrefix: prefix })]);
  });

  afterEach(async () => {
    await Promise.all([first.close(), second.close()]);
  });

  it('keeps one linear chain without holes when both append at once', async () => {
    const rounds = 20;
    const appendRounds = async (store: EventStore, own: string): Promise<AppendResult[]> => {
      const results: AppendResult[] = [];
      for (let round = 0; round < rounds; round += 1) results.push(await store.append(round % 2 === 0 ? 'shared' : own, usageEvents(2), 'any'));
      return results;
    };
    const [fromFirst, fromSecond] = await Promise.all([appendRounds(first, 'first-own'), appendRounds(second, 'second-own')]);
    const log = await readWholeLog(second);
    expect(log.map((event) => event.position)).toEqual(log.map((_, index) => index));
    let previousHash = '0'.repeat(64);
    for (const event of log) {
      expect(event.hash).toBe(expectedHash(previousHash, event));
      previousHash = event.hash;
    }
    const answered = [...fromFirst, ...fromSecond].map((result) => result.position).sort((a, b) => a - b);
    expect(answered).toEqual(log.filter((event) => event.revision % 2 === 1).map((event) => event.position));
    const shared = await first.readStream('shared');
    expect(shared.map((event) => event.revision)).toEqual(shared.map((_, index) => index));
    expect(shared).toHaveLength(2 * rounds);
    expect(await first.verify()).toMatchObject({ ok: true, eventsChecked: 4 * rounds });
  });

  it('recognizes an event id the other instance recorded, as a repeat or as a reuse', async () => {
    const event = usageEvent();
    const recorded = await first.append('lease-1', [event], 'no_stream');
    expect(await second.append('lease-1', [event], 'no_stream')).toEqual({ ...recorded, written: false });
    await expect(second.append('lease-1', [{ ...event, data: { ...event.data, gpuHours: '99' } }], 'any')).rejects.toThrow(DuplicateEventIdError);
    await expect(second.append('lease-2', [event], 'any')).rejects.toThrow(DuplicateEventIdError);
    expect(await readWholeLog(second)).toHaveLength(1);
  });

  it('lets only one of two instances record a new id, even in different streams at the same moment', async () => {
    for (let round = 0; round < 10; round += 1) {
      const event = usageEvent();
      const attempts = await Promise.allSettled([first.append('lease-a', [event], 'any'), second.append('lease-b', [event], 'any')]);
      expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1);
      const refused = attempts.find((attempt) => attempt.status === 'rejected');
      expect(refused?.status === 'rejected' ? refused.reason : undefined).toBeInstanceOf(DuplicateEventIdError);
    }
    expect(await readWholeLog(first)).toHaveLength(10);
  });

  it('lets only one of two instances append at the same expected revision', async () => {
    await first.append('lease-1', [usageEvent()], 'no_stream');
    for (let revision = 0; revision < 10; revision += 1) {
      const attempts = await Promise.allSettled([first.append('lease-1', [usageEvent()], revision), second.append('lease-1', [usageEvent()], revision)]);
      expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1);
      const refused = attempts.find((attempt) => attempt.status === 'rejected');
      expect(refused?.status === 'rejected' ? refused.reason : undefined).toBeInstanceOf(ConcurrencyError);
    }
    expect((await second.readStream('lease-1')).map((event) => event.revision)).toEqual([...Array(11).keys()]);
  });

  it('reads on one instance every append the other acknowledged, at once, and only what it holds', async () => {
    for (let round = 0; round < 10; round += 1) {
      const writer = round % 2 === 0 ? first : second;
      const reader = round % 2 === 0 ? second : first;
      const event = usageEvent();
      await writer.append(round % 3 === 0 ? 'lease-2' : 'lease-1', [event], 'any');
      // No link to wait for: the reader folds the log to its head before it reads.
      expect((await reader.readStream(round % 3 === 0 ? 'lease-2' : 'lease-1')).at(-1)?.eventId).toBe(event.eventId);
    }
    expect((await first.readStream('lease-1')).map((event) => event.revision)).toEqual([...Array(6).keys()]);
    expect((await second.readStream('lease-2')).map((event) => event.revision)).toEqual([...Array(4).keys()]);
    expect(await first.readStream('lease-3')).toEqual([]);
    expect(await second.readStream('lease-1', 6)).toEqual([]);
  });

  it('appends through a short outage of the node: the caller sees the append written and its stream complete, on both instances', async () => {
    const stopFailing = double.failAppends((streamName) => streamName === `${prefix}ledger-log`);
    setTimeout(stopFailing, 150);
    const event = usageEvent();
    expect(await first.append('lease-1', [event], 'no_stream')).toMatchObject({ written: true });
    expect((await first.readStream('lease-1')).map((recorded) => recorded.eventId)).toEqual([event.eventId]);
    expect((await second.readStream('lease-1')).map((recorded) => recorded.eventId)).toEqual([event.eventId]);
    expect(double.log.stream(`${prefix}lease-1`)).toBeUndefined();
  });

  it('follows the other instance\'s appends live', async () => {
    const delivered: string[] = [];
    const subscription = first.subscribe({ onEvents: (events) => void delivered.push(...events.map((event) => event.eventId)) });
    await subscription.caughtUp;
    const events = usageEvents(3);
    await second.append('lease-1', events, 'no_stream');
    const deadline = Date.now() + 2_000;
    while (delivered.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await subscription.close();
    expect(delivered).toEqual(events.map((event) => event.eventId));
  });
});
