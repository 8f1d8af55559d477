import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type ApiHarness } from '../e2e/support/api-harness.js';
import { forcedGc, heapUsedAfterGc, mebibyte } from '../support/heap.js';
import { allocationBody, leaseBody, siteBody, tenantBody, UsageSource, type FleetLease } from './support/fleet.js';

/**
 * The server's memory grows with leases and months, never with readings: 100,000 readings
 * ingested over HTTP leave the garbage-collected heap, after a full collection, less than
 * `heapGrowthPer100kReadingsMaxBytes` larger. The model's usage columns hold their 12 bytes a
 * usage event outside that heap (typed arrays), so what is measured is everything else: a per-reading object anywhere (a cache, a map of ids) would cost tens of
 * bytes a reading, megabytes here. Measured: about 4 bytes a reading; before the commands
 * stopped keeping readings, about 260 (25 MiB).
 *
 * The server runs in this process, so that its heap is this heap; a warm-up ingest first fills
 * what is per lease and per month (caches, compiled code, statement and page caches), and each
 * measure is the lowest of a few collections, which sheds what a collection happens to keep.
 */

const heapGrowthPer100kReadingsMaxBytes = 2 * mebibyte;
const measuredReadings = 100_000;
const warmUpReadings = 20_000;
const batchRecords = 1_000;
const clients = 2;
const leases: FleetLease[] = Array.from({ length: 100 }, (_, index) => ({ leaseId: `mem-lease-${index + 1}`, tenantId: `mem-tenant-${(index % 10) + 1}`, siteId: 'mem-site' }));

let harness: ApiHarness;

beforeAll(async () => {
  harness = await startHarness('2026-06-01T00:00:00Z');
  await harness.post('/v1/sites', 'operations', siteBody('mem-site', 100_000));
  for (const tenantId of new Set(leases.map((lease) => lease.tenantId))) await harness.post('/v1/tenants', 'finance', tenantBody(tenantId));
  for (const lease of leases) {
    expect((await harness.post('/v1/leases', 'finance', leaseBody(lease))).status).toBe(201);
    expect((await harness.post('/v1/allocations', 'operations', allocationBody(lease))).status).toBe(201);
  }
});

afterAll(async () => {
  await harness.close();
});

describe('memory bound', () => {
  it(`grows the heap by less than 2 MiB per ${measuredReadings.toLocaleString('en')} readings ingested over HTTP`, async () => {
    const gc = forcedGc();
    // Hour after hour per lease, across months: what the model keeps per (lease, month) grows too.
    const source = new UsageSource(leases);
    await ingest(source, 'warm', warmUpReadings);
    const before = await heapUsedAfterGc(gc);
    await ingest(source, 'measured', measuredReadings);
    const after = await heapUsedAfterGc(gc);
    const growth = after - before;
    console.info(`heap ${mib(before)} -> ${mib(after)} MiB after ${measuredReadings} readings: ${(growth / measuredReadings).toFixed(1)} bytes a reading`);
    expect(harness.ledger.runner.model.readingsRecorded).toBe(warmUpReadings + measuredReadings);
    expect(growth).toBeLessThan(heapGrowthPer100kReadingsMaxBytes * (measuredReadings / 100_000));
  }, 120_000);
});

/** `clients` callers send batches of `batchRecords` at once until `readings` are recorded. */
async function ingest(source: UsageSource, prefix: string, readings: number): Promise<void> {
  let next = 0;
  const batches = readings / batchRecords;
  const client = async (): Promise<void> => {
    while (next < batches) {
      const records = source.batch(`${prefix}-${next}`, batchRecords);
      next += 1;
      const answer = await harness.post<{ accepted: number }>('/v1/usage', 'metering', { records });
      expect(answer.status, answer.text).toBe(202);
      expect(answer.body.accepted).toBe(batchRecords);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
}

function mib(bytes: number): string {
  return (bytes / mebibyte).toFixed(1);
}
