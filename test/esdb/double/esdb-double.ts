import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import featuresGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import featuresPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { AppendReq, AppendResp, BatchAppendReq, BatchAppendResp, DeleteReq, DeleteResp, ReadReq, ReadResp, TombstoneReq, TombstoneResp } from '@eventstore/db-client/generated/streams_pb.js';
import { DoubleLog, eventSizeBytes, sizeRulesByVersion } from './double-log.js';
import type { AppendOutcome, ExpectedRevision, ProposedEvent, ServerVersion, SizeRules, StoredEvent } from './double-log.js';
import {
  appendTimedOut,
  badRequestStatus,
  invalidArgument,
  maxAppendEventSizeExceeded,
  maxAppendEventSizeStatus,
  maxAppendSizeExceeded,
  maxAppendSizeStatus,
  missingMetadata,
  notLeader,
  streamDeleted,
  streamDeletedStatus,
  timeoutStatus,
  unavailable,
  unimplemented,
  wrongExpectedVersionStatus,
} from './double-errors.js';
import type { CallError } from './double-errors.js';

/**
 * An in-process stand-in for an EventStoreDB / KurrentDB node, speaking the real wire protocol:
 * a grpc-js server built from the service definitions that @eventstore/db-client ships, so
 * the real client (and every adapter on it) runs unchanged against it. The generated
 * serializers check `instanceof` against the client's own message classes, which is why this
 * file imports the client's generated files and the same @grpc/grpc-js copy.
 *
 * What it serves, with the server's semantics (file and class names are the server's, in
 * src/KurrentDB.Core/Services/Transport/Grpc/ unless said otherwise):
 * - ServerFeatures advertising Streams/BatchAppend (ServerFeatures.cs), so the client sends
 *   every append of the process over one shared bidirectional BatchAppend call, as it does
 *   against every server since 21.10; `batchAppend: false` answers UNIMPLEMENTED instead, and
 *   the client falls back to unary Streams/Append (servers before 21.10).
 * - BatchAppend as Streams.BatchAppend.cs runs it: writes in chunks by correlation id, the
 *   options first, committed on the chunk marked final; a write timeout (WriteTimeoutMs, 2 s by
 *   default) for a write whose final chunk does not come in time; every refusal as a
 *   google.rpc.Status with typed details (Status.cs); sizes checked chunk by chunk as events
 *   stream in; a NotLeader answer failing the whole call, so every pending append of the
 *   client process is rejected at once and the client reconnects (RpcExceptions.LeaderInfo).
 * - Streams/Append (Streams.Append.cs), with the same checks and errors as call trailers.
 * - Expected revisions and idempotent repeats (IndexWriter.CheckCommit, in double-log.ts),
 *   including "IdempotentNotReady": an exact repeat of a write not yet replicated is dropped
 *   (StorageWriterService) and its request times out.
 * - The size rules of each version (sizeRulesByVersion): MaxAppendSize, and from 25.1
 *   MaxAppendEventSize, counted as data + metadata + 2 x type length (Event.SizeOnDisk).
 * - Reads of a stream (forwards, backwards, link resolution) and of `$all` (forwards;
 *   backwards from the end), from the leader when the call carries `requires-leader`, else from
 *   a follower, which lags while the test says so (`faults.lagFollowers`).
 * - Catch-up subscriptions to a stream or to `$all`: confirmation, catch-up, "caught up", live;
 *   optionally "caught up" again after live batches; ended by the node when the test says so.
 * Faults the test arms (`faults`, or `chaos` for a steady rotation of them) produce the outcomes a
 * cluster produces: an answer lost after the write committed (CommitTimeout), repeats dropped
 * while a write is not replicated, NotLeader, a lagging follower, a subscription ended by the
 * server. Stream metadata (`$tb`, `$maxCount` in `$$<stream>`), soft deletes and tombstones
 * apply to stream reads and to link resolution, as the server's index reader applies them.
 * Everything else (filters, gossip, persistent subscriptions, users, projections, scavenges)
 * answers UNIMPLEMENTED rather than something approximate.
 */

const { AppendResp: AppendRespMessage, BatchAppendResp: BatchAppendRespMessage, ReadResp: ReadRespMessage } = streamsPb;
const { Empty, StreamIdentifier, UUID } = sharedPb;
const linkEventType = '$>';

/** The server's default WriteTimeoutMs (ClusterVNodeOptions.Database). */
export const defaultWriteTimeoutMs = 2_000;

export type StreamMatcher = (streamName: string) => boolean;
export type SubscriptionEnd = 'end' | 'unavailable';
export type ChaosFault = 'lost-answer' | 'pending-repeats' | 'not-leader' | 'lagging-follower' | 'ended-subscription';

export interface ChaosOptions {
  /** Every this many appends, the next fault of `faults` (in turn) strikes. */
  everyAppends: number;
  /** Default: all of them. */
  faults?: readonly ChaosFault[];
  /** Which streams the append faults strike. Default: all. */
  matches?: StreamMatcher;
}

export interface DoubleFaults {
  /**
   * The next `count` appends to matching streams are written, and then answered as timed out, as
   * a CommitTimeout is (the write may be, and here is, committed). With `replicationDelayMs`,
   * the write also stays unreplicated that long: an exact repeat of it in that time is dropped
   * ("IdempotentNotReady") and times out after the write timeout.
   */
  loseAnswers(options?: { count?: number; matches?: StreamMatcher; replicationDelayMs?: number }): void;
  /** The next `count` appends fail as NotLeader: over BatchAppend the whole call fails, and every append pending on it. */
  notLeader(count?: number): void;
  /** Appends to matching streams fail with UNAVAILABLE, writing nothing, as a node that went away would, until the returned function is called. */
  failAppends(matches: StreamMatcher): () => void;
  /** Reads that do not require the leader see the log as it is now, until the returned function is called. */
  lagFollowers(): () => void;
  /** Ends every open subscription, as a node that goes away (or a deleted stream) does. Answers how many. */
  endSubscriptions(how?: SubscriptionEnd): number;
  /** Repeats to matching streams are answered as a wrong expected version, as after the idempotency cache evicted their ids, until the returned function is called. */
  forgetRepeats(matches: StreamMatcher): () => void;
}

export interface EsdbDouble {
  /** A connection string for the client: `esdb://127.0.0.1:<port>?tls=false`. */
  url: string;
  /** The double's storage, for tests that inspect or tamper with what the server holds. */
  log: DoubleLog;
  faults: DoubleFaults;
  /** Which of the RPCs the client used so far, by name, and how many times ('BatchAppend chunks': requests over BatchAppend calls). */
  calls: ReadonlyMap<string, number>;
  /** How many times each fault struck, armed or from the chaos rotation. */
  struck: ReadonlyMap<ChaosFault, number>;
  /** The same as faults.failAppends. */
  failAppends(matches: StreamMatcher): () => void;
  stop(): Promise<void>;
}

export interface EsdbDoubleOptions {
  /** Size rules of this server version. Default: 24.10 (MaxAppendSize 1 MiB, no per-event limit). */
  serverVersion?: ServerVersion;
  /** The server's `MaxAppendSize`, over the version's default. */
  maxAppendSizeBytes?: number;
  /** The server's `MaxAppendEventSize` (25.1 on), over the version's default. */
  maxAppendEventSizeBytes?: number;
  /** Advertise and serve BatchAppend (default), or answer ServerFeatures with UNIMPLEMENTED. */
  batchAppend?: boolean;
  /** The server's `WriteTimeoutMs`. Default: 2,000. */
  writeTimeoutMs?: number;
  /** Time every append takes before it commits (a quorum write over a network), in ms. Default: 0. */
  appendLatencyMs?: number;
  /** Say "caught up" again after every live batch of a subscription. */
  repeatCaughtUp?: boolean;
  chaos?: ChaosOptions;
  /** Where `created` comes from. Default: the system clock. */
  nowMs?: () => number;
}

interface ArmedFault {
  kind: 'lost-answer' | 'not-leader';
  remaining: number;
  matches: StreamMatcher;
  replicationDelayMs: number;
}

/** What the node's handlers share. */
interface DoubleNode {
  log: DoubleLog;
  sizes: SizeRules;
  writeTimeoutMs: number;
  appendLatencyMs: number;
  repeatCaughtUp: boolean;
  host: string;
  port: number;
  armed: ArmedFault[];
  failing: Set<StreamMatcher>;
  subscriptions: Set<(how: SubscriptionEnd) => void>;
  chaos: ChaosOptions | undefined;
  appendsSeen: number;
  chaosTurn: number;
  /** Lifts a lag the chaos rotation started, once this many more appends have come in. */
  chaosLag: { lift: () => void; appendsLeft: number } | undefined;
  calls: Map<string, number>;
  struck: Map<ChaosFault, number>;
}

/** How a commit ended for the handler to answer. */
type Commit =
  | { kind: 'outcome'; outcome: Exclude<AppendOutcome, { kind: 'idempotent_not_ready' }> }
  | { kind: 'timeout' }
  | { kind: 'not_leader' }
  | { kind: 'unavailable' };

/** Starts a double on a free loopback port. */
export async function startEsdbDouble(options: EsdbDoubleOptions = {}): Promise<EsdbDouble> {
  const versionRules = sizeRulesByVersion[options.serverVersion ?? '24.10'];
  const node: DoubleNode = {
    log: new DoubleLog(options.nowMs ?? Date.now),
    sizes: {
      maxAppendSizeBytes: options.maxAppendSizeBytes ?? versionRules.maxAppendSizeBytes,
      maxAppendEventSizeBytes: options.maxAppendEventSizeBytes ?? versionRules.maxAppendEventSizeBytes,
    },
    writeTimeoutMs: options.writeTimeoutMs ?? defaultWriteTimeoutMs,
    appendLatencyMs: options.appendLatencyMs ?? 0,
    repeatCaughtUp: options.repeatCaughtUp ?? false,
    host: '127.0.0.1',
    port: 0,
    armed: [],
    failing: new Set(),
    subscriptions: new Set(),
    chaos: options.chaos,
    appendsSeen: 0,
    chaosTurn: 0,
    chaosLag: undefined,
    calls: new Map(),
    struck: new Map(),
  };
  const counted = <A extends unknown[]>(name: string, handler: (...args: A) => void) => (...args: A) => {
    node.calls.set(name, (node.calls.get(name) ?? 0) + 1);
    handler(...args);
  };
  const server = new grpc.Server();
  server.addService(streamsGrpc.StreamsService, {
    read: counted('Read', (call: grpc.ServerWritableStream<ReadReq, ReadResp>) => read(node, call)),
    append: counted('Append', (call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>) => append(node, call, callback)),
    delete: counted('Delete', (call: grpc.ServerUnaryCall<DeleteReq, DeleteResp>, callback: grpc.sendUnaryData<DeleteResp>) => remove(node, call.request, 'soft', callback)),
    tombstone: counted('Tombstone', (call: grpc.ServerUnaryCall<TombstoneReq, TombstoneResp>, callback: grpc.sendUnaryData<TombstoneResp>) =>
      remove(node, call.request, 'tombstone', callback),
    ),
    batchAppend: counted('BatchAppend', (call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => {
      if (options.batchAppend === false) call.emit('error', unimplemented('Streams/BatchAppend'));
      else batchAppend(node, call);
    }),
  });
  server.addService(featuresGrpc.ServerFeaturesService, {
    getSupportedMethods: counted('GetSupportedMethods', (_call: unknown, callback: grpc.sendUnaryData<InstanceType<typeof featuresPb.SupportedMethods>>) => {
      if (options.batchAppend === false) return callback(unimplemented('ServerFeatures/GetSupportedMethods: the client then uses plain Append'));
      callback(null, supportedMethods(options.serverVersion ?? '24.10'));
    }),
  });
  node.port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, boundPort) => (error ? reject(error) : resolve(boundPort)));
  });
  const arm = (fault: ArmedFault) => node.armed.push(fault);
  const faults: DoubleFaults = {
    loseAnswers({ count = 1, matches = () => true, replicationDelayMs = 0 } = {}) {
      arm({ kind: 'lost-answer', remaining: count, matches, replicationDelayMs });
    },
    notLeader(count = 1) {
      arm({ kind: 'not-leader', remaining: count, matches: () => true, replicationDelayMs: 0 });
    },
    failAppends(matches) {
      node.failing.add(matches);
      return () => node.failing.delete(matches);
    },
    lagFollowers: () => node.log.lagFollowers(),
    endSubscriptions(how = 'unavailable') {
      const ends = [...node.subscriptions];
      for (const end of ends) end(how);
      return ends.length;
    },
    forgetRepeats(matches) {
      node.log.forgetsRepeatsIn = matches;
      return () => {
        node.log.forgetsRepeatsIn = () => false;
      };
    },
  };
  return {
    url: `esdb://127.0.0.1:${node.port}?tls=false`,
    log: node.log,
    faults,
    calls: node.calls,
    struck: node.struck,
    failAppends: faults.failAppends,
    async stop() {
      node.chaosLag?.lift();
      // Open subscriptions never end by themselves, so a graceful shutdown would wait forever.
      server.forceShutdown();
    },
  };
}

/** What a 24.10+ node answers (ServerFeatures.cs lists each gRPC method; the client compares them lower-case). */
function supportedMethods(version: ServerVersion): InstanceType<typeof featuresPb.SupportedMethods> {
  const streams = 'event_store.client.streams.Streams';
  const methods = ['Read', 'Append', 'BatchAppend'].map((name) => new featuresPb.SupportedMethod().setServiceName(streams).setMethodName(name));
  return new featuresPb.SupportedMethods().setMethodsList(methods).setEventStoreServerVersion(`${version}.0`);
}

/**
 * The next fault for an append to `streamName`: one the test armed, else the chaos rotation's.
 * Answers the fault and how long the write stays unreplicated.
 */
function nextFault(node: DoubleNode, streamName: string): { kind: ChaosFault | undefined; replicationDelayMs: number } {
  const fault = pickFault(node, streamName);
  if (fault.kind !== undefined) node.struck.set(fault.kind, (node.struck.get(fault.kind) ?? 0) + 1);
  return fault;
}

function pickFault(node: DoubleNode, streamName: string): { kind: ChaosFault | undefined; replicationDelayMs: number } {
  node.appendsSeen += 1;
  if (node.chaosLag !== undefined && --node.chaosLag.appendsLeft <= 0) {
    node.chaosLag.lift();
    node.chaosLag = undefined;
  }
  const armed = node.armed.find((fault) => fault.remaining > 0 && fault.matches(streamName));
  if (armed !== undefined) {
    armed.remaining -= 1;
    node.armed = node.armed.filter((fault) => fault.remaining > 0);
    return { kind: armed.kind, replicationDelayMs: armed.replicationDelayMs };
  }
  const chaos = node.chaos;
  if (chaos === undefined || node.appendsSeen % chaos.everyAppends !== 0 || !(chaos.matches ?? (() => true))(streamName)) return { kind: undefined, replicationDelayMs: 0 };
  const rotation = chaos.faults ?? ['lost-answer', 'pending-repeats', 'not-leader', 'lagging-follower', 'ended-subscription'];
  const kind = rotation[node.chaosTurn % rotation.length];
  node.chaosTurn += 1;
  if (kind === 'lagging-follower') {
    node.chaosLag ??= { lift: node.log.lagFollowers(), appendsLeft: chaos.everyAppends };
    node.struck.set(kind, (node.struck.get(kind) ?? 0) + 1);
    return { kind: undefined, replicationDelayMs: 0 };
  }
  if (kind === 'pending-repeats') return { kind, replicationDelayMs: 2 * node.writeTimeoutMs };
  return { kind, replicationDelayMs: 0 };
}

/** One write through the node's "core": the latency, the faults, then the log's commit check. */
async function commit(node: DoubleNode, streamName: string, expected: ExpectedRevision, proposed: readonly ProposedEvent[]): Promise<Commit> {
  const fault = nextFault(node, streamName);
  if (node.appendLatencyMs > 0) await delay(node.appendLatencyMs);
  if ([...node.failing].some((matches) => matches(streamName))) return { kind: 'unavailable' };
  if (fault.kind === 'not-leader') return { kind: 'not_leader' };
  const outcome = node.log.append(streamName, expected, proposed, fault.replicationDelayMs);
  if (fault.kind === 'ended-subscription') queueMicrotask(() => [...node.subscriptions].forEach((end) => end('unavailable')));
  // The request manager answers CommitTimeout when the quorum does not acknowledge in time;
  // a dropped repeat is never answered by the storage writer, so it times out the same way.
  if (outcome.kind === 'idempotent_not_ready') {
    await delay(node.writeTimeoutMs);
    return { kind: 'timeout' };
  }
  if (fault.kind === 'lost-answer' || fault.kind === 'pending-repeats') return { kind: 'timeout' };
  return { kind: 'outcome', outcome };
}

/** Size checks as each event streams in: one event (25.1 on), then the append so far. */
function sizeError(node: DoubleNode, totalBytes: number, event: ProposedEvent): { event: number } | { total: number } | undefined {
  const eventBytes = eventSizeBytes(event);
  const eventMax = node.sizes.maxAppendEventSizeBytes;
  if (eventMax !== undefined && eventBytes > eventMax) return { event: eventBytes };
  if (totalBytes > node.sizes.maxAppendSizeBytes) return { total: totalBytes };
  return undefined;
}

function proposedEvent(message: { getMetadataMap(): { get(key: string): string | undefined }; getId(): InstanceType<typeof UUID> | undefined; getData_asU8(): Uint8Array; getCustomMetadata_asU8(): Uint8Array }): ProposedEvent | CallError {
  const type = message.getMetadataMap().get('type');
  const contentType = message.getMetadataMap().get('content-type');
  const eventId = message.getId()?.getString();
  if (type === undefined || contentType === undefined) return missingMetadata();
  if (!eventId) return invalidArgument('the double reads event ids in their string form only');
  return { eventId, type, contentType, data: message.getData_asU8(), customMetadata: message.getCustomMetadata_asU8() };
}

function append(node: DoubleNode, call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>): void {
  let options: AppendReq.Options | undefined;
  const proposed: ProposedEvent[] = [];
  let totalBytes = 0;
  let failure: CallError | undefined;
  call.on('data', (request: AppendReq) => {
    if (request.hasOptions()) options = request.getOptions();
    const message = request.getProposedMessage();
    if (message === undefined || failure !== undefined) return;
    const event = proposedEvent(message);
    if (event instanceof Error) {
      failure = event;
      return;
    }
    totalBytes += eventSizeBytes(event);
    const tooLarge = sizeError(node, totalBytes, event);
    if (tooLarge === undefined) proposed.push(event);
    else if ('event' in tooLarge) failure = maxAppendEventSizeExceeded(event.eventId, tooLarge.event, node.sizes.maxAppendEventSizeBytes ?? 0);
    else failure = maxAppendSizeExceeded(node.sizes.maxAppendSizeBytes);
  });
  call.on('end', () => {
    void (async () => {
      if (failure !== undefined) return callback(failure);
      const streamName = options === undefined ? undefined : streamNameOf(options.getStreamIdentifier());
      if (options === undefined || streamName === undefined) return callback(invalidArgument('an append starts with its options'));
      const done = await commit(node, streamName, expectedRevisionOf(options), proposed);
      if (done.kind === 'unavailable') return callback(unavailable('the node is unavailable (a failure the test asked for)'));
      if (done.kind === 'not_leader') return callback(notLeader(node.host, node.port));
      if (done.kind === 'timeout') return callback(appendTimedOut());
      if (done.outcome.kind === 'stream_deleted') return callback(streamDeleted(streamName));
      callback(null, appendResponse(done.outcome, options));
    })();
  });
}

function expectedRevisionOf(options: { hasRevision?(): boolean; getRevision?(): string; hasStreamPosition?(): boolean; getStreamPosition?(): string; hasNoStream(): boolean; hasStreamExists(): boolean }): ExpectedRevision {
  if (options.hasRevision?.() === true) return { kind: 'revision', revision: Number(options.getRevision?.()) };
  if (options.hasStreamPosition?.() === true) return { kind: 'revision', revision: Number(options.getStreamPosition?.()) };
  if (options.hasNoStream()) return { kind: 'no_stream' };
  if (options.hasStreamExists()) return { kind: 'stream_exists' };
  return { kind: 'any' };
}

/** Answers the way the server's Streams.Append does, including which expectation failed. */
function appendResponse(outcome: Exclude<AppendOutcome, { kind: 'idempotent_not_ready' | 'stream_deleted' }>, options: AppendReq.Options): AppendResp {
  const response = new AppendRespMessage();
  if (outcome.kind === 'wrong_expected_version') {
    const wrong = new AppendRespMessage.WrongExpectedVersion();
    if (options.hasRevision()) wrong.setExpectedRevision(options.getRevision());
    else if (options.hasNoStream()) wrong.setExpectedNoStream(new Empty());
    else if (options.hasStreamExists()) wrong.setExpectedStreamExists(new Empty());
    else wrong.setExpectedAny(new Empty());
    if (outcome.currentRevision === -1) wrong.setCurrentNoStream(new Empty());
    else wrong.setCurrentRevision(String(outcome.currentRevision));
    return response.setWrongExpectedVersion(wrong);
  }
  const success = new AppendRespMessage.Success();
  if (outcome.currentRevision === -1) success.setNoStream(new Empty());
  else success.setCurrentRevision(String(outcome.currentRevision));
  if (outcome.position === -1) success.setNoPosition(new Empty());
  else success.setPosition(new AppendRespMessage.Position().setCommitPosition(String(outcome.position)).setPreparePosition(String(outcome.position)));
  return response.setSuccess(success);
}

/** One write of a BatchAppend call, collected chunk by chunk (ClientWriteRequest). */
interface BatchWrite {
  streamName: string;
  expected: ExpectedRevision;
  events: ProposedEvent[];
  sizeBytes: number;
  timer: NodeJS.Timeout;
}

/**
 * Streams.BatchAppend.cs (BatchAppendWorker): requests carry a correlation id; the one with
 * options opens a write (its timeout the smaller of the client's deadline and WriteTimeoutMs,
 * after which a write still missing its final chunk is answered Timeout); each chunk's events
 * are size-checked as they arrive; the final chunk sends the write to the core, whose answer
 * is written back with the same correlation id. A NotLeader from the core completes the
 * worker's channel with an exception, which fails the whole call: answers not yet sent are
 * lost. When the client ends its side, the call ends once every sent write is answered.
 */
function batchAppend(node: DoubleNode, call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
  const pending = new Map<string, BatchWrite>();
  let inCore = 0;
  let clientDone = false;
  let failed = false;
  const answer = (correlation: InstanceType<typeof UUID> | undefined, streamName: string, fill: (response: BatchAppendResp) => void): void => {
    if (failed || call.cancelled) return;
    const response = new BatchAppendRespMessage().setCorrelationId(correlation).setStreamIdentifier(new StreamIdentifier().setStreamName(Buffer.from(streamName, 'utf8')));
    fill(response);
    call.write(response);
  };
  const failCall = (error: CallError): void => {
    if (failed) return;
    failed = true;
    for (const write of pending.values()) clearTimeout(write.timer);
    pending.clear();
    if (!call.cancelled) call.emit('error', error);
  };
  const endIfDone = (): void => {
    if (clientDone && inCore === 0 && !failed && !call.cancelled) call.end();
  };
  call.on('cancelled', () => {
    failed = true;
    for (const write of pending.values()) clearTimeout(write.timer);
  });
  call.on('end', () => {
    clientDone = true;
    endIfDone();
  });
  call.on('data', (request: BatchAppendReq) => {
    node.calls.set('BatchAppend chunks', (node.calls.get('BatchAppend chunks') ?? 0) + 1);
    if (failed) return;
    const correlation = request.getCorrelationId();
    const id = correlation?.getString() ?? '';
    const options = request.getOptions();
    if (options !== undefined) {
      const streamName = streamNameOf(options.getStreamIdentifier());
      if (streamName === undefined) return answer(correlation, '', (response) => response.setError(badRequestStatus('Required field StreamIdentifier not set.')));
      const deadline = options.getDeadline()?.toDate().getTime();
      const timeoutMs = Math.min(deadline === undefined ? Number.POSITIVE_INFINITY : deadline - Date.now(), node.writeTimeoutMs);
      if (timeoutMs <= 0) return answer(correlation, streamName, (response) => response.setError(timeoutStatus()));
      if (!pending.has(id)) {
        const timer = setTimeout(() => {
          if (pending.delete(id)) answer(correlation, streamName, (response) => response.setError(timeoutStatus()));
        }, timeoutMs);
        pending.set(id, { streamName, expected: expectedRevisionOf(options), events: [], sizeBytes: 0, timer });
      }
    }
    const write = pending.get(id);
    if (write === undefined) return;
    for (const message of request.getProposedMessagesList()) {
      const event = proposedEvent(message);
      if (event instanceof Error) {
        pending.delete(id);
        clearTimeout(write.timer);
        return answer(correlation, write.streamName, (response) => response.setError(badRequestStatus(event.message)));
      }
      write.sizeBytes += eventSizeBytes(event);
      const tooLarge = sizeError(node, write.sizeBytes, event);
      if (tooLarge !== undefined) {
        pending.delete(id);
        clearTimeout(write.timer);
        const status =
          'event' in tooLarge ? maxAppendEventSizeStatus(event.eventId, tooLarge.event, node.sizes.maxAppendEventSizeBytes ?? 0) : maxAppendSizeStatus(node.sizes.maxAppendSizeBytes);
        return answer(correlation, write.streamName, (response) => response.setError(status));
      }
      write.events.push(event);
    }
    if (!request.getIsFinal() || !pending.delete(id)) return;
    clearTimeout(write.timer);
    inCore += 1;
    void commit(node, write.streamName, write.expected, write.events).then((done) => {
      inCore -= 1;
      if (done.kind === 'not_leader') return failCall(notLeader(node.host, node.port));
      if (done.kind === 'unavailable') return failCall(unavailable('the node is unavailable (a failure the test asked for)'));
      answer(correlation, write.streamName, (response) => {
        if (done.kind === 'timeout') return response.setError(timeoutStatus());
        const { outcome } = done;
        if (outcome.kind === 'wrong_expected_version') return response.setError(wrongExpectedVersionStatus(outcome.currentRevision, write.expected));
        if (outcome.kind === 'stream_deleted') return response.setError(streamDeletedStatus(write.streamName));
        const success = new BatchAppendRespMessage.Success();
        if (outcome.currentRevision === -1) success.setNoStream(new Empty());
        else success.setCurrentRevision(String(outcome.currentRevision));
        if (outcome.position === -1) success.setNoPosition(new Empty());
        else success.setPosition(new sharedPb.AllStreamPosition().setCommitPosition(String(outcome.position)).setPreparePosition(String(outcome.position)));
        response.setSuccess(success);
      });
      endIfDone();
    });
  });
}

/**
 * Streams/Delete and Streams/Tombstone (Streams.Delete.cs): a soft delete hides the stream's
 * events from reads (it sets `$tb`); a tombstone deletes it for ever. Both take any expected
 * revision (the double does not check it).
 */
function remove(
  node: DoubleNode,
  request: DeleteReq | TombstoneReq,
  how: 'soft' | 'tombstone',
  callback: grpc.sendUnaryData<DeleteResp> | grpc.sendUnaryData<TombstoneResp>,
): void {
  const streamName = streamNameOf(request.getOptions()?.getStreamIdentifier());
  if (streamName === undefined) return (callback as grpc.sendUnaryData<DeleteResp>)(invalidArgument('a delete names its stream'));
  if (node.log.isTombstoned(streamName)) return (callback as grpc.sendUnaryData<DeleteResp>)(streamDeleted(streamName));
  if (how === 'soft') {
    node.log.softDelete(streamName);
    return (callback as grpc.sendUnaryData<DeleteResp>)(null, new streamsPb.DeleteResp().setNoPosition(new Empty()));
  }
  node.log.tombstone(streamName);
  (callback as grpc.sendUnaryData<TombstoneResp>)(null, new streamsPb.TombstoneResp().setNoPosition(new Empty()));
}

/** Whether a call asks to be served by the leader (Constants.Headers.RequiresLeader). */
function requiresLeader(metadata: grpc.Metadata): boolean {
  return metadata.get('requires-leader')[0] === 'true';
}

function read(node: DoubleNode, call: grpc.ServerWritableStream<ReadReq, ReadResp>): void {
  const { log } = node;
  const options = call.request.getOptions();
  if (options === undefined) return failRead(call, invalidArgument('a read needs options'));
  if (options.hasFilter()) return failRead(call, unimplemented('server-side filters'));
  const resolveLinks = options.getResolveLinks();
  if (options.hasSubscription()) return subscribe(node, call, options, resolveLinks);
  const fromLeader = requiresLeader(call.metadata);
  const page = options.hasStream() ? streamPage(log, options, fromLeader) : allPage(log, options, fromLeader);
  if (page === 'unimplemented') return failRead(call, unimplemented('reading $all backwards from a position'));
  if (page === 'stream_deleted') return failRead(call, streamDeleted(streamNameOf(options.getStream()?.getStreamIdentifier()) ?? ''));
  if (page === 'stream_not_found') {
    call.write(new ReadRespMessage().setStreamNotFound(new ReadRespMessage.StreamNotFound().setStreamIdentifier(options.getStream()?.getStreamIdentifier())));
  } else {
    for (const event of page) call.write(eventResponse(log, event, resolveLinks));
  }
  call.end();
}

/** Stream reads: forwards from a revision (inclusive) or the start; backwards from a revision (inclusive) or the end. */
function streamPage(log: DoubleLog, options: ReadReq.Options, fromLeader: boolean): readonly StoredEvent[] | 'stream_not_found' | 'stream_deleted' {
  const streamOptions = options.getStream();
  const streamName = streamNameOf(streamOptions?.getStreamIdentifier()) ?? '';
  if (log.isTombstoned(streamName)) return 'stream_deleted';
  const events = log.stream(streamName, fromLeader);
  const first = log.visibleFrom(streamName);
  if (streamOptions === undefined || events === undefined || first >= events.length) return 'stream_not_found';
  const count = countOf(options);
  const last = events.length - 1;
  if (options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.FORWARDS) {
    const from = Math.max(first, streamOptions.hasRevision() ? Number(streamOptions.getRevision()) : streamOptions.hasEnd() ? events.length : 0);
    return events.slice(from, from + count);
  }
  const from = streamOptions.hasRevision() ? Math.min(Number(streamOptions.getRevision()), last) : streamOptions.hasStart() ? first : last;
  if (from < first) return [];
  return events.slice(Math.max(first, from - count + 1), from + 1).reverse();
}

/** `$all` reads: forwards from a position (inclusive) or the start; backwards from the end. */
function allPage(log: DoubleLog, options: ReadReq.Options, fromLeader: boolean): readonly StoredEvent[] | 'unimplemented' {
  const allOptions = options.getAll();
  const events = log.allEvents(fromLeader);
  const count = countOf(options);
  if (options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.FORWARDS) {
    const position = allOptions?.getPosition();
    const from = position !== undefined ? log.indexAtOrAfter(Number(position.getCommitPosition())) : allOptions?.hasEnd() ? events.length : 0;
    return events.slice(from, from + count);
  }
  if (!allOptions?.hasEnd()) return 'unimplemented';
  return events.slice(Math.max(0, events.length - count)).reverse();
}

/**
 * A catch-up subscription as the server runs it: a confirmation, the events after the
 * checkpoint (exclusive; none for "end", all for "start"), "caught up", then every event as it
 * is appended. The catch-up and the registration for live events happen in one turn of the
 * event loop, so no append can fall between them. With `repeatCaughtUp` it says "caught up"
 * again after every live batch, as a server does each time a subscription that fell behind
 * catches up again (SubscriptionsService, 23.10 on). Subscriptions are served by the leader.
 * Unlike the server, the double does not hold back for a slow reader: answers queue up in
 * memory, which is fine at a test's sizes.
 */
function subscribe(node: DoubleNode, call: grpc.ServerWritableStream<ReadReq, ReadResp>, options: ReadReq.Options, resolveLinks: boolean): void {
  const { log } = node;
  call.write(new ReadRespMessage().setConfirmation(new ReadRespMessage.SubscriptionConfirmation().setSubscriptionId(randomUUID())));
  let wanted: (event: StoredEvent) => boolean;
  let catchUp: readonly StoredEvent[];
  const streamOptions = options.getStream();
  if (streamOptions !== undefined) {
    const streamName = streamNameOf(streamOptions.getStreamIdentifier()) ?? '';
    const events = log.stream(streamName) ?? [];
    const checkpoint = streamOptions.hasRevision() ? Number(streamOptions.getRevision()) : streamOptions.hasEnd() ? events.length - 1 : -1;
    wanted = (event) => event.streamName === streamName && event.revision > checkpoint;
    catchUp = events.slice(checkpoint + 1);
  } else {
    const allOptions = options.getAll();
    const all = log.allEvents();
    const position = allOptions?.getPosition();
    const checkpoint = position !== undefined ? Number(position.getCommitPosition()) : allOptions?.hasEnd() ? (all.at(-1)?.position ?? -1) : -1;
    wanted = (event) => event.position > checkpoint;
    catchUp = all.slice(log.indexAtOrAfter(checkpoint + 1));
  }
  const caughtUp = () => call.write(new ReadRespMessage().setCaughtUp(new ReadRespMessage.CaughtUp()));
  for (const event of catchUp) call.write(eventResponse(log, event, resolveLinks));
  caughtUp();
  const stopListening = log.onAppend((written) => {
    if (call.cancelled) return stop();
    let sent = false;
    for (const event of written) {
      if (!wanted(event)) continue;
      call.write(eventResponse(log, event, resolveLinks));
      sent = true;
    }
    if (sent && node.repeatCaughtUp) caughtUp();
  });
  const stop = (): void => {
    stopListening();
    node.subscriptions.delete(end);
  };
  const end = (how: SubscriptionEnd): void => {
    stop();
    if (call.cancelled) return;
    if (how === 'end') call.end();
    else call.emit('error', unavailable('the node serving this subscription went away (a failure the test asked for)'));
  };
  node.subscriptions.add(end);
  call.on('cancelled', stop);
}

/** A read answer; a resolved link carries the event it points to and itself as `link`. */
function eventResponse(log: DoubleLog, event: StoredEvent, resolveLinks: boolean): ReadResp {
  const readEvent = new ReadRespMessage.ReadEvent();
  if (resolveLinks && event.type === linkEventType) {
    const target = linkTarget(log, event);
    if (target !== undefined) readEvent.setEvent(recordedEvent(target));
    readEvent.setLink(recordedEvent(event));
  } else {
    readEvent.setEvent(recordedEvent(event));
  }
  readEvent.setCommitPosition(String(event.position));
  return new ReadRespMessage().setEvent(readEvent);
}

/** A link's data is `<revision>@<stream>`; a link to nothing resolves to no event, as on the server. */
function linkTarget(log: DoubleLog, link: StoredEvent): StoredEvent | undefined {
  const text = Buffer.from(link.data).toString('utf8');
  const at = text.indexOf('@');
  const streamName = text.slice(at + 1);
  const revision = Number(text.slice(0, at));
  if (log.isTombstoned(streamName) || revision < log.visibleFrom(streamName)) return undefined;
  return log.stream(streamName)?.[revision];
}

function recordedEvent(event: StoredEvent): ReadResp.ReadEvent.RecordedEvent {
  const recorded = new ReadRespMessage.ReadEvent.RecordedEvent()
    .setId(new UUID().setString(event.eventId))
    .setStreamIdentifier(new StreamIdentifier().setStreamName(Buffer.from(event.streamName, 'utf8')))
    .setStreamRevision(String(event.revision))
    .setCommitPosition(String(event.position))
    .setPreparePosition(String(event.position))
    .setData(event.data)
    .setCustomMetadata(event.customMetadata);
  recorded.getMetadataMap().set('type', event.type).set('content-type', event.contentType).set('created', String(event.createdTicks));
  return recorded;
}

function streamNameOf(identifier: InstanceType<typeof StreamIdentifier> | undefined): string | undefined {
  return identifier === undefined ? undefined : Buffer.from(identifier.getStreamName_asU8()).toString('utf8');
}

/** The client sends the largest safe integer for "all of them". */
function countOf(options: ReadReq.Options): number {
  return Math.min(Number(options.getCount()), Number.MAX_SAFE_INTEGER);
}

function failRead(call: grpc.ServerWritableStream<ReadReq, ReadResp>, error: Partial<grpc.StatusObject> & Error): void {
  call.emit('error', error);
}
