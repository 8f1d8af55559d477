import { assert, findRecordedWrite as findRecordedCopies } from '@compute-ledger/ledger';
import type { AppendResult, RecordedCopy, StreamWrite } from '@compute-ledger/ledger';
import type { RecordedEventRow, Statements } from './statements.js';

/**
 * Whether a write is already recorded, by the port's idempotency rule (findRecordedWrite in
 * libs/ledger/src/store/idempotency.ts), over the file's event index: an id is looked up by
 * its key (`eventKeys[firstEventIndex + i]` for the write's event i), then among the key
 * collisions.
 */
export function findRecordedWrite(statements: Statements, write: StreamWrite, eventKeys: Float64Array, firstEventIndex: number): AppendResult | undefined {
  return findRecordedCopies(write, (event, index) => {
    const eventKey = eventKeys[firstEventIndex + index];
    assert(eventKey !== undefined, 'one event key per event');
    const row = findRecordedEvent(statements, eventKey, event.eventId);
    return row === undefined ? undefined : recordedCopy(row);
  });
}

/** The recorded event with this id: the owner of its key, or else one kept as a key collision. */
function findRecordedEvent(statements: Statements, eventKey: number, eventId: string): RecordedEventRow | undefined {
  const owner = statements.eventByKey.get(eventKey);
  if (owner !== undefined && owner[0] === eventId) return owner;
  return statements.eventByCollidedId.get(eventId);
}

/** Whether another recorded event already owns this key (then a new event's id goes to the collisions). */
export function isEventKeyTaken(statements: Statements, eventKey: number): boolean {
  return statements.eventByKey.get(eventKey) !== undefined;
}

function recordedCopy([eventId, position, revision, streamId, type, schemaVersion, dataJson]: RecordedEventRow): RecordedCopy {
  return { eventId, position, revision, streamId, type, schemaVersion, dataJson };
}
