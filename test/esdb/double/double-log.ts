import { randomUUID } from 'node:crypto';
/**
 * The storage model of the EventStoreDB test double: streams, the `$all` log and the server's
 * rules for expected revisions, without any gRPC. Everything lives in memory, so a test that
 * needs an empty server starts another double (or uses fresh stream names).
 *
 * Positions. The server's `$all` position of an event is the byte offset of its record in the
 * transaction file; an event written without an explicit transaction has commit position ==
 * prepare position, and an append answers the position of its last event. The double counts
 * bytes the same way, with a fixed header per record, so positions grow by more than one per
 * event and a client cannot mistake them for a dense sequence.
 */

/** Bytes a record takes beside its data, metadata, type and stream name (the real header is of this order). */
const recordHeaderBytes = 80;

/**
 * The server's size rules. MaxAppendSize bounds the events of one append; from 25.1 the server
 * also bounds one event (MaxAppendEventSize, TFConsts.MaxLogRecordSize) and its default
 * MaxAppendSize is a whole chunk (TFConsts.ChunkSize), where up to 25.0 it was 1 MiB
 * (ClusterVNodeOptions.Application).
 */
export interface SizeRules {
  maxAppendSizeBytes: number;
  /** Undefined: the version has no per-event limit of its own. */
  maxAppendEventSizeBytes: number | undefined;
}

export type ServerVersion = '24.10' | '25.0' | '25.1';

const mebibyte = 1_048_576;

export const sizeRulesByVersion: Readonly<Record<ServerVersion, SizeRules>> = {
  '24.10': { maxAppendSizeBytes: mebibyte, maxAppendEventSizeBytes: undefined },
  '25.0': { maxAppendSizeBytes: mebibyte, maxAppendEventSizeBytes: undefined },
  '25.1': { maxAppendSizeBytes: 256 * mebibyte, maxAppendEventSizeBytes: 16 * mebibyte },
};

/** The server's default `MaxAppendSize` up to 25.0: 1 MiB over the events of one append. */
export const defaultMaxAppendSizeBytes = mebibyte;

/** `created` is .NET ticks (100 ns) since the Unix epoch; the client divides by 10,000. */
const ticksPerMillisecond = 10_000n;

export interface StoredEvent {
  streamName: string;
  revision: number;
  /** UUID text, as the client sends it. */
  eventId: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  customMetadata: Uint8Array;
  createdTicks: bigint;
  /** Commit position == prepare position. */
  position: number;
  /**
   * Until when (ms) the write is not yet replicated to a quorum: a repeat of it then is
   * "IdempotentNotReady" (IndexWriter.CheckCommit), which the server drops without an answer.
   */
  replicatedAtMs: number;
}

export interface ProposedEvent {
  eventId: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  customMetadata: Uint8Array;
}

export type ExpectedRevision =
  | { kind: 'any' }
  | { kind: 'no_stream' }
  | { kind: 'stream_exists' }
  | { kind: 'revision'; revision: number };

/**
 * `currentRevision` -1 means the stream does not exist; `position` -1 means none (an empty append).
 * An idempotent outcome answers the revision and position of the last event already recorded.
 */
export type AppendOutcome =
  | { kind: 'written' | 'idempotent'; currentRevision: number; position: number }
  | { kind: 'wrong_expected_version'; currentRevision: number }
  /** A repeat of a write not yet replicated: the server drops it (StorageWriterService) and the request times out. */
  | { kind: 'idempotent_not_ready' }
  /** The stream was tombstoned: it can never be written again. */
  | { kind: 'stream_deleted' };

export type AppendListener = (events: readonly StoredEvent[]) => void;

export class DoubleLog {
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly all: StoredEvent[] = [];
  private nextPosition = 0;
  private readonly listeners = new Set<AppendListener>();
  private readonly tombstoned = new Set<string>();

  /**
   * A lagging follower's view: reads that do not require the leader see only events before this
   * position (undefined: followers are up to date).
   */
  private followerSeesBefore: number | undefined;

  /**
   * Streams whose repeats the server no longer recognizes: its idempotency cache (8 MiB of
   * recent ids by default) has evicted them, so a repeat is judged as a new write.
   */
  forgetsRepeatsIn: (streamName: string) => boolean = () => false;

  constructor(private readonly nowMs: () => number) {}

  /**
   * The server's commit check (IndexWriter.CheckCommit): an exact expectation (or no_stream,
   * which is revision -1) that is behind the stream is an idempotent success when the events
   * at the following revisions carry the proposed ids, and a wrong expected version otherwise,
   * also when only some of them match. `any` and `stream_exists` recognize a repeat by its
   * first id; the server only remembers recent ids for this, the double remembers all, which is
   * one of the answers the server may give.
   */
  append(streamName: string, expected: ExpectedRevision, proposed: readonly ProposedEvent[], replicationDelayMs = 0): AppendOutcome {
    if (this.tombstoned.has(streamName)) return { kind: 'stream_deleted' };
    const events = this.streams.get(streamName) ?? [];
    const current = events.length - 1;
    switch (expected.kind) {
      case 'any':
        return this.repeatOf(events, proposed) ?? this.write(streamName, events, proposed, replicationDelayMs);
      case 'stream_exists':
        if (current === -1) return { kind: 'wrong_expected_version', currentRevision: current };
        return this.repeatOf(events, proposed) ?? this.write(streamName, events, proposed, replicationDelayMs);
      case 'no_stream':
      case 'revision': {
        const revision = expected.kind === 'no_stream' ? -1 : expected.revision;
        if (revision === current) return this.write(streamName, events, proposed, replicationDelayMs);
        if (revision < current) return this.repeatAt(events, revision, proposed);
        return { kind: 'wrong_expected_version', currentRevision: current };
      }
    }
  }

  /** A stream as the leader has it, or (`fromLeader` false) as a lagging follower does. */
  stream(streamName: string, fromLeader = true): readonly StoredEvent[] | undefined {
    const events = this.streams.get(streamName);
    const before = this.followerSeesBefore;
    if (fromLeader || before === undefined || events === undefined) return events;
    const visible = events.filter((event) => event.position < before);
    return visible.length === 0 ? undefined : visible;
  }

  allEvents(fromLeader = true): readonly StoredEvent[] {
    const before = this.followerSeesBefore;
    if (fromLeader || before === undefined) return this.all;
    return this.all.slice(0, this.indexAtOrAfter(before));
  }

  /**
   * The first revision a read of the stream shows, from its metadata (the last event of
   * `$$<stream>`): `$tb` (truncate before, also what a soft delete sets) and `$maxCount` (only the
   * last so many), as the server's index reader applies them. Hidden events stay in `$all` until
   * a scavenge, which the double does not run.
   */
  visibleFrom(streamName: string): number {
    const metadata = this.streams.get(`$$${streamName}`)?.at(-1);
    if (metadata === undefined) return 0;
    let parsed: { $tb?: unknown; $maxCount?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(metadata.data).toString('utf8')) as typeof parsed;
    } catch {
      return 0;
    }
    const length = this.streams.get(streamName)?.length ?? 0;
    const truncateBefore = typeof parsed.$tb === 'number' ? parsed.$tb : 0;
    const maxCount = typeof parsed.$maxCount === 'number' ? length - parsed.$maxCount : 0;
    return Math.max(0, truncateBefore, maxCount);
  }

  isTombstoned(streamName: string): boolean {
    return this.tombstoned.has(streamName);
  }

  /**
   * A soft delete (Streams/Delete): the stream reads as not found, and an append continues at
   * the next revision, showing only what comes after (the server sets `$tb` the same way).
   * Answers the position of the metadata event.
   */
  softDelete(streamName: string): number {
    const next = this.streams.get(streamName)?.length ?? 0;
    const metadata: ProposedEvent = { eventId: randomUUID(), type: '$metadata', contentType: 'application/json', data: Buffer.from(JSON.stringify({ $tb: next })), customMetadata: new Uint8Array() };
    const outcome = this.append(`$$${streamName}`, { kind: 'any' }, [metadata]);
    return outcome.kind === 'written' ? outcome.position : -1;
  }

  /** A hard delete (Streams/Tombstone): the stream reads as deleted and refuses every append, for ever. */
  tombstone(streamName: string): void {
    this.tombstoned.add(streamName);
  }

  /** Followers stop applying what the leader writes from now on, until the returned function is called. */
  lagFollowers(): () => void {
    this.followerSeesBefore ??= this.nextPosition;
    return () => {
      this.followerSeesBefore = undefined;
    };
  }

  /** Index in `allEvents()` of the first event at or after `position`. */
  indexAtOrAfter(position: number): number {
    let low = 0;
    let high = this.all.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.all[middle]?.position ?? Infinity) < position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Calls `listener` after every write with the events it wrote; answers the way to stop. */
  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Replaces the stored data of one event, as someone with access to the database files could. */
  tamper(streamName: string, revision: number, change: (data: Uint8Array) => Uint8Array): void {
    const event = this.streams.get(streamName)?.[revision];
    if (event === undefined) throw new Error(`the double has no event ${revision} in ${streamName}`);
    event.data = change(event.data);
  }

  private write(streamName: string, events: StoredEvent[], proposed: readonly ProposedEvent[], replicationDelayMs: number): AppendOutcome {
    if (proposed.length === 0) {
      return { kind: 'written', currentRevision: events.length - 1, position: events.at(-1)?.position ?? -1 };
    }
    const createdTicks = BigInt(this.nowMs()) * ticksPerMillisecond;
    const replicatedAtMs = Date.now() + replicationDelayMs;
    const written: StoredEvent[] = [];
    for (const event of proposed) {
      const stored: StoredEvent = { ...event, streamName, revision: events.length, createdTicks, position: this.nextPosition, replicatedAtMs };
      this.nextPosition += recordBytes(streamName, event);
      events.push(stored);
      this.all.push(stored);
      written.push(stored);
    }
    this.streams.set(streamName, events);
    for (const listener of this.listeners) listener(written);
    const last = written[written.length - 1]!;
    return { kind: 'written', currentRevision: last.revision, position: last.position };
  }

  private repeatAt(events: readonly StoredEvent[], revision: number, proposed: readonly ProposedEvent[]): AppendOutcome {
    const current = events.length - 1;
    if (proposed.length > 0 && this.forgetsRepeatsIn(events[0]?.streamName ?? '')) return { kind: 'wrong_expected_version', currentRevision: current };
    for (let index = 0; index < proposed.length; index += 1) {
      if (events[revision + 1 + index]?.eventId !== proposed[index]?.eventId) return { kind: 'wrong_expected_version', currentRevision: current };
    }
    const last = events[revision + proposed.length];
    if (last === undefined) return { kind: 'written', currentRevision: current, position: events.at(-1)?.position ?? -1 };
    if (last.replicatedAtMs > Date.now()) return { kind: 'idempotent_not_ready' };
    return { kind: 'idempotent', currentRevision: last.revision, position: last.position };
  }

  private repeatOf(events: readonly StoredEvent[], proposed: readonly ProposedEvent[]): AppendOutcome | undefined {
    const first = proposed[0];
    const start = first === undefined ? -1 : events.findIndex((event) => event.eventId === first.eventId);
    if (start === -1) return undefined;
    return this.repeatAt(events, start - 1, proposed);
  }
}

/**
 * What the server counts against MaxAppendSize and MaxAppendEventSize for one event
 * (Event.SizeOnDisk): data + metadata + twice the type's length in UTF-16 code units.
 */
export function eventSizeBytes(event: Pick<ProposedEvent, 'type' | 'data' | 'customMetadata'>): number {
  return event.data.length + event.customMetadata.length + 2 * event.type.length;
}

function recordBytes(streamName: string, event: ProposedEvent): number {
  return recordHeaderBytes + Buffer.byteLength(streamName) + eventSizeBytes(event);
}
