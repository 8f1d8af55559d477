import { setImmediate as nextTurn } from 'node:timers/promises';
import { chainHash, genesisHash } from '@compute-ledger/ledger';
import type { VerifyAnchor, VerifyResult } from '@compute-ledger/ledger';
import { eventIdKey } from './event-id-key.js';
import type { EventRow, IndexCheckRow, Statements } from './statements.js';

/** Events per page of a verification: memory stays bounded, and other work runs between pages. */
export const verifyPageEventsMax = 5_000;

type Failure = Extract<VerifyResult, { ok: false }>;

/**
 * Recomputes the hash chain from the first event, or from an anchor (a position and hash kept
 * outside the file) for a quick check at start-up. It names the first event whose position is
 * out of sequence (a row removed or moved), whose row cannot be read, whose stored hash is not
 * the hash of its content and the hash before it, or whose entries in the index tables are not
 * where they must be (they decide what readStream and the idempotency check see). A log cut off
 * at its end is only caught against an anchor at or after the cut.
 */
export async function verifyChain(statements: Statements, anchor?: VerifyAnchor): Promise<VerifyResult> {
  const start = anchor ? checkAnchor(statements, anchor) : { position: -1, hash: genesisHash };
  if ('ok' in start) return start;
  let previousPosition = start.position;
  let previousHash = start.hash;
  let previousRecordedAt = '';
  let eventsChecked = 0;
  for (;;) {
    const rows = statements.readAll.all(previousPosition + 1, Number.MAX_SAFE_INTEGER, verifyPageEventsMax);
    for (const row of rows) {
      const failure = checkRow(row, previousPosition + 1, previousHash, previousRecordedAt);
      if (failure) return failure;
      previousPosition = row[0];
      previousHash = row[9];
      previousRecordedAt = row[8];
    }
    const indexFailure = rows.length === 0 ? undefined : checkIndexEntries(statements, rows);
    if (indexFailure) return indexFailure;
    eventsChecked += rows.length;
    if (rows.length < verifyPageEventsMax) break;
    await nextTurn();
  }
  const strayFailure = anchor ? undefined : checkNoStrayIndexEntries(statements);
  return strayFailure ?? { ok: true, eventsChecked, headPosition: previousPosition, headHash: previousHash };
}

function checkAnchor(statements: Statements, anchor: VerifyAnchor): VerifyAnchor | Failure {
  const storedHash = statements.hashAt.get(anchor.position);
  if (storedHash === anchor.hash) return anchor;
  const reason = storedHash === undefined ? 'the anchor event is missing' : `the anchor event has hash ${storedHash}, not ${anchor.hash}`;
  return fail(anchor.position, reason);
}

function checkRow(row: EventRow, expectedPosition: number, previousHash: string, previousRecordedAt: string): Failure | undefined {
  const [position, streamId, revision, eventId, type, schemaVersion, dataJson, metadataJson, recordedAt, storedHash] = row;
  if (position !== expectedPosition) {
    return fail(expectedPosition, `position ${expectedPosition} is missing or out of order (the next stored event is at ${position})`);
  }
  if (streamId === null) return fail(position, 'the event has no stream row');
  const computedHash = chainHash(previousHash, { position, streamId, revision, eventId, type, schemaVersion, dataJson, metadataJson, recordedAt });
  if (computedHash !== storedHash) return fail(position, mismatchReason(dataJson, metadataJson));
  if (recordedAt < previousRecordedAt) return fail(position, `recordedAt ${recordedAt} is before the previous event's ${previousRecordedAt}`);
  return undefined;
}

/** Only on the failure path: says whether the row is unreadable, or readable but altered. */
function mismatchReason(dataJson: string, metadataJson: string): string {
  for (const [column, text] of [['data', dataJson], ['metadata', metadataJson]] as const) {
    try {
      JSON.parse(text);
    } catch {
      return `the row cannot be parsed: its ${column} is not JSON`;
    }
  }
  return 'the stored hash does not match the event and the hash before it';
}

/**
 * Every event of the page is linked to the stream's event before it, marked when its revision
 * calls for a mark, not past its stream's head, and in event_keys or else event_key_collisions.
 */
function checkIndexEntries(statements: Statements, rows: readonly EventRow[]): Failure | undefined {
  const first = rows[0]?.[0] ?? 0;
  const last = rows[rows.length - 1]?.[0] ?? -1;
  const entries = statements.indexCheck.all(first, last);
  for (let index = 0; index < rows.length; index += 1) {
    const row = rows[index];
    const entry = entries[index];
    if (row === undefined || entry === undefined) return fail(first + index, 'the event is missing from the index check');
    const failure = checkIndexEntry(entry, row[3]);
    if (failure) return failure;
  }
  return undefined;
}

function checkIndexEntry(entry: IndexCheckRow, eventId: string): Failure | undefined {
  const [position, eventKey, previousAgrees, markAgrees, headAgrees, keyEntry, collisionEntry] = entry;
  if (previousAgrees !== 1) return fail(position, "its previous_position does not name its stream's event before it");
  if (markAgrees !== 1) return fail(position, 'its stream_marks entry is missing or points elsewhere');
  if (headAgrees !== 1) return fail(position, "it lies beyond its stream's recorded head");
  if (eventKey !== eventIdKey(eventId)) return fail(position, 'its event_key is not the key of its event id');
  if ((keyEntry === position) === (collisionEntry === position)) {
    return fail(position, 'it is not in event_keys or event_key_collisions exactly once');
  }
  return undefined;
}

function checkNoStrayIndexEntries(statements: Statements): Failure | undefined {
  if (statements.strayEntryCount.get() === 0) return undefined;
  const position = statements.strayEntry.get() ?? -1;
  return fail(position, 'a stream head, mark or event key names an event that is not there');
}

function fail(position: number, reason: string): Failure {
  return { ok: false, firstInvalidPosition: position, reason };
}
