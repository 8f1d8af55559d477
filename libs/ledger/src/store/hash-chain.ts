import { hash } from 'node:crypto';

/**
 * The tamper-evidence chain: every event stores sha256(previous hash + canonical JSON of the
 * event), hex, so that changing, removing or reordering any event changes every hash after it.
 * Adapters share this file so that a log moved from one to another keeps its hashes.
 */

/** The previous hash of the first event. */
export const genesisHash = '0'.repeat(64);

/** The fields of an event the chain covers, with data and metadata already as canonical JSON text. */
export interface HashedEventText {
  position: number;
  streamId: string;
  revision: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  dataJson: string;
  metadataJson: string;
  recordedAt: string;
}

/**
 * The same fields with the strings already as JSON string literals (quoted and escaped), which
 * a writer quotes once per stream, type or transaction rather than once per event.
 */
export interface QuotedEventText {
  position: number;
  revision: number;
  schemaVersion: number;
  dataJson: string;
  metadataJson: string;
  eventIdJson: string;
  streamIdJson: string;
  typeJson: string;
  recordedAtJson: string;
}

/**
 * Canonical JSON of the event: the same text as `canonicalJson` of
 * `{ position, streamId, revision, eventId, type, schemaVersion, data, metadata, recordedAt }`
 * (a unit test holds the two together), written with its keys in their sorted order by hand
 * because this runs once per appended event and once per verified event.
 */
export function canonicalEventJson(event: HashedEventText): string {
  return canonicalQuotedEventJson({
    position: event.position,
    revision: event.revision,
    schemaVersion: event.schemaVersion,
    dataJson: event.dataJson,
    metadataJson: event.metadataJson,
    eventIdJson: JSON.stringify(event.eventId),
    streamIdJson: JSON.stringify(event.streamId),
    typeJson: JSON.stringify(event.type),
    recordedAtJson: JSON.stringify(event.recordedAt),
  });
}

export function canonicalQuotedEventJson(event: QuotedEventText): string {
  return (
    '{"data":' +
    event.dataJson +
    ',"eventId":' +
    event.eventIdJson +
    ',"metadata":' +
    event.metadataJson +
    ',"position":' +
    event.position +
    ',"recordedAt":' +
    event.recordedAtJson +
    ',"revision":' +
    event.revision +
    ',"schemaVersion":' +
    event.schemaVersion +
    ',"streamId":' +
    event.streamIdJson +
    ',"type":' +
    event.typeJson +
    '}'
  );
}

export function chainHash(previousHash: string, event: HashedEventText): string {
  return hash('sha256', previousHash + canonicalEventJson(event), 'hex');
}

/** chainHash for a writer that keeps its string fields quoted. */
export function chainHashQuoted(previousHash: string, event: QuotedEventText): string {
  return hash('sha256', previousHash + canonicalQuotedEventJson(event), 'hex');
}
