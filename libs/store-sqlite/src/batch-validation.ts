import { appendEventsMax, appendManyWritesMax, DuplicateEventIdError, validateStreamWrite } from '@compute-ledger/ledger';
import type { StreamWrite } from '@compute-ledger/ledger';
import { eventIdKey } from './event-id-key.js';

/**
 * Validates the writes of one call and answers the index key of every event id, in write
 * order. An event id may appear only once in one call: sorting a copy of the keys finds repeats
 * without a set of 10,000 strings, and only equal keys (a repeat, or rarely a collision)
 * compare the ids themselves.
 */
export function validateBatch(writes: readonly StreamWrite[]): Float64Array {
  if (writes.length === 0) throw new RangeError('appendMany needs at least one write');
  if (writes.length > appendManyWritesMax) throw new RangeError(`appendMany of ${writes.length} writes, more than ${appendManyWritesMax}`);
  let eventCount = 0;
  for (const write of writes) {
    validateStreamWrite(write);
    eventCount += write.events.length;
  }
  if (eventCount > appendEventsMax) throw new RangeError(`appendMany of ${eventCount} events, more than appendEventsMax (${appendEventsMax})`);
  const eventKeys = new Float64Array(eventCount);
  let index = 0;
  for (const write of writes) {
    for (const event of write.events) eventKeys[index++] = eventIdKey(event.eventId);
  }
  checkNoRepeatedIds(writes, eventKeys);
  return eventKeys;
}

function checkNoRepeatedIds(writes: readonly StreamWrite[], eventKeys: Float64Array): void {
  const sortedKeys = eventKeys.slice().sort();
  const repeatedKeys = new Set<number>();
  for (let index = 1; index < sortedKeys.length; index += 1) {
    const key = sortedKeys[index];
    if (key !== undefined && key === sortedKeys[index - 1]) repeatedKeys.add(key);
  }
  if (repeatedKeys.size === 0) return;
  const seen = new Set<string>();
  let index = 0;
  for (const write of writes) {
    for (const event of write.events) {
      const key = eventKeys[index++];
      if (key === undefined || !repeatedKeys.has(key)) continue;
      if (seen.has(event.eventId)) throw new DuplicateEventIdError(event.eventId, 'it appears more than once in one append');
      seen.add(event.eventId);
    }
  }
}
