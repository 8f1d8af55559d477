import { foldedEventOfRow, normalizeInstant, readPageEventsMax, readStreamEventsMax } from '@compute-ledger/ledger';
import type { FoldedEvent, FoldRow, JsonObject, ReadAllOptions, RecordedEvent } from '@compute-ledger/ledger';
import type { EventRow, Statements, StoredFoldRow } from './statements.js';

/** The read side of the SQLite store: every read goes to the file, so it sees other processes' commits. */
export class SqliteReader {
  /** Stream ids by key: a stream's id never changes once its row exists. */
  private readonly streamIds = new Map<number, string>();
  /**
   * The type of the last event read for a fold. The next page's events of that type come back
   * without it and share this string: most of a log is one type (readings), and a string made
   * per row for the same few characters was several percent of a replay.
   */
  private foldType = '';

  constructor(private readonly statements: Statements) {}

  headPosition(): number {
    return this.statements.headPosition.get() ?? -1;
  }

  readAll(options: ReadAllOptions): RecordedEvent[] {
    const fromPosition = options.fromPosition ?? 0;
    checkCount('fromPosition', fromPosition, 0, Number.MAX_SAFE_INTEGER);
    checkCount('limit', options.limit, 1, readPageEventsMax);
    const toPosition = options.knownAt === undefined ? Number.MAX_SAFE_INTEGER : this.positionKnownAt(options.knownAt);
    return this.statements.readAll.all(fromPosition, toPosition, options.limit).map(toRecordedEvent);
  }

  readForFold(fromPosition: number, limit: number): FoldedEvent[] {
    return this.readFoldRows(fromPosition, limit).map(foldedEventOfRow);
  }

  /** The rows of readForFold as the statement answers them, completed in place: each stream key replaced by its id, each type left out put back. */
  readFoldRows(fromPosition: number, limit: number): FoldRow[] {
    checkCount('fromPosition', fromPosition, 0, Number.MAX_SAFE_INTEGER);
    checkCount('limit', limit, 1, readPageEventsMax);
    const repeatedType = this.foldType;
    const rows: (StoredFoldRow | FoldRow)[] = this.statements.readForFold.all({ from: fromPosition, limit, repeatedType });
    for (const row of rows) {
      row[1] = this.streamIdOf(row[1] as number, row[0]);
      row[4] ??= repeatedType;
    }
    const last = rows[rows.length - 1];
    if (last !== undefined) this.foldType = last[4]!;
    return rows as FoldRow[];
  }

  private streamIdOf(streamKey: number, position: number): string {
    let streamId = this.streamIds.get(streamKey);
    if (streamId === undefined) {
      streamId = this.statements.streamIdOfKey.get(streamKey);
      if (streamId === undefined) throw noStreamRow(position);
      this.streamIds.set(streamKey, streamId);
    }
    return streamId;
  }

  /**
   * Walks the stream's chain back to `fromRevision`, starting from the stream's head or, when
   * only older events are wanted, from the first mark at or after the last one wanted.
   */
  readStream(streamId: string, fromRevision = 0, limit?: number): RecordedEvent[] {
    checkCount('fromRevision', fromRevision, 0, Number.MAX_SAFE_INTEGER);
    if (limit !== undefined) checkCount('limit', limit, 1, readStreamEventsMax);
    const head = this.statements.streamHead.get(streamId);
    if (head === undefined) return [];
    const [streamKey, headRevision, headPosition] = head;
    if (fromRevision > headRevision) return [];
    if (limit === undefined && headRevision - fromRevision + 1 > readStreamEventsMax) {
      throw new RangeError(`stream ${streamId} has more than readStreamEventsMax (${readStreamEventsMax}) events from revision ${fromRevision}: read it in pages with a limit`);
    }
    const toRevision = Math.min(headRevision, fromRevision + (limit ?? readStreamEventsMax) - 1);
    const start = toRevision === headRevision ? headPosition : (this.statements.streamMarkFrom.get(streamKey, toRevision) ?? headPosition);
    return this.statements.walkStream.all({ start, from: fromRevision, to: toRevision }).map(toRecordedEvent);
  }

  /**
   * The last position recorded at or before `knownAt`. recordedAt is non-decreasing in position
   * order, so this is a binary search over positions: about 2 log2(n) primary-key lookups.
   * Each probe takes the first event at or after the middle, so it stays right on a log with holes.
   */
  positionKnownAt(knownAt: string): number {
    const instant = normalizeInstant(knownAt);
    let low = 0;
    let high = this.headPosition();
    let answer = -1;
    while (low <= high) {
      const middle = low + Math.floor((high - low) / 2);
      const probe = this.statements.recordedAtFrom.get(middle);
      if (probe === undefined || probe[0] > high) {
        high = middle - 1;
      } else if (probe[1] <= instant) {
        answer = probe[0];
        low = probe[0] + 1;
      } else {
        high = middle - 1;
      }
    }
    return answer;
  }
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  const [position, streamId, revision, eventId, type, schemaVersion, data, metadata, recordedAt, hash] = row;
  if (streamId === null) throw noStreamRow(position);
  return {
    position,
    streamId,
    revision,
    eventId,
    type,
    schemaVersion,
    data: JSON.parse(data) as JsonObject,
    metadata: JSON.parse(metadata) as JsonObject,
    recordedAt,
    hash,
  };
}

function noStreamRow(position: number): Error {
  return new Error(`event at position ${position} has no stream row: the file is damaged (run verify)`);
}

function checkCount(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, not ${value}`);
  }
}
