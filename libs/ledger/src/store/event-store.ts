/**
 * The event store port. Everything the ledger knows is an event appended here; every other
 * piece of state is derived from it and can be rebuilt from it. Adapters (sqlite/, esdb/)
 * implement this port and pass the same contract suite (test/store).
 */

/** JSON values as they are stored: decimals are strings, never numbers with fractions. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * What an append expects of the stream: that it does not exist yet, that it exists, nothing,
 * or that its last event has exactly this revision (revisions count from 0).
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | number;

export interface EventMetadata {
  /** Which API key or job caused the event. */
  actor?: string;
  correlationId?: string;
  causationId?: string;
  [key: string]: JsonValue | undefined;
}

export interface EventToAppend {
  /** Client- or ledger-chosen id; appending the same id with the same content again is a no-op. */
  eventId: string;
  type: string;
  schemaVersion: number;
  data: JsonObject;
  metadata?: EventMetadata;
}

export interface RecordedEvent {
  /** Global position: strictly increasing in log order. */
  position: number;
  streamId: string;
  /** Position inside the stream, from 0. */
  revision: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: JsonObject;
  metadata: EventMetadata;
  /** When the ledger learned the fact: ISO-8601 UTC, non-decreasing in log order. */
  recordedAt: string;
  /** sha256(previous hash + canonical JSON of the event), hex. */
  hash: string;
}

/** What folding an event into a projection needs: the event without metadata, recordedAt and hash. */
export type FoldedEvent = Pick<RecordedEvent, 'position' | 'streamId' | 'revision' | 'eventId' | 'type' | 'schemaVersion' | 'data'>;

/**
 * A FoldedEvent as a row, its data still the JSON text the store holds: a replay folds
 * millions of events, and a fold that reads a few fields of the text needs neither an object
 * per event nor the parsed data.
 */
export type FoldRow = [position: number, streamId: string, revision: number, eventId: string, type: string, schemaVersion: number, data: string];

/** A fold row as a FoldedEvent, its data parsed. */
export function foldedEventOfRow(row: FoldRow): FoldedEvent {
  const [position, streamId, revision, eventId, type, schemaVersion, data] = row;
  return { position, streamId, revision, eventId, type, schemaVersion, data: JSON.parse(data) as JsonObject };
}

export interface AppendResult {
  /**
   * Revision of the stream's last event after the append. For an idempotent retry that wrote
   * nothing: the revision of the already recorded copy of the append's last event.
   */
  nextRevision: number;
  /** Global position of the last event of the append (of the existing event for a no-op). */
  position: number;
  /** False when every event was already in the log with the same content (idempotent retry). */
  written: boolean;
}

/** One write of an `appendMany`: the same arguments as one `append`. */
export interface StreamWrite {
  streamId: string;
  events: readonly EventToAppend[];
  expectedRevision: ExpectedRevision;
}

/** A position and hash known to be good (kept outside the store), to verify only what came after. */
export interface VerifyAnchor {
  position: number;
  hash: string;
}

export type VerifyResult =
  | { ok: true; eventsChecked: number; headPosition: number; headHash: string }
  | { ok: false; firstInvalidPosition: number; reason: string };

export interface ReadAllOptions {
  /** First position to read (inclusive). Default: the start of the log. */
  fromPosition?: number;
  /** At most this many events. */
  limit: number;
  /** Only events recorded at or before this instant (ISO-8601). */
  knownAt?: string;
}

export interface SubscribeOptions {
  /** Deliver events after this position (exclusive); omit to start at the beginning. */
  afterPosition?: number;
  /**
   * Where the subscriber already is, asked before each read: events up to it are not read for
   * it (it folded them by other means, e.g. its own appends). A hint an adapter may ignore; a
   * subscriber still skips events it has.
   */
  heldPosition?: () => number;
  /** Called for each batch of events, in global order; the next batch waits for the promise. */
  onEvents: (events: readonly RecordedEvent[]) => void | Promise<void>;
  /** Called once when the subscription has delivered everything that existed when it started. */
  onCaughtUp?: () => void;
  /**
   * Called once when the subscription stops because a handler or a read failed; nothing is
   * delivered after it. Without it the error is rethrown (an unhandled rejection), because a
   * projection that silently stops is worse than a process that stops.
   */
  onError?: (error: Error) => void;
}

export interface Subscription {
  /**
   * Resolves when the subscription has caught up with the log as it was when it started;
   * rejects when it fails before that.
   */
  readonly caughtUp: Promise<void>;
  close(): Promise<void>;
}

export interface EventStore {
  append(streamId: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /** Several streams in one atomic transaction (used by batched usage ingest). */
  appendMany?(writes: readonly StreamWrite[]): Promise<AppendResult[]>;
  /**
   * Events of the stream from `fromRevision` (default 0) in revision order, at most `limit` of
   * them. Without a limit, a stream with more than `readStreamEventsMax` events is an error.
   */
  readStream(streamId: string, fromRevision?: number, limit?: number): Promise<RecordedEvent[]>;
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * Events from `fromPosition` in log order, at most `limit`, for folding into a projection:
   * what readAll answers less what a fold never reads, which a replay of the whole log would
   * otherwise decode for every event.
   */
  readForFold(fromPosition: number, limit: number): Promise<FoldedEvent[]>;
  /**
   * The same events as readForFold, as rows with the data unparsed. Only stores that hold the
   * data as text have it (a store that receives parsed events answers readForFold).
   */
  readFoldRows?(fromPosition: number, limit: number): Promise<FoldRow[]>;
  subscribe(options: SubscribeOptions): Subscription;
  /**
   * Where the events with these ids are: each id the store holds, with its position; ids it does
   * not hold are absent from the answer. Any number of ids (the adapter reads them in chunks).
   */
  positionsOfEventIds(eventIds: readonly string[]): Promise<Map<string, number>>;
  /** The event id of the event at each of these positions; a position the log does not hold is absent. Any number of positions. */
  eventIdsAt(positions: readonly number[]): Promise<Map<number, string>>;
  /** Position of the last event in the log, or -1 when it is empty. */
  headPosition(): Promise<number>;
  /** Position of the last event recorded at or before `knownAt`, or -1 when there is none. */
  positionKnownAt(knownAt: string): Promise<number>;
  /**
   * Recomputes the hash chain from the first event (or from just after the anchor, whose stored
   * hash must equal the anchor's) and names the first event that does not match.
   */
  verify(from?: VerifyAnchor): Promise<VerifyResult>;
  close(): Promise<void>;
}
