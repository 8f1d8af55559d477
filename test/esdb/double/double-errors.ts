import * as grpc from '@grpc/grpc-js';
import anyPb from 'google-protobuf/google/protobuf/any_pb.js';
import { BinaryWriter } from 'google-protobuf';
import codePb from '@eventstore/db-client/generated/code_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import statusPb from '@eventstore/db-client/generated/status_pb.js';

/**
 * The server's errors, in the two forms it sends them: as a failed call with an `exception`
 * trailer (RpcExceptions.cs: Streams/Append, Streams/Read and a BatchAppend call that fails
 * as a whole), and as a google.rpc.Status inside a BatchAppend answer (Status.cs), whose
 * details name the error by its message type.
 */

export type CallError = Partial<grpc.StatusObject> & Error;

function callError(code: grpc.status, details: string, trailers: Record<string, string> = {}): CallError {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error(details), { code, details, metadata });
}

export function unimplemented(what: string): CallError {
  return callError(grpc.status.UNIMPLEMENTED, `${what} is not implemented by the test double`);
}

export function invalidArgument(details: string): CallError {
  return callError(grpc.status.INVALID_ARGUMENT, details);
}

/** RpcExceptions.MaxAppendSizeExceeded. */
export function maxAppendSizeExceeded(maxAppendSizeBytes: number): CallError {
  return callError(grpc.status.INVALID_ARGUMENT, `Maximum Append Size of ${maxAppendSizeBytes} Exceeded.`, {
    exception: 'maximum-append-size-exceeded',
    'maximum-append-size': String(maxAppendSizeBytes),
  });
}

/** RpcExceptions.MaxAppendEventSizeExceeded (25.1 on); client 6.2.1 does not know its name, so it is an UnknownError there. */
export function maxAppendEventSizeExceeded(eventId: string, proposedBytes: number, maxBytes: number): CallError {
  return callError(grpc.status.INVALID_ARGUMENT, `Event with Id: ${eventId}, Size: ${proposedBytes}, exceeded Max Append Event Size of ${maxBytes}`, {
    exception: 'maximum-append-event-size-exceeded',
  });
}

/** RpcExceptions.RequiredMetadataPropertyMissing. */
export function missingMetadata(): CallError {
  return callError(grpc.status.INVALID_ARGUMENT, 'missing required metadata property', {
    exception: 'missing-required-metadata-property',
    'required-metadata-properties': 'type,content-type',
  });
}

/** RpcExceptions.Timeout: a Prepare/Commit/ForwardTimeout of a unary append, which may still commit. */
export function appendTimedOut(): CallError {
  return callError(grpc.status.ABORTED, 'Operation timed out: the write was not acknowledged within the write timeout');
}

/** RpcExceptions.LeaderInfo: this node is not the leader; the client reconnects to the one named. */
export function notLeader(host: string, port: number): CallError {
  return callError(grpc.status.NOT_FOUND, 'Leader info available', {
    exception: 'not-leader',
    'leader-endpoint-host': host,
    'leader-endpoint-port': String(port),
  });
}

/** RpcExceptions.StreamDeleted: the stream was tombstoned. */
export function streamDeleted(streamName: string): CallError {
  return callError(grpc.status.FAILED_PRECONDITION, `Event stream '${streamName}' is deleted.`, { exception: 'stream-deleted', 'stream-name': streamName });
}

/** A node that went away. */
export function unavailable(details: string): CallError {
  return callError(grpc.status.UNAVAILABLE, details);
}

type RpcStatus = InstanceType<typeof statusPb.Status>;

function rpcStatus(code: number, message: string, typeName: string, detail: Uint8Array): RpcStatus {
  const details = new anyPb.Any();
  details.setTypeUrl(`type.googleapis.com/${typeName}`);
  details.setValue(detail);
  return new statusPb.Status().setCode(code).setMessage(message).setDetails(details);
}

/** Status.WrongExpectedVersion: the stream's current revision and what the append expected. */
export function wrongExpectedVersionStatus(currentRevision: number, expected: ExpectedInAnswer): RpcStatus {
  const detail = new sharedPb.WrongExpectedVersion();
  if (currentRevision === -1) detail.setCurrentNoStream(new sharedPb.Empty());
  else detail.setCurrentStreamRevision(String(currentRevision));
  if (expected.kind === 'revision') detail.setExpectedStreamPosition(String(expected.revision));
  else if (expected.kind === 'no_stream') detail.setExpectedNoStream(new sharedPb.Empty());
  else if (expected.kind === 'stream_exists') detail.setExpectedStreamExists(new sharedPb.Empty());
  else detail.setExpectedAny(new sharedPb.Empty());
  return rpcStatus(codePb.Code.ALREADY_EXISTS, 'WrongExpectedVersion', 'event_store.client.WrongExpectedVersion', detail.serializeBinary());
}

type ExpectedInAnswer = { kind: 'any' | 'no_stream' | 'stream_exists' } | { kind: 'revision'; revision: number };

/** Status.Timeout: a write that was not acknowledged in time, committed or not. */
export function timeoutStatus(): RpcStatus {
  return rpcStatus(codePb.Code.DEADLINE_EXCEEDED, 'Timeout', 'event_store.client.Timeout', new sharedPb.Timeout().serializeBinary());
}

/** Status.StreamDeleted. */
export function streamDeletedStatus(streamName: string): RpcStatus {
  const detail = new sharedPb.StreamDeleted().setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(streamName, 'utf8')));
  return rpcStatus(codePb.Code.NOT_FOUND, 'StreamDeleted', 'event_store.client.StreamDeleted', detail.serializeBinary());
}

/** Status.MaximumAppendSizeExceeded. */
export function maxAppendSizeStatus(maxAppendSizeBytes: number): RpcStatus {
  const detail = new sharedPb.MaximumAppendSizeExceeded().setMaxappendsize(maxAppendSizeBytes);
  return rpcStatus(codePb.Code.INVALID_ARGUMENT, 'MaximumAppendSizeExceeded', 'event_store.client.MaximumAppendSizeExceeded', detail.serializeBinary());
}

/**
 * Status.MaximumAppendEventSizeExceeded (25.1 on). The client's generated code (6.2.1) has no
 * class for it, so its fields are written by hand: event_id = 1, proposed_event_size = 2,
 * max_append_event_size = 3.
 */
export function maxAppendEventSizeStatus(eventId: string, proposedBytes: number, maxBytes: number): RpcStatus {
  const writer = new BinaryWriter();
  writer.writeString(1, eventId);
  writer.writeUint32(2, proposedBytes);
  writer.writeUint32(3, maxBytes);
  return rpcStatus(codePb.Code.INVALID_ARGUMENT, 'MaximumAppendEventSizeExceeded', 'event_store.client.MaximumAppendEventSizeExceeded', writer.getResultBuffer());
}

/** Status.BadRequest. */
export function badRequestStatus(message: string): RpcStatus {
  const detail = new sharedPb.BadRequest().setMessage(message);
  return rpcStatus(codePb.Code.INVALID_ARGUMENT, 'BadRequest', 'event_store.client.BadRequest', detail.serializeBinary());
}
