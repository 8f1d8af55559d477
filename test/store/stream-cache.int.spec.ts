import { describe, expect, it } from 'vitest';
import type { LedgerEvent } from '@compute-ledger/contracts';
import { StreamStateCache, type EventStore, type EventToAppend } from '@compute-ledger/ledger';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';

/**
 * The stream cache answers a load without reading the store only when it knows the stream has
 * not moved: its entry holds the stream up to the head the caller read, or every position since
 * was this process's own append, folded as it was made.
 */

type Counted = { events: string[] };
const fold = {
  initialState: (): Counted => ({ events: [] }),
  evolve: (state: Counted, event: LedgerEvent): Counted => ({ events: [...state.events, (event.data as { outageId: string }).outageId] }),
  accepts: (event: LedgerEvent): event is LedgerEvent => event.type === 'OutageRecorded',
};

function outage(id: string): EventToAppend {
  return { eventId: `outage:${id}`, type: 'OutageRecorded', schemaVersion: 1, data: { outageId: id, leaseId: 'L-1', startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-01-01T01:00:00Z', affectedGpus: 1 }, metadata: {} };
}

function countingReads(store: EventStore): { store: EventStore; reads: string[] } {
  const reads: string[] = [];
  const readStream = store.readStream.bind(store);
  store.readStream = async (streamId, fromRevision, limit) => {
    reads.push(streamId);
    return readStream(streamId, fromRevision, limit);
  };
  return { store, reads };
}

describe('StreamStateCache', () => {
  it('reads a stream again only when the head moved, and then sees what another writer appended', async () => {
    const { store, reads } = countingReads(openSqliteEventStore({ path: ':memory:' }));
    const cache = new StreamStateCache(store, fold);
    await store.append('a', [outage('1')], 'no_stream');
    let head = await store.headPosition();
    expect((await cache.load('a', head)).state.events).toEqual(['1']);
    expect((await cache.load('a', head)).state.events).toEqual(['1']);
    expect(reads).toEqual(['a']);
    // Another writer (another process, say) appends: the head moves, so the load reads.
    await store.append('a', [outage('2')], 0);
    head = await store.headPosition();
    expect((await cache.load('a', head)).state.events).toEqual(['1', '2']);
    expect(reads).toEqual(['a', 'a']);
    // Without a head, every load asks the store.
    await cache.load('a');
    expect(reads).toEqual(['a', 'a', 'a']);
    await store.close();
  });

  it('carries every entry over its own folded appends, and stops at the first foreign write', async () => {
    const { store, reads } = countingReads(openSqliteEventStore({ path: ':memory:' }));
    const cache = new StreamStateCache(store, fold);
    await store.append('a', [outage('a1')], 'no_stream');
    await store.append('b', [outage('b1')], 'no_stream');
    let head = await store.headPosition();
    await cache.load('a', head);
    await cache.load('b', head);
    reads.length = 0;
    // This process appends to b, folds it, and says the log moved by its own append only.
    const appended = await store.append('b', [outage('b2')], 0);
    cache.appended('b', 0, [{ type: 'OutageRecorded', data: outage('b2').data } as unknown as LedgerEvent], appended.nextRevision, appended.position);
    cache.advance(head, appended.position);
    head = await store.headPosition();
    expect((await cache.load('a', head)).state.events).toEqual(['a1']);
    expect((await cache.load('b', head)).state.events).toEqual(['b1', 'b2']);
    expect(reads).toEqual([]);
    // A write this cache did not make: both entries are read again.
    await store.append('a', [outage('a2')], 0);
    head = await store.headPosition();
    expect((await cache.load('a', head)).state.events).toEqual(['a1', 'a2']);
    await cache.load('b', head);
    expect(reads).toEqual(['a', 'b']);
    await store.close();
  });

  it('does not trust an entry whose append it could not fold', async () => {
    const { store, reads } = countingReads(openSqliteEventStore({ path: ':memory:' }));
    const cache = new StreamStateCache(store, fold);
    await store.append('a', [outage('1')], 'no_stream');
    const head = await store.headPosition();
    await cache.load('a', head);
    reads.length = 0;
    // An append answered at a revision the entry did not expect (it moved meanwhile).
    const appended = await store.append('a', [outage('2'), outage('3')], 'any');
    cache.appended('a', 5, [], appended.nextRevision, appended.position);
    cache.advance(head, appended.position);
    expect((await cache.load('a', await store.headPosition())).state.events).toEqual(['1', '2', '3']);
    expect(reads).toEqual(['a']);
    await store.close();
  });
});
