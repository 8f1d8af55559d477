import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  ledgerEventRegistry,
  type EventDataOf,
} from '@compute-ledger/contracts';
import { openLedger, openSqliteEventStore, type EventToAppend, type JsonObject, type StreamWrite } from '@compute-ledger/ledger';
import { figure } from './figures.js';
import type { BenchMode, BenchmarkModule, Figure } from './figures.js';

/**
 * A billing run over a fleet: 2,000 leases with a month of hourly readings each (1.44 M), on a
 * file-backed SQLite store. Figures: the run itself with the model up to date ("warm"), and a
 * cold start (open the store, rebuild the model from the log) followed by the run. Every sample
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
const month = { start: Date.UTC(2026, 9, 1), billingDate: '2026-11-01T00:00:00Z' };
const appendBatchEvents = 10_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

export const billingBenchmark: BenchmarkModule = {
  name: benchmark,
  async run(mode: BenchMode): Promise<Figure[]> {
    const sizes = mode === 'full' ? fullSizes : smokeSizes;
    const directory = mkdtempSync(join(tmpdir(), 'bench-billing-'));
    try {
      const readings = (sizes.leases * sizes.hoursPerLease).toLocaleString('en-US');
      const headline = await measure(directory, 'fleet', sizes.leases, sizes.hoursPerLease, 1, sizes.runs);
      const figures: Figure[] = [
        figure({ benchmark, case: `${sizes.leases} leases, ${readings} readings, warm`, unit: 'ms', samples: headline.warm }),
        figure({ benchmark, case: `${sizes.leases} leases, ${readings} readings, cold start + rebuild`, unit: 'ms', samples: headline.cold }),
      ];
      let base: number[] = [];
      for (const factor of sizes.scale) {
        const { warm } = await measure(directory, `scale-${factor}`, sizes.scaleLeases, sizes.hoursPerLease, factor, sizes.runs);
        if (factor === sizes.scale[0]) base = warm;
        const count = (sizes.scaleLeases * sizes.hoursPerLease * factor).toLocaleString('en-US');
        figures.push(figure({ benchmark, case: `${sizes.scaleLeases} leases, ${factor}x readings (${count}), warm`, unit: 'ms', samples: warm, baseline: { name: `${sizes.scale[0]}x`, samples: base } }));
      }
      return figures;
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  },
};

/** Prepares one file, then bills a fresh copy of it `runs` times. */
async function measure(directory: string, name: string, leases: number, hoursPerLease: number, factor: number, runs: number): Promise<{ warm: number[]; cold: number[] }> {
  const prepared = join(directory, `${name}.sqlite`);
  await prepare(prepared, leases, hoursPerLease, factor);
  const warm: number[] = [];
  const cold: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const copy = join(directory, `${name}-run-${run}.sqlite`);
    copyFileSync(prepared, copy);
    const result = await bill(copy);
    warm.push(result.warmMs);
    cold.push(result.coldMs);
    rmSync(copy, { force: true });
  }
  rmSync(prepared, { force: true });
  return { warm, cold };
}

/** Contracts through the ledger's commands; readings appended straight to the store, in 10,000-event transactions. */
export async function prepare(path: string, leases: number, hoursPerLease: number, factor: number): Promise<void> {
  const ledger = await openLedger({ store: `sqlite:${path}`, clock: () => new Date('2026-11-01T00:00:00Z') });
  const actor = { actor: 'bench' };
  const sites = 4;
  const tenants = 40;
  for (let site = 0; site < sites; site += 1) await ledger.commands.commissionSite({ siteId: `S${site}`, name: `Site ${site}`, gpuSku: 'H100-SXM', gpuCount: 1_000_000 }, actor);
  for (let tenant = 0; tenant < tenants; tenant += 1) await ledger.commands.registerTenant({ tenantId: `T${String(tenant).padStart(3, '0')}`, name: `Tenant ${tenant}`, currency: 'USD', paymentTermsDays: 30 }, actor);
  for (let lease = 0; lease < leases; lease += 1) {
    const leaseId = `L${String(lease).padStart(5, '0')}`;
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
      const leaseId = `L${String(lease).padStart(5, '0')}`;
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

async function bill(path: string): Promise<{ warmMs: number; coldMs: number }> {
  const clock = () => new Date('2026-11-02T00:00:00Z');
  const openedAt = performance.now();
  const ledger = await openLedger({ store: `sqlite:${path}`, clock });
  const openedMs = performance.now() - openedAt;
  try {
    const startedAt = performance.now();
    const run = await ledger.billing.runBilling(month.billingDate, { actor: 'bench' });
    const warmMs = performance.now() - startedAt;
    if (run.result.documents.length === 0) throw new Error('the billing run issued nothing');
    return { warmMs, coldMs: openedMs + warmMs };
  } finally {
    await ledger.close();
  }
}
