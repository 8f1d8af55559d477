import type { LineSource } from '@compute-ledger/contracts';
import { usageEventIdFromStore } from '../projections/ledger-model.js';
import { assert } from '../shared/assert.js';
import type { EventStore } from '../store/event-store.js';
import type { BillingEvent } from '../domain/billing/billing.js';

/**
 * Gives usage sources their event ids, in place: the model keeps no reading ids, so a usage
 * event that recorded a reading under its reading's id is a source with its position only
 * (usageEventIdFromStore) until the store names the event at that position. One lookup for all
 * of them; done before a source is recorded in a document or shown.
 */
export async function fillUsageEventIds(store: EventStore, sources: Iterable<LineSource>): Promise<void> {
  const unnamed: LineSource[] = [];
  for (const source of sources) if (source.eventId === usageEventIdFromStore) unnamed.push(source);
  if (unnamed.length === 0) return;
  const eventIds = await store.eventIdsAt([...new Set(unnamed.map((source) => source.position))]);
  for (const source of unnamed) {
    const eventId = eventIds.get(source.position);
    assert(eventId !== undefined, `the usage event at position ${source.position} is in the log`);
    source.eventId = eventId;
  }
}

/** The line sources of what a billing decision records: its documents' and drafts' lines. */
export function* lineSourcesOf(events: readonly BillingEvent[]): Iterable<LineSource> {
  for (const event of events) {
    if (event.type !== 'InvoiceIssued' && event.type !== 'DraftCreated') continue;
    for (const line of event.data.lines) yield* line.sources;
  }
}
