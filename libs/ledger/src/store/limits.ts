/**
 * Limits of the event store port, the same for every adapter so that a caller that works with
 * one works with all. Each is a deliberate choice, never a library default.
 */

/** Events in one `append`, and in one `appendMany` over all its writes: one usage batch of 10,000 readings. */
export const appendEventsMax = 10_000;

/** Writes in one `appendMany` (each write has at least one event). */
export const appendManyWritesMax = appendEventsMax;

/** Events one `readAll` page may ask for. */
export const readPageEventsMax = 10_000;

/**
 * Events `readStream` answers when no limit is given. A stream longer than this is an error to
 * be paged with `fromRevision` and `limit`, rather than a silent truncation or an out-of-memory.
 */
export const readStreamEventsMax = 100_000;

/** Bytes of a stream id, an event id and an event type (UTF-16 code units, which bounds the bytes). */
export const streamIdLengthMax = 200;
export const eventIdLengthMax = 200;
export const eventTypeLengthMax = 200;
