import type { Client, Json } from './client.js';

/**
 * A neocloud of many small leases, recorded over HTTP by the roles that own each step, and the
 * usage its meters send. Terms run from 2025 into 2027 so that readings, billing dates and
 * payments are all in the past of the real clock the server runs on.
 */

export const termStart = '2025-01-01T00:00:00Z';
export const termEnd = '2027-01-01T00:00:00Z';
export const gpuSku = 'H100-SXM';
/** GPUs allocated to each lease: a reading of one hour may carry at most this many GPU-hours. */
export const allocatedGpus = 10;
/** GPU-hours per reading: above the 8 committed GPUs, so every month has overage to bill. */
export const readingGpuHours = '9';
const hourMs = 3_600_000;
/** Requests in flight while seeding. */
const seedConcurrency = 8;

export interface FleetLease {
  leaseId: string;
  tenantId: string;
  siteId: string;
}

export interface Fleet {
  siteId: string;
  tenantIds: string[];
  leases: FleetLease[];
}

export interface FleetOptions {
  tenants: number;
  leasesPerTenant: number;
  /** Default `site-1`. */
  siteId?: string;
  /** Default 1,000,000: far more than the leases take. */
  siteGpus?: number;
  /** Tenant ids to use instead of generated ones (the tenant keys belong to frontier-lab and other-lab). */
  tenantIds?: readonly string[];
}

export function tenantBody(tenantId: string) {
  return { tenantId, name: `Tenant ${tenantId}`, currency: 'USD' as const, paymentTermsDays: 30 };
}

export function siteBody(siteId: string, gpuCount: number) {
  return { siteId, name: `Site ${siteId}`, gpuSku, gpuCount };
}

export function leaseBody(lease: FleetLease) {
  return {
    leaseId: lease.leaseId,
    tenantId: lease.tenantId,
    siteId: lease.siteId,
    gpuSku,
    signedAt: '2024-12-01T00:00:00Z',
    startsAt: termStart,
    endsAt: termEnd,
    commitment: [{ effectiveFrom: termStart, gpuCount: 8, ratePerGpuHour: '2.00' }],
    overageRatePerGpuHour: '3.00',
  };
}

export function allocationBody(lease: FleetLease, gpuCount = allocatedGpus) {
  return { allocationId: `alloc-${lease.leaseId}`, leaseId: lease.leaseId, siteId: lease.siteId, gpuCount, startsAt: termStart };
}

export async function seedFleet(client: Client, options: FleetOptions): Promise<Fleet> {
  const siteId = options.siteId ?? 'site-1';
  const tenantIds = options.tenantIds !== undefined ? [...options.tenantIds] : Array.from({ length: options.tenants }, (_, index) => `tenant-${String(index + 1).padStart(3, '0')}`);
  const leases = tenantIds.flatMap((tenantId) => Array.from({ length: options.leasesPerTenant }, (_, index) => ({ leaseId: `${tenantId}-lease-${index + 1}`, tenantId, siteId })));
  await client.expect([200, 201], 'POST', '/v1/sites', { as: 'operations', body: siteBody(siteId, options.siteGpus ?? 1_000_000) });
  await inParallel(tenantIds, seedConcurrency, (tenantId) => client.expect([200, 201], 'POST', '/v1/tenants', { as: 'finance', body: tenantBody(tenantId) }));
  await inParallel(leases, seedConcurrency, (lease) => client.expect([200, 201], 'POST', '/v1/leases', { as: 'finance', body: leaseBody(lease) }));
  await inParallel(leases, seedConcurrency, (lease) => client.expect([200, 201], 'POST', '/v1/allocations', { as: 'operations', body: allocationBody(lease) }));
  return { siteId, tenantIds, leases };
}

export interface UsageRecord {
  readingId: string;
  leaseId: string;
  periodStart: string;
  periodEnd: string;
  gpuHours: string;
}

/**
 * Hands out readings hour after hour per lease, round robin over the leases. Reading ids are
 * `<batchId>.<index>`, so the log tells which batch a reading came in.
 */
export class UsageSource {
  private next = 0;

  constructor(
    private readonly leases: readonly FleetLease[],
    /** First hour handed out, counted from the start of the term (several sources can then share a fleet). */
    private readonly firstHour = 0,
    /** Hours handed out per lease before starting again at firstHour (readings may overlap; each is its own). */
    private readonly hoursMax = 24 * 300,
  ) {}

  batch(batchId: string, size: number): UsageRecord[] {
    const records: UsageRecord[] = [];
    for (let index = 0; index < size; index += 1) {
      const sequence = this.next;
      this.next += 1;
      const lease = this.leases[sequence % this.leases.length]!;
      const hour = this.firstHour + (Math.floor(sequence / this.leases.length) % this.hoursMax);
      const startMs = Date.parse(termStart) + hour * hourMs;
      records.push({ readingId: `${batchId}.${index}`, leaseId: lease.leaseId, periodStart: instant(startMs), periodEnd: instant(startMs + hourMs), gpuHours: readingGpuHours });
    }
    return records;
  }
}

export function instant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** The batch a reading came in (see UsageSource). */
export function batchOfReading(readingId: string): string {
  return readingId.slice(0, readingId.lastIndexOf('.'));
}

export interface LoggedEvent {
  position: number;
  streamId: string;
  eventId: string;
  type: string;
  data: Json;
}

/** Events of the log from `fromPosition` to its head, read through GET /v1/audit/events. */
export async function readLog(client: Client, fromPosition = 0): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  let position = fromPosition;
  for (;;) {
    const page = await client.expect<{ events: LoggedEvent[]; nextPosition: number }>(200, 'GET', `/v1/audit/events?fromPosition=${position}&limit=10000`, { as: 'auditor' });
    for (const event of page.body.events) events.push({ position: event.position, streamId: event.streamId, eventId: event.eventId, type: event.type, data: event.data });
    if (page.body.events.length === 0) return events;
    position = page.body.nextPosition;
  }
}

/** Position of the last event of the log (-1 for an empty log). */
export async function headPosition(client: Client, knownAtLeast = 0): Promise<number> {
  let head = knownAtLeast - 1;
  for (;;) {
    const page = await client.expect<{ events: LoggedEvent[] }>(200, 'GET', `/v1/audit/events?fromPosition=${head + 1}&limit=10000`, { as: 'auditor' });
    const last = page.body.events.at(-1);
    if (last === undefined) return head;
    head = last.position;
  }
}

/** Readings per batch in these events. */
export function readingsPerBatch(events: readonly LoggedEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) {
    if (event.type !== 'UsageRecorded') continue;
    const batchId = batchOfReading(String(event.data['readingId']));
    counts.set(batchId, (counts.get(batchId) ?? 0) + 1);
  }
  return counts;
}

export interface DocumentSummary {
  invoiceId: string;
  kind: 'invoice' | 'credit_note';
  tenantId: string;
  /** Null for a credit note by hand. */
  billingDate: string | null;
  total: string;
}

/**
 * Checks the billing documents: each series (INV-, CN-) numbered 1, 2, 3, ... without a gap
 * or a repeat; every completed run's documents issued; every document with a billing date in
 * exactly one run. Answers the problems found (none: an empty list).
 */
export async function documentProblems(client: Client): Promise<string[]> {
  const problems: string[] = [];
  const { body: list } = await client.expect<{ invoices: DocumentSummary[] }>(200, 'GET', '/v1/invoices', { as: 'finance' });
  const { body: runs } = await client.expect<{ runs: { billingDate: string; documents: { invoiceId: string }[] }[] }>(200, 'GET', '/v1/billing-runs', { as: 'finance' });
  for (const prefix of ['INV-', 'CN-']) {
    const numbers = list.invoices.filter((document) => document.invoiceId.startsWith(prefix)).map((document) => Number(document.invoiceId.slice(prefix.length)));
    const sorted = [...numbers].sort((a, b) => a - b);
    const expected = sorted.map((_, index) => index + 1);
    if (sorted.join(',') !== expected.join(',')) problems.push(`${prefix} series is not 1..${sorted.length}: ${sorted.join(',')}`);
  }
  const issued = new Set(list.invoices.map((document) => document.invoiceId));
  const inRuns = new Map<string, string>();
  for (const run of runs.runs) {
    for (const document of run.documents) {
      if (!issued.has(document.invoiceId)) problems.push(`run ${run.billingDate} names ${document.invoiceId}, which is not issued`);
      const other = inRuns.get(document.invoiceId);
      if (other !== undefined) problems.push(`${document.invoiceId} is in the runs of ${other} and ${run.billingDate}`);
      inRuns.set(document.invoiceId, run.billingDate);
    }
  }
  // A document issued by a run (it has a billing date) without the run that issued it is half a run.
  for (const document of list.invoices) {
    if (document.billingDate !== null && !inRuns.has(document.invoiceId)) problems.push(`${document.invoiceId} has billing date ${document.billingDate} but no run issued it`);
  }
  const dates = runs.runs.map((run) => run.billingDate);
  if (new Set(dates).size !== dates.length) problems.push(`a billing date has two runs: ${dates.join(', ')}`);
  return problems;
}

/** Runs `work` over `items`, at most `concurrency` at a time. */
export async function inParallel<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next;
      next += 1;
      if (index >= items.length) return;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
