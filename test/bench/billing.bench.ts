import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import {
  ledgerEventRegistry,
  type EventDataOf,
} from '@compute-ledger/contracts';
import { type EventToAppend, type JsonObject, type StreamWrite } from '@compute-ledger/ledger';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import { figure, inTemporaryDirectory, withTarget } from './figures.js';
import type { BenchMode, BenchmarkModule, Figure, TargetSpec } from './figures.js';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { openLedgerAt } from '@compute-ledger/api';

/**
 * A billing run over a fleet: 2,000 leases with a month of hourly readings each (1.44 M), on a
 * file-backed SQLite store. Figures: the run itself with the model up to date ("warm"), and a
 * cold start (open the store, rebuild the model from the log) followed by the run, and a restart
 * (open the store with the checkpoint a clean stop wrote) followed by the run. Every sample
 * runs on its own copy of the same prepared file, because a billing date is billed only once.
 * A scaling case repeats the warm run with 4x and 16x the readings per lease: billing reads
 * per-(lease, month) totals, so its time must not grow with the readings.
 */

interface Sizes {
  leases: number;
  hoursPerLease: number;
  runs: number;
  /** The growth series runs on fewer leases, so 16x the readings still fits a bench run. */
  scaleLeases: number;
  scale: readonly number[];
}

const fullSizes: Sizes = { leases: 2_000, hoursPerLease: 720, runs: 3, scaleLeases: 100, scale: [1, 4, 16] };
const smokeSizes: Sizes = { leases: 20, hoursPerLease: 24, runs: 1, scaleLeases: 10, scale: [1, 2] };

const benchmark = 'billing-run';
/** "Flat": 16 times the readings may not double the time (a rescan of readings would multiply it). */
export const flatTarget: TargetSpec = { on: 'ratio', below: 2, text: 'flat: < 2x the 1x time' };
/** The billed month; `prepare` signs every lease from its start. */
export const month = { start: Date.UTC(2026, 9, 1), billingDate: '2026-11-01T00:00:00Z' };
const appendBatchEvents = 10_000;
export const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
/** The id `prepare` gives its `lease`-th lease (from 0). */
export const leaseIdOf = (lease: number): string => `L${String(lease).padStart(5, '0')}`;

export const billingBenchmark: BenchmarkModule = {
  name: benchmark,
  async run(mode: BenchMode): Promise<Figure[]> {
    const sizes = mode === 'full' ? fullSizes : smokeSizes;
    return inTemporaryDirectory('bench-billing-', async (directory) => {
    const readings = (sizes.leases * sizes.hoursPerLease).toLocaleString('en-US');
    const headline = await measure(mode, directory, sizes.leases, sizes.hoursPerLease, 1, sizes.runs);
    const restarts = await measureRestarts(mode, directory, sizes.leases, sizes.hoursPerLease, sizes.runs);
    const figures: Figure[] = [
      withTarget(figure({ benchmark, case: `${sizes.leases} leases, ${readings} readings, warm`, unit: 'ms', samples: headline.warm }), { on: 'value', below: 2_000, text: '< 2 s' }),
      withTarget(figure({ benchmark, case: `${sizes.leases} leases, ${readings} readings, cold start + rebuild`, unit: 'ms', samples: headline.cold }), { on: 'value', below: 4_000, text: '< 4 s' }),
      withTarget(figure({ benchmark, case: `${sizes.leases} leases, ${readings} readings, restart from the checkpoint a clean stop wrote + billing`, unit: 'ms', samples: restarts }), { on: 'value', below: 4_000, text: '< 4 s' }),
    ];
    let base: number[] = [];
    for (const factor of sizes.scale) {
      const { warm } = await measure(mode, directory, sizes.scaleLeases, sizes.hoursPerLease, factor, sizes.runs);
      if (factor === sizes.scale[0]) base = warm;
      const count = (sizes.scaleLeases * sizes.hoursPerLease * factor).toLocaleString('en-US');
      const scaled = figure({ benchmark, case: `${sizes.scaleLeases} leases, ${factor}x readings (${count}), warm`, unit: 'ms', samples: warm, baseline: { name: `${sizes.scale[0]}x`, samples: base } });
      figures.push(withTarget(scaled, flatTarget));
    }
    return figures;
    });
  },
};

function syncToDisk(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Bills a fresh copy of a prepared fleet `runs` times. */
async function measure(mode: BenchMode, directory: string, leases: number, hoursPerLease: number, factor: number, runs: number): Promise<{ warm: number[]; cold: number[] }> {
  const prepared = await preparedFleet(mode, directory, leases, hoursPerLease, factor);
  const warm: number[] = [];
  const cold: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const copy = join(directory, `run-${run}.sqlite`);
    copyFileSync(prepared, copy);
    // On disk before the clock starts: otherwise the run's first commit (an fsync) also writes
    // back the copy, which grows with the file and is no part of billing.
    syncToDisk(copy);
    const result = await bill(copy);
    warm.push(result.warmMs);
    cold.push(result.coldMs);
    rmSync(copy, { force: true });
  }
  return { warm, cold };
}

/**
 * A restart: the ledger opened on a copy of the fleet with a data directory, and closed, which
 * writes the model's checkpoint (and records its digest in the log); then, timed, opened again
 * (the checkpoint restored, checked against the log, and the log after it folded) and billed.
 */
async function measureRestarts(mode: BenchMode, directory: string, leases: number, hoursPerLease: number, runs: number): Promise<number[]> {
  const prepared = await preparedFleet(mode, directory, leases, hoursPerLease, 1);
  const samples: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const copy = join(directory, `restart-${run}.sqlite`);
    const dataDir = join(directory, `restart-${run}-data`);
    copyFileSync(prepared, copy);
    const first = await openLedgerAt(`sqlite:${copy}`, { dataDir, checkpointEventsMin: 1, clock: () => new Date('2026-11-02T00:00:00Z') });
    await first.close();
    syncToDisk(copy);
    const result = await bill(copy, dataDir);
    if (result.restoredFrom === null) throw new Error('the restart rebuilt the model instead of restoring its checkpoint');
    samples.push(result.coldMs);
    rmSync(copy, { force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
  return samples;
}

/**
 * Where full runs keep the fleets they prepare (gitignored): a fleet of 10 million readings takes
 * minutes to write, and every run would write the same file. A fleet is prepared under a
 * temporary name and renamed when complete, so an interrupted run leaves nothing to reuse.
 * Users of a cached fleet must not change it: they copy it, or only read it.
 */
const fixtureCacheDirectory = fileURLToPath(new URL('./.cache/', import.meta.url));
/** Bumped when `prepare` writes something else, so that older cached fleets are not used. */
const fixtureVersion = 1;

/** The path of a fleet `prepare` made with these sizes: from the cache in full runs, fresh in `directory` otherwise. */
export async function preparedFleet(mode: BenchMode, directory: string, leases: number, hoursPerLease: number, factor: number): Promise<string> {
  const name = `fleet-v${fixtureVersion}-${leases}x${hoursPerLease}x${factor}.sqlite`;
  if (mode === 'smoke') {
    const path = join(directory, name);
    await prepare(path, leases, hoursPerLease, factor);
    return path;
  }
  const path = join(fixtureCacheDirectory, name);
  if (existsSync(path)) return path;
  mkdirSync(fixtureCacheDirectory, { recursive: true });
  const partial = join(fixtureCacheDirectory, `${name}.${process.pid}.partial`);
  await prepare(partial, leases, hoursPerLease, factor);
  renameSync(partial, path);
  return path;
}

/** Contracts through the ledger's commands; readings appended straight to the store, in 10,000-event transactions. */
export async function prepare(path: string, leases: number, hoursPerLease: number, factor: number): Promise<void> {
  const ledger = await openLedgerAt(`sqlite:${path}`, { clock: () => new Date('2026-11-01T00:00:00Z') });
  const actor = { actor: 'bench' };
  const sites = 4;
  const tenants = 40;
  for (let site = 0; site < sites; site += 1) await ledger.commands.commissionSite({ siteId: `S${site}`, name: `Site ${site}`, gpuSku: 'H100-SXM', gpuCount: 1_000_000 }, actor);
  for (let tenant = 0; tenant < tenants; tenant += 1) await ledger.commands.registerTenant({ tenantId: `T${String(tenant).padStart(3, '0')}`, name: `Tenant ${tenant}`, currency: 'USD', paymentTermsDays: 30 }, actor);
  for (let lease = 0; lease < leases; lease += 1) {
    const leaseId = leaseIdOf(lease);
    const siteId = `S${lease % sites}`;
    await ledger.commands.signLease(
      {
        leaseId, tenantId: `T${String(lease % tenants).padStart(3, '0')}`, siteId, gpuSku: 'H100-SXM',
        signedAt: '2026-09-01T00:00:00Z', startsAt: iso(month.start), endsAt: '2027-10-01T00:00:00Z',
        commitment: [{ effectiveFrom: iso(month.start), gpuCount: 100, ratePerGpuHour: '2.10' }],
        overageRatePerGpuHour: '3.50', commitmentBilling: 'advance', sla: [{ availabilityBelowPct: '99.9', creditPct: '10' }],
      },
      actor,
    );
    await ledger.commands.allocateCapacity({ allocationId: `A${leaseId}`, leaseId, siteId, gpuCount: 120, startsAt: iso(month.start) }, actor);
  }
  await ledger.close();
  const store = openSqliteEventStore({ path, clock: () => new Date('2026-11-01T00:00:00Z') });
  let writes: StreamWrite[] = [];
  const flush = async (): Promise<void> => {
    if (writes.length > 0) await store.appendMany!(writes);
    writes = [];
  };
  const schemaVersion = ledgerEventRegistry.currentVersion('UsageRecorded');
  const readingMs = 3_600_000 / factor;
  for (let slot = 0; slot < hoursPerLease * factor; slot += 1) {
    const periodStart = iso(month.start + slot * readingMs);
    const periodEnd = iso(month.start + (slot + 1) * readingMs);
    for (let lease = 0; lease < leases; lease += 1) {
      const leaseId = leaseIdOf(lease);
      const readingId = `${leaseId}-${slot}`;
      const data: EventDataOf<'UsageRecorded'> = { readingId, leaseId, periodStart, periodEnd, gpuHours: (105 / factor).toString(), source: 'bench-meter' };
      const event: EventToAppend = { eventId: `reading:${readingId}`, type: 'UsageRecorded', schemaVersion, data: data as unknown as JsonObject, metadata: { actor: 'bench' } };
      writes.push({ streamId: `usage-${leaseId}`, events: [event], expectedRevision: 'any' });
      if (writes.length >= appendBatchEvents) await flush();
    }
  }
  await flush();
  await store.close();
}

async function bill(path: string, dataDir?: string): Promise<{ warmMs: number; coldMs: number; restoredFrom: number | null }> {
  const clock = () => new Date('2026-11-02T00:00:00Z');
  const openedAt = performance.now();
  const ledger = await openLedgerAt(`sqlite:${path}`, { clock, ...(dataDir === undefined ? {} : { dataDir }) });
  const openedMs = performance.now() - openedAt;
  try {
    const startedAt = performance.now();
    const run = await ledger.billing.runBilling(month.billingDate, { actor: 'bench' });
    const warmMs = performance.now() - startedAt;
    if (run.result.documents.length === 0) throw new Error('the billing run issued nothing');
    return { warmMs, coldMs: openedMs + warmMs, restoredFrom: ledger.restoredFrom };
  } finally {
    await ledger.close();
  }
}
