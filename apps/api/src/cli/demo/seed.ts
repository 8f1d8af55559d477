import assert from 'node:assert/strict';
import type { SignLeaseBody, UsageRecordBody } from '@compute-ledger/contracts';
import { monthInterval, nextMonth, toInstant, type Ledger } from '@compute-ledger/ledger';
import { sites, tenants, leases, allocations, type DemoLease } from './neocloud.js';
import type { StoryClockHand } from './story-clock.js';

/**
 * Seeds a small neocloud through the same application services the API calls, in the order
 * the facts would have arrived: signings before terms start, a month's readings at its end,
 * a billing run on each first of the month, payments as invoices fall due. The first tenant's
 * first months are the worked example of DOMAIN.md, so its numbers can be checked by hand.
 *
 * The story is told in knowledge time: the seed holds the ledger's clock at the instant the
 * story has each fact learned, so its recordedAt is that instant (the late reading of
 * 2025-12-03 is recorded after the billing run of 2025-12-01 that could not see it), and "as
 * known at" any day of the story answers what the books said that day. Facts are recorded at
 * strictly increasing instants, all before the real now; then the real clock takes over.
 */

/** Recorded as the actor of every demo event: no API key or command records it, so a log whose first event carries it is a demo. */
export const demoActor = { actor: 'demo', correlationId: 'demo-seed' };
/** The last billing date of the demo; its facts end with October 2026. */
export const demoHorizon = '2026-11-01T00:00:00Z';
export const demoFirstMonth = '2025-11';
/** Before the story's first fact: a clock that starts here can be moved through the whole story. */
export const demoStoryBegins = '2025-10-01T00:00:00Z';
const msPerHour = 3_600_000;
/** Two facts the story has learned at the same instant are recorded this far apart, in plan order. */
const factSpacingMs = 1_000;

export interface DemoSummary {
  events: number;
  readings: number;
  billingRuns: number;
  documents: number;
  payments: number;
  months: string[];
}

interface Step {
  atMs: number;
  /** Ties at the same instant keep the order they were planned in. */
  order: number;
  run: () => Promise<void>;
}

/**
 * Seeds an empty store. `clock` is the hand on the clock port the ledger was opened with (a
 * StoryClock, or a test's clock): the seed moves it through the story and lets go at the end.
 */
export async function seedDemo(ledger: Ledger, clock: StoryClockHand, onProgress: (done: number, total: number) => void = () => undefined): Promise<DemoSummary> {
  const head = await ledger.store.headPosition();
  if (head >= 0) throw new DemoStoreNotEmptyError(head + 1);
  const nowMs = clock.nowMs();
  const months = monthsBetween(demoFirstMonth, demoHorizon);
  const steps: Step[] = [];
  let order = 0;
  const plan = (at: string | number, run: () => Promise<void>) => {
    const atMs = typeof at === 'number' ? at : Date.parse(at);
    // The demo never records a fact dated after the real now (a billing date in the future is refused).
    if (atMs <= nowMs) steps.push({ atMs, order: order++, run });
  };
  const summary: DemoSummary = { events: 0, readings: 0, billingRuns: 0, documents: 0, payments: 0, months };

  for (const site of sites) plan('2025-10-01T09:00:00Z', async () => void (await ledger.commands.commissionSite(site, demoActor)));
  for (const tenant of tenants) plan('2025-10-01T09:00:00Z', async () => void (await ledger.commands.registerTenant(tenant, demoActor)));
  for (const lease of leases) {
    plan(lease.body.signedAt, async () => void (await ledger.commands.signLease(lease.body, demoActor)));
    for (const amendment of lease.amendments ?? []) {
      plan(amendment.recordedAt, async () => void (await ledger.commands.amendLease(lease.body.leaseId, amendment.body, demoActor)));
    }
    for (const outage of lease.outages ?? []) plan(outage.recordedAt, async () => void (await ledger.commands.recordOutage(outage.body, demoActor)));
    if (lease.termination !== undefined) {
      const termination = lease.termination;
      plan(termination.recordedAt, async () => void (await ledger.commands.terminateLease(lease.body.leaseId, termination.body, demoActor)));
    }
    for (const late of lease.lateReadings ?? []) {
      plan(late.recordedAt, async () => {
        const result = await ledger.commands.recordUsage({ records: [late.record] }, demoActor);
        summary.readings += result.accepted;
      });
    }
  }
  for (const allocation of allocations) {
    plan(Date.parse(allocation.startsAt) - 6 * msPerHour, async () => void (await ledger.commands.allocateCapacity(allocation, demoActor)));
  }
  plan('2026-05-05T10:00:00Z', async () => {
    await ledger.billing.issueCreditNote(
      { creditNoteId: 'CRN-2026-001', tenantId: 'frontier-lab', amount: '50000.00', reason: 'Goodwill credit for the April network maintenance window', issuedAt: '2026-05-05T10:00:00Z' },
      demoActor,
    );
  });
  for (const month of months) {
    const { endMs } = monthInterval(month);
    // A month's readings arrive at its end, one atomic batch for every lease.
    plan(endMs, async () => {
      const records = leases.flatMap((lease) => monthReadings(lease, month));
      if (records.length === 0) return;
      const result = await ledger.commands.recordUsage({ records }, demoActor);
      summary.readings += result.accepted;
    });
    // Billing runs on the morning of the first.
    plan(endMs + 6 * msPerHour, async () => {
      const { result } = await ledger.billing.runBilling(toInstant(endMs), demoActor);
      summary.billingRuns += 1;
      summary.documents += result.documents.length;
      for (const document of result.documents) {
        if (document.kind !== 'invoice') continue;
        const invoice = await ledger.reports.invoice(document.invoiceId);
        // Every invoice has a due date; only credit notes answer null.
        for (const payment of paymentsFor(invoice.tenantId, document.invoiceId, invoice.total, invoice.dueAt ?? invoice.issuedAt)) {
          insert(steps, Date.parse(payment.receivedAt), order++, nowMs, async () => {
            await ledger.billing.recordPayment(payment, demoActor);
            summary.payments += 1;
          });
        }
      }
    });
  }

  steps.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  let done = 0;
  let lastMs = -Infinity;
  try {
    for (let index = 0; index < steps.length; index += 1) {
      const step = steps[index]!;
      const atMs = Math.max(step.atMs, lastMs + factSpacingMs);
      clock.moveTo(atMs);
      assert(ledger.clock().getTime() === atMs, 'the ledger seeded with the demo was opened with the clock the seed moves');
      await step.run();
      lastMs = atMs;
      done += 1;
      onProgress(done, steps.length);
    }
  } finally {
    clock.release();
  }
  summary.events = (await ledger.store.headPosition()) + 1;
  return summary;
}

export class DemoStoreNotEmptyError extends Error {
  override readonly name = 'DemoStoreNotEmptyError';
  constructor(readonly events: number) {
    super(`the store already holds ${events} events; the demo seeds an empty store only (point LEDGER_STORE at a new file)`);
  }
}

/** Inserts a step planned while the plan runs, in time order among those still to come. */
function insert(steps: Step[], atMs: number, order: number, nowMs: number, run: () => Promise<void>): void {
  if (atMs > nowMs) return;
  const step = { atMs, order, run };
  const index = steps.findIndex((candidate) => candidate.atMs > atMs);
  if (index < 0) steps.push(step);
  else steps.splice(index, 0, step);
}

/**
 * How tenants pay: most on time, one a month late, one that pays part and leaves the rest
 * open, so the aging report has something in it.
 */
function paymentsFor(tenantId: string, invoiceId: string, total: string, dueAt: string) {
  const dueMs = Date.parse(dueAt);
  const day = 24 * msPerHour;
  const cents = BigInt(total.replace('.', ''));
  const money = (value: bigint) => `${value / 100n}.${String(value % 100n).padStart(2, '0')}`;
  switch (tenantId) {
    case 'frontier-lab':
      return [{ paymentId: `PAY-${invoiceId}`, tenantId, amount: total, receivedAt: toInstant(dueMs - 3 * day), invoiceId }];
    case 'helix-ai':
      return [{ paymentId: `PAY-${invoiceId}`, tenantId, amount: total, receivedAt: toInstant(dueMs + 12 * day), invoiceId }];
    case 'orbit-robotics': {
      const part = (cents * 60n) / 100n;
      return [{ paymentId: `PAY-${invoiceId}`, tenantId, amount: money(part), receivedAt: toInstant(dueMs - day), invoiceId }];
    }
    default:
      // nimbus-research stops paying after its termination: its last invoices stay open.
      return dueMs < Date.parse('2026-07-01T00:00:00Z') ? [{ paymentId: `PAY-${invoiceId}`, tenantId, amount: total, receivedAt: toInstant(dueMs), invoiceId }] : [];
  }
}

/** Hourly readings of one lease for one month, inside its term and its allocations. */
export function monthReadings(lease: DemoLease, month: string): UsageRecordBody[] {
  const { startMs, endMs } = monthInterval(month);
  const termStartMs = Date.parse(lease.body.startsAt);
  const termEndMs = Math.min(Date.parse(lease.body.endsAt), lease.termination === undefined ? Infinity : Date.parse(lease.termination.body.effectiveAt));
  const fromMs = Math.max(startMs, termStartMs);
  const toMs = Math.min(endMs, termEndMs);
  const records: UsageRecordBody[] = [];
  const random = seededRandom(`${lease.body.leaseId}:${month}`);
  for (let hourMs = fromMs; hourMs + msPerHour <= toMs; hourMs += msPerHour) {
    const allocated = allocatedAt(lease.body.leaseId, hourMs);
    if (allocated === 0) continue;
    const committed = committedAt(lease, hourMs);
    const wanted = lease.usage(month, committed, random);
    const gpuHours = Math.min(allocated, Math.max(0, Math.round(wanted)));
    records.push({
      readingId: `${lease.body.leaseId}:${new Date(hourMs).toISOString().slice(0, 13).replace(/[-T]/g, '')}`,
      leaseId: lease.body.leaseId,
      periodStart: toInstant(hourMs),
      periodEnd: toInstant(hourMs + msPerHour),
      gpuHours: String(gpuHours),
      source: `meter-${lease.body.siteId}`,
    });
  }
  return records;
}

function allocatedAt(leaseId: string, atMs: number): number {
  return allocations.filter((allocation) => allocation.leaseId === leaseId && Date.parse(allocation.startsAt) <= atMs).reduce((sum, allocation) => sum + allocation.gpuCount, 0);
}

function committedAt(lease: DemoLease, atMs: number): number {
  let schedule: SignLeaseBody['commitment'] = lease.body.commitment;
  for (const amendment of lease.amendments ?? []) {
    const tail = amendment.body.commitment;
    if (tail === undefined) continue;
    const effectiveMs = Date.parse(amendment.body.effectiveAt);
    schedule = [...schedule.filter((entry) => Date.parse(entry.effectiveFrom) < effectiveMs), ...tail];
  }
  let count = 0;
  for (const entry of schedule) if (Date.parse(entry.effectiveFrom) <= atMs) count = entry.gpuCount;
  return count;
}

export function monthsBetween(firstMonth: string, horizon: string): string[] {
  const months: string[] = [];
  const horizonMs = Date.parse(horizon);
  for (let month = firstMonth; monthInterval(month).endMs <= horizonMs; month = nextMonth(month)) months.push(month);
  return months;
}


/** A small deterministic generator (mulberry32) so that every demo is the same demo. */
function seededRandom(seed: string): () => number {
  let state = 0;
  for (const char of seed) state = (Math.imul(state, 31) + char.charCodeAt(0)) | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}
