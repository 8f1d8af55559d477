import { assert } from '../shared/assert.js';
import type { RecordedEvent, SubscribeOptions } from './event-store.js';

/** Events per batch an adapter hands to a subscriber. */
export const subscriptionPageEventsMax = 1_000;

/**
 * The life cycle every adapter's catch-up subscription shares: the position it starts after,
 * "caught up" (everything that existed when subscribe was called has been delivered) as a
 * promise and a callback, and how a failure reaches the subscriber. How events arrive (pages
 * read from a file, a server's stream) is the adapter's.
 */
export class SubscriptionLifecycle {
  readonly caughtUp: Promise<void>;
  /** Position the subscription starts after (-1: from the first event). */
  readonly afterPosition: number;
  private resolveCaughtUp!: () => void;
  private rejectCaughtUp!: (error: Error) => void;
  private isCaughtUp = false;

  constructor(private readonly options: SubscribeOptions) {
    this.caughtUp = new Promise<void>((resolve, reject) => {
      this.resolveCaughtUp = resolve;
      this.rejectCaughtUp = reject;
    });
    // Whoever does not await `caughtUp` hears of a failure through onError instead.
    this.caughtUp.catch(() => undefined);
    const afterPosition = options.afterPosition ?? -1;
    assert(Number.isSafeInteger(afterPosition) && afterPosition >= -1, 'afterPosition is a position or -1');
    this.afterPosition = afterPosition;
  }

  /** Marks the subscription caught up once `checkpoint` reached `target` (the head at subscribe); once only. */
  reached(checkpoint: number, target: number): void {
    if (this.isCaughtUp || checkpoint < target) return;
    this.isCaughtUp = true;
    this.resolveCaughtUp();
    this.options.onCaughtUp?.();
  }

  /** The subscription stopped on `error`: `caughtUp` rejects if still pending, and onError hears it (or the process, when none is set). */
  fail(error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    if (!this.isCaughtUp) this.rejectCaughtUp(failure);
    if (this.options.onError) this.options.onError(failure);
    else
      queueMicrotask(() => {
        throw failure;
      });
  }
}

/**
 * Positions have no gaps; a gap means the log was damaged, and skipping it would hide that.
 * `remedy` says what the operator should do, in the adapter's words.
 */
export function checkContiguous(events: readonly RecordedEvent[], checkpoint: number, remedy: string): void {
  let expected = checkpoint + 1;
  for (const event of events) {
    if (event.position !== expected) throw new Error(`the log has no event at position ${expected} (next is ${event.position}): ${remedy}`);
    expected += 1;
  }
}
