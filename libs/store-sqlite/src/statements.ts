import type { Database, Statement } from 'better-sqlite3';
import { streamMarkRevisions } from './schema.js';

/**
 * Every statement the store runs, prepared once when the file is opened. Reads return raw
 * rows (arrays), which better-sqlite3 builds faster than objects keyed by column name.
 * Hashes are stored as 32-byte blobs (half the size of their hex) and converted by SQLite.
 * CROSS JOIN fixes the join order where the planner, without statistics, might scan instead.
 */

/** position, stream_id, revision, event_id, type, schema_version, data, metadata, recorded_at, hash */
export type EventRow = [number, string | null, number, string, string, number, string, string, string, string];

/** position, stream_key, revision, event_id, type (null: the type asked to be left out), schema_version, data */
export type StoredFoldRow = [number, number, number, string, string | null, number, string];

/** A page of readForFold, and the type its rows leave out (see SqliteReader.readFoldRows). */
export interface FoldRange {
  from: number;
  limit: number;
  repeatedType: string;
}

/** event_id, position, revision, stream_id, type, schema_version, data */
export type RecordedEventRow = [string, number, number, string | null, string, number, string];

/** event_key, event_id, position: the event that owns a key in event_keys */
export type KeyOwnerRow = [number, string, number];

/** event_id, position */
export type EventIdPositionRow = [string, number];

/** position, event_id */
export type PositionEventIdRow = [number, string];

/** position, hash, recorded_at */
export type HeadRow = [number, string, string];

/** stream_key, head_revision, head_position */
export type StreamHeadRow = [number, number, number];

/** position, recorded_at */
export type RecordedAtRow = [number, string];

/**
 * Per event: position, event_key, whether its previous_position, its stream_marks entry and
 * its stream's head agree with it (1 or 0), its position in event_keys and in event_key_collisions.
 */
export type IndexCheckRow = [number, number, number, number, number, number | null, number | null];

/** Where a stream walk starts (a position) and which revisions it answers. */
export interface WalkRange {
  start: number;
  from: number;
  to: number;
}

export interface Statements {
  dataVersion: Statement<[], number>;
  head: Statement<[], HeadRow>;
  headPosition: Statement<[], number | null>;
  streamHead: Statement<[string], StreamHeadRow>;
  insertStream: Statement<[string]>;
  updateStreamHead: Statement<[number, number, number]>;
  insertEvent: Statement<[number, number, number, number | null, number, string, string, number, string, string, string, string]>;
  indexStreamMarks: Statement<[number, number]>;
  indexEventKeys: Statement<[number, number]>;
  insertEventKey: Statement<[number, number]>;
  insertCollision: Statement<[string, number]>;
  eventKeyTaken: Statement<[number], number>;
  keyOwners: Statement<[string], KeyOwnerRow>;
  collidedIdPositions: Statement<[string], EventIdPositionRow>;
  recordedEventAt: Statement<[number], RecordedEventRow>;
  eventIdsAt: Statement<[string], PositionEventIdRow>;
  readAll: Statement<[number, number, number], EventRow>;
  readForFold: Statement<[FoldRange], StoredFoldRow>;
  streamIdOfKey: Statement<[number], string>;
  streamMarkFrom: Statement<[number, number], number>;
  walkStream: Statement<[WalkRange], EventRow>;
  recordedAtFrom: Statement<[number], RecordedAtRow>;
  hashAt: Statement<[number], string>;
  indexCheck: Statement<[number, number], IndexCheckRow>;
  strayEntryCount: Statement<[], number>;
  strayEntry: Statement<[], number | null>;
}

const eventColumns = 'e.position, s.stream_id, e.revision, e.event_id, e.type, e.schema_version, e.data, e.metadata, e.recorded_at, lower(hex(e.hash))';
const recordedEventColumns = 'e.event_id, e.position, e.revision, s.stream_id, e.type, e.schema_version, e.data';

export function prepareStatements(db: Database): Statements {
  return { ...prepareWrites(db), ...prepareLookups(db), ...prepareReads(db), ...prepareChecks(db) };
}

function prepareWrites(db: Database) {
  return {
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    head: db.prepare<[], HeadRow>('SELECT position, lower(hex(hash)), recorded_at FROM events ORDER BY position DESC LIMIT 1').raw(),
    streamHead: db.prepare<[string], StreamHeadRow>('SELECT stream_key, head_revision, head_position FROM streams WHERE stream_id = ?').raw(),
    insertStream: db.prepare<[string]>('INSERT INTO streams (stream_id, head_revision, head_position) VALUES (?, -1, -1)'),
    updateStreamHead: db.prepare<[number, number, number]>('UPDATE streams SET head_revision = ?, head_position = ? WHERE stream_key = ?'),
    insertEvent: db.prepare<[number, number, number, number | null, number, string, string, number, string, string, string, string]>(
      `INSERT INTO events (position, stream_key, revision, previous_position, event_key, event_id, type, schema_version, data, metadata, recorded_at, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, unhex(?))`,
    ),
    indexStreamMarks: db.prepare<[number, number]>(
      `INSERT INTO stream_marks (stream_key, revision, position)
       SELECT stream_key, revision, position FROM events WHERE position BETWEEN ? AND ? AND revision % ${streamMarkRevisions} = 0`,
    ),
    indexEventKeys: db.prepare<[number, number]>(
      `INSERT INTO event_keys (event_key, position)
       SELECT event_key, position FROM events WHERE position BETWEEN ? AND ? ORDER BY event_key`,
    ),
    insertEventKey: db.prepare<[number, number]>('INSERT INTO event_keys (event_key, position) VALUES (?, ?)'),
    insertCollision: db.prepare<[string, number]>('INSERT INTO event_key_collisions (event_id, position) VALUES (?, ?)'),
    eventKeyTaken: db.prepare<[number], number>('SELECT 1 FROM event_keys WHERE event_key = ?').pluck(),
  };
}

/**
 * The lookups of the event index (recorded-events.ts), each over a JSON array of any length,
 * so that a chunk of ids or positions is one statement: the array is walked in order and each
 * element is one primary-key lookup.
 */
function prepareLookups(db: Database) {
  return {
    // The event that owns each key of a JSON array of keys (a key no event owns answers no row).
    keyOwners: db
      .prepare<[string], KeyOwnerRow>(
        `SELECT k.event_key, e.event_id, e.position FROM json_each(?) j
         CROSS JOIN event_keys k ON k.event_key = j.value CROSS JOIN events e ON e.position = k.position`,
      )
      .raw(),
    // The events kept as key collisions under each id of a JSON array of ids.
    collidedIdPositions: db
      .prepare<[string], EventIdPositionRow>(
        `SELECT c.event_id, e.position FROM json_each(?) j
         CROSS JOIN event_key_collisions c ON c.event_id = j.value CROSS JOIN events e ON e.position = c.position`,
      )
      .raw(),
    recordedEventAt: db
      .prepare<[number], RecordedEventRow>(`SELECT ${recordedEventColumns} FROM events e LEFT JOIN streams s ON s.stream_key = e.stream_key WHERE e.position = ?`)
      .raw(),
    // The id of the event at each position of a JSON array of positions (a position without an event answers no row).
    eventIdsAt: db
      .prepare<[string], PositionEventIdRow>('SELECT e.position, e.event_id FROM json_each(?) j CROSS JOIN events e ON e.position = j.value')
      .raw(),
  };
}

function prepareReads(db: Database) {
  return {
    headPosition: db.prepare<[], number | null>('SELECT max(position) FROM events').pluck(),
    // LEFT JOIN streams, so that an event whose stream row is missing is still read (and named by verify).
    readAll: db
      .prepare<[number, number, number], EventRow>(
        `SELECT ${eventColumns} FROM events e LEFT JOIN streams s ON s.stream_key = e.stream_key
         WHERE e.position >= ? AND e.position <= ? ORDER BY e.position LIMIT ?`,
      )
      .raw(),
    // No join: the reader names streams from their keys, of which a log has far fewer than events.
    readForFold: db
      .prepare<[FoldRange], StoredFoldRow>(
        'SELECT position, stream_key, revision, event_id, NULLIF(type, @repeatedType), schema_version, data FROM events WHERE position >= @from ORDER BY position LIMIT @limit',
      )
      .raw(),
    streamIdOfKey: db.prepare<[number], string>('SELECT stream_id FROM streams WHERE stream_key = ?').pluck(),
    streamMarkFrom: db
      .prepare<[number, number], number>('SELECT position FROM stream_marks WHERE stream_key = ? AND revision >= ? ORDER BY revision LIMIT 1')
      .pluck(),
    // Walks a stream's chain back from the event at @start down to revision @from and answers
    // revisions @from to @to in order. Each step must go to a lower revision, so a damaged chain
    // cannot loop.
    walkStream: db
      .prepare<[WalkRange], EventRow>(
        `WITH RECURSIVE walk(position, previous, revision) AS (
           SELECT position, previous_position, revision FROM events WHERE position = @start
           UNION ALL
           SELECT e.position, e.previous_position, e.revision FROM walk w CROSS JOIN events e ON e.position = w.previous
           WHERE w.revision > @from AND e.revision < w.revision
         )
         SELECT ${eventColumns} FROM walk w CROSS JOIN events e ON e.position = w.position
         LEFT JOIN streams s ON s.stream_key = e.stream_key
         WHERE w.revision BETWEEN @from AND @to ORDER BY w.revision`,
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
    indexCheck: db
      .prepare<[number, number], IndexCheckRow>(
        `SELECT e.position, e.event_key,
           CASE WHEN e.revision = 0 THEN e.previous_position IS NULL
                ELSE p.stream_key IS e.stream_key AND p.revision IS e.revision - 1 END,
           CASE WHEN e.revision % ${streamMarkRevisions} = 0 THEN m.position IS e.position ELSE 1 END,
           s.head_revision > e.revision OR (s.head_revision = e.revision AND s.head_position = e.position),
           k.position, c.position
         FROM events e
         LEFT JOIN events p ON p.position = e.previous_position
         LEFT JOIN stream_marks m ON m.stream_key = e.stream_key AND m.revision = e.revision
         LEFT JOIN streams s ON s.stream_key = e.stream_key
         LEFT JOIN event_keys k ON k.event_key = e.event_key
         LEFT JOIN event_key_collisions c ON c.event_id = e.event_id
         WHERE e.position BETWEEN ? AND ? ORDER BY e.position`,
      )
      .raw(),
    // With every event's own entries in place, an entry more (or a head that names no event of
    // its stream) shows in these counts.
    strayEntryCount: db
      .prepare<[], number>(
        `SELECT (SELECT count(*) FROM stream_marks) - (SELECT count(*) FROM events WHERE revision % ${streamMarkRevisions} = 0)
              + (SELECT count(*) FROM event_keys) + (SELECT count(*) FROM event_key_collisions) - (SELECT count(*) FROM events)
              + (SELECT count(*) FROM streams s LEFT JOIN events e ON e.position = s.head_position
                 WHERE e.stream_key IS NOT s.stream_key OR e.revision IS NOT s.head_revision)`,
      )
      .pluck(),
    // Only when a count is off: the lowest position such an entry names.
    strayEntry: db
      .prepare<[], number | null>(
        `SELECT min(position) FROM (
           SELECT m.position FROM stream_marks m LEFT JOIN events e
             ON e.position = m.position AND e.stream_key = m.stream_key AND e.revision = m.revision WHERE e.position IS NULL
           UNION ALL
           SELECT k.position FROM event_keys k LEFT JOIN events e
             ON e.position = k.position AND e.event_key = k.event_key WHERE e.position IS NULL
           UNION ALL
           SELECT c.position FROM event_key_collisions c LEFT JOIN events e
             ON e.position = c.position AND e.event_id = c.event_id WHERE e.position IS NULL
           UNION ALL
           SELECT s.head_position FROM streams s LEFT JOIN events e ON e.position = s.head_position
             WHERE e.stream_key IS NOT s.stream_key OR e.revision IS NOT s.head_revision)`,
      )
      .pluck(),
  };
}
