import { describe, expect, it } from 'vitest';
import { InMemoryEventStore } from '../support/in-memory-event-store.js';
import { readWholeLog, usageEvents } from './event-store.contract.js';

/**
 * The in-memory store checks ledger event types against their schemas, which the contract's
 * events are not written for, so its lookups are checked here, on events of a type of their own.
 */
describe('in-memory test store: event ids and positions', () => {
  const events = (count: number) => usageEvents(count).map((event) => ({ ...event, type: 'LookupTested' }));

  it('answers the ids it holds with their positions, and the positions it holds with their ids, each once', async () => {
    const store = new InMemoryEventStore();
    expect(await store.positionsOfEventIds([])).toEqual(new Map());
    expect(await store.eventIdsAt([0])).toEqual(new Map());
    await store.append('lease-1', events(2), 'no_stream');
    await store.append('lease-2', events(3), 'no_stream');
    const log = await readWholeLog(store);
    const ids = log.map((event) => event.eventId);
    expect(await store.positionsOfEventIds(['never', ...ids, ids[0]!])).toEqual(new Map(log.map((event) => [event.eventId, event.position])));
    const positions = [-1, 0.5, 5, 6, ...log.map((event) => event.position), 0];
    expect(await store.eventIdsAt(positions)).toEqual(new Map(log.map((event) => [event.position, event.eventId])));
  });
});
