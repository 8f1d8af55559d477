import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SignLeaseBody } from '@compute-ledger/contracts';
// The memory figure runs the application in this process, to measure its heap: as the
// end-to-end tests do, the one other place outside apps/api that imports it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ApiKeys, createLogger, startApiServer, openLedgerAt } from '@compute-ledger/api';
import type { UsageBatchResult } from '@compute-ledger/ledger';
import { apiKeysSpec, keys } from '../e2e/support/api-harness.js';
import { forcedGc, heapUsedAfterGc, mebibyte } from '../support/heap.js';
import { allocationBody, leaseBody, siteBody, tenantBody, UsageSource, type FleetLease, type UsageRecord } from '../reliability/support/fleet.js';
import { figure, inTemporaryDirectory, perSecond, withTarget } from './figures.js';
import type { BenchMode, BenchmarkModule, Figure } from './figures.js';
import { copyLedgerDirectory, storePath, withServer, type Client } from './server.js';

/**
 * Usage ingest over HTTP: readings per second accepted by a real `ledger serve` process (the
 * built application, started as the reliability tests start it) on a SQLite file, from
 * `clients` concurrent clients, each POSTing /v1/usage batches of `batchRecords` hourly
 * readings (distinct readingIds) over keep-alive connections (Node's fetch), until
 * `readingsPerRun` are accepted. Readings/s = readings accepted / wall time from the first
 * batch sent to the last answer.
 *
 * Baseline, "the library figure": the same batches through ledger.commands.recordUsage in
 * process (openLedger on the same starting file), with the same concurrency, so the ratio
 * HTTP/library is what HTTP, JSON, request validation and the second process cost.
 *
 * The fleet (one site, tenants, leases, allocations: the reliability tests' fleet) is recorded
 * once, in process, into a template ledger directory (seeding 2,000 leases over HTTP takes about
 * 40 s here, and the smoke run cannot afford another server start); every run, HTTP or library,
 * starts on its own copy of it. Each client sends its own hours of every lease (clients never
 * send the same reading), and a few unmeasured batches warm each process up first. Every answer
 * must be 202 with every record accepted and no duplicate, or the run throws: a figure that
 * counted refusals would be worthless. Runs alternate HTTP and library, so drift on a shared
 * machine hits both; the figure is the median.
 *
 * Memory: the heap a server's ingest leaves behind, per 100,000 readings. The application runs
 * in this process (openLedger following its log, startApiServer on loopback, as `ledger serve`
 * does) on a copy of the template, so that its heap is this process's: after a warm-up of
 * `memoryWarmupReadings`, `clients` clients send `memoryReadings` more over HTTP, and
 * heapUsed after forced full collections (the lowest of a few) is compared before and after.
 * The model's usage columns are outside that heap (typed arrays); anything kept per reading on
 * the heap shows here. One run.
 */

interface Sizes {
  tenants: number;
  leasesPerTenant: number;
  clients: number;
  batchRecords: number;
  readingsPerRun: number;
  warmupBatches: number;
  runs: number;

  memoryWarmupReadings: number;
  memoryReadings: number;
}

const fullSizes: Sizes = {
  tenants: 40,
  leasesPerTenant: 50,
  clients: 4,
  batchRecords: 1_000,
  readingsPerRun: 200_000,
  warmupBatches: 5,
  runs: 3,
  memoryWarmupReadings: 20_000,
  memoryReadings: 200_000,
};
const smokeSizes: Sizes = { tenants: 2, leasesPerTenant: 5, clients: 4, batchRecords: 50, readingsPerRun: 400, warmupBatches: 1, runs: 1, memoryWarmupReadings: 200, memoryReadings: 400 };

const benchmark = 'http-ingest';
/** As seedFleet: far more GPUs than the leases take. */
const siteGpus = 1_000_000;
const unit = 'readings/s';

/** Sends one batch and answers how many readings it recorded; throws on anything but a full accept. */
type SendBatch = (records: UsageRecord[]) => Promise<number>;

interface Workload {
  /** Per client, its batches in sending order. */
  clients: UsageRecord[][][];
  warmup: UsageRecord[][];
}

export const httpIngestBenchmark: BenchmarkModule = {
  name: benchmark,
  async run(mode: BenchMode): Promise<Figure[]> {
    const sizes = mode === 'full' ? fullSizes : smokeSizes;
    checkSizes(sizes);
    return inTemporaryDirectory('bench-http-ingest-', async (directory) => {
    const template = join(directory, 'template');
    const leases = await seedTemplate(template, sizes);
    const http: number[] = [];
    const library: number[] = [];
    for (let run = 0; run < sizes.runs; run += 1) {
      const workload = buildWorkload(leases, sizes, `run${run}`);
      http.push(await overHttp(template, join(directory, `http-${run}`), workload, sizes));
      library.push(await inProcess(template, join(directory, `library-${run}`), workload, sizes));
    }
    const batch = sizes.batchRecords.toLocaleString('en-US');
    const readings = sizes.readingsPerRun.toLocaleString('en-US');
    const measured = figure({
      benchmark,
      case: `POST /v1/usage, ${leases.length.toLocaleString('en-US')} leases, ${sizes.clients} clients x batches of ${batch}, ${readings} readings`,
      unit,
      samples: http,
      baseline: { name: 'recordUsage in process', samples: library },
    });
    const memory = await heapGrowthOverHttp(template, join(directory, 'memory'), leases, sizes);
    return [
      withTarget(measured, { on: 'value', atLeast: 30_000, text: '>= 30,000/s' }),
      withTarget(measured, { on: 'ratio', atLeast: 0.9, text: '>= 0.9x the library' }),
      withTarget(memory, { on: 'value', below: 2, text: '< 2 MiB' }),
    ];
    });
  },
};

/**
 * The fleet of test/reliability/support/fleet.ts (same ids and bodies as its seedFleet sends
 * over HTTP: one site, tenants, leases of 8 committed GPUs with 10 allocated), recorded through
 * the ledger's commands into a ledger directory, its model checkpoint saved on close.
 */
async function seedTemplate(directory: string, sizes: Sizes): Promise<FleetLease[]> {
  mkdirSync(directory, { recursive: true });
  const siteId = 'site-1';
  const tenantIds = Array.from({ length: sizes.tenants }, (_, index) => `tenant-${String(index + 1).padStart(3, '0')}`);
  const leases = tenantIds.flatMap((tenantId) => Array.from({ length: sizes.leasesPerTenant }, (_, index) => ({ leaseId: `${tenantId}-lease-${index + 1}`, tenantId, siteId })));
  const ledger = await openLedgerAt(`sqlite:${storePath(directory)}`, { dataDir: directory });
  try {
    const context = { actor: 'bench' };
    await ledger.commands.commissionSite(siteBody(siteId, siteGpus), context);
    for (const tenantId of tenantIds) await ledger.commands.registerTenant(tenantBody(tenantId), context);
    for (const lease of leases) await ledger.commands.signLease(SignLeaseBody.parse(leaseBody(lease)), context);
    for (const lease of leases) await ledger.commands.allocateCapacity(allocationBody(lease), context);
  } finally {
    await ledger.close();
  }
  return leases;
}

function checkSizes(sizes: Sizes): void {
  if (sizes.readingsPerRun % (sizes.clients * sizes.batchRecords) !== 0) throw new Error('readingsPerRun must be a whole number of batches per client');
}

/**
 * The batches of one run, built before any clock starts: client `c` sends hours
 * [c * hoursPerClient, (c + 1) * hoursPerClient) of every lease, round robin over the leases;
 * the warm-up batches use the hours after all of them.
 */
function buildWorkload(leases: readonly FleetLease[], sizes: Sizes, runId: string): Workload {
  const perClient = sizes.readingsPerRun / sizes.clients;
  const hoursPerClient = Math.ceil(perClient / leases.length);
  const batchesPerClient = perClient / sizes.batchRecords;
  const clients = Array.from({ length: sizes.clients }, (_, client) => {
    const source = new UsageSource(leases, client * hoursPerClient, hoursPerClient);
    return Array.from({ length: batchesPerClient }, (_, batch) => source.batch(`${runId}-c${client}-b${batch}`, sizes.batchRecords));
  });
  const warmupSource = new UsageSource(leases, sizes.clients * hoursPerClient);
  const warmup = Array.from({ length: sizes.warmupBatches }, (_, batch) => warmupSource.batch(`${runId}-warmup-b${batch}`, sizes.batchRecords));
  return { clients, warmup };
}

/** The memory figure (see the module comment): MiB of heap per 100,000 readings ingested over HTTP. */
async function heapGrowthOverHttp(template: string, directory: string, leases: readonly FleetLease[], sizes: Sizes): Promise<Figure> {
  const gc = forcedGc();
  copyLedgerDirectory(template, directory);
  const ledger = await openLedgerAt(`sqlite:${storePath(directory)}`, { dataDir: directory, follow: true });
  const server = await startApiServer({ ledger, apiKeys: ApiKeys.parse(apiKeysSpec), logger: createLogger('silent'), port: 0 });
  try {
    const source = new UsageSource(leases);
    const send = async (batchId: string): Promise<void> => {
      const records = source.batch(batchId, sizes.batchRecords);
      const response = await fetch(`${server.url}/v1/usage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.metering}`, 'content-type': 'application/json' },
        body: JSON.stringify({ records }),
      });
      const body = (await response.json()) as Pick<UsageBatchResult, 'accepted' | 'duplicates'>;
      if (response.status !== 202) throw new Error(`POST /v1/usage answered ${response.status}`);
      checkedAccepted(body, records.length, 'POST /v1/usage');
    };
    const sendAll = async (prefix: string, readings: number): Promise<void> => {
      let next = 0;
      const batches = readings / sizes.batchRecords;
      await Promise.all(Array.from({ length: sizes.clients }, async () => {
        while (next < batches) await send(`${prefix}-${next++}`);
      }));
    };
    await sendAll('memory-warmup', sizes.memoryWarmupReadings);
    const before = await heapUsedAfterGc(gc);
    await sendAll('memory', sizes.memoryReadings);
    const after = await heapUsedAfterGc(gc);
    const perHundredThousandMiB = ((after - before) / sizes.memoryReadings) * 100_000 / mebibyte;
    return figure({
      benchmark,
      case: `heap growth per 100,000 readings over HTTP after GC (${sizes.memoryReadings.toLocaleString('en-US')} readings, ${sizes.clients} clients x batches of ${sizes.batchRecords.toLocaleString('en-US')}; the usage columns are off the heap)`,
      unit: 'MiB',
      samples: [perHundredThousandMiB],
    });
  } finally {
    await server.close();
    await ledger.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

/** One HTTP run on a copy of the template: readings per second. */
async function overHttp(template: string, directory: string, workload: Workload, sizes: Sizes): Promise<number> {
  copyLedgerDirectory(template, directory);
  try {
    return await withServer(directory, (client) => ingest(workload, sizes, (records) => postBatch(client, records)));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The same batches through the ledger's command in this process, on a copy of the template. */
async function inProcess(template: string, directory: string, workload: Workload, sizes: Sizes): Promise<number> {
  copyLedgerDirectory(template, directory);
  const ledger = await openLedgerAt(`sqlite:${storePath(directory)}`, { dataDir: directory });
  try {
    const context = { actor: 'bench' };
    return await ingest(workload, sizes, async (records) => checkedAccepted(await ledger.commands.recordUsage({ records }, context), records.length, 'recordUsage'));
  } finally {
    await ledger.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

async function postBatch(client: Client, records: UsageRecord[]): Promise<number> {
  const answer = await client.expect<Pick<UsageBatchResult, 'accepted' | 'duplicates'>>(202, 'POST', '/v1/usage', { as: 'metering', body: { records } });
  return checkedAccepted(answer.body, records.length, 'POST /v1/usage');
}

function checkedAccepted(result: Pick<UsageBatchResult, 'accepted' | 'duplicates'>, sent: number, what: string): number {
  if (result.accepted !== sent || result.duplicates !== 0) throw new Error(`${what}: ${sent} readings sent, ${result.accepted} accepted, ${result.duplicates} duplicates`);
  return result.accepted;
}

/** Warms up, then sends every client's batches concurrently; readings per second over the wall time. */
async function ingest(workload: Workload, sizes: Sizes, send: SendBatch): Promise<number> {
  for (const batch of workload.warmup) await send(batch);
  const startedAt = performance.now();
  const accepted = await Promise.all(workload.clients.map(async (batches) => {
    let total = 0;
    for (const batch of batches) total += await send(batch);
    return total;
  }));
  const elapsedMs = performance.now() - startedAt;
  const total = accepted.reduce((sum, count) => sum + count, 0);
  if (total !== sizes.readingsPerRun) throw new Error(`${total} readings accepted of ${sizes.readingsPerRun} sent`);
  return perSecond(total, elapsedMs);
}
