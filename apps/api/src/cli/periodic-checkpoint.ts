import type { Ledger } from '@compute-ledger/ledger';
import type { Logger } from 'pino';

/**
 * The model checkpoint of `ledger serve`, written while it runs. The ledger writes one at a
 * clean stop; a server that is killed (SIGKILL, the OOM killer, a power cut) never stops
 * cleanly, and its restart would replay the whole log. So the server also writes one every
 * interval, when the model has advanced far enough since the last one to be worth it.
 *
 * A write runs from a timer, never inside a request, and the next is scheduled only when it has
 * finished, so two never overlap; `stop` waits for one under way. Serializing the model
 * (model-checkpoint.ts) is synchronous, so requests wait while it runs: that is the price of
 * the checkpoint, and why it is written at most once per interval.
 */

export interface PeriodicCheckpointOptions {
  intervalMs: number;
  /** Events the model must have advanced by since the last checkpoint. */
  eventsMin: number;
  logger: Logger;
}

export class PeriodicCheckpoint {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private stopped = false;

  private constructor(
    private readonly ledger: Ledger,
    private readonly options: PeriodicCheckpointOptions,
  ) {}

  /** Starts the timer; an interval of 0 writes none (the clean stop still does). */
  static start(ledger: Ledger, options: PeriodicCheckpointOptions): PeriodicCheckpoint {
    const periodic = new PeriodicCheckpoint(ledger, options);
    if (options.intervalMs > 0) periodic.schedule();
    return periodic;
  }

  /** No checkpoint starts after this; resolves once one under way is written. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.writing;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.writing = this.writeIfAdvanced().finally(() => {
        this.writing = null;
        this.schedule();
      });
    }, this.options.intervalMs);
    // A pending checkpoint never keeps the process alive.
    this.timer.unref();
  }

  private async writeIfAdvanced(): Promise<void> {
    const { eventsMin, logger } = this.options;
    // Counted from the checkpoint the model was restored from (none: -1), so that a start that
    // replayed much of the log, or seeded the demo, writes one at the first interval.
    const previous = this.ledger.runner.checkpointedPosition ?? -1;
    if (this.ledger.runner.factsSinceCheckpoint < eventsMin) return;
    const startedMs = performance.now();
    try {
      await this.ledger.checkpoint();
      const position = this.ledger.runner.checkpointedPosition ?? -1;
      const ms = Math.round(performance.now() - startedMs);
      logger.info({ position, eventsSinceLast: position - previous, ms }, `model checkpoint written at position ${position}`);
    } catch (error) {
      // A failed write (a full disk) costs a longer replay after a crash, never an answer: the
      // server serves on, and the next interval tries again.
      logger.error({ err: error }, 'writing the model checkpoint failed; the next interval tries again');
    }
  }
}
