import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { openSqliteEventStore, sqliteStorePragmas } from '@compute-ledger/store-sqlite';
import type { EventStore, StreamWrite } from '@compute-ledger/ledger';
import { figure, inTemporaryDirectory, perSecond } from './figures.js';
import type { BenchMode, BenchmarkModule, Figure } from './figures.js';

/**
 * Append and read-back throughput of the SQLite event store against the floor SQLite sets:
 * raw better-sqlite3 inserts of the same rows (same JSON text, same pragmas, same batches in
 * one transaction each) into a table without any secondary index or hash chain.
 *
 * Each batch is one appendMany of usage readings over `streamCount` lease streams, one event per
 * write with expected revision `any`, as the usage ingest does. The readings go through
 * JSON.parse, as they would arriving over HTTP (so neither side pays for flattening strings the
 * other then gets for free). Every run starts from a fresh file in a temp dir and its time
 * includes closing the file (the last WAL checkpoint); one small unmeasured run of each warms
 * the JIT; adapter and raw runs alternate, so drift on a shared machine hits both.
 */

interface Sizes {
  batchSizes: readonly number[];
  warmupEvents: number;
  /** Events per run, per batch size. */
  eventsPerRun: (batchSize: number) => number;
  runs: number;
  streamCount: number;
  readPageEvents: number;
}

const fullSizes: Sizes = {
  batchSizes: [100, 1_000, 10_000],
  warmupEvents: 20_000,
  eventsPerRun: (batchSize) => (batchSize <= 100 ? 20_000 : 100_000),
  runs: 3,
  streamCount: 2_000,
  readPageEvents: 1_000,
};

const smokeSizes: Sizes = {
  batchSizes: [10, 100],
  warmupEvents: 100,
  eventsPerRun: () => 200,
  runs: 1,
  streamCount: 20,
  readPageEvents: 50,
};

const benchmark = 'store-append';

export const storeAppendBenchmark: BenchmarkModule = {
  name: benchmark,
  async run(mode: BenchMode): Promise<Figure[]> {
    const sizes = mode === 'full' ? fullSizes : smokeSizes;
    return inTemporaryDirectory('bench-store-', async (directory) => {
    return await measureAll(sizes, directory);
    });
  },
};

async function measureAll(sizes: Sizes, directory: string): Promise<Figure[]> {
  const figures: Figure[] = [];
  let file = 0;
  const nextPath = () => join(directory, `run-${(file += 1)}.sqlite`);
  let lastAdapterPath = '';
  let lastRawPath = '';
  const warmup = usageBatchesJson(sizes.warmupEvents, 1_000, sizes.streamCount);
  await appendWithAdapter(nextPath(), parseBatches(warmup));
  appendRaw(nextPath(), parseBatches(warmup));
  for (const batchSize of sizes.batchSizes) {
    const batches = usageBatchesJson(sizes.eventsPerRun(batchSize), batchSize, sizes.streamCount);
    const adapter: number[] = [];
    const raw: number[] = [];
    for (let run = 0; run < sizes.runs; run += 1) {
      lastAdapterPath = nextPath();
      adapter.push(await appendWithAdapter(lastAdapterPath, parseBatches(batches)));
      lastRawPath = nextPath();
      raw.push(appendRaw(lastRawPath, parseBatches(batches)));
    }
    figures.push(appendFigure(batchSize, adapter, raw));
  }
  figures.push(await readBackFigure(lastAdapterPath, lastRawPath, sizes));
  return figures;
}

function appendFigure(batchSize: number, adapter: number[], raw: number[]): Figure {
  return figure({
    benchmark,
    case: `append, appendMany of ${batchSize.toLocaleString('en-US')}`,
    unit: 'events/s',
    samples: adapter,
    baseline: { name: 'raw insert', samples: raw },
  });
}

/**
 * Each run gets its own copy of the readings, parsed from JSON as a request body would be, so
 * that neither side profits from work the other did on the same strings (hashing them as map
 * keys, flattening them).
 */
function parseBatches(json: string): StreamWrite[][] {
  return JSON.parse(json) as StreamWrite[][];
}

/** Realistic UsageRecorded events: about 200 bytes of data, data keys already in canonical order. */
function usageBatchesJson(eventCount: number, batchSize: number, streamCount: number): string {
  const batches: StreamWrite[][] = [];
  for (let start = 0; start < eventCount; start += batchSize) {
    const correlationId = randomUUID();
    const batch: StreamWrite[] = [];
    for (let index = start; index < Math.min(start + batchSize, eventCount); index += 1) {
      const lease = Math.floor(Math.random() * streamCount);
      const leaseId = `lease-${String(lease).padStart(6, '0')}`;
      const readingId = randomUUID();
      const data = {
        gpuHours: '1050.5',
        leaseId,
        periodEnd: '2026-03-01T01:00:00.000Z',
        periodStart: '2026-03-01T00:00:00.000Z',
        readingId,
        source: 'dcgm-exporter/fra-2/node-017',
      };
      const event = { eventId: `usage-${readingId}`, type: 'UsageRecorded', schemaVersion: 1, data, metadata: { actor: 'meter-agent', correlationId } };
      batch.push({ streamId: `usage-${leaseId}`, events: [event], expectedRevision: 'any' });
    }
    batches.push(batch);
  }
  return JSON.stringify(batches);
}

async function appendWithAdapter(path: string, batches: readonly StreamWrite[][]): Promise<number> {
  const started = performance.now();
  const store = openSqliteEventStore({ path });
  try {
    for (const batch of batches) await store.appendMany(batch);
  } finally {
    await store.close();
  }
  return perSecond(countEvents(batches), performance.now() - started);
}

const rawSchema = `CREATE TABLE events (
  position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, revision INTEGER NOT NULL, event_id TEXT NOT NULL,
  type TEXT NOT NULL, schema_version INTEGER NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL
)`;

/** The same rows as the adapter writes (minus its hash chain and index keys), serialized in the loop as any writer must. */
export function appendRaw(path: string, batches: readonly StreamWrite[][]): number {
  const started = performance.now();
  const db = openRaw(path);
  try {
    db.exec(rawSchema);
    const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const revisions = new Map<string, number>();
    let position = -1;
    const writeBatch = db.transaction((batch: readonly StreamWrite[]) => {
      const recordedAt = new Date().toISOString();
      for (const write of batch) {
        let revision = revisions.get(write.streamId) ?? -1;
        for (const event of write.events) {
          position += 1;
          revision += 1;
          const metadata = JSON.stringify(event.metadata);
          insert.run(position, write.streamId, revision, event.eventId, event.type, event.schemaVersion, JSON.stringify(event.data), metadata, recordedAt);
        }
        revisions.set(write.streamId, revision);
      }
    });
    for (const batch of batches) writeBatch.immediate(batch);
  } finally {
    db.close();
  }
  return perSecond(countEvents(batches), performance.now() - started);
}

function openRaw(path: string): Database {
  const db = new BetterSqlite3(path);
  for (const pragma of sqliteStorePragmas) db.pragma(pragma);
  return db;
}

export function countEvents(batches: readonly StreamWrite[][]): number {
  return batches.reduce((count, batch) => count + batch.reduce((sum, write) => sum + write.events.length, 0), 0);
}

/** Reads the last files back in pages, parsing every event, adapter and raw alternating. */
async function readBackFigure(adapterPath: string, rawPath: string, sizes: Sizes): Promise<Figure> {
  const adapter: number[] = [];
  const raw: number[] = [];
  for (let run = 0; run < sizes.runs; run += 1) {
    adapter.push(await readWithAdapter(adapterPath, sizes.readPageEvents));
    raw.push(readRaw(rawPath, sizes.readPageEvents));
  }
  return figure({
    benchmark,
    case: `read back, pages of ${sizes.readPageEvents.toLocaleString('en-US')} + parse`,
    unit: 'events/s',
    samples: adapter,
    baseline: { name: 'raw SELECT + JSON.parse', samples: raw },
  });
}

async function readWithAdapter(path: string, pageEvents: number): Promise<number> {
  const store: EventStore = openSqliteEventStore({ path });
  try {
    const started = performance.now();
    let count = 0;
    for (let page = await store.readAll({ limit: pageEvents }); page.length > 0; ) {
      count += page.length;
      const last = page[page.length - 1];
      page = last ? await store.readAll({ fromPosition: last.position + 1, limit: pageEvents }) : [];
    }
    return perSecond(count, performance.now() - started);
  } finally {
    await store.close();
  }
}

interface RawRow {
  position: number;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
  recorded_at: string;
}

function readRaw(path: string, pageEvents: number): number {
  const db = openRaw(path);
  try {
    const select = db.prepare<[number, number], RawRow>('SELECT * FROM events WHERE position >= ? ORDER BY position LIMIT ?');
    const started = performance.now();
    let count = 0;
    let parsedBytes = 0;
    for (let rows = select.all(0, pageEvents); rows.length > 0; ) {
      for (const row of rows) parsedBytes += Object.keys(JSON.parse(row.data) as object).length + Object.keys(JSON.parse(row.metadata) as object).length;
      count += rows.length;
      const last = rows[rows.length - 1];
      rows = last ? select.all(last.position + 1, pageEvents) : [];
    }
    if (parsedBytes === 0 && count > 0) throw new Error('raw read parsed nothing');
    return perSecond(count, performance.now() - started);
  } finally {
    db.close();
  }
}
