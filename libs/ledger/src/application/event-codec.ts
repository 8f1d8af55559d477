import { ledgerEventRegistry, readLedgerEvent, type LedgerEvent } from '@compute-ledger/contracts';
import { eventIdOf, type ContractEvent } from '../domain/streams.js';
import type { EventMetadata, EventToAppend, JsonObject, RecordedEvent } from '../store/event-store.js';

/**
 * Turns domain events into what the store appends and back. Events are checked against the
 * contracts' current schema before they are appended, so nothing malformed reaches the log;
 * events read are upcast to the current version of their type.
 */

/** `revision` is the stream revision the event takes once appended. */
export function toEventToAppend(event: ContractEvent, metadata: EventMetadata, revision: number): EventToAppend {
  const data = ledgerEventRegistry.parseCurrent(event.type, event.data) as JsonObject;
  return { eventId: eventIdOf(event, revision), type: event.type, schemaVersion: ledgerEventRegistry.currentVersion(event.type), data, metadata };
}

export function fromRecordedEvent(recorded: RecordedEvent): LedgerEvent {
  return readLedgerEvent(recorded.type, recorded.schemaVersion, recorded.data);
}
