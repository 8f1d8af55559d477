import type { RecordedEvent } from '../event-store.js';
import { genesisHash } from '../hash-chain.js';
import type { LogEvent } from './log-codec.js';

/**
 * What a writer knows of the log, folded from it event by event: the head of the chain, the
 * last revision of every ledger stream, and the position of every event id. The fold is exact
 * up to `headPosition`; an append made on it is only accepted by the server when the log is
 * still at that head (see esdb-event-store.ts), so checks against this state are as good as
 * checks inside a transaction.
 *
 * Memory: one map entry per event id (about 100 bytes with a 40-character id) and one per
 * stream. A ledger of tens of millions of events wants these maps on disk instead.
 */
export class LogState {
  headPosition = -1;
  headHash = genesisHash;
  lastRecordedAt = '';
  /** Where the last append of the log began: only that append can still lack its links. */
  lastAppendStart = -1;
  /** Every event up to here is known to be linked into its stream. */
  linkedThrough = -1;
  private readonly streamHeads = new Map<string, number>();
  private readonly eventPositions = new Map<string, number>();

  /** Revision of the stream's last event, or -1 when it has none. */
  streamHead(streamId: string): number {
    return this.streamHeads.get(streamId) ?? -1;
  }

  positionOf(eventId: string): number | undefined {
    return this.eventPositions.get(eventId);
  }

  /** Folds the next event of the log; one that does not continue the log means the log is damaged. */
  apply({ event, appendStart }: LogEvent): void {
    checkContinues(event, this.headPosition, this.streamHead(event.streamId));
    this.streamHeads.set(event.streamId, event.revision);
    this.eventPositions.set(event.eventId, event.position);
    this.headPosition = event.position;
    this.headHash = event.hash;
    this.lastRecordedAt = event.recordedAt;
    this.lastAppendStart = appendStart;
  }
}

function checkContinues(event: RecordedEvent, headPosition: number, streamHead: number): void {
  const where = `the log event at position ${event.position}`;
  if (event.position !== headPosition + 1) throw new Error(`${where} follows position ${headPosition}: the log is damaged (run verify)`);
  if (event.revision !== streamHead + 1) {
    throw new Error(`${where} has revision ${event.revision} of ${event.streamId}, whose last revision is ${streamHead}: the log is damaged (run verify)`);
  }
}
