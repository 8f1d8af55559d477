import { START } from '@eventstore/db-client';
import type { EventStoreDBClient, ResolvedEvent, StreamSubscription } from '@eventstore/db-client';
import { assert } from '../../shared/assert.js';
import type { RecordedEvent, SubscribeOptions, Subscription } from '../event-store.js';
import { fromLogEvent } from './log-codec.js';
import type { StreamNames } from './log-codec.js';
import type { EsdbReader } from './reader.js';

/** Events per batch handed to a subscriber. */
export const subscriptionPageEventsMax = 1_000;

/**
 * Events the subscription holds while its handler works. Past it the server's stream is paused
 * (gRPC flow control then holds the server back), so a slow projection costs bounded memory.
 */
const subscriptionBufferEventsMax = 4 * subscriptionPageEventsMax;

/**
 * A catch-up subscription on the log stream: the server sends the events after the checkpoint
 * (exclusive, as the port's `afterPosition` is), then every new one, in one ordered stream, so
 * catching up and going live cannot skip or repeat an event. Events are taken in batches of
 * whatever has arrived, and the next batch waits for the handler's promise.
 *
 * "Caught up" is decided here, against the head the log had when subscribe was called, rather
 * than taken from the server's caught-up message, which servers before 23.10 do not send.
 */
export class EsdbSubscription implements Subscription {
  readonly caughtUp: Promise<void>;
  private resolveCaughtUp!: () => void;
  private rejectCaughtUp!: (error: Error) => void;
  private isCaughtUp = false;
  private closed = false;
  private source: StreamSubscription | undefined;
  private readonly buffer: ResolvedEvent[] = [];
  private sourceFailure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly finished: Promise<void>;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly names: StreamNames,
    private readonly reader: EsdbReader,
    private readonly options: SubscribeOptions,
    private readonly onStopped: (subscription: EsdbSubscription) => void,
  ) {
    this.caughtUp = new Promise<void>((resolve, reject) => {
      this.resolveCaughtUp = resolve;
      this.rejectCaughtUp = reject;
    });
    // Whoever does not await `caughtUp` hears of a failure through onError instead.
    this.caughtUp.catch(() => undefined);
    const afterPosition = options.afterPosition ?? -1;
    assert(Number.isSafeInteger(afterPosition) && afterPosition >= -1, 'afterPosition is a position or -1');
    this.finished = this.run(afterPosition);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.notify();
    await this.finished;
  }

  private async run(afterPosition: number): Promise<void> {
    // Deliver nothing before subscribe has returned.
    await Promise.resolve();
    let checkpoint = afterPosition;
    try {
      const target = await this.reader.headPosition();
      if (checkpoint >= target) this.markCaughtUp();
      if (!this.closed) this.source = this.open(afterPosition);
      while (!this.closed) {
        if (this.sourceFailure !== undefined) throw this.sourceFailure;
        const batch = this.take();
        if (batch.length === 0) {
          await this.waitForEvents();
          continue;
        }
        const events = batch.map((resolved) => fromLogEvent(resolved, this.names.log).event);
        checkContiguous(events, checkpoint);
        if (this.closed) break;
        await this.options.onEvents(events);
        checkpoint = events[events.length - 1]?.position ?? checkpoint;
        if (!this.isCaughtUp && checkpoint >= target) this.markCaughtUp();
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      await this.source?.unsubscribe().catch(() => undefined);
      this.onStopped(this);
    }
  }

  private open(afterPosition: number): StreamSubscription {
    const fromRevision = afterPosition === -1 ? START : BigInt(afterPosition);
    const source = this.client.subscribeToStream(this.names.log, { fromRevision });
    source.on('data', (resolved: ResolvedEvent) => {
      this.buffer.push(resolved);
      if (this.buffer.length >= subscriptionBufferEventsMax) source.pause();
      this.notify();
    });
    source.on('error', (error: Error) => {
      this.sourceFailure = error;
      this.notify();
    });
    source.on('end', () => {
      this.sourceFailure ??= new Error('the server ended the subscription to the ledger log');
      this.notify();
    });
    return source;
  }

  /** Up to a page of what has arrived; resumes the server's stream once there is room again. */
  private take(): ResolvedEvent[] {
    const batch = this.buffer.splice(0, subscriptionPageEventsMax);
    if (this.source?.isPaused() === true && this.buffer.length < subscriptionBufferEventsMax) this.source.resume();
    return batch;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private waitForEvents(): Promise<void> {
    if (this.closed || this.buffer.length > 0 || this.sourceFailure !== undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  private markCaughtUp(): void {
    this.isCaughtUp = true;
    this.resolveCaughtUp();
    this.options.onCaughtUp?.();
  }

  private fail(error: Error): void {
    this.closed = true;
    if (!this.isCaughtUp) this.rejectCaughtUp(error);
    if (this.options.onError) this.options.onError(error);
    else
      queueMicrotask(() => {
        throw error;
      });
  }
}

/** Positions have no holes; a hole means the log was damaged, and skipping it would hide that. */
function checkContiguous(events: readonly RecordedEvent[], checkpoint: number): void {
  let expected = checkpoint + 1;
  for (const event of events) {
    if (event.position !== expected) throw new Error(`the ledger log has no event at position ${expected} (next is ${event.position}): run verify`);
    expected += 1;
  }
}
