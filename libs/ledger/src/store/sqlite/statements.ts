import type { Database, Statement } from 'better-sqlite3';

/**
 * Every statement the store runs, prepared once when the file is opened. Reads return raw
 * rows (arrays), which better-sqlite3 builds faster than objects keyed by column name.
 * Hashes are stored as 32-byte blobs (half the size of their hex) and converted by SQLite.
 * CROSS JOIN fixes the join order where the planner, without statistics, might scan instead.
 */

/** position, stream_id, revision, event_id, type, schema_version, data, metadata, recorded_at, hash */
export type EventRow = [number, string | null, number, string, string, number, string, string, string, string];

/** event_id, position, revision, stream_id, type, schema_version, data */
export type RecordedEventRow = [string, number, number, string | null, string, number, string];

/** position, hash, recorded_at */
export type HeadRow = [number, string, string];

/** stream_key, revision of its last event (null when it has none) */
export type StreamHeadRow = [number, number | null];

/** position, recorded_at */
export type RecordedAtRow = [number, string];

/** position, event_key, position in stream_events, position in event_keys, position in event_key_collisions */
export type IndexCheckRow = [number, number, number | null, number | null, number | null];

export interface Statements {
  dataVersion: Statement<[], number>;
  head: Statement<[], HeadRow>;
  headPosition: Statement<[], number | null>;
  streamHead: Statement<[string], StreamHeadRow>;
  streamKey: Statement<[string], number>;
  insertStream: Statement<[string]>;
  insertEvent: Statement<[number, number, number, number, string, string, number, string, string, string, string]>;
  indexStreamEvents: Statement<[number, number]>;
  indexEventKeys: Statement<[number, number]>;
  insertEventKey: Statement<[number, number]>;
  insertCollision: Statement<[string, number]>;
  eventByKey: Statement<[number], RecordedEventRow>;
  eventByCollidedId: Statement<[string], RecordedEventRow>;
  readAll: Statement<[number, number, number], EventRow>;
  readStream: Statement<[number, number, number], EventRow>;
  recordedAtFrom: Statement<[number], RecordedAtRow>;
  hashAt: Statement<[number], string>;
  indexCheck: Statement<[number, number], IndexCheckRow>;
  indexEntryCount: Statement<[], number>;
  strayIndexEntry: Statement<[], number | null>;
}

const eventColumns = 'e.position, s.stream_id, e.revision, e.event_id, e.type, e.schema_version, e.data, e.metadata, e.recorded_at, lower(hex(e.hash))';
const recordedEventColumns = 'e.event_id, e.position, e.revision, s.stream_id, e.type, e.schema_version, e.data';

export function prepareStatements(db: Database): Statements {
  return { ...prepareWrites(db), ...prepareReads(db), ...prepareChecks(db) };
}

function prepareWrites(db: Database) {
  return {
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    head: db.prepare<[], HeadRow>('SELECT position, lower(hex(hash)), recorded_at FROM events ORDER BY position DESC LIMIT 1').raw(),
    streamHead: db
      .prepare<[string], StreamHeadRow>(
        'SELECT s.stream_key, (SELECT max(revision) FROM stream_events WHERE stream_key = s.stream_key) FROM streams s WHERE s.stream_id = ?',
      )
      .raw(),
    insertStream: db.prepare<[string]>('INSERT INTO streams (stream_id) VALUES (?)'),
    insertEvent: db.prepare<[number, number, number, number, string, string, number, string, string, string, string]>(
      `INSERT INTO events (position, stream_key, revision, event_key, event_id, type, schema_version, data, metadata, recorded_at, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, unhex(?))`,
    ),
    indexStreamEvents: db.prepare<[number, number]>(
      `INSERT INTO stream_events (stream_key, revision, position)
       SELECT stream_key, revision, position FROM events WHERE position BETWEEN ? AND ? ORDER BY stream_key, revision`,
    ),
    indexEventKeys: db.prepare<[number, number]>(
      `INSERT INTO event_keys (event_key, position)
       SELECT event_key, position FROM events WHERE position BETWEEN ? AND ? ORDER BY event_key`,
    ),
    insertEventKey: db.prepare<[number, number]>('INSERT INTO event_keys (event_key, position) VALUES (?, ?)'),
    insertCollision: db.prepare<[string, number]>('INSERT INTO event_key_collisions (event_id, position) VALUES (?, ?)'),
    eventByKey: db
      .prepare<[number], RecordedEventRow>(
        `SELECT ${recordedEventColumns} FROM event_keys k CROSS JOIN events e ON e.position = k.position
         LEFT JOIN streams s ON s.stream_key = e.stream_key WHERE k.event_key = ?`,
      )
      .raw(),
    eventByCollidedId: db
      .prepare<[string], RecordedEventRow>(
        `SELECT ${recordedEventColumns} FROM event_key_collisions c CROSS JOIN events e ON e.position = c.position
         LEFT JOIN streams s ON s.stream_key = e.stream_key WHERE c.event_id = ?`,
      )
      .raw(),
  };
}

function prepareReads(db: Database) {
  return {
    headPosition: db.prepare<[], number | null>('SELECT max(position) FROM events').pluck(),
    streamKey: db.prepare<[string], number>('SELECT stream_key FROM streams WHERE stream_id = ?').pluck(),
    // LEFT JOIN streams, so that an event whose stream row is missing is still read (and named by verify).
    readAll: db
      .prepare<[number, number, number], EventRow>(
        `SELECT ${eventColumns} FROM events e LEFT JOIN streams s ON s.stream_key = e.stream_key
         WHERE e.position >= ? AND e.position <= ? ORDER BY e.position LIMIT ?`,
      )
      .raw(),
    readStream: db
      .prepare<[number, number, number], EventRow>(
        `SELECT ${eventColumns} FROM stream_events se CROSS JOIN events e ON e.position = se.position
         LEFT JOIN streams s ON s.stream_key = e.stream_key
         WHERE se.stream_key = ? AND se.revision >= ? ORDER BY se.revision LIMIT ?`,
      )
      .raw(),
    recordedAtFrom: db
      .prepare<[number], RecordedAtRow>('SELECT position, recorded_at FROM events WHERE position >= ? ORDER BY position LIMIT 1')
      .raw(),
    hashAt: db.prepare<[number], string>('SELECT lower(hex(hash)) FROM events WHERE position = ?').pluck(),
  };
}

function prepareChecks(db: Database) {
  return {
    // Where each event of a page is in the index tables; verify compares that with where it is.
    indexCheck: db
      .prepare<[number, number], IndexCheckRow>(
        `SELECT e.position, e.event_key, se.position, k.position, c.position
         FROM events e
         LEFT JOIN stream_events se ON se.stream_key = e.stream_key AND se.revision = e.revision
         LEFT JOIN event_keys k ON k.event_key = e.event_key
         LEFT JOIN event_key_collisions c ON c.event_id = e.event_id
         WHERE e.position BETWEEN ? AND ? ORDER BY e.position`,
      )
      .raw(),
    // With every event's own entries present, any entry more would show in this count.
    indexEntryCount: db
      .prepare<[], number>(
        `SELECT (SELECT count(*) FROM stream_events) - (SELECT count(*) FROM events)
              + (SELECT count(*) FROM event_keys) + (SELECT count(*) FROM event_key_collisions) - (SELECT count(*) FROM events)`,
      )
      .pluck(),
    // Only when the count is off: the lowest position an index entry names wrongly.
    strayIndexEntry: db
      .prepare<[], number | null>(
        `SELECT min(position) FROM (
           SELECT se.position FROM stream_events se LEFT JOIN events e
             ON e.position = se.position AND e.stream_key = se.stream_key AND e.revision = se.revision WHERE e.position IS NULL
           UNION ALL
           SELECT k.position FROM event_keys k LEFT JOIN events e
             ON e.position = k.position AND e.event_key = k.event_key WHERE e.position IS NULL
           UNION ALL
           SELECT c.position FROM event_key_collisions c LEFT JOIN events e
             ON e.position = c.position AND e.event_id = c.event_id WHERE e.position IS NULL)`,
      )
      .pluck(),
  };
}
