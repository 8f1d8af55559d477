import { assert, findRecordedWrite as findRecordedCopies } from '@compute-ledger/ledger';
import type { AppendResult, RecordedCopy, StreamWrite } from '@compute-ledger/ledger';
import { eventIdKey } from './event-id-key.js';
import type { RecordedEventRow, Statements } from './statements.js';

/**
 * Ids or positions looked up per statement. A chunk is one JSON array handed to SQLite, each
 * element one primary-key lookup, so a chunk costs its lookups plus a string of up to about
 * 20 bytes an element; past a few thousand elements a larger chunk saves nothing measurable.
 */
export const lookupChunkElements = 4_096;

/**
 * Whether a write is already recorded, by the port's idempotency rule (findRecordedWrite in
 * libs/ledger/src/store/idempotency.ts): `positions` says where its ids are in the file (from
 * findEventPositions; it may hold other ids too), and the events at those positions are read.
 */
export function findRecordedWrite(statements: Statements, write: StreamWrite, positions: ReadonlyMap<string, number>): AppendResult | undefined {
  if (positions.size === 0) return undefined;
  return findRecordedCopies(write, (event) => {
    const position = positions.get(event.eventId);
    if (position === undefined) return undefined;
    const row = statements.recordedEventAt.get(position);
    assert(row !== undefined, 'the event index names an event of the file');
    return recordedCopy(row);
  });
}

/**
 * Where the events with these ids are, by the file's event index: an id is looked up by its key
 * (`eventKeys[i]` for `eventIds[i]`, eventIdKey unless given), and belongs to the event that
 * owns the key when that event has this very id, or else to the event kept under the id among
 * the key collisions. Ids the file does not hold are absent from the answer.
 *
 * Per chunk of lookupChunkElements ids: one statement for the owners of their keys, and one
 * for the collisions of the ids whose key's owner has another id or no key owner at all (a new
 * id, the usual case on ingest). Both are primary-key lookups; a collision table that is empty,
 * as it almost always is, answers each in next to no time.
 */
export function findEventPositions(statements: Statements, eventIds: readonly string[], eventKeys?: ArrayLike<number>): Map<string, number> {
  const positions = new Map<string, number>();
  for (let first = 0; first < eventIds.length; first += lookupChunkElements) {
    const chunkIds = eventIds.slice(first, first + lookupChunkElements);
    const chunkKeys = chunkIds.map((eventId, index) => eventKeys?.[first + index] ?? eventIdKey(eventId));
    const owners = new Map<number, [string, number]>();
    for (const [eventKey, eventId, position] of statements.keyOwners.all(JSON.stringify(chunkKeys))) owners.set(eventKey, [eventId, position]);
    const notOwners: string[] = [];
    for (const [index, eventId] of chunkIds.entries()) {
      const owner = owners.get(chunkKeys[index]!);
      if (owner !== undefined && owner[0] === eventId) positions.set(eventId, owner[1]);
      else notOwners.push(eventId);
    }
    if (notOwners.length === 0) continue;
    for (const [eventId, position] of statements.collidedIdPositions.all(JSON.stringify(notOwners))) positions.set(eventId, position);
  }
  return positions;
}

/**
 * The event id at each of these positions; positions the file holds no event at (beyond the
 * head, negative, not integers) are absent. The positions are looked up in ascending order,
 * each once, in chunks of lookupChunkElements: events are stored in position order, so the
 * lookups walk the file forward, and each reads the start of one row (the id comes before the
 * data).
 */
export function findEventIdsAt(statements: Statements, positions: readonly number[]): Map<number, string> {
  const wanted = Float64Array.from(positions.filter((position) => Number.isSafeInteger(position) && position >= 0)).sort();
  const eventIds = new Map<number, string>();
  let chunk: number[] = [];
  const lookUp = (): void => {
    for (const [position, eventId] of statements.eventIdsAt.all(JSON.stringify(chunk))) eventIds.set(position, eventId);
    chunk = [];
  };
  for (let index = 0; index < wanted.length; index += 1) {
    const position = wanted[index]!;
    if (index > 0 && position === wanted[index - 1]) continue;
    chunk.push(position);
    if (chunk.length === lookupChunkElements) lookUp();
  }
  if (chunk.length > 0) lookUp();
  return eventIds;
}

/** Whether another recorded event already owns this key (then a new event's id goes to the collisions). */
export function isEventKeyTaken(statements: Statements, eventKey: number): boolean {
  return statements.eventKeyTaken.get(eventKey) !== undefined;
}

function recordedCopy([eventId, position, revision, streamId, type, schemaVersion, dataJson]: RecordedEventRow): RecordedCopy {
  return { eventId, position, revision, streamId, type, schemaVersion, dataJson };
}
