import { genesisHash } from '@compute-ledger/ledger';
import type { RecordedEvent } from '@compute-ledger/ledger';
import type { LogEvent } from './log-codec.js';

/** Room for this many positions when a stream's first event is folded; doubled when full. */
const streamPositionsInitialCapacity = 4;

/**
 * The log positions of one ledger stream's events, by revision: a growable Float64Array, so
 * 8 bytes an event (a position below 2^53 is exact in a double) rather than a boxed number.
 */
class StreamPositions {
  private positions = new Float64Array(streamPositionsInitialCapacity);
  length = 0;

  push(position: number): void {
    if (this.length === this.positions.length) {
      const grown = new Float64Array(this.positions.length * 2);
      grown.set(this.positions);
      this.positions = grown;
    }
    this.positions[this.length] = position;
    this.length += 1;
  }

  /** Positions of revisions `fromRevision` up to (excluding) `toRevision`. */
  slice(fromRevision: number, toRevision: number): number[] {
    return Array.from(this.positions.subarray(fromRevision, toRevision));
  }
}

/**
 * What a writer knows of the log, folded from it event by event: the head of the chain, the
 * log position of every event of every ledger stream (so its last revision too), and the
 * position of every event id. The fold is exact up to `headPosition`; an append made on it is
 * only accepted by the server when the log is still at that head (see esdb-event-store.ts), so
 * checks against this state are as good as checks inside a transaction, and a stream read
 * from these positions after a fold to the head holds every event acknowledged before it.
 *
 * Memory: one map entry per event id (about 100 bytes with a 40-character id), 8 bytes an event
 * for the stream positions, and one map entry per stream. A ledger of tens of millions of
 * events wants these on disk instead.
 */
export class LogState {
  headPosition = -1;
  headHash = genesisHash;
  lastRecordedAt = '';
  private readonly streams = new Map<string, StreamPositions>();
  private readonly eventPositions = new Map<string, number>();

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

  /** Folds the next event of the log; one that does not continue the log means the log is damaged. */
  apply({ event }: LogEvent): void {
    checkContinues(event, this.headPosition, this.streamHead(event.streamId));
    let positions = this.streams.get(event.streamId);
    if (positions === undefined) {
      positions = new StreamPositions();
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
