import { describe, expect, it } from 'vitest';
import type { UsageRecordBody } from '@compute-ledger/contracts';
import { LedgerCommands, UsageBatchRefusedError, usageStream, type EventStore } from '@compute-ledger/ledger';
import { InMemoryEventStore } from '../support/in-memory-event-store.js';
import { workedExampleAllocation, workedExampleLease, workedExampleNovemberReadings, workedExampleSite, workedExampleTenant } from '../support/worked-example.js';

/**
 * Group commit of usage batches (libs/ledger/src/application/usage-group-commit.ts): batches
 * sent at the same moment are appended in one transaction, yet each is decided, refused and
 * counted as if the batches had been recorded one after another, in the order they came.
 */

const clock = (): Date => new Date('2025-12-15T00:00:00Z');
const first = { actor: 'key:meter-a', correlationId: 'req-a' };
const second = { actor: 'key:meter-b', correlationId: 'req-b' };
const third = { actor: 'key:meter-c', correlationId: 'req-c' };

/** The worked example's tenant, site and lease L-1001, and a second lease L-2002 on the same site, both allocated. */
async function twoLeases(store: EventStore): Promise<LedgerCommands> {
  const commands = new LedgerCommands({ store, currency: 'USD', clock });
  await commands.registerTenant(workedExampleTenant, first);
  await commands.commissionSite(workedExampleSite, first);
  await commands.signLease(workedExampleLease, first);
  await commands.allocateCapacity(workedExampleAllocation, first);
  await commands.signLease({ ...workedExampleLease, leaseId: 'L-2002' }, first);
  await commands.allocateCapacity({ ...workedExampleAllocation, allocationId: 'A-2002-1', leaseId: 'L-2002' }, first);
  return commands;
}

/** The worked example's November readings, for L-1001 or, renamed, for another lease. */
function readings(from: number, to: number, leaseId = 'L-1001'): UsageRecordBody[] {
  return workedExampleNovemberReadings()
    .slice(from, to)
    .map((record) => (leaseId === 'L-1001' ? record : { ...record, leaseId, readingId: record.readingId.replace('R-1001', `R-${leaseId}`) }));
}

/** Counts the store's appendMany transactions and the events of each. */
function countTransactions(store: InMemoryEventStore): number[] {
  const appendMany = store.appendMany;
  if (appendMany === undefined) throw new Error('the store has appendMany');
  const events: number[] = [];
  store.appendMany = (writes) => {
    events.push(writes.reduce((count, write) => count + write.events.length, 0));
    return appendMany(writes);
  };
  return events;
}

function refusal(caught: unknown): UsageBatchRefusedError {
  if (!(caught instanceof UsageBatchRefusedError)) throw new Error(`expected a refused batch, got ${String(caught)}`);
  return caught;
}

describe('group commit of usage batches', () => {
  it('appends batches sent at the same moment in one transaction, each with its own counts and metadata, chaining the revisions of a shared lease', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await twoLeases(store);
    const transactions = countTransactions(store);
    const a = [...readings(0, 60), ...readings(0, 40, 'L-2002')];
    const b = [...readings(60, 100), ...readings(40, 100, 'L-2002')];
    const answers = await Promise.all([commands.recordUsage({ records: a }, first), commands.recordUsage({ records: b }, second)]);
    expect(answers).toEqual([
      { outcome: 'created', accepted: 100, duplicates: 0 },
      { outcome: 'created', accepted: 100, duplicates: 0 },
    ]);
    expect(transactions).toEqual([200]);
    // One write per usage stream: the first batch's readings of the lease, then the second's, revisions 0..99 in order.
    const stream = store.streamEvents(usageStream('L-1001'));
    expect(stream.map((event) => event.revision)).toEqual(Array.from({ length: 100 }, (_, index) => index));
    expect(stream.map((event) => event.data['readingId'])).toEqual(readings(0, 100).map((record) => record.readingId));
    expect(stream.map((event) => event.metadata.correlationId)).toEqual([...Array<string>(60).fill('req-a'), ...Array<string>(40).fill('req-b')]);
    expect(store.streamEvents(usageStream('L-2002')).map((event) => event.metadata.actor)).toEqual([...Array<string>(40).fill('key:meter-a'), ...Array<string>(60).fill('key:meter-b')]);
  });

  it('counts a reading sent in two batches of one group once: accepted by the first, a duplicate for the second', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await twoLeases(store);
    await commands.recordUsage({ records: readings(0, 10) }, first);
    const transactions = countTransactions(store);
    // 0..9 recorded before; the first batch sends 5..54 (45 new), the second 30..79 (25 of them the first's, 25 new).
    const answers = await Promise.all([commands.recordUsage({ records: readings(5, 55) }, first), commands.recordUsage({ records: readings(30, 80) }, second)]);
    expect(answers).toEqual([
      { outcome: 'created', accepted: 45, duplicates: 5 },
      { outcome: 'created', accepted: 25, duplicates: 25 },
    ]);
    expect(transactions).toEqual([70]);
    expect(store.streamEvents(usageStream('L-1001')).map((event) => event.data['readingId'])).toEqual(readings(0, 80).map((record) => record.readingId));
    // A batch wholly sent before by another of its group records nothing.
    const again = await Promise.all([commands.recordUsage({ records: readings(80, 90) }, first), commands.recordUsage({ records: readings(80, 90) }, second)]);
    expect(again).toEqual([
      { outcome: 'created', accepted: 10, duplicates: 0 },
      { outcome: 'unchanged', accepted: 0, duplicates: 10 },
    ]);
  });

  it('refuses a batch of the group on its own: the others are recorded, its readings are not', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await twoLeases(store);
    const transactions = countTransactions(store);
    const broken = readings(20, 30).map((record, index) => (index === 3 ? { ...record, leaseId: 'L-404' } : record));
    const [a, b, c] = await Promise.allSettled([
      commands.recordUsage({ records: readings(0, 20) }, first),
      commands.recordUsage({ records: broken }, second),
      commands.recordUsage({ records: readings(30, 50) }, third),
    ]);
    expect(a).toEqual({ status: 'fulfilled', value: { outcome: 'created', accepted: 20, duplicates: 0 } });
    expect(c).toEqual({ status: 'fulfilled', value: { outcome: 'created', accepted: 20, duplicates: 0 } });
    expect(b?.status).toBe('rejected');
    expect(refusal(b?.status === 'rejected' ? b.reason : undefined).recordErrors).toEqual([{ index: 3, readingId: broken[3]?.readingId, message: 'lease L-404 does not exist', kind: 'rule' }]);
    expect(transactions).toEqual([40]);
    const recorded = store.streamEvents(usageStream('L-1001')).map((event) => event.data['readingId']);
    expect(recorded).toEqual([...readings(0, 20), ...readings(30, 50)].map((record) => record.readingId));
  });

  it('refuses only the later batch when two batches of a group send one reading with different content', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await twoLeases(store);
    const transactions = countTransactions(store);
    const b = readings(10, 30).map((record, index) => (index === 5 ? { ...record, gpuHours: '1000' } : record));
    const [answerA, answerB] = await Promise.allSettled([commands.recordUsage({ records: readings(0, 20) }, first), commands.recordUsage({ records: b }, second)]);
    expect(answerA).toEqual({ status: 'fulfilled', value: { outcome: 'created', accepted: 20, duplicates: 0 } });
    const refused = refusal(answerB?.status === 'rejected' ? answerB.reason : undefined);
    expect(refused.recordErrors).toEqual([{ index: 5, readingId: b[5]?.readingId, message: `reading ${b[5]?.readingId} is already recorded with other content`, kind: 'conflict' }]);
    expect(transactions).toEqual([20]);
    // Nothing of the refused batch, not even its readings that were new (20..29).
    expect(store.streamEvents(usageStream('L-1001'))).toHaveLength(20);
    expect(store.streamEvents(usageStream('L-1001')).map((event) => event.data['gpuHours'])).toEqual(Array<string>(20).fill('1050'));
  });

  it('refuses a later batch of the group that sends for another lease a reading an earlier one records, before the store would refuse the transaction', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await twoLeases(store);
    const transactions = countTransactions(store);
    const [reading] = readings(0, 1);
    if (reading === undefined) throw new Error('no reading');
    const b = [...readings(0, 5, 'L-2002'), { ...reading, leaseId: 'L-2002' }];
    const [answerA, answerB, answerC] = await Promise.allSettled([
      commands.recordUsage({ records: [reading] }, first),
      commands.recordUsage({ records: b }, second),
      commands.recordUsage({ records: readings(5, 10, 'L-2002') }, third),
    ]);
    expect(answerA).toEqual({ status: 'fulfilled', value: { outcome: 'created', accepted: 1, duplicates: 0 } });
    expect(answerC).toEqual({ status: 'fulfilled', value: { outcome: 'created', accepted: 5, duplicates: 0 } });
    expect(refusal(answerB?.status === 'rejected' ? answerB.reason : undefined).recordErrors).toEqual([
      { index: 5, readingId: reading.readingId, message: `reading ${reading.readingId} is already recorded for another lease`, kind: 'conflict' },
    ]);
    expect(transactions).toEqual([6]);
    expect(store.streamEvents(usageStream('L-2002')).map((event) => event.data['readingId'])).toEqual(readings(5, 10, 'L-2002').map((record) => record.readingId));
  });

  it('decides the group again when another process recorded some of its readings between its decision and its append', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await twoLeases(store);
    const other = new LedgerCommands({ store, currency: 'USD', clock });
    const appendMany = store.appendMany;
    if (appendMany === undefined) throw new Error('the store has appendMany');
    const transactions: number[] = [];
    let race: (() => Promise<unknown>) | null = () => other.recordUsage({ records: readings(0, 20) }, first);
    store.appendMany = async (writes) => {
      const run = race;
      race = null;
      if (run !== null) await run();
      transactions.push(writes.reduce((count, write) => count + write.events.length, 0));
      return appendMany(writes);
    };
    // The group's write of L-1001 mixes the readings the other process has just recorded with
    // the second batch's new ones: the store refuses it, and the group is decided again.
    const answers = await Promise.all([commands.recordUsage({ records: readings(0, 20) }, first), commands.recordUsage({ records: readings(20, 40) }, second)]);
    expect(answers).toEqual([
      { outcome: 'unchanged', accepted: 0, duplicates: 20 },
      { outcome: 'created', accepted: 20, duplicates: 0 },
    ]);
    // The other process's batch, the refused group of 40, then the group again: the second batch's 20.
    expect(transactions).toEqual([20, 40, 20]);
    expect(store.streamEvents(usageStream('L-1001')).map((event) => event.data['readingId'])).toEqual(readings(0, 40).map((record) => record.readingId));
  });

  it('records each batch again on its own when the store fails the group’s transaction', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await twoLeases(store);
    const appendMany = store.appendMany;
    if (appendMany === undefined) throw new Error('the store has appendMany');
    const transactions: number[] = [];
    store.appendMany = (writes) => {
      transactions.push(writes.reduce((count, write) => count + write.events.length, 0));
      return transactions.length === 1 ? Promise.reject(new Error('database is locked')) : appendMany(writes);
    };
    const answers = await Promise.all([commands.recordUsage({ records: readings(0, 10) }, first), commands.recordUsage({ records: readings(5, 25) }, second)]);
    expect(answers).toEqual([
      { outcome: 'created', accepted: 10, duplicates: 0 },
      { outcome: 'created', accepted: 15, duplicates: 5 },
    ]);
    // The failed group of 25, then the first batch alone, then the second alone.
    expect(transactions).toEqual([25, 10, 15]);
    expect(store.streamEvents(usageStream('L-1001'))).toHaveLength(25);
  });

  it('gives every batch of the group the store’s failure when it keeps failing, and records nothing', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await twoLeases(store);
    const before = store.log.length;
    let calls = 0;
    store.appendMany = () => {
      calls += 1;
      return Promise.reject(new Error('disk I/O error'));
    };
    const answers = await Promise.allSettled([commands.recordUsage({ records: readings(0, 10) }, first), commands.recordUsage({ records: readings(10, 20) }, second)]);
    expect(answers.map((answer) => (answer.status === 'rejected' ? (answer.reason as Error).message : 'recorded'))).toEqual(['disk I/O error', 'disk I/O error']);
    // The group, then each batch alone.
    expect(calls).toBe(3);
    expect(store.log.length).toBe(before);
  });

  it('holds at most usageGroupRecordsMax (10,000) records in one group: the batches past it wait for the next', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await twoLeases(store);
    const transactions = countTransactions(store);
    // Readings with distinct ids over the same November hours: 4,000 per batch.
    const november = readings(0, 500);
    const batch = (name: string): UsageRecordBody[] => Array.from({ length: 4_000 }, (_, index) => {
      const record = november[index % november.length];
      if (record === undefined) throw new Error('no reading');
      return { ...record, readingId: `${record.readingId}-${name}-${Math.floor(index / november.length)}` };
    });
    const answers = await Promise.all(['a', 'b', 'c'].map((name) => commands.recordUsage({ records: batch(name) }, first)));
    expect(answers.map((answer) => answer.accepted)).toEqual([4_000, 4_000, 4_000]);
    expect(transactions).toEqual([8_000, 4_000]);
  });

  it('folds the group’s events into the model from memory: the next batch reads none of them back from the log', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await twoLeases(store);
    await Promise.all([commands.recordUsage({ records: readings(0, 50) }, first), commands.recordUsage({ records: readings(0, 50, 'L-2002') }, second)]);
    const groupLast = store.log.length - 1;
    const readFrom: number[] = [];
    const readForFold = store.readForFold.bind(store);
    store.readForFold = (from, limit) => {
      readFrom.push(from);
      return readForFold(from, limit);
    };
    const readAll = store.readAll.bind(store);
    store.readAll = (options) => {
      readFrom.push(options.fromPosition ?? 0);
      return readAll(options);
    };
    expect(await commands.recordUsage({ records: readings(50, 60) }, first)).toEqual({ outcome: 'created', accepted: 10, duplicates: 0 });
    // Catching up asks only for what comes after the group (and finds nothing).
    expect(readFrom.filter((position) => position <= groupLast)).toEqual([]);
    // The model knows the group's readings: sent again they are duplicates.
    expect(await commands.recordUsage({ records: readings(40, 50, 'L-2002') }, first)).toEqual({ outcome: 'unchanged', accepted: 0, duplicates: 10 });
  });

  it('records concurrent batches one lease at a time on a store without appendMany', async () => {
    const store = new InMemoryEventStore({ clock, withoutAppendMany: true });
    const commands = await twoLeases(store);
    const answers = await Promise.all([commands.recordUsage({ records: readings(0, 30) }, first), commands.recordUsage({ records: readings(20, 40) }, second)]);
    const recorded = answers.reduce((sum, answer) => sum + answer.accepted, 0);
    const duplicates = answers.reduce((sum, answer) => sum + answer.duplicates, 0);
    // Whichever wins the lease's revision, each reading is recorded once and counted once.
    expect([recorded, duplicates]).toEqual([40, 10]);
    expect(store.streamEvents(usageStream('L-1001'))).toHaveLength(40);
  });
});
