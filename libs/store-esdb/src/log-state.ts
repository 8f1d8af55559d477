import { genesisHash } from '@compute-ledger/ledger';
import type { RecordedEvent } from '@compute-ledger/ledger';
import type { LogRecord } from './log-codec.js';

/** Room for this many numbers when a growable array is made; doubled when full. */
const growableInitialCapacity = 4;

/**
 * A growable Float64Array of positions, so 8 bytes a number (a position below 2^53 is exact in
 * a double) rather than a boxed number.
 */
class Positions {
  private positions: Float64Array;
  length = 0;

  constructor(initialCapacity = growableInitialCapacity) {
    this.positions = new Float64Array(initialCapacity);
  }

  push(position: number): void {
    if (this.length === this.positions.length) {
      const grown = new Float64Array(this.positions.length * 2);
      grown.set(this.positions);
      this.positions = grown;
    }
    this.positions[this.length] = position;
    this.length += 1;
  }

  at(index: number): number {
    return this.positions[index] ?? Number.NaN;
  }

  /** Positions at indexes `from` up to (excluding) `to`. */
  slice(from: number, to: number): number[] {
    return Array.from(this.positions.subarray(from, to));
  }

  /** Index of the last number at or below `value`, for ascending numbers (-1: none). */
  lastAtOrBelow(value: number): number {
    let low = 0;
    let high = this.length - 1;
    let answer = -1;
    while (low <= high) {
      const middle = low + Math.floor((high - low) / 2);
      if (this.at(middle) <= value) {
        answer = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return answer;
  }
}

/**
 * What a writer knows of the log, folded from it record by record: the head of the chain, the
 * server revision of the last record, the ledger position of every record's first event, the
 * log position of every event of every ledger stream (so its last revision too), and the
 * position of every event id. The fold is exact up to `headPosition`; an append made on it is
 * only accepted by the server when the log is still at `headRevision` (see
 * esdb-event-store.ts), so checks against this state are as good as checks inside a
 * transaction, and a read of positions after a fold to the head holds every event
 * acknowledged before it.
 *
 * Memory: one map entry per event id (about 100 bytes with a 40-character id), 8 bytes an event
 * for the stream positions, 8 bytes a record for where it starts, and one map entry per
 * stream. A ledger of tens of millions of events wants these on disk instead.
 */
export class LogState {
  headPosition = -1;
  /** Server revision of the log's last record (-1: no record yet). */
  headRevision = -1;
  headHash = genesisHash;
  lastRecordedAt = '';
  private readonly streams = new Map<string, Positions>();
  private readonly eventPositions = new Map<string, number>();
  /** Ledger position of each record's first event, by server revision. */
  private readonly recordFirsts = new Positions(1_024);

  /** Revision of the stream's last event, or -1 when it has none. */
  streamHead(streamId: string): number {
    return (this.streams.get(streamId)?.length ?? 0) - 1;
  }

  positionOf(eventId: string): number | undefined {
    return this.eventPositions.get(eventId);
  }

  /** Log positions of the stream's events from `fromRevision`, at most `count`, in revision order. */
  streamPositions(streamId: string, fromRevision: number, count: number): number[] {
    const positions = this.streams.get(streamId);
    if (positions === undefined || fromRevision >= positions.length) return [];
    return positions.slice(fromRevision, Math.min(positions.length, fromRevision + count));
  }

  /** Server revision of the record that holds a folded position (0 to headPosition). */
  recordOf(position: number): number {
    if (!Number.isSafeInteger(position) || position < 0 || position > this.headPosition) throw new RangeError(`position ${position} is not in the folded log (head ${this.headPosition})`);
    return this.recordFirsts.lastAtOrBelow(position);
  }

  /** Position of the last event of the record at a folded server revision. */
  recordLast(revision: number): number {
    return revision === this.headRevision ? this.headPosition : this.recordFirsts.at(revision + 1) - 1;
  }

  /** Folds the next record of the log; one that does not continue the log means the log is damaged. */
  apply(record: LogRecord): void {
    const first = record.events[0];
    if (first === undefined) throw new Error(`the log record at revision ${record.revision} holds no event: the log is damaged (run verify)`);
    checkContinues(first, this.headPosition, this.streamHead(first.streamId));
    if (record.revision !== this.headRevision + 1) {
      throw new Error(`the log record at revision ${record.revision} follows revision ${this.headRevision}: the log is damaged (run verify)`);
    }
    for (const event of record.events) this.applyEvent(event);
    this.recordFirsts.push(first.position);
    this.headRevision = record.revision;
  }

  private applyEvent(event: RecordedEvent): void {
    checkContinues(event, this.headPosition, this.streamHead(event.streamId));
    let positions = this.streams.get(event.streamId);
    if (positions === undefined) {
      positions = new Positions();
      this.streams.set(event.streamId, positions);
    }
    positions.push(event.position);
    this.eventPositions.set(event.eventId, event.position);
    this.headPosition = event.position;
    this.headHash = event.hash;
    this.lastRecordedAt = event.recordedAt;
  }
}

function checkContinues(event: RecordedEvent, headPosition: number, streamHead: number): void {
  const where = `the log event at position ${event.position}`;
  if (event.position !== headPosition + 1) throw new Error(`${where} follows position ${headPosition}: the log is damaged (run verify)`);
  if (event.revision !== streamHead + 1) {
    throw new Error(`${where} has revision ${event.revision} of ${event.streamId}, whose last revision is ${streamHead}: the log is damaged (run verify)`);
  }
}
