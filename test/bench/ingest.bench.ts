import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { ledgerEventRegistry, type UsageBatchBody, type UsageRecordBody } from '@compute-ledger/contracts';
import {
  chainHash,
  type JsonObject,
  type LedgerCommands,
  type StreamWrite,
} from '@compute-ledger/ledger';
import {
  eventIdKey,
  openSqliteEventStore,
  sqliteStorePragmas,
  streamMarkRevisions,
} from '@compute-ledger/store-sqlite';
import { iso, leaseIdOf, month, prepare } from './billing.bench.js';
import { figure, inTemporaryDirectory, perSecond, withTarget } from './figures.js';
import type { BenchMode, BenchmarkModule, Figure } from './figures.js';
import { appendRaw, countEvents } from './store-append.bench.js';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { openLedgerAt } from '@compute-ledger/api';

/**
 * Usage readings ingested per second through the ledger: `ledger.commands.recordUsage` with
 * bodies of 10,000 readings, as `POST /v1/usage` hands them over. Its time is everything
 * recordUsage does: loading the leases and sites the batch touches (from its stream caches,
 * caught up with the store), validating every reading against its lease and allocations,
 * deduplicating reading ids (within the batch, and against the readings already recorded,
 * through the store's index of event ids), building the events, appending one write per lease
 * in a single appendMany transaction (event-id index, stream revisions, hash chain), and folding
 * the new events into the ledger model from memory: the commands read stream revisions from the
 * model, so that fold is part of ingest (a server does it once, for commands and reports alike). The ledger is opened with `openLedgerAt('sqlite:<file>')`. The
 * clock stops after `ledger.close()` (the last WAL checkpoint), as the raw side's stops after
 * its close.
 *
 * The fleet is billing-run's: 2,000 leases of 120 GPUs over 4 sites and 40 tenants, signed and
 * allocated through ledger.commands once (`prepare` with no readings) into a template file.
 * Readings are hourly, hour after hour across every lease (a batch of 10,000 is 5 hours of the
 * fleet), with random UUID reading ids and varying decimal-string GPU-hours; they are built as
 * JSON text and every side JSON.parses its own copy before its clock starts, as if they came
 * over HTTP. A run is one warm-up batch (untimed) then 10 timed batches (100,000 readings), on
 * a fresh file per run: the ledger's is a copy of the template, so every run starts from the
 * same state and runs repeat exactly; the warm-up batch fills the ledger's stream caches (the
 * first batch after a start loads 2,000 lease streams), which a server does once. Five runs;
 * the figure is the median. Ledger, raw and Emmett runs alternate, so drift on a shared
 * machine hits all three.
 *
 * Baselines, same readings, same batches, one transaction per batch:
 * - the realistic floor: what any writer of this store's file must do, by a hand loop over
 *   better-sqlite3 on a copy of the same template file (same schema, pragmas and existing
 *   rows): one event row per reading with its sha256 hash-chain link, its 53-bit event key and
 *   its stream's previous position, new usage streams and their heads, stream marks and event
 *   keys filled per transaction as the store does. No validation, deduplication, revision
 *   checks or folding. Event data is built with sorted keys and written with JSON.stringify.
 *   The file it leaves must pass the store's verify (checked after its clock stops), so the
 *   floor writes what the store would.
 * - raw insert: store-append's raw baseline (`appendRaw`), better-sqlite3 with the store's own
 *   pragmas (`sqliteStorePragmas`: WAL, synchronous FULL), one row per reading in a table with
 *   no secondary index and no hash chain. Its rows get the ledger's event ids, type, schema
 *   version and metadata, grouped per lease stream before its clock starts (the ledger groups
 *   inside recordUsage, in its time). Its time includes opening the new file and closing it.
 * - Emmett: the `@event-driven-io/emmett-sqlite` event store, a self-contained package in
 *   test/bench/peers/emmett (its own lock file; `npm ci` there on first use, which compiles
 *   `sqlite3`, about 1.5 minutes). Driven through `getSQLiteEventStore` with one shared
 *   connection (`connectionOptions: {singleton: true, connection: sqliteConnection(...)}`) and
 *   Emmett's pragmas as shipped: `journal_mode=WAL`, everything else SQLite's defaults
 *   (`synchronous=FULL`, 2 MB page cache, checkpoint every 1,000 pages; read back and named in
 *   the figure). Emmett has no multi-stream append, so a batch is one `appendToStream` per lease
 *   stream (2,000 calls of 5 events for a full batch, each with the expected stream version
 *   tracked by the caller, as the ledger tracks revisions), all inside one
 *   `connection.withTransaction`, which the appends join: one transaction, one fsync per batch,
 *   as for the ledger (without it, each stream is its own transaction: 2,000 commits per batch).
 *   Its schema is created during the warm-up batch. Its clock stops after a
 *   `PRAGMA wal_checkpoint(TRUNCATE)`, the work the ledger and raw sides do when closing
 *   (Emmett's `close()` cannot be awaited). If Emmett's SQLite store cannot be loaded, Emmett's
 *   in-memory event store stands in, and the figure's case says so.
 *
 * Smoke mode (BENCH_SMOKE=1, part of `npm test`): 20 leases, batches of 100, no Emmett (its
 * install compiles sqlite3). No timing is asserted anywhere.
 */

interface Sizes {
  leases: number;
  batchRecords: number;
  timedBatches: number;
  runs: number;
  compareWithEmmett: boolean;
}

const fullSizes: Sizes = { leases: 2_000, batchRecords: 10_000, timedBatches: 10, runs: 5, compareWithEmmett: true };
const smokeSizes: Sizes = { leases: 20, batchRecords: 100, timedBatches: 2, runs: 1, compareWithEmmett: false };

const benchmark = 'ingest';
const actor = 'bench';
const hourMs = 3_600_000;
const usageRecordedVersion = ledgerEventRegistry.currentVersion('UsageRecorded');

export const ingestBenchmark: BenchmarkModule = {
  name: benchmark,
  async run(mode: BenchMode): Promise<Figure[]> {
    const sizes = mode === 'full' ? fullSizes : smokeSizes;
    const emmett = sizes.compareWithEmmett ? await loadEmmett() : null;
    return inTemporaryDirectory('bench-ingest-', async (directory) => {
    return await measureAll(sizes, directory, emmett);
    });
  },
};

interface Samples {
  ledger: number[];
  raw: number[];
  floor: number[];
  emmett: number[];
}

async function measureAll(sizes: Sizes, directory: string, emmett: EmmettDriver | null): Promise<Figure[]> {
  const template = join(directory, 'contracts.sqlite');
  await prepare(template, sizes.leases, 0, 1);
  const warmupHours = Math.ceil(sizes.batchRecords / sizes.leases);
  const warmup = usageBatchesJson(sizes, 0, 1);
  const timed = usageBatchesJson(sizes, warmupHours, sizes.timedBatches);
  const samples: Samples = { ledger: [], raw: [], floor: [], emmett: [] };
  for (let run = 0; run < sizes.runs; run += 1) {
    const path = (side: string): string => join(directory, `run-${run}-${side}.sqlite`);
    copyFileSync(template, path('ledger'));
    samples.ledger.push(await ingestWithLedger(path('ledger'), warmup, timed));
    samples.raw.push(ingestRaw(path('raw-warmup'), path('raw'), warmup, timed));
    copyFileSync(template, path('floor'));
    samples.floor.push(await ingestAtFloor(path('floor'), warmup, timed));
    if (emmett !== null) samples.emmett.push(await ingestWithEmmett(emmett, path('emmett'), warmup, timed));
    removeRunFiles(['ledger', 'raw-warmup', 'raw', 'floor', 'emmett'].map(path));
  }
  const figures = [
    withTarget(compared(sizes, samples.ledger, 'raw insert, no indexes, same pragmas', samples.raw), { on: 'ratio', atLeast: 0.5, text: '>= 0.5x raw' }),
    withTarget(compared(sizes, samples.ledger, 'the realistic floor: same schema, hash chain and event keys by a hand loop', samples.floor), {
      on: 'ratio',
      atLeast: 0.75,
      text: '>= 0.75x the floor',
    }),
  ];
  if (emmett !== null) figures.push(withTarget(compared(sizes, samples.ledger, emmett.label, samples.emmett, emmett.caseNote), { on: 'ratio', atLeast: 5, text: '>= 5x Emmett' }));
  return figures;
}

function compared(sizes: Sizes, ledger: number[], baselineName: string, baseline: number[], caseNote = ''): Figure {
  return figure({
    benchmark,
    case: `ledger recordUsage, batches of ${sizes.batchRecords.toLocaleString('en-US')}${caseNote}`,
    unit: 'readings/s',
    samples: ledger,
    baseline: { name: baselineName, samples: baseline },
  });
}

/** A finished run's databases, so a full run never holds more than one run's files. */
function removeRunFiles(paths: readonly string[]): void {
  for (const path of paths) for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

/**
 * `batches` usage batch bodies as JSON text: hourly readings from hour `firstHour` of the
 * billed month, hour after hour across every lease.
 */
function usageBatchesJson(sizes: Sizes, firstHour: number, batches: number): string {
  const bodies: UsageBatchBody[] = [];
  for (let batch = 0; batch < batches; batch += 1) {
    const records: UsageRecordBody[] = [];
    for (let offset = 0; offset < sizes.batchRecords; offset += 1) {
      const index = batch * sizes.batchRecords + offset;
      records.push(hourlyReading(index % sizes.leases, firstHour + Math.floor(index / sizes.leases)));
    }
    bodies.push({ records });
  }
  return JSON.stringify(bodies);
}

function hourlyReading(lease: number, hour: number): UsageRecordBody {
  const startMs = month.start + hour * hourMs;
  // At most 119.999 GPU-hours: the lease's 120 allocated GPUs bound an hour's reading.
  const gpuHours = `${80 + ((lease * 7 + hour) % 40)}.${String((lease + hour * 31) % 1_000).padStart(3, '0')}`;
  return {
    readingId: randomUUID(),
    leaseId: leaseIdOf(lease),
    periodStart: iso(startMs),
    periodEnd: iso(startMs + hourMs),
    gpuHours,
    source: `dcgm-exporter/site-${lease % 4}/node-${String(lease % 250).padStart(3, '0')}`,
  };
}

function parseBodies(json: string): UsageBatchBody[] {
  return JSON.parse(json) as UsageBatchBody[];
}

function countReadings(bodies: readonly UsageBatchBody[]): number {
  return bodies.reduce((count, body) => count + body.records.length, 0);
}

// ---- the ledger

async function ingestWithLedger(path: string, warmupJson: string, timedJson: string): Promise<number> {
  const ledger = await openLedgerAt(`sqlite:${path}`);
  let open = true;
  try {
    await recordAll(ledger.commands, parseBodies(warmupJson));
    const bodies = parseBodies(timedJson);
    const started = performance.now();
    await recordAll(ledger.commands, bodies);
    open = false;
    await ledger.close();
    return perSecond(countReadings(bodies), performance.now() - started);
  } finally {
    if (open) await ledger.close();
  }
}

async function recordAll(commands: LedgerCommands, bodies: readonly UsageBatchBody[]): Promise<void> {
  for (const body of bodies) {
    const result = await commands.recordUsage(body, { actor });
    if (result.accepted !== body.records.length) throw new Error(`recordUsage accepted ${result.accepted} of ${body.records.length} readings`);
  }
}

// ---- raw better-sqlite3

/** Warms the insert path on a throwaway file, then measures the timed batches on a new one. */
function ingestRaw(warmupPath: string, path: string, warmupJson: string, timedJson: string): number {
  appendRaw(warmupPath, parseBodies(warmupJson).map(rawWrites));
  const batches = parseBodies(timedJson).map(rawWrites);
  if (countEvents(batches) === 0) throw new Error('no raw rows to insert');
  return appendRaw(path, batches);
}

/** The rows the ledger appends for a batch, one write per lease stream. */
function rawWrites(body: UsageBatchBody): StreamWrite[] {
  return [...recordsByLease(body.records)].map(([leaseId, records]) => ({
    streamId: `usage-${leaseId}`,
    expectedRevision: 'any',
    events: records.map((record) => ({
      eventId: `reading:${record.readingId}`,
      type: 'UsageRecorded',
      schemaVersion: usageRecordedVersion,
      data: readingData(record),
      metadata: { actor },
    })),
  }));
}

function recordsByLease(records: readonly UsageRecordBody[]): Map<string, UsageRecordBody[]> {
  const byLease = new Map<string, UsageRecordBody[]>();
  for (const record of records) {
    const group = byLease.get(record.leaseId);
    if (group === undefined) byLease.set(record.leaseId, [record]);
    else group.push(record);
  }
  return byLease;
}

function readingData(record: UsageRecordBody): JsonObject {
  const { readingId, leaseId, periodStart, periodEnd, gpuHours, source } = record;
  return source === undefined ? { readingId, leaseId, periodStart, periodEnd, gpuHours } : { readingId, leaseId, periodStart, periodEnd, gpuHours, source };
}

// ---- the realistic floor

/** The floor's hand loop on a copy of the template; its clock stops after the close, as the ledger's does. */
async function ingestAtFloor(path: string, warmupJson: string, timedJson: string): Promise<number> {
  const floor = new FloorWriter(path);
  let open = true;
  try {
    for (const body of parseBodies(warmupJson)) floor.write(floorWrites(body));
    const bodies = parseBodies(timedJson);
    const started = performance.now();
    for (const body of bodies) floor.write(floorWrites(body));
    open = false;
    floor.close();
    const rate = perSecond(countReadings(bodies), performance.now() - started);
    await verifyFloorFile(path);
    return rate;
  } finally {
    if (open) floor.close();
  }
}

/** The store must read the floor's file as its own: every hash, key, mark and head in place. */
async function verifyFloorFile(path: string): Promise<void> {
  const store = openSqliteEventStore({ path });
  try {
    const result = await store.verify();
    if (!result.ok) throw new Error(`the floor's file does not verify at ${result.firstInvalidPosition}: ${result.reason}`);
  } finally {
    await store.close();
  }
}

/** A batch's rows by lease stream, data with sorted keys. */
function floorWrites(body: UsageBatchBody): StreamWrite[] {
  return [...recordsByLease(body.records)].map(([leaseId, records]) => ({
    streamId: `usage-${leaseId}`,
    expectedRevision: 'any',
    events: records.map((record) => {
      const { gpuHours, periodEnd, periodStart, readingId, source } = record;
      const data: JsonObject = source === undefined ? { gpuHours, leaseId, periodEnd, periodStart, readingId } : { gpuHours, leaseId, periodEnd, periodStart, readingId, source };
      return { eventId: `reading:${readingId}`, type: 'UsageRecorded', schemaVersion: usageRecordedVersion, data, metadata: { actor } };
    }),
  }));
}

interface FloorStream {
  key: number;
  revision: number;
  position: number;
}

/** Writes the store's rows by hand, one transaction per batch (see the module comment). */
class FloorWriter {
  private readonly db: BetterSqlite3.Database;
  private readonly streams = new Map<string, FloorStream>();
  private position: number;
  private hash: string;
  private readonly insertEvent: BetterSqlite3.Statement;
  private readonly insertStream: BetterSqlite3.Statement;
  private readonly updateStream: BetterSqlite3.Statement;
  private readonly indexKeys: BetterSqlite3.Statement;
  private readonly indexMarks: BetterSqlite3.Statement;
  private readonly transaction: (writes: readonly StreamWrite[]) => void;

  constructor(path: string) {
    this.db = new BetterSqlite3(path);
    for (const pragma of sqliteStorePragmas) this.db.pragma(pragma);
    const head = this.db.prepare('SELECT position, lower(hex(hash)) FROM events ORDER BY position DESC LIMIT 1').raw().get() as [number, string];
    [this.position, this.hash] = head;
    this.insertEvent = this.db.prepare(
      `INSERT INTO events (position, stream_key, revision, previous_position, event_key, event_id, type, schema_version, data, metadata, recorded_at, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, unhex(?))`,
    );
    this.insertStream = this.db.prepare('INSERT INTO streams (stream_id, head_revision, head_position) VALUES (?, -1, -1)');
    this.updateStream = this.db.prepare('UPDATE streams SET head_revision = ?, head_position = ? WHERE stream_key = ?');
    this.indexKeys = this.db.prepare('INSERT INTO event_keys (event_key, position) SELECT event_key, position FROM events WHERE position BETWEEN ? AND ? ORDER BY event_key');
    this.indexMarks = this.db.prepare(
      `INSERT INTO stream_marks (stream_key, revision, position) SELECT stream_key, revision, position FROM events WHERE position BETWEEN ? AND ? AND revision % ${streamMarkRevisions} = 0`,
    );
    this.transaction = this.db.transaction((writes: readonly StreamWrite[]) => this.writeBatch(writes)).immediate;
  }

  write(writes: readonly StreamWrite[]): void {
    this.transaction(writes);
  }

  close(): void {
    this.db.close();
  }

  private writeBatch(writes: readonly StreamWrite[]): void {
    const first = this.position + 1;
    const recordedAt = new Date().toISOString();
    for (const write of writes) {
      const stream = this.streamOf(write.streamId);
      for (const event of write.events) {
        this.position += 1;
        stream.revision += 1;
        const dataJson = JSON.stringify(event.data);
        const metadataJson = JSON.stringify(event.metadata);
        const { eventId, type, schemaVersion } = event;
        this.hash = chainHash(this.hash, { position: this.position, streamId: write.streamId, revision: stream.revision, eventId, type, schemaVersion, dataJson, metadataJson, recordedAt });
        const previous = stream.revision === 0 ? null : stream.position;
        this.insertEvent.run(this.position, stream.key, stream.revision, previous, eventIdKey(eventId), eventId, type, schemaVersion, dataJson, metadataJson, recordedAt, this.hash);
        stream.position = this.position;
      }
      this.updateStream.run(stream.revision, stream.position, stream.key);
    }
    this.indexKeys.run(first, this.position);
    this.indexMarks.run(first, this.position);
  }

  private streamOf(streamId: string): FloorStream {
    let stream = this.streams.get(streamId);
    if (stream === undefined) {
      stream = { key: Number(this.insertStream.run(streamId).lastInsertRowid), revision: -1, position: -1 };
      this.streams.set(streamId, stream);
    }
    return stream;
  }
}

// ---- Emmett

/** The part of `@event-driven-io/emmett-sqlite`'s API this benchmark drives (see its index.d.ts). */
interface EmmettEvent {
  type: string;
  data: JsonObject;
  metadata: { actor: string };
}

interface EmmettEventStore {
  appendToStream(streamName: string, events: EmmettEvent[], options: { expectedStreamVersion: bigint }): Promise<{ nextExpectedStreamVersion: bigint }>;
}

interface EmmettSqliteConnection {
  close(): void;
  command(sql: string): Promise<unknown>;
  querySingle<T>(sql: string): Promise<T | null>;
  withTransaction<T>(work: () => Promise<T>): Promise<T>;
}

interface EmmettSqliteModule {
  sqliteConnection(options: { fileName: string }): EmmettSqliteConnection;
  getSQLiteEventStore(options: { fileName: string; connectionOptions: { singleton: true; connection: EmmettSqliteConnection } }): EmmettEventStore;
}

interface EmmettCoreModule {
  getInMemoryEventStore(): EmmettEventStore;
}

/** An opened Emmett store: `inBatch` runs one batch's appends, `flush` ends the timed part. */
interface EmmettSession {
  store: EmmettEventStore;
  inBatch(work: () => Promise<void>): Promise<void>;
  flush(): Promise<void>;
  close(): void;
}

interface EmmettDriver {
  /** The baseline's name in the figure. */
  label: string;
  /** Appended to the figure's case when a stand-in was measured. */
  caseNote: string;
  open(path: string): Promise<EmmettSession>;
}

const emmettPeerDirectory = fileURLToPath(new URL('./peers/emmett/', import.meta.url));
const emmettSqlitePackage = '@event-driven-io/emmett-sqlite';

/** Installs the peer package on first use, then loads Emmett's SQLite store (or its in-memory one). */
async function loadEmmett(): Promise<EmmettDriver> {
  installEmmettPeer();
  const peerRequire = createRequire(join(emmettPeerDirectory, 'package.json'));
  const version = packageVersion(emmettSqlitePackage);
  let failure: unknown;
  try {
    const loaded: unknown = peerRequire(emmettSqlitePackage);
    if (isEmmettSqliteModule(loaded)) return await sqliteDriver(loaded, version);
    failure = new Error(`${emmettSqlitePackage} does not export sqliteConnection and getSQLiteEventStore`);
  } catch (error) {
    failure = error;
  }
  console.error(`Emmett's SQLite store did not load (${failure instanceof Error ? failure.message : String(failure)}): measuring its in-memory store instead`);
  const core: unknown = peerRequire('@event-driven-io/emmett');
  if (!isEmmettCoreModule(core)) throw new Error('@event-driven-io/emmett does not export getInMemoryEventStore');
  return inMemoryDriver(core, packageVersion('@event-driven-io/emmett'));
}

function installEmmettPeer(): void {
  if (existsSync(peerManifest(emmettSqlitePackage))) return;
  console.error(`installing the Emmett benchmark peer in ${emmettPeerDirectory} (npm ci, compiles sqlite3: about 1.5 minutes)`);
  // Without the npm_* variables of an enclosing `npm run` (npm_config_local_prefix would point
  // this npm at the repository's root).
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--prefix', emmettPeerDirectory], { cwd: emmettPeerDirectory, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`npm ci in ${emmettPeerDirectory} failed (${result.error?.message ?? `exit code ${String(result.status)}`})`);
}

/** The package.json of an installed peer package (the packages' exports maps do not list it). */
function peerManifest(name: string): string {
  return join(emmettPeerDirectory, 'node_modules', ...name.split('/'), 'package.json');
}

function packageVersion(name: string): string {
  const manifest: unknown = JSON.parse(readFileSync(peerManifest(name), 'utf8'));
  const version = typeof manifest === 'object' && manifest !== null && 'version' in manifest ? manifest.version : undefined;
  return typeof version === 'string' ? version : 'unknown version';
}

function isEmmettSqliteModule(value: unknown): value is EmmettSqliteModule {
  return hasFunctions(value, ['sqliteConnection', 'getSQLiteEventStore']);
}

function isEmmettCoreModule(value: unknown): value is EmmettCoreModule {
  return hasFunctions(value, ['getInMemoryEventStore']);
}

function hasFunctions(value: unknown, names: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');
}

/** Emmett's SQLite store on one shared connection, its pragmas read back for the figure. */
async function sqliteDriver(emmett: EmmettSqliteModule, version: string): Promise<EmmettDriver> {
  const open = (path: string): EmmettSession => {
    const connection = emmett.sqliteConnection({ fileName: path });
    const store = emmett.getSQLiteEventStore({ fileName: path, connectionOptions: { singleton: true, connection } });
    return {
      store,
      inBatch: (work) => connection.withTransaction(work),
      flush: async () => {
        await connection.command('PRAGMA wal_checkpoint(TRUNCATE)');
      },
      close: () => connection.close(),
    };
  };
  const pragmas = await emmettPragmas(emmett, open);
  return { label: `Emmett SQLite ${version} (${pragmas}), 1 transaction per batch`, caseNote: '', open: (path) => Promise.resolve(open(path)) };
}

async function emmettPragmas(emmett: EmmettSqliteModule, open: (path: string) => EmmettSession): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), 'bench-emmett-'));
  const path = join(directory, 'pragmas.sqlite');
  const session = open(path);
  try {
    await session.store.appendToStream('probe-1', [{ type: 'Probe', data: {}, metadata: { actor } }], { expectedStreamVersion: 0n });
    const probe = emmett.sqliteConnection({ fileName: path });
    try {
      const journal = await probe.querySingle<{ journal_mode: string }>('PRAGMA journal_mode');
      const synchronous = await probe.querySingle<{ synchronous: number }>('PRAGMA synchronous');
      return `${(journal?.journal_mode ?? '?').toUpperCase()}, synchronous ${synchronousNames[synchronous?.synchronous ?? -1] ?? '?'}`;
    } finally {
      probe.close();
    }
  } finally {
    session.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

const synchronousNames: Readonly<Record<number, string>> = { 0: 'OFF', 1: 'NORMAL', 2: 'FULL', 3: 'EXTRA' };

function inMemoryDriver(emmett: EmmettCoreModule, version: string): EmmettDriver {
  return {
    label: `Emmett in-memory store ${version}`,
    caseNote: ' (Emmett SQLite unavailable: vs its in-memory store)',
    open: () =>
      Promise.resolve({
        store: emmett.getInMemoryEventStore(),
        inBatch: (work) => work(),
        flush: () => Promise.resolve(),
        close: () => undefined,
      }),
  };
}

async function ingestWithEmmett(emmett: EmmettDriver, path: string, warmupJson: string, timedJson: string): Promise<number> {
  const session = await emmett.open(path);
  try {
    const versions = new Map<string, bigint>();
    await appendToEmmett(session, versions, parseBodies(warmupJson));
    const bodies = parseBodies(timedJson);
    const batches = bodies.map(emmettWrites);
    const started = performance.now();
    for (const batch of batches) await appendBatchToEmmett(session, versions, batch);
    await session.flush();
    return perSecond(countReadings(bodies), performance.now() - started);
  } finally {
    session.close();
  }
}

interface EmmettWrite {
  streamName: string;
  events: EmmettEvent[];
}

async function appendToEmmett(session: EmmettSession, versions: Map<string, bigint>, bodies: readonly UsageBatchBody[]): Promise<void> {
  for (const body of bodies) await appendBatchToEmmett(session, versions, emmettWrites(body));
}

/** One batch: an appendToStream per lease stream at the version last seen, in one transaction. */
async function appendBatchToEmmett(session: EmmettSession, versions: Map<string, bigint>, writes: readonly EmmettWrite[]): Promise<void> {
  await session.inBatch(async () => {
    for (const write of writes) {
      const result = await session.store.appendToStream(write.streamName, write.events, { expectedStreamVersion: versions.get(write.streamName) ?? 0n });
      versions.set(write.streamName, result.nextExpectedStreamVersion);
    }
  });
}

function emmettWrites(body: UsageBatchBody): EmmettWrite[] {
  return [...recordsByLease(body.records)].map(([leaseId, records]) => ({
    streamName: `usage-${leaseId}`,
    events: records.map((record) => ({ type: 'UsageRecorded', data: readingData(record), metadata: { actor } })),
  }));
}
