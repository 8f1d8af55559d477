import { assert } from '../shared/assert.js';
import { canonicalJson } from './canonical-json.js';
import { DuplicateEventIdError } from './errors.js';
import type { AppendResult, EventToAppend, StreamWrite } from './event-store.js';

/** What an adapter has recorded under an event id, as the idempotency rule compares it. */
export interface RecordedCopy {
  eventId: string;
  position: number;
  revision: number;
  /** null when the record names no stream (a damaged row): it then never matches. */
  streamId: string | null;
  type: string;
  schemaVersion: number;
  /** The recorded data as canonical JSON (canonical-json.ts). */
  dataJson: string;
}

/**
 * Idempotency, the same for every adapter: a write is an already recorded one when every one of
 * its event ids is in the log with the same stream, type, schema version and data (metadata may
 * differ: a retry may carry another correlation id). Then it succeeds without writing, and its
 * expected revision is not checked, because the stream may have moved on since the first
 * attempt.
 *
 * A write of which only some ids are recorded is refused as a duplicate, not completed: appends
 * are atomic, so no earlier attempt of this very write can have left half of it behind. The
 * caller has reused ids across different appends, and either answer (write the rest, or
 * nothing) would hide that. An id recorded with other content is refused the same way.
 *
 * `recordedCopy` answers what the adapter holds under the id of the write's event at `index`.
 */
export function findRecordedWrite(write: StreamWrite, recordedCopy: (event: EventToAppend, index: number) => RecordedCopy | undefined): AppendResult | undefined {
  const { events } = write;
  let matched: RecordedCopy | undefined;
  let matchedCount = 0;
  for (let index = 0; index < events.length; index += 1) {
    const event = events[index];
    assert(event !== undefined, 'the index is within the write');
    const recorded = recordedCopy(event, index);
    if (recorded === undefined) continue;
    checkSameContent(write.streamId, event, recorded);
    matched = recorded;
    matchedCount += 1;
  }
  if (matched === undefined) return undefined;
  if (matchedCount < events.length) {
    throw new DuplicateEventIdError(matched.eventId, `the append to ${write.streamId} mixes ids already recorded with new ones`);
  }
  // Every event matched, so `matched` is the recorded copy of the write's last event.
  return { nextRevision: matched.revision, position: matched.position, written: false };
}

function checkSameContent(streamId: string, event: EventToAppend, recorded: RecordedCopy): void {
  const differences: string[] = [];
  if (recorded.streamId !== streamId) differences.push(`stream ${recorded.streamId ?? '(missing)'} instead of ${streamId}`);
  if (recorded.type !== event.type) differences.push(`type ${recorded.type} instead of ${event.type}`);
  if (recorded.schemaVersion !== event.schemaVersion) differences.push(`schema version ${recorded.schemaVersion} instead of ${event.schemaVersion}`);
  if (differences.length === 0 && recorded.dataJson !== canonicalJson(event.data)) differences.push('other data');
  if (differences.length > 0) throw new DuplicateEventIdError(recorded.eventId, `recorded at position ${recorded.position} with ${differences.join(', ')}`);
}
