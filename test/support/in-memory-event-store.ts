import { ledgerEventRegistry } from '@compute-ledger/contracts';
import {
  ConcurrencyError,
  DuplicateEventIdError,
  appendEventsMax,
  canonicalJson,
  chainHash,
  genesisHash,
  readStreamEventsMax,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type FoldedEvent,
  type ReadAllOptions,
  type RecordedEvent,
  type StreamWrite,
  type SubscribeOptions,
  type Subscription,
  type VerifyAnchor,
  type VerifyResult,
} from '@compute-ledger/ledger';

/**
 * An event store in memory that keeps the port's promises the way the SQLite adapter does:
 * expected revisions are checked, an append (and an appendMany over several streams) is atomic,
 * event ids are unique across the log, and a write whose every event is already recorded with
 * the same stream, type, version and data succeeds without writing. Every call yields to the
 * event loop first, so concurrent callers interleave as they would against a real store.
 *
 * Every ledger event appended is also checked against its current schema, which the ledger
 * leaves out on its hot path for events built from input the same schema parsed: a decider
 * that builds a malformed event fails the tests that use this store.
 */

interface StoredEvent extends RecordedEvent {
  dataJson: string;
  metadataJson: string;
}

export interface InMemoryEventStoreOptions {
  clock?: () => Date;
  /** Leave appendMany out, to exercise the callers' path for stores without it. */
  withoutAppendMany?: boolean;
}

export class InMemoryEventStore implements EventStore {
  readonly log: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly byEventId = new Map<string, StoredEvent>();
  private readonly clock: () => Date;
  appendMany?: (writes: readonly StreamWrite[]) => Promise<AppendResult[]>;
  /** Appends attempted (including refused ones), for tests that count round trips. */
  appendCalls = 0;

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
    if (options.withoutAppendMany !== true) this.appendMany = (writes) => this.appendWrites(writes);
  }

  async append(streamId: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    const [result] = await this.appendWrites([{ streamId, events, expectedRevision }]);
    if (result === undefined) throw new Error('one write answers one result');
    return result;
  }

  async readStream(streamId: string, fromRevision = 0, limit?: number): Promise<RecordedEvent[]> {
    await yieldToEventLoop();
    const events = (this.streams.get(streamId) ?? []).slice(fromRevision);
    if (limit === undefined && events.length > readStreamEventsMax) throw new RangeError(`stream ${streamId} is longer than readStreamEventsMax`);
    return events.slice(0, limit ?? readStreamEventsMax).map(toRecorded);
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    await yieldToEventLoop();
    const from = options.fromPosition ?? 0;
    const knownAt = options.knownAt === undefined ? null : Date.parse(options.knownAt);
    const events: RecordedEvent[] = [];
    for (let position = from; position < this.log.length && events.length < options.limit; position += 1) {
      const event = this.log[position];
      if (event === undefined) break;
      if (knownAt !== null && Date.parse(event.recordedAt) > knownAt) break;
      events.push(toRecorded(event));
    }
    return events;
  }

  async readForFold(fromPosition: number, limit: number): Promise<FoldedEvent[]> {
    return this.readAll({ fromPosition, limit });
  }

  subscribe(options: SubscribeOptions): Subscription {
    let closed = false;
    let position = options.afterPosition ?? -1;
    const deliver = async (): Promise<void> => {
      const events = this.log.slice(position + 1).map(toRecorded);
      if (events.length === 0) return;
      position = events[events.length - 1]?.position ?? position;
      await options.onEvents(events);
    };
    const caughtUp = deliver().then(() => options.onCaughtUp?.());
    const timer = setInterval(() => {
      if (!closed) void deliver();
    }, 10);
    return {
      caughtUp,
      close: async () => {
        closed = true;
        clearInterval(timer);
      },
    };
  }

  async positionsOfEventIds(eventIds: readonly string[]): Promise<Map<string, number>> {
    await yieldToEventLoop();
    const positions = new Map<string, number>();
    for (const eventId of eventIds) {
      const event = this.byEventId.get(eventId);
      if (event !== undefined) positions.set(eventId, event.position);
    }
    return positions;
  }

  async eventIdsAt(positions: readonly number[]): Promise<Map<number, string>> {
    await yieldToEventLoop();
    const eventIds = new Map<number, string>();
    for (const position of positions) {
      const event = this.log[position];
      if (event !== undefined) eventIds.set(position, event.eventId);
    }
    return eventIds;
  }

  async headPosition(): Promise<number> {
    return this.log.length - 1;
  }

  async positionKnownAt(knownAt: string): Promise<number> {
    const knownAtMs = Date.parse(knownAt);
    let position = -1;
    for (const event of this.log) {
      if (Date.parse(event.recordedAt) > knownAtMs) break;
      position = event.position;
    }
    return position;
  }

  async verify(from?: VerifyAnchor): Promise<VerifyResult> {
    let previousHash = from?.hash ?? genesisHash;
    const start = from === undefined ? 0 : from.position + 1;
    for (const event of this.log.slice(start)) {
      if (chainHash(previousHash, event) !== event.hash) return { ok: false, firstInvalidPosition: event.position, reason: 'hash does not match' };
      previousHash = event.hash;
    }
    return { ok: true, eventsChecked: this.log.length - start, headPosition: this.log.length - 1, headHash: previousHash };
  }

  async close(): Promise<void> {}

  /** Events of a stream, for assertions. */
  streamEvents(streamId: string): readonly RecordedEvent[] {
    return this.streams.get(streamId) ?? [];
  }

  private async appendWrites(writes: readonly StreamWrite[]): Promise<AppendResult[]> {
    await yieldToEventLoop();
    this.appendCalls += 1;
    const eventCount = writes.reduce((count, write) => count + write.events.length, 0);
    if (writes.length === 0 || eventCount > appendEventsMax) throw new RangeError(`an append of ${eventCount} events in ${writes.length} writes`);
    const seen = new Set<string>();
    for (const write of writes) {
      if (write.events.length === 0) throw new RangeError(`append to ${write.streamId}: at least one event is needed`);
      for (const event of write.events) {
        if (ledgerEventRegistry.has(event.type)) ledgerEventRegistry.parseCurrent(event.type, event.data);
        if (seen.has(event.eventId)) throw new DuplicateEventIdError(event.eventId, 'it appears more than once in one append');
        seen.add(event.eventId);
      }
    }
    // Everything is checked before anything is written: the writes are one transaction.
    const outcomes = writes.map((write) => this.alreadyRecorded(write));
    writes.forEach((write, index) => {
      if (outcomes[index] === undefined) checkExpectedRevision(write.streamId, write.expectedRevision, this.revisionOf(write.streamId));
    });
    const recordedAt = this.clock().toISOString();
    return writes.map((write, index) => outcomes[index] ?? this.write(write, recordedAt));
  }

  private alreadyRecorded(write: StreamWrite): AppendResult | undefined {
    let matched: StoredEvent | undefined;
    let matchedCount = 0;
    for (const event of write.events) {
      const existing = this.byEventId.get(event.eventId);
      if (existing === undefined) continue;
      const sameContent =
        existing.streamId === write.streamId &&
        existing.type === event.type &&
        existing.schemaVersion === event.schemaVersion &&
        existing.dataJson === canonicalJson(event.data);
      if (!sameContent) throw new DuplicateEventIdError(event.eventId, `recorded at position ${existing.position} with other content`);
      matched = existing;
      matchedCount += 1;
    }
    if (matched === undefined) return undefined;
    if (matchedCount < write.events.length) throw new DuplicateEventIdError(matched.eventId, `the append to ${write.streamId} mixes ids already recorded with new ones`);
    return { nextRevision: matched.revision, position: matched.position, written: false };
  }

  private revisionOf(streamId: string): number {
    return (this.streams.get(streamId)?.length ?? 0) - 1;
  }

  private write(write: StreamWrite, recordedAt: string): AppendResult {
    let stream = this.streams.get(write.streamId);
    if (stream === undefined) {
      stream = [];
      this.streams.set(write.streamId, stream);
    }
    for (const event of write.events) {
      const previousHash = this.log[this.log.length - 1]?.hash ?? genesisHash;
      const stored: StoredEvent = {
        position: this.log.length,
        streamId: write.streamId,
        revision: stream.length,
        eventId: event.eventId,
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: JSON.parse(JSON.stringify(event.data)),
        metadata: JSON.parse(JSON.stringify(event.metadata ?? {})),
        recordedAt,
        hash: '',
        dataJson: canonicalJson(event.data),
        metadataJson: canonicalJson(event.metadata ?? {}),
      };
      stored.hash = chainHash(previousHash, stored);
      this.log.push(stored);
      stream.push(stored);
      this.byEventId.set(stored.eventId, stored);
    }
    return { nextRevision: stream.length - 1, position: this.log.length - 1, written: true };
  }
}

function checkExpectedRevision(streamId: string, expected: ExpectedRevision, current: number): void {
  const holds =
    expected === 'any' ||
    (expected === 'no_stream' && current === -1) ||
    (expected === 'stream_exists' && current >= 0) ||
    expected === current;
  if (!holds) throw new ConcurrencyError(streamId, String(expected), current === -1 ? 'no_stream' : String(current));
}

function toRecorded(event: StoredEvent): RecordedEvent {
  const { dataJson: _dataJson, metadataJson: _metadataJson, ...recorded } = event;
  return recorded;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
