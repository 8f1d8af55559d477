import { EventStoreDBClient } from '@eventstore/db-client';
import { AdapterStore, StoreOpenError } from '@compute-ledger/ledger';
import type {
  AppendResult,
  EventStore,
  FoldedEvent,
  ReadAllOptions,
  RecordedEvent,
  StreamWrite,
  SubscribeOptions,
  VerifyAnchor,
  VerifyResult,
} from '@compute-ledger/ledger';
import { redactCredentials, splitLedgerParameters, toClientConnectionString } from './connection.js';
import { streamNames } from './log-codec.js';
import type { StreamNames } from './log-codec.js';
import { EsdbReader } from './reader.js';
import type { Folded } from './reader.js';
import { defaultServerSizeLimits } from './sizes.js';
import type { ServerSizeLimits } from './sizes.js';
import { EsdbSubscription } from './subscription.js';
import { verifyLog } from './verifier.js';
import { EsdbWriter } from './writer.js';

/**
 * The event store on EventStoreDB / KurrentDB, through @eventstore/db-client (the only place
 * that imports it).
 *
 * The server appends atomically to one stream at a time, with an optimistic expected revision,
 * and orders all events in `$all`. The port asks for more: one hash chain over the whole log,
 * linear however many API instances write; recordedAt that never goes back along the log; event
 * ids unique across all streams (the same id with the same content again is a no-op, with other
 * content an error), where the server's own repeat detection covers one stream and, for `any`,
 * only recent events; and positions without holes. This is how the adapter provides them.
 *
 * One log stream. Every ledger event is appended to one server stream, `ledger-log`, packed with
 * the other events of its append into records (log-codec.ts: a server event of up to 256 KiB
 * holding consecutive events); its position is its place in the log, 0, 1, 2, ... without
 * holes, a number that stays exact below 2^53, and the fold knows which record holds it. Every
 * append to the log expects the exact server revision of the last record the writer folded,
 * so the server accepts it only if no other append came in between. Hence the log is one
 * chain with any number of writers, and everything the writer decided on that head still holds
 * when its append lands:
 * - each event's position, recordedAt and hash, computed before the append and stored in the
 *   event's metadata. The hash covers the position and recordedAt, so neither can be left to
 *   the server: recordedAt is the writer's clock, held at or after the log head's recordedAt,
 *   not the server's `created` (which the server still keeps beside it);
 * - the port's expected revision of the ledger stream, checked against the stream heads folded
 *   from the log, and whether each event id is already recorded, checked against an index of
 *   every id folded from the log, with the same rules as the SQLite store.
 * A writer whose log append is refused (WrongExpectedVersionError on the log) folds what the
 * other writer appended and decides again; the caller sees a ConcurrencyError or a
 * DuplicateEventIdError only when the new head makes its own expectation or ids fail. An append
 * of several events, or of several streams (appendMany), is one append to the log, so atomic.
 *
 * Streams from the fold. A ledger stream (`lease-1`, ...) is not a server stream: the writer's
 * fold of the log keeps the log position of every event of every stream (log-state.ts), and
 * readStream folds the log to its head (one read when nothing is new), then reads those
 * positions from the log, a run of adjacent positions per read, several reads at a time. So a
 * read sees every append acknowledged before it, of any instance, and an appendMany's streams
 * all at once. Versions before docs/adr/0001-esdb-single-log.md also appended a link (`$>`)
 * per event to a server stream of the ledger stream's name; logs that hold them keep working,
 * as the links are neither read nor written any more (the log was always the only truth).
 *
 * Positions, not `$all`. Reads of the log, headPosition, positionKnownAt (a binary search on
 * recordedAt over records) and subscriptions (the server's catch-up subscription to the log
 * stream, which it continues live) all work on the log stream's records, so system events, links and other
 * applications' streams never appear and need no filter, and a checkpoint is a plain number.
 *
 * A cluster's answers. An append whose answer is lost (a Prepare/CommitTimeout, NotLeader in
 * an election, a BatchAppend call that failed with the write in it, the node going away) may
 * or may not be recorded. The writer never answers it as failed and never sends it again
 * blindly: the next fold of the log tells (the append's first record carries its first event's
 * hash, which no other append can), and an append found recorded is answered as written. Lost races and unknown
 * outcomes are retried with exponential backoff and full jitter, for at most
 * appendRetryWindowMs (retry.ts). Every read requires the leader (reader.ts).
 *
 * Costs and assumptions. An append is one server append plus, when another writer appended
 * since, a read of what it appended. Each store instance keeps the id index, the stream
 * positions and where each record starts in memory and folds the whole log before its first append or stream read
 * (log-state.ts). Only this adapter writes the log stream. An append is
 * bounded by the server's MaxAppendSize (1 MiB by default up to 25.0, 256 MiB from 25.1; a
 * batch of 10,000 usage readings takes about 6 MiB), checked before it is sent (sizes.ts).
 * docs/adr/0001-esdb-single-log.md is why streams are read from the fold, not from links.
 */

export interface EsdbEventStoreOptions {
  /**
   * `esdb://host:2113?tls=false` (one node), `esdb://a:2113,b:2113,c:2113` (a cluster found by
   * gossip), `esdb+discover://cluster.example:2113` (found by DNS), or the same with
   * `kurrentdb://` or `kurrent://`. Credentials as `esdb://user:password@host:2113`.
   */
  connectionString: string;
  /** Where recordedAt comes from. Default: the system clock. */
  clock?: () => Date;
  /**
   * Put in front of every server stream name this store uses (default: none), so that several
   * ledgers, or test runs, can share one server.
   */
  streamPrefix?: string;
  /**
   * The server's MaxAppendSize, in bytes. Default: the connection string's `maxAppendSize`, else
   * 1 MiB (the server's default up to 25.0; 25.1 defaults to 256 MiB).
   */
  maxAppendSizeBytes?: number;
  /** The server's MaxAppendEventSize. Default: the connection string's `maxAppendEventSize`, else 16 MiB. */
  maxAppendEventSizeBytes?: number;
}

/** How long opening waits for the server before it gives up. */
export const openCheckTimeoutMs = 10_000;

/**
 * Connects and checks that the log stream, if it exists, is a ledger log this version reads.
 * A server that does not answer, or a log stream of something else, is a StoreOpenError.
 */
export async function openEsdbEventStore(options: EsdbEventStoreOptions): Promise<EsdbEventStore> {
  const shown = redactCredentials(options.connectionString);
  let client: EventStoreDBClient;
  let sizeLimits: ServerSizeLimits;
  try {
    const { url, parameters } = splitLedgerParameters(options.connectionString);
    sizeLimits = {
      maxAppendSizeBytes: options.maxAppendSizeBytes ?? parameters.maxAppendSizeBytes ?? defaultServerSizeLimits.maxAppendSizeBytes,
      maxAppendEventSizeBytes: options.maxAppendEventSizeBytes ?? parameters.maxAppendEventSizeBytes ?? defaultServerSizeLimits.maxAppendEventSizeBytes,
    };
    client = EventStoreDBClient.connectionString(toClientConnectionString(url));
  } catch (error) {
    throw new StoreOpenError(`cannot use ${shown} as an EventStoreDB connection string: ${errorMessage(error)}`, { cause: error });
  }
  const prefix = options.streamPrefix ?? '';
  if (prefix.startsWith('$')) throw new StoreOpenError(`stream prefix ${prefix}: names starting with $ are the server's system streams`);
  const store = new EsdbEventStore(client, streamNames(prefix), options.clock ?? (() => new Date()), sizeLimits);
  try {
    await withTimeout(store.headPosition(), openCheckTimeoutMs, `no answer within ${openCheckTimeoutMs} ms`);
  } catch (error) {
    await client.dispose().catch(() => undefined);
    throw new StoreOpenError(`cannot open the ledger log on ${shown}: ${errorMessage(error)}`, { cause: error });
  }
  return store;
}

export class EsdbEventStore extends AdapterStore<EsdbSubscription> implements EventStore {
  private readonly reader: EsdbReader;
  private readonly writer: EsdbWriter;
  /** Folds the log to its head in the writer's queue, then looks at the fold (reader.ts). */
  private readonly folded: Folded = (look) => this.writer.folded(look);

  /** Use openEsdbEventStore, which checks the server first. */
  constructor(
    private readonly client: EventStoreDBClient,
    private readonly names: StreamNames,
    clock: () => Date,
    sizeLimits: ServerSizeLimits = defaultServerSizeLimits,
  ) {
    super();
    this.reader = new EsdbReader(client, names);
    this.writer = new EsdbWriter(client, names, this.reader, clock, sizeLimits);
  }

  async readStream(streamId: string, fromRevision?: number, limit?: number): Promise<RecordedEvent[]> {
    this.checkOpen();
    return this.reader.readStream(streamId, fromRevision ?? 0, limit, this.folded);
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    this.checkOpen();
    return this.reader.readAll(options, this.folded);
  }

  /** The server sends whole events, so this is readAll. */
  async readForFold(fromPosition: number, limit: number): Promise<FoldedEvent[]> {
    return this.readAll({ fromPosition, limit });
  }

  /** One fold to the head (one read when nothing is new), then one lookup per id in the fold's index of every id (log-state.ts). */
  async positionsOfEventIds(eventIds: readonly string[]): Promise<Map<string, number>> {
    this.checkOpen();
    return this.folded((state) => {
      const positions = new Map<string, number>();
      for (const eventId of eventIds) {
        const position = state.positionOf(eventId);
        if (position !== undefined) positions.set(eventId, position);
      }
      return positions;
    });
  }

  /** Reads the events at the positions from the log, as a stream read does (reader.ts says what it costs). */
  async eventIdsAt(positions: readonly number[]): Promise<Map<number, string>> {
    this.checkOpen();
    return this.reader.eventIdsAt(positions, this.folded);
  }

  async headPosition(): Promise<number> {
    this.checkOpen();
    return this.reader.headPosition();
  }

  async positionKnownAt(knownAt: string): Promise<number> {
    this.checkOpen();
    return this.reader.positionKnownAt(knownAt, this.folded);
  }

  async verify(from?: VerifyAnchor): Promise<VerifyResult> {
    this.checkOpen();
    return verifyLog(this.reader, this.names, this.folded, from);
  }

  /** Several writes in one append to the log. */
  protected write(writes: readonly StreamWrite[]): Promise<AppendResult[]> {
    return this.writer.write(writes);
  }

  protected openSubscription(options: SubscribeOptions, onStopped: (subscription: EsdbSubscription) => void): EsdbSubscription {
    return new EsdbSubscription(this.client, this.names, this.reader, this.folded, options, onStopped);
  }

  /** Waits for the appends under way, then disconnects. */
  protected async release(): Promise<void> {
    await this.writer.idle();
    await this.client.dispose();
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
