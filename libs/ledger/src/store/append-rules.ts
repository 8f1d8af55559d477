import { ConcurrencyError } from './errors.js';
import type { EventToAppend, ExpectedRevision, StreamWrite } from './event-store.js';
import { appendEventsMax, eventIdLengthMax, eventTypeLengthMax, streamIdLengthMax } from './limits.js';

/**
 * Rules of an append that every adapter applies the same way, before it touches storage.
 * A malformed append is a bug in the caller, so it is a RangeError or TypeError, not a domain error.
 */

/** Throws ConcurrencyError unless a stream whose last revision is `currentRevision` (-1: none) meets `expected`. */
export function checkExpectedRevision(streamId: string, expected: ExpectedRevision, currentRevision: number): void {
  if (expectedRevisionHolds(expected, currentRevision)) return;
  const actual = currentRevision === -1 ? 'no_stream' : String(currentRevision);
  throw new ConcurrencyError(streamId, String(expected), actual);
}

export function expectedRevisionHolds(expected: ExpectedRevision, currentRevision: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return currentRevision === -1;
    case 'stream_exists':
      return currentRevision >= 0;
    default:
      return currentRevision === expected;
  }
}

export function validateStreamWrite(write: StreamWrite): void {
  validateName('stream id', write.streamId, streamIdLengthMax);
  validateExpectedRevision(write.expectedRevision);
  if (!Array.isArray(write.events)) throw new TypeError(`append to ${write.streamId}: events must be an array`);
  if (write.events.length === 0) throw new RangeError(`append to ${write.streamId}: at least one event is needed`);
  if (write.events.length > appendEventsMax) {
    throw new RangeError(`append to ${write.streamId}: ${write.events.length} events, more than appendEventsMax (${appendEventsMax})`);
  }
  for (const event of write.events) validateEvent(write.streamId, event);
}

function validateExpectedRevision(expected: ExpectedRevision): void {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return;
  throw new RangeError(`expected revision must be 'no_stream', 'stream_exists', 'any' or an integer >= 0, not ${String(expected)}`);
}

function validateEvent(streamId: string, event: EventToAppend): void {
  validateName('event id', event.eventId, eventIdLengthMax);
  validateName('event type', event.type, eventTypeLengthMax);
  if (!Number.isSafeInteger(event.schemaVersion) || event.schemaVersion < 1) {
    throw new RangeError(`event ${event.eventId} in ${streamId}: schemaVersion must be an integer >= 1`);
  }
  if (!isPlainObject(event.data)) throw new TypeError(`event ${event.eventId} in ${streamId}: data must be a JSON object`);
  if (event.metadata !== undefined && !isPlainObject(event.metadata)) {
    throw new TypeError(`event ${event.eventId} in ${streamId}: metadata must be a JSON object`);
  }
}

function validateName(what: string, value: unknown, lengthMax: number): void {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${what} must be a non-empty string`);
  if (value.length > lengthMax) throw new RangeError(`${what} is ${value.length} characters long, more than ${lengthMax}`);
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An instant as the store compares it: ISO-8601 UTC with milliseconds, so that string order is
 * time order. The zone must be explicit, because a time without one would be read in the
 * machine's local zone.
 */
export function normalizeInstant(value: string): string {
  const isoWithZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
  const time = isoWithZone.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw new RangeError(`not an ISO-8601 instant with a zone: ${value}`);
  return instantFromDate(new Date(time));
}

/** ISO-8601 UTC with milliseconds; years outside 0000-9999 would break the string order and are refused. */
export function instantFromDate(date: Date): string {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new RangeError('the clock answered an invalid date');
  const instant = date.toISOString();
  if (instant.length !== isoInstantLength) throw new RangeError(`instant out of the supported years 0000-9999: ${instant}`);
  return instant;
}

const isoInstantLength = '2000-01-01T00:00:00.000Z'.length;
