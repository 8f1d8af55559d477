import { binaryEvent } from '@eventstore/db-client';
import type { EventData, ResolvedEvent } from '@eventstore/db-client';
import type { EventMetadata, JsonObject, JsonValue, RecordedEvent } from '@compute-ledger/ledger';

/**
 * How the ledger's events look on the server. The log stream holds every ledger event in log
 * order, packed into records: one server event carries several consecutive events of one
 * append, with the port's fields (see esdb-event-store.ts for why the log is one stream). Ledger streams are read from the log at
 * the positions the writer's fold knows; links (`$>`) that earlier versions appended to
 * server streams named after them are left where they are and never read.
 */

/** Name of the log stream (after the store's prefix). A ledger stream of this name is refused. */
export const logStreamName = 'ledger-log';

/**
 * Envelope format 1: one server event per ledger event, the port's fields in its metadata
 * (`{ledger: {format, streamId, revision, eventId, schemaVersion, recordedAt, hash,
 * appendStart}, metadata}`), its position its server revision. Still read (a log may begin with
 * such events), no longer written.
 */
const singleEventFormat = 1;

/**
 * Envelope format 2, records: one server event carries several consecutive ledger events of
 * one append, so that an append of 10,000 events is a few dozen server events rather than
 * 10,000 (docs/adr/0001-esdb-single-log.md, "Records").
 */
const recordFormat = 2;

/** Server event type of a record. */
export const recordType = 'LedgerRecord';

/**
 * JSON bytes a record's events take at most, so that a record stays well below the server's
 * per-event cap and a read of a page of records stays bounded. An event larger than this alone
 * is a record of its own (up to the server's MaxAppendEventSize, checked in sizes.ts).
 */
export const recordBytesMax = 256 * 1024;

/** What a format-1 event carries in its metadata besides the caller's metadata. */
interface SingleEventEnvelope {
  format: number;
  streamId: string;
  revision: number;
  eventId: string;
  schemaVersion: number;
  recordedAt: string;
  hash: string;
  /** Position of the first event of the append that wrote this one (no longer used). */
  appendStart: number;
}

/** A ledger event as a record's data holds it: the port's event without its position. */
type RecordEntry = Omit<RecordedEvent, 'position'>;

/**
 * One server event of the log, read back: its server revision and the ledger events it
 * carries, in log order (one for a format-1 event).
 */
export interface LogRecord {
  revision: number;
  events: RecordedEvent[];
}

/** Records about to be appended: what is sent, and what it is read back as once written. */
export interface EncodedRecords {
  eventData: EventData[];
  records: LogRecord[];
  /** Bytes the server counts for each record (as sizes.ts counts them), in order. */
  sizes: number[];
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

/**
 * Cuts the consecutive ledger events of one append into records whose data is at most
 * `budgetBytes` of JSON each (an event larger than that alone is a record of its own), the first at server
 * revision `firstRevision`. Each event is serialized once, to count its bytes; the record's
 * size is then the sum, as JSON.stringify of the record would make it.
 */
export function encodeRecords(events: readonly RecordedEvent[], firstRevision: number, budgetBytes: number): EncodedRecords {
  const encoded: EncodedRecords = { eventData: [], records: [], sizes: [] };
  let entries: string[] = [];
  let members: RecordedEvent[] = [];
  // Bytes of the record's data so far: `{"format":2,"first":N,"events":[` + entries and commas + `]}`.
  let bytes = 0;
  const close = () => {
    const first = members[0];
    if (first === undefined) return;
    // The record's JSON (format 2: {format, first: the ledger position of its first event, the
    // others following without holes, events}), as JSON.stringify writes it, from the entries
    // already serialized to count them. Sent as bytes: the client would otherwise serialize the
    // record again and carry it as base64 text, which its protobuf encoder decodes byte by byte.
    const text = `{"format":${recordFormat},"first":${first.position},"events":[${entries.join(',')}]}`;
    // The hash of its first event names the record and the whole log before it, so it makes a
    // server event id that only this very append (or a retry of it) can carry; the server's
    // own repeat detection can then never take another writer's record for this one.
    encoded.eventData.push(binaryEvent({ id: uuidFromHex(first.hash), type: recordType, data: Buffer.from(text, 'utf8') }));
    encoded.records.push({ revision: firstRevision + encoded.records.length, events: members });
    encoded.sizes.push(bytes + 2 * recordType.length);
    entries = [];
    members = [];
    bytes = 0;
  };
  for (const event of events) {
    const entry: RecordEntry = {
      streamId: event.streamId,
      revision: event.revision,
      eventId: event.eventId,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: event.metadata,
      recordedAt: event.recordedAt,
      hash: event.hash,
    };
    const entryJson = JSON.stringify(entry);
    const entryBytes = Buffer.byteLength(entryJson);
    if (members.length > 0 && bytes + 1 + entryBytes > budgetBytes) close();
    bytes += members.length === 0 ? Buffer.byteLength(`{"format":${recordFormat},"first":${event.position},"events":[]}`) + entryBytes : 1 + entryBytes;
    entries.push(entryJson);
    members.push(event);
  }
  close();
  return encoded;
}

/**
 * Reads a server event of the log back as a record; anything that is not one the adapter
 * wrote (in either format) is an error naming the server revision.
 */
export function fromServerEvent(resolved: ResolvedEvent, logStream: string): LogRecord {
  const recorded = resolved.event;
  if (recorded === undefined) throw new Error(`${logStream} answered an entry without an event`);
  const revision = toSafeNumber(recorded.revision);
  const where = `the event at revision ${revision} of ${logStream}`;
  if (recorded.streamId !== logStream) throw new Error(`${where} is read from ${recorded.streamId}, not the log`);
  if (recorded.type === recordType) return { revision, events: fromRecordData(recordDataOf(recorded.data, where), where) };
  if (!recorded.isJson || !isObject(recorded.data)) throw new Error(`${where} has no JSON object as its data`);
  const metadata = recorded.metadata;
  const envelope = isObject(metadata) ? metadata['ledger'] : undefined;
  const callerMetadata = isObject(metadata) ? metadata['metadata'] : undefined;
  if (!isSingleEventEnvelope(envelope) || !isObject(callerMetadata)) throw new Error(`${where} is not a ledger event: its metadata has no ledger envelope`);
  // Format 1 wrote one server event per ledger event from the start of the log, so its
  // position is its server revision.
  const event: RecordedEvent = {
    position: revision,
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
  return { revision, events: [event] };
}

/** A record's data: JSON text as bytes (as the writer sends it), or a JSON object. */
function recordDataOf(data: unknown, where: string): { [key: string]: JsonValue } {
  let parsed: unknown = data;
  if (data instanceof Uint8Array) {
    try {
      parsed = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
    } catch {
      throw new Error(`${where} is a ledger record whose data is not JSON`);
    }
  }
  if (!isObject(parsed)) throw new Error(`${where} has no JSON object as its data`);
  return parsed;
}

function fromRecordData(data: { [key: string]: JsonValue }, where: string): RecordedEvent[] {
  const first = data['first'];
  const entries = data['events'];
  if (data['format'] !== recordFormat || !Number.isSafeInteger(first) || !Array.isArray(entries) || entries.length === 0) {
    throw new Error(`${where} is not a ledger record: its data has no format ${recordFormat}, first position and events`);
  }
  return entries.map((entry, index) => {
    if (!isRecordEntry(entry)) throw new Error(`${where} is not a ledger record: its event ${index} lacks a field of the format`);
    return {
      position: (first as number) + index,
      streamId: entry.streamId,
      revision: entry.revision,
      eventId: entry.eventId,
      type: entry.type,
      schemaVersion: entry.schemaVersion,
      data: entry.data,
      metadata: entry.metadata,
      recordedAt: entry.recordedAt,
      hash: entry.hash,
    };
  });
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

function isSingleEventEnvelope(value: unknown): value is SingleEventEnvelope {
  if (!isObject(value)) return false;
  return (
    value['format'] === singleEventFormat &&
    typeof value['streamId'] === 'string' &&
    Number.isSafeInteger(value['revision']) &&
    typeof value['eventId'] === 'string' &&
    Number.isSafeInteger(value['schemaVersion']) &&
    typeof value['recordedAt'] === 'string' &&
    typeof value['hash'] === 'string' &&
    Number.isSafeInteger(value['appendStart'])
  );
}

function isRecordEntry(value: JsonValue): value is JsonValue & RecordEntry {
  if (!isObject(value)) return false;
  return (
    typeof value['streamId'] === 'string' &&
    Number.isSafeInteger(value['revision']) &&
    typeof value['eventId'] === 'string' &&
    typeof value['type'] === 'string' &&
    Number.isSafeInteger(value['schemaVersion']) &&
    isObject(value['data']) &&
    isObject(value['metadata']) &&
    typeof value['recordedAt'] === 'string' &&
    typeof value['hash'] === 'string'
  );
}
