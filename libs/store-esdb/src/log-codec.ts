import { jsonEvent } from '@eventstore/db-client';
import type { JSONEventData, ResolvedEvent } from '@eventstore/db-client';
import type { EventMetadata, JsonObject, JsonValue, RecordedEvent } from '@compute-ledger/ledger';

/**
 * How the ledger's events look on the server. The log stream holds every ledger event in log
 * order, with the port's fields that the server has no place for in the event's metadata (see
 * esdb-event-store.ts for why the log is one stream). Ledger streams are read from the log at
 * the positions the writer's fold knows; links (`$>`) that earlier versions appended to
 * server streams named after them are left where they are and never read.
 */

/** Name of the log stream (after the store's prefix). A ledger stream of this name is refused. */
export const logStreamName = 'ledger-log';

/** Version of the envelope below, so that a later format can read this one. */
const envelopeFormat = 1;

/** What a log event carries in its metadata besides the caller's metadata. */
interface LogEnvelope {
  format: number;
  streamId: string;
  revision: number;
  eventId: string;
  schemaVersion: number;
  recordedAt: string;
  hash: string;
  /**
   * Position of the first event of the append that wrote this one, where its other events
   * start. Still written and checked, as the format has it, though the store no longer needs it
   * (it told which append might lack its links).
   */
  appendStart: number;
}

/** A ledger event as the log holds it: the port's event and where its append began. */
export interface LogEvent {
  event: RecordedEvent;
  appendStart: number;
}

/** Server stream names of one ledger: its log and its streams, all under one prefix. */
export interface StreamNames {
  log: string;
  ledgerStream(streamId: string): string;
}

export function streamNames(prefix: string): StreamNames {
  return { log: `${prefix}${logStreamName}`, ledgerStream: (streamId) => `${prefix}${streamId}` };
}

/**
 * Refuses names the server would treat differently from the SQLite store: `$` starts the
 * server's system streams and event types (an event of type `$>` would be read as a link), and
 * the log's own name is taken.
 */
export function checkServerNames(streamId: string, type?: string): void {
  if (streamId.startsWith('$')) throw new RangeError(`stream id ${streamId}: names starting with $ are the server's system streams`);
  if (streamId === logStreamName) throw new RangeError(`stream id ${streamId} is the name of the ledger's log stream`);
  if (type?.startsWith('$')) throw new RangeError(`event type ${type}: types starting with $ are the server's system event types`);
}

/** A log event to append: the caller's event plus the fields the chain fixed for it. */
export function toLogEventData(event: LogEvent): JSONEventData {
  const { event: recorded, appendStart } = event;
  const envelope: LogEnvelope = {
    format: envelopeFormat,
    streamId: recorded.streamId,
    revision: recorded.revision,
    eventId: recorded.eventId,
    schemaVersion: recorded.schemaVersion,
    recordedAt: recorded.recordedAt,
    hash: recorded.hash,
    appendStart,
  };
  // The hash names the event and the whole log before it, so it makes a server event id that
  // only this very append (or a retry of it) can carry; the server's own repeat detection can
  // then never take another writer's event for this one.
  return jsonEvent({ id: uuidFromHex(recorded.hash), type: recorded.type, data: recorded.data, metadata: { ledger: envelope, metadata: recorded.metadata } });
}

/** Reads a log event back; anything that is not one the adapter wrote is an error naming the position. */
export function fromLogEvent(resolved: ResolvedEvent, logStream: string): LogEvent {
  const recorded = resolved.event;
  if (recorded === undefined) throw new Error(`${logStream} answered an entry without an event`);
  const position = toSafeNumber(recorded.revision);
  const where = `the event at position ${position} of ${logStream}`;
  if (recorded.streamId !== logStream) throw new Error(`${where} is read from ${recorded.streamId}, not the log`);
  if (!recorded.isJson || !isObject(recorded.data)) throw new Error(`${where} has no JSON object as its data`);
  const metadata = recorded.metadata;
  const envelope = isObject(metadata) ? metadata['ledger'] : undefined;
  const callerMetadata = isObject(metadata) ? metadata['metadata'] : undefined;
  if (!isEnvelope(envelope) || !isObject(callerMetadata)) throw new Error(`${where} is not a ledger event: its metadata has no ledger envelope`);
  const event: RecordedEvent = {
    position,
    streamId: envelope.streamId,
    revision: envelope.revision,
    eventId: envelope.eventId,
    type: recorded.type,
    schemaVersion: envelope.schemaVersion,
    data: recorded.data as JsonObject,
    metadata: callerMetadata as EventMetadata,
    recordedAt: envelope.recordedAt,
    hash: envelope.hash,
  };
  return { event, appendStart: envelope.appendStart };
}

/** A server revision or position as a port number; past 2^53 it would silently lose digits. */
export function toSafeNumber(value: bigint): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`server revision ${value} is beyond what the port's numbers hold exactly`);
  return Number(value);
}

/**
 * A UUID from 128 bits of a sha256 (hex), marked as version 8 (RFC 9562: layout of our own
 * choosing) with the RFC variant, because the server takes only UUIDs as event ids.
 */
function uuidFromHex(sha256Hex: string): string {
  const bytes = Buffer.from(sha256Hex.slice(0, 32), 'hex');
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function isObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function isEnvelope(value: unknown): value is LogEnvelope {
  if (!isObject(value)) return false;
  return (
    value['format'] === envelopeFormat &&
    typeof value['streamId'] === 'string' &&
    Number.isSafeInteger(value['revision']) &&
    typeof value['eventId'] === 'string' &&
    Number.isSafeInteger(value['schemaVersion']) &&
    typeof value['recordedAt'] === 'string' &&
    typeof value['hash'] === 'string' &&
    Number.isSafeInteger(value['appendStart'])
  );
}
