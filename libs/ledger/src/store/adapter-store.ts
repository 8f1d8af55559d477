import type { AppendResult, EventToAppend, ExpectedRevision, StreamWrite, SubscribeOptions, Subscription } from './event-store.js';

/**
 * What every adapter's store does the same way around its storage: an append is an appendMany
 * of one write, a closed store refuses every call, subscriptions are tracked so that closing
 * stops them (waiting for handlers in progress) before the storage is released.
 */
export abstract class AdapterStore<S extends Subscription> {
  private readonly subscriptions = new Set<S>();
  private closed = false;

  async append(streamId: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    const [result] = await this.appendMany([{ streamId, events, expectedRevision }]);
    if (result === undefined) throw new Error('append answered no result');
    return result;
  }

  /** Several writes, to one or more streams, atomically: all of them are recorded, or none. */
  async appendMany(writes: readonly StreamWrite[]): Promise<AppendResult[]> {
    this.checkOpen();
    return this.write(writes);
  }

  subscribe(options: SubscribeOptions): Subscription {
    this.checkOpen();
    const subscription = this.openSubscription(options, (stopped) => this.subscriptions.delete(stopped));
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Stops the subscriptions (waiting for handlers in progress), then releases the storage. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.release();
  }

  /** The subscriptions open now. */
  protected get openSubscriptions(): ReadonlySet<S> {
    return this.subscriptions;
  }

  protected checkOpen(): void {
    if (this.closed) throw new Error('the event store is closed');
  }

  /** Records the writes atomically (the store is open). */
  protected abstract write(writes: readonly StreamWrite[]): Promise<AppendResult[]>;

  /** A subscription that calls `onStopped` once it has stopped, whatever stopped it. */
  protected abstract openSubscription(options: SubscribeOptions, onStopped: (subscription: S) => void): S;

  /** Releases the storage once the subscriptions have stopped. */
  protected abstract release(): Promise<void>;
}
