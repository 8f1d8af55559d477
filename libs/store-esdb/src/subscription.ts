import { START } from '@eventstore/db-client';
import type { EventStoreDBClient, ResolvedEvent, StreamSubscription } from '@eventstore/db-client';
import { checkContiguous, SubscriptionLifecycle, subscriptionPageEventsMax } from '@compute-ledger/ledger';
import type { RecordedEvent, SubscribeOptions, Subscription } from '@compute-ledger/ledger';
import { fromServerEvent } from './log-codec.js';
import type { StreamNames } from './log-codec.js';
import type { EsdbReader, Folded } from './reader.js';
import { backoff, isFinalSubscriptionError } from './retry.js';

/**
 * Events the subscription holds while its handler works. Past it the server's stream is paused
 * (gRPC flow control then holds the server back), so a slow projection costs bounded memory.
 */
const subscriptionBufferEventsMax = 4 * subscriptionPageEventsMax;

/**
 * How long a subscription keeps resubscribing, from the first time the server ended it, without
 * receiving an event in between, before it fails. A
 * server ends subscriptions when a node goes away or in an election; a new leader is usually
 * there within seconds.
 */
export const resubscribeWindowMs = 60_000;

/**
 * A catch-up subscription on the log stream: the server sends the records after the one before
 * the checkpoint's (found through the writer's fold; events up to the checkpoint, exclusive as
 * the port's `afterPosition` is, are dropped), then every new one, in one ordered stream, so
 * catching up and going live cannot skip or repeat an event. Records are unpacked as they
 * arrive; events are taken in batches of whatever has arrived, and the next batch waits for
 * the handler's promise.
 *
 * "Caught up" is decided here, against the head the log had when subscribe was called, rather
 * than taken from the server's caught-up message, which servers before 23.10 do not send and
 * later ones send again whenever the subscription caught up after falling behind.
 *
 * The server ends subscriptions (a node going away, an election, a subscription it dropped for
 * being too slow). Then the subscription resubscribes, with backoff, from the last event it
 * received (not the last it handed on: the buffer still holds the rest), so the handler sees
 * neither a gap nor a repeat; every batch is checked for that (checkContiguous).
 */
export class EsdbSubscription implements Subscription {
  readonly caughtUp: Promise<void>;
  private readonly lifecycle: SubscriptionLifecycle;
  private closed = false;
  private source: StreamSubscription | undefined;
  private readonly buffer: RecordedEvent[] = [];
  private sourceFailure: Error | undefined;
  /** The server ended the source (or it failed in a way a new subscription can get past). */
  private sourceEnded = false;
  /** Position of the last event received from the server. */
  private receivedThrough: number;
  /** Server revision of the last record received (-1: none), where a new subscription continues. */
  private receivedRecord = -1;
  /** When the server first ended a subscription since the last event received. */
  private troubleSince: number | undefined;
  private reopenAttempts = 0;
  private wake: (() => void) | undefined;
  private readonly finished: Promise<void>;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly names: StreamNames,
    private readonly reader: EsdbReader,
    private readonly folded: Folded,
    private readonly options: SubscribeOptions,
    private readonly onStopped: (subscription: EsdbSubscription) => void,
  ) {
    this.lifecycle = new SubscriptionLifecycle(options);
    this.caughtUp = this.lifecycle.caughtUp;
    this.receivedThrough = this.lifecycle.afterPosition;
    this.finished = this.run(this.lifecycle.afterPosition);
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
      this.lifecycle.reached(checkpoint, target);
      // Start after the record before the one that holds the first event to deliver (or before the next record, when none is folded yet).
      this.receivedRecord = await this.folded((state) => (afterPosition < state.headPosition ? state.recordOf(afterPosition + 1) : state.headRevision + 1) - 1);
      if (!this.closed) this.source = this.open(this.receivedRecord);
      while (!this.closed) {
        if (this.sourceFailure !== undefined) throw this.sourceFailure;
        const batch = this.take();
        if (batch.length === 0) {
          if (this.sourceEnded) await this.reopen();
          else await this.waitForEvents();
          continue;
        }
        checkContiguous(batch, checkpoint, 'the ledger log is damaged (run verify)');
        if (this.closed) break;
        await this.options.onEvents(batch);
        checkpoint = batch[batch.length - 1]?.position ?? checkpoint;
        this.lifecycle.reached(checkpoint, target);
      }
    } catch (error) {
      this.closed = true;
      this.lifecycle.fail(error);
    } finally {
      await this.source?.unsubscribe().catch(() => undefined);
      this.onStopped(this);
    }
  }

  /** Subscribes to the records after server revision `afterRecord` (-1: from the first). */
  private open(afterRecord: number): StreamSubscription {
    const fromRevision = afterRecord === -1 ? START : BigInt(afterRecord);
    const source = this.client.subscribeToStream(this.names.log, { fromRevision, requiresLeader: true });
    const current = () => source === this.source;
    source.on('data', (resolved: ResolvedEvent) => {
      if (!current() || this.sourceFailure !== undefined) return;
      try {
        const record = fromServerEvent(resolved, this.names.log);
        this.receivedRecord = record.revision;
        for (const event of record.events) {
          // Events of the first record at or before the checkpoint were delivered already.
          if (event.position <= this.receivedThrough) continue;
          this.buffer.push(event);
          this.receivedThrough = event.position;
        }
      } catch (error) {
        this.sourceFailure = error instanceof Error ? error : new Error(String(error));
      }
      this.troubleSince = undefined;
      this.reopenAttempts = 0;
      if (this.buffer.length >= subscriptionBufferEventsMax) source.pause();
      this.notify();
    });
    source.on('error', (error: Error) => {
      if (!current()) return;
      // Anything else (NotLeader, unavailable, a call the client cancelled while reconnecting) a new subscription gets past.
      if (isFinalSubscriptionError(error)) this.sourceFailure = error;
      else this.sourceEnded = true;
      this.notify();
    });
    source.on('end', () => {
      if (!current()) return;
      this.sourceEnded = true;
      this.notify();
    });
    return source;
  }

  /** Subscribes again after the last event received, once the server ended the previous subscription. */
  private async reopen(): Promise<void> {
    this.troubleSince ??= Date.now();
    if (Date.now() - this.troubleSince > resubscribeWindowMs) {
      throw new Error(`the server kept ending the subscription to the ledger log, with nothing received for ${resubscribeWindowMs} ms`);
    }
    const ended = this.source;
    this.source = undefined;
    await ended?.unsubscribe().catch(() => undefined);
    this.reopenAttempts += 1;
    await backoff(this.reopenAttempts);
    if (this.closed) return;
    this.sourceEnded = false;
    this.source = this.open(this.receivedRecord);
  }

  /** Up to a page of what has arrived; resumes the server's stream once there is room again. */
  private take(): RecordedEvent[] {
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
    if (this.closed || this.buffer.length > 0 || this.sourceFailure !== undefined || this.sourceEnded) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }
}

