import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import featuresGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { AppendReq, AppendResp, ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb.js';
import { defaultMaxAppendSizeBytes, DoubleLog } from './double-log.js';
import type { AppendOutcome, ExpectedRevision, ProposedEvent, StoredEvent } from './double-log.js';

/**
 * An in-process stand-in for an EventStoreDB / KurrentDB node, speaking the real wire protocol:
 * a grpc-js server built from the service definitions that @eventstore/db-client ships, so
 * the real client (and every adapter on it) runs unchanged against it. The generated
 * serializers check `instanceof` against the client's own message classes, which is why this
 * file imports the client's generated files and the same @grpc/grpc-js copy.
 *
 * What it serves, with the server's semantics: Streams/Append (expected revisions, idempotent
 * repeats, MaxAppendSize), Streams/Read of a stream (forwards, backwards, link resolution) and
 * of `$all` (forwards; backwards from the end), and catch-up subscriptions to a stream or to
 * `$all` that send a confirmation, the events after the checkpoint, "caught up", then live
 * events. ServerFeatures answers UNIMPLEMENTED, which makes the client use plain Append instead
 * of BatchAppend. Everything else (deletes, filters, BatchAppend, gossip, persistent
 * subscriptions, users, projections) answers UNIMPLEMENTED rather than something approximate.
 */

const { AppendResp: AppendRespMessage, ReadResp: ReadRespMessage } = streamsPb;
const { Empty, StreamIdentifier, UUID } = sharedPb;
const linkEventType = '$>';

export interface EsdbDouble {
  /** A connection string for the client: `esdb://127.0.0.1:<port>?tls=false`. */
  url: string;
  /** The double's storage, for tests that inspect or tamper with what the server holds. */
  log: DoubleLog;
  /**
   * Answers appends to the streams `matches` accepts with UNAVAILABLE, writing nothing, as a
   * node that went away would, until the returned function is called.
   */
  failAppends(matches: (streamName: string) => boolean): () => void;
  stop(): Promise<void>;
}

export interface EsdbDoubleOptions {
  /** The server's `MaxAppendSize`. Default: 1 MiB, the server's default. */
  maxAppendSizeBytes?: number;
  /** Where `created` comes from. Default: the system clock. */
  nowMs?: () => number;
}

/** Starts a double on a free loopback port. */
export async function startEsdbDouble(options: EsdbDoubleOptions = {}): Promise<EsdbDouble> {
  const log = new DoubleLog(options.nowMs ?? Date.now, options.maxAppendSizeBytes ?? defaultMaxAppendSizeBytes);
  const failing = new Set<(streamName: string) => boolean>();
  const server = new grpc.Server();
  server.addService(streamsGrpc.StreamsService, {
    read: (call: grpc.ServerWritableStream<ReadReq, ReadResp>) => read(log, call),
    append: (call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>) => append(log, call, callback, failing),
    delete: unimplementedUnary('Streams/Delete'),
    tombstone: unimplementedUnary('Streams/Tombstone'),
    batchAppend: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.emit('error', unimplemented('Streams/BatchAppend')),
  });
  server.addService(featuresGrpc.ServerFeaturesService, {
    getSupportedMethods: unimplementedUnary('ServerFeatures/GetSupportedMethods: the client then uses plain Append'),
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, boundPort) => (error ? reject(error) : resolve(boundPort)));
  });
  return {
    url: `esdb://127.0.0.1:${port}?tls=false`,
    log,
    failAppends(matches) {
      failing.add(matches);
      return () => failing.delete(matches);
    },
    async stop() {
      // Open subscriptions never end by themselves, so a graceful shutdown would wait forever.
      server.forceShutdown();
    },
  };
}

function append(
  log: DoubleLog,
  call: grpc.ServerReadableStream<AppendReq, AppendResp>,
  callback: grpc.sendUnaryData<AppendResp>,
  failing: ReadonlySet<(streamName: string) => boolean>,
): void {
  let options: AppendReq.Options | undefined;
  const proposed: ProposedEvent[] = [];
  let failure: Partial<grpc.StatusObject> | undefined;
  call.on('data', (request: AppendReq) => {
    if (request.hasOptions()) options = request.getOptions();
    const message = request.getProposedMessage();
    if (message === undefined || failure !== undefined) return;
    const type = message.getMetadataMap().get('type');
    const contentType = message.getMetadataMap().get('content-type');
    const eventId = message.getId()?.getString();
    if (type === undefined || contentType === undefined) failure = missingMetadata();
    else if (!eventId) failure = invalidArgument('the double reads event ids in their string form only');
    else proposed.push({ eventId, type, contentType, data: message.getData_asU8(), customMetadata: message.getCustomMetadata_asU8() });
  });
  call.on('end', () => {
    if (failure !== undefined) return callback(failure);
    const streamName = options === undefined ? undefined : streamNameOf(options.getStreamIdentifier());
    if (options === undefined || streamName === undefined) return callback(invalidArgument('an append starts with its options'));
    if ([...failing].some((matches) => matches(streamName))) return callback({ code: grpc.status.UNAVAILABLE, details: 'the node is unavailable (a failure the test asked for)' });
    const outcome = log.append(streamName, expectedRevisionOf(options), proposed);
    if (outcome.kind === 'too_large') return callback(maxAppendSizeExceeded(outcome.maxAppendSizeBytes));
    callback(null, appendResponse(outcome, options));
  });
}

function expectedRevisionOf(options: AppendReq.Options): ExpectedRevision {
  if (options.hasRevision()) return { kind: 'revision', revision: Number(options.getRevision()) };
  if (options.hasNoStream()) return { kind: 'no_stream' };
  if (options.hasStreamExists()) return { kind: 'stream_exists' };
  return { kind: 'any' };
}

/** Answers the way the server's Streams.Append does, including which expectation failed. */
function appendResponse(outcome: Exclude<AppendOutcome, { kind: 'too_large' }>, options: AppendReq.Options): AppendResp {
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

function read(log: DoubleLog, call: grpc.ServerWritableStream<ReadReq, ReadResp>): void {
  const options = call.request.getOptions();
  if (options === undefined) return failRead(call, invalidArgument('a read needs options'));
  if (options.hasFilter()) return failRead(call, unimplemented('server-side filters'));
  const resolveLinks = options.getResolveLinks();
  if (options.hasSubscription()) return subscribe(log, call, options, resolveLinks);
  const page = options.hasStream() ? streamPage(log, options) : allPage(log, options);
  if (page === 'unimplemented') return failRead(call, unimplemented('reading $all backwards from a position'));
  if (page === 'stream_not_found') {
    call.write(new ReadRespMessage().setStreamNotFound(new ReadRespMessage.StreamNotFound().setStreamIdentifier(options.getStream()?.getStreamIdentifier())));
  } else {
    for (const event of page) call.write(eventResponse(log, event, resolveLinks));
  }
  call.end();
}

/** Stream reads: forwards from a revision (inclusive) or the start; backwards from a revision (inclusive) or the end. */
function streamPage(log: DoubleLog, options: ReadReq.Options): readonly StoredEvent[] | 'stream_not_found' {
  const streamOptions = options.getStream();
  const events = log.stream(streamNameOf(streamOptions?.getStreamIdentifier()) ?? '');
  if (streamOptions === undefined || events === undefined) return 'stream_not_found';
  const count = countOf(options);
  const last = events.length - 1;
  if (options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.FORWARDS) {
    const from = streamOptions.hasRevision() ? Number(streamOptions.getRevision()) : streamOptions.hasEnd() ? events.length : 0;
    return events.slice(from, from + count);
  }
  const from = streamOptions.hasRevision() ? Math.min(Number(streamOptions.getRevision()), last) : streamOptions.hasStart() ? 0 : last;
  return events.slice(Math.max(0, from - count + 1), from + 1).reverse();
}

/** `$all` reads: forwards from a position (inclusive) or the start; backwards from the end. */
function allPage(log: DoubleLog, options: ReadReq.Options): readonly StoredEvent[] | 'unimplemented' {
  const allOptions = options.getAll();
  const events = log.allEvents();
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
 * event loop, so no append can fall between them. Unlike the server, the double does not hold
 * back for a slow reader: answers queue up in memory, which is fine at a test's sizes.
 */
function subscribe(log: DoubleLog, call: grpc.ServerWritableStream<ReadReq, ReadResp>, options: ReadReq.Options, resolveLinks: boolean): void {
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
  for (const event of catchUp) call.write(eventResponse(log, event, resolveLinks));
  call.write(new ReadRespMessage().setCaughtUp(new ReadRespMessage.CaughtUp()));
  const stop = log.onAppend((written) => {
    if (call.cancelled) return stop();
    for (const event of written) if (wanted(event)) call.write(eventResponse(log, event, resolveLinks));
  });
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
  return log.stream(text.slice(at + 1))?.[Number(text.slice(0, at))];
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

function unimplementedUnary(what: string) {
  return (_call: unknown, callback: grpc.sendUnaryData<never>) => callback(unimplemented(what));
}

function unimplemented(what: string): Partial<grpc.StatusObject> & Error {
  return Object.assign(new Error(`${what} is not implemented by the test double`), { code: grpc.status.UNIMPLEMENTED, details: `${what} is not implemented by the test double` });
}

function invalidArgument(details: string): Partial<grpc.StatusObject> & Error {
  return Object.assign(new Error(details), { code: grpc.status.INVALID_ARGUMENT, details });
}

/** The server's answer to an append over MaxAppendSize (RpcExceptions.MaxAppendSizeExceeded). */
function maxAppendSizeExceeded(maxAppendSizeBytes: number): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  metadata.set('exception', 'maximum-append-size-exceeded');
  metadata.set('maximum-append-size', String(maxAppendSizeBytes));
  return { code: grpc.status.INVALID_ARGUMENT, details: `maximum append size of ${maxAppendSizeBytes} exceeded`, metadata };
}

/** The server's answer to a proposed event without `type` or `content-type` (RpcExceptions.RequiredMetadataPropertyMissing). */
function missingMetadata(): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  metadata.set('exception', 'missing-required-metadata-property');
  metadata.set('required-metadata-properties', 'type,content-type');
  return { code: grpc.status.INVALID_ARGUMENT, details: 'missing required metadata property', metadata };
}
