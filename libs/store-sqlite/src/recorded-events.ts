import { assert } from '../../shared/assert.js';
import { canonicalJson } from '../canonical-json.js';
import { DuplicateEventIdError } from '../errors.js';
import type { AppendResult, EventToAppend, StreamWrite } from '../event-store.js';
import type { RecordedEventRow, Statements } from './statements.js';

/**
 * Idempotency: a write is an already recorded one when every one of its event ids is in the
 * log with the same stream, type, schema version and data (metadata may differ: a retry may
 * carry another correlation id). Then it succeeds without writing, and its expected revision is
 * not checked, because the stream may have moved on since the first attempt.
 *
 * A write of which only some ids are recorded is refused as a duplicate, not completed: appends
 * are atomic, so no earlier attempt of this very write can have left half of it behind. The
 * caller has reused ids across different appends, and either answer (write the rest, or
 * nothing) would hide that.
 */
export function findRecordedWrite(
  statements: Statements,
  write: StreamWrite,
  eventKeys: Float64Array,
  firstEventIndex: number,
): AppendResult | undefined {
  const { events } = write;
  let matched: RecordedEventRow | undefined;
  let matchedCount = 0;
  for (let index = 0; index < events.length; index += 1) {
    const event = events[index];
    const eventKey = eventKeys[firstEventIndex + index];
    assert(event !== undefined, 'the index is within the write');
    assert(eventKey !== undefined, 'one event key per event');
    const row = findRecordedEvent(statements, eventKey, event.eventId);
    if (row === undefined) continue;
    checkSameContent(write.streamId, event, row);
    matched = row;
    matchedCount += 1;
  }
  if (matched === undefined) return undefined;
  if (matchedCount < events.length) {
    throw new DuplicateEventIdError(matched[0], `the append to ${write.streamId} mixes ids already recorded with new ones`);
  }
  // Every event matched, so `matched` is the recorded copy of the write's last event.
  return { nextRevision: matched[2], position: matched[1], written: false };
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

function checkSameContent(streamId: string, event: EventToAppend, row: RecordedEventRow): void {
  const [eventId, position, , recordedStreamId, type, schemaVersion, dataJson] = row;
  const differences: string[] = [];
  if (recordedStreamId !== streamId) differences.push(`stream ${recordedStreamId ?? '(missing)'} instead of ${streamId}`);
  if (type !== event.type) differences.push(`type ${type} instead of ${event.type}`);
  if (schemaVersion !== event.schemaVersion) differences.push(`schema version ${schemaVersion} instead of ${event.schemaVersion}`);
  if (differences.length === 0 && dataJson !== canonicalJson(event.data)) differences.push('other data');
  if (differences.length > 0) throw new DuplicateEventIdError(eventId, `recorded at position ${position} with ${differences.join(', ')}`);
}
