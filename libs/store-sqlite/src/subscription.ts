import { checkContiguous, SubscriptionLifecycle, subscriptionPageEventsMax } from '@compute-ledger/ledger';
import type { RecordedEvent, SubscribeOptions, Subscription } from '@compute-ledger/ledger';

/**
 * How often a live subscription looks at the file by itself. Commits of this store instance
 * wake it at once; this only bounds how late appends by other processes on the same file are
 * seen, so it is low to cost nothing when the log is quiet.
 */
export const subscriptionPollIntervalMs = 500;

/** What a subscription reads from: positions of a log without gaps. */
export interface SubscriptionSource {
  headPosition(): number;
  readPage(fromPosition: number, limit: number): RecordedEvent[];
}

/**
 * A catch-up subscription: reads pages from the checkpoint until it reaches the end of the log,
 * then waits for a commit (or the poll) and reads on. One loop does both, so "catching up" and
 * "live" cannot deliver the same event twice or skip one: the next read always starts right
 * after the last delivered position, and each handler's promise is awaited before it.
 */
export class CatchUpSubscription implements Subscription {
  readonly caughtUp: Promise<void>;
  private readonly lifecycle: SubscriptionLifecycle;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly finished: Promise<void>;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly options: SubscribeOptions,
    private readonly onStopped: (subscription: CatchUpSubscription) => void,
  ) {
    this.lifecycle = new SubscriptionLifecycle(options);
    this.caughtUp = this.lifecycle.caughtUp;
    // "Caught up" means: everything that existed when subscribe was called has been delivered.
    const target = source.headPosition();
    this.finished = this.run(this.lifecycle.afterPosition, target);
  }

  /** A commit happened: read again now rather than at the next poll. */
  notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.notify();
    await this.finished;
  }

  private async run(afterPosition: number, target: number): Promise<void> {
    // Deliver nothing before subscribe has returned.
    await Promise.resolve();
    let checkpoint = afterPosition;
    try {
      while (!this.closed) {
        // The subscriber may hold more than was delivered: it need not be read for it again.
        checkpoint = Math.max(checkpoint, this.options.heldPosition?.() ?? checkpoint);
        this.lifecycle.reached(checkpoint, target);
        const events = this.source.readPage(checkpoint + 1, subscriptionPageEventsMax);
        if (events.length === 0) {
          await this.waitForCommit();
          continue;
        }
        checkContiguous(events, checkpoint, 'the file is damaged (run verify)');
        await this.options.onEvents(events);
        checkpoint = events[events.length - 1]?.position ?? checkpoint;
      }
    } catch (error) {
      this.closed = true;
      this.lifecycle.fail(error);
    } finally {
      this.onStopped(this);
    }
  }

  /** Resolves on the next commit of this store, after the poll interval, or on close. */
  private waitForCommit(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.notify(), subscriptionPollIntervalMs);
      // A quiet subscription alone does not keep the process alive, like the file handle.
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
