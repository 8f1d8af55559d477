import { ledgerEventRegistry, readLedgerEvent, type LedgerEvent } from '@compute-ledger/contracts';
import { eventIdOf, type ContractEvent } from '../domain/streams.js';
import type { EventMetadata, EventToAppend, ExpectedRevision, JsonObject, RecordedEvent, StreamWrite } from '../store/event-store.js';

/**
 * Turns domain events into what the store appends and back. Events are checked against the
 * contracts' current schema before they are appended, so nothing malformed reaches the log;
 * events read are upcast to the current version of their type.
 */

/** Who asks, for the events' metadata. */
export interface CommandContext {
  /** The API key or job that sent the request. */
  actor: string;
  correlationId?: string;
  causationId?: string;
}

/** The metadata every event of a command carries. */
export function metadataOf(context: CommandContext): EventMetadata {
  const metadata: EventMetadata = { actor: context.actor };
  if (context.correlationId !== undefined) metadata.correlationId = context.correlationId;
  if (context.causationId !== undefined) metadata.causationId = context.causationId;
  return metadata;
}

/**
 * `revision` is the stream revision the event takes once appended. `checked: false` leaves out
 * the schema check, for events a decider built field by field from input already parsed by the
 * same schema (usage readings: the record body is the event's schema), where it is a second
 * parse of every reading on the hot path; the in-memory store of the tests checks every event.
 */
export function toEventToAppend(event: ContractEvent, metadata: EventMetadata, revision: number, checked = true): EventToAppend {
  const data = (checked ? ledgerEventRegistry.parseCurrent(event.type, event.data) : event.data) as JsonObject;
  return { eventId: eventIdOf(event, revision), type: event.type, schemaVersion: ledgerEventRegistry.currentVersion(event.type), data, metadata };
}

export function expectedRevisionOf(revision: number): ExpectedRevision {
  return revision < 0 ? 'no_stream' : revision;
}

/** The events decided on a stream at `revision` (-1: no stream yet), as one write at that revision. */
export function toStreamWrite(streamId: string, revision: number, events: readonly ContractEvent[], context: CommandContext, checked = true): StreamWrite {
  const metadata = metadataOf(context);
  const toAppend = events.map((event, index) => toEventToAppend(event, metadata, revision + 1 + index, checked));
  return { streamId, expectedRevision: expectedRevisionOf(revision), events: toAppend };
}

export function fromRecordedEvent(recorded: RecordedEvent): LedgerEvent {
  return readLedgerEvent(recorded.type, recorded.schemaVersion, recorded.data);
}
