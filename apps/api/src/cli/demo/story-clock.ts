import assert from 'node:assert/strict';
import { systemClock, type Clock } from '@compute-ledger/ledger';

/**
 * The hand the demo seed moves on the ledger's clock port: to each instant at which the story
 * has a fact learned, so that the fact is recorded then (its recordedAt), and off again at the
 * end, when the real clock takes over.
 */
export interface StoryClockHand {
  /** The instant the story stops at: nothing dated after it is recorded. */
  nowMs(): number;
  /** From now on the ledger's clock answers `instantMs` (always later than the last one). */
  moveTo(instantMs: number): void;
  /** The ledger's clock answers the base clock again. */
  release(): void;
}

/**
 * A clock for `openLedger` that answers the base clock (the system clock) except while the
 * demo seed holds it at an instant of its story. The story's instants are all before the base
 * clock's now, so once the seed lets go recordedAt still never goes back.
 */
export class StoryClock implements StoryClockHand {
  private heldMs: number | null = null;

  constructor(private readonly base: Clock = systemClock) {}

  readonly clock: Clock = () => (this.heldMs === null ? this.base() : new Date(this.heldMs));

  nowMs(): number {
    return this.base().getTime();
  }

  moveTo(instantMs: number): void {
    assert(instantMs <= this.nowMs(), `the story clock is held in the past only (${new Date(instantMs).toISOString()})`);
    assert(this.heldMs === null || instantMs > this.heldMs, `the story clock only moves forward (${new Date(instantMs).toISOString()})`);
    this.heldMs = instantMs;
  }

  release(): void {
    this.heldMs = null;
  }
}
