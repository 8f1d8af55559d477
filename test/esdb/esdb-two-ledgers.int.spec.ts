import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, openLedger, RuleViolationError } from '@compute-ledger/ledger';
import { openEsdbEventStore } from '@compute-ledger/store-esdb';
import type { Ledger } from '@compute-ledger/ledger';
import { readWholeLog } from '../store/event-store.contract.js';
import {
  workedExampleAllocation,
  workedExampleKnownAt,
  workedExampleLease,
  workedExampleNovemberReadings,
  workedExampleSite,
  workedExampleTenant,
} from '../support/worked-example.js';
import { startEsdbDouble } from './double/esdb-double.js';
import type { EsdbDouble, EsdbDoubleOptions } from './double/esdb-double.js';
import { freshPrefix } from './esdb-fixtures.js';

const actor = { actor: 'test' };

/**
 * Two full ledgers on one EventStoreDB, as two API instances behind a load balancer: whatever
 * both are asked at the same moment, the log ends up as if one had been asked. Once on a quiet
 * node, once with a fault every few appends (lost answers, repeats dropped while not
 * replicated, NotLeader, a lagging follower, ended subscriptions, in turn).
 */
const servers: ReadonlyArray<[label: string, options: EsdbDoubleOptions]> = [
  ['', {}],
  [' under cluster faults', { writeTimeoutMs: 150, repeatCaughtUp: true, chaos: { everyAppends: 4 } }],
];

describe.each(servers)('two ledgers on one EventStoreDB%s', (_label, doubleOptions) => {
  let double: EsdbDouble;
  let now = new Date(workedExampleKnownAt.contracts);
  const clock = (): Date => now;
  let ledgers: Ledger[] = [];

  beforeAll(async () => {
    double = await startEsdbDouble(doubleOptions);
  });

  afterAll(async () => {
    // Every kind of fault struck while the tests ran (a rotation that never reached one would prove nothing about it).
    if (doubleOptions.chaos !== undefined) {
      expect([...double.struck.keys()].sort()).toEqual(['ended-subscription', 'lagging-follower', 'lost-answer', 'not-leader', 'pending-repeats']);
    }
    await double.stop();
  });

  afterEach(async () => {
    await Promise.all(ledgers.map((ledger) => ledger.close()));
    ledgers = [];
  });

  async function openPair(): Promise<[Ledger, Ledger]> {
    now = new Date(workedExampleKnownAt.contracts);
    const streamPrefix = freshPrefix('ledgers');
    const open = async () => openLedger({ store: await openEsdbEventStore({ connectionString: double.url, clock, streamPrefix }), clock });
    const pair: [Ledger, Ledger] = [await open(), await open()];
    ledgers = pair;
    return pair;
  }

  function rejections(attempts: readonly PromiseSettledResult<unknown>[]): unknown[] {
    return attempts.flatMap((attempt) => (attempt.status === 'rejected' ? [attempt.reason as unknown] : []));
  }

  it('bills a date once when both run it at the same moment, with gap-free document numbers', async () => {
    const [first, second] = await openPair();
    await first.commands.commissionSite(workedExampleSite, actor);
    await first.commands.registerTenant(workedExampleTenant, actor);
    await first.commands.signLease(workedExampleLease, actor);
    await first.commands.allocateCapacity(workedExampleAllocation, actor);
    // A second tenant, signed through the other ledger, so that the run issues two invoices.
    await second.commands.registerTenant({ ...workedExampleTenant, tenantId: 'second-lab', name: 'Second Lab' }, actor);
    await second.commands.signLease({ ...workedExampleLease, leaseId: 'L-2002', tenantId: 'second-lab' }, actor);
    await second.commands.allocateCapacity({ ...workedExampleAllocation, allocationId: 'A-2002-1', leaseId: 'L-2002' }, actor);
    now = new Date(workedExampleKnownAt.novemberUsage);
    await first.commands.recordUsage({ records: workedExampleNovemberReadings() }, actor);
    now = new Date(workedExampleKnownAt.firstBillingRun);

    const attempts = await Promise.allSettled([first.billing.runBilling('2025-12-01T00:00:00Z', actor), second.billing.runBilling('2025-12-01T00:00:00Z', actor)]);

    for (const reason of rejections(attempts)) expect(reason).toBeInstanceOf(ConflictError);
    const answered = attempts.flatMap((attempt) => (attempt.status === 'fulfilled' ? [attempt.value.result] : []));
    expect(answered.length).toBeGreaterThanOrEqual(1);
    await Promise.all([first.runner.catchUp(), second.runner.catchUp()]);
    for (const ledger of [first, second]) {
      expect(ledger.runner.model.runs.map((run) => run.data.billingDate)).toEqual(['2025-12-01T00:00:00Z']);
      expect(ledger.runner.model.series.invoice).toEqual(['INV-000001', 'INV-000002']);
    }
    for (const result of answered) expect(result.documents.map((document) => document.invoiceId)).toEqual(['INV-000001', 'INV-000002']);
    const log = await readWholeLog(first.store, 1_000);
    expect(log.filter((event) => event.type === 'InvoiceIssued')).toHaveLength(2);
    expect(log.filter((event) => event.type === 'BillingRunCompleted')).toHaveLength(1);
  });

  it('never allocates more GPUs than the site has when both allocate at the same moment', async () => {
    const [first, second] = await openPair();
    await first.commands.commissionSite({ ...workedExampleSite, siteId: 'small-1', gpuCount: 100 }, actor);
    await first.commands.registerTenant(workedExampleTenant, actor);
    await first.commands.signLease({ ...workedExampleLease, siteId: 'small-1' }, actor);
    const allocate = (ledger: Ledger, index: number) =>
      ledger.commands.allocateCapacity({ allocationId: `A-small-${index}`, leaseId: 'L-1001', siteId: 'small-1', gpuCount: 15, startsAt: '2025-11-10T00:00:00Z' }, actor);

    // Ten requests of 15 GPUs for a site of 100: at most six fit.
    const attempts = await Promise.allSettled(Array.from({ length: 10 }, (_, index) => allocate(index % 2 === 0 ? first : second, index)));

    const refused = rejections(attempts);
    for (const reason of refused) expect([RuleViolationError, ConflictError].some((kind) => reason instanceof kind)).toBe(true);
    const accepted = attempts.length - refused.length;
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(accepted).toBeLessThanOrEqual(6);
    // A refusal for capacity means the site was full when it was decided: six allocations.
    if (refused.some((reason) => reason instanceof RuleViolationError)) expect(accepted).toBe(6);
    await Promise.all([first.runner.catchUp(), second.runner.catchUp()]);
    for (const ledger of [first, second]) {
      const allocations = [...ledger.runner.model.allocations.values()].filter((allocation) => allocation.siteId === 'small-1');
      expect(allocations).toHaveLength(accepted);
      expect(allocations.reduce((total, allocation) => total + allocation.gpuCount, 0)).toBe(15 * accepted); // <= 100
    }
  });

  it('counts a usage batch sent to both ledgers at the same moment once', async () => {
    const [first, second] = await openPair();
    await first.commands.commissionSite(workedExampleSite, actor);
    await first.commands.registerTenant(workedExampleTenant, actor);
    await first.commands.signLease(workedExampleLease, actor);
    await first.commands.allocateCapacity(workedExampleAllocation, actor);
    now = new Date(workedExampleKnownAt.novemberUsage);
    const batch = { records: workedExampleNovemberReadings().slice(0, 120) };

    const attempts = await Promise.allSettled([first.commands.recordUsage(batch, actor), second.commands.recordUsage(batch, actor)]);

    expect(rejections(attempts)).toEqual([]);
    const log = await readWholeLog(second.store, 1_000);
    const readings = log.filter((event) => event.type === 'UsageRecorded');
    expect(readings).toHaveLength(120);
    expect(new Set(readings.map((event) => event.eventId)).size).toBe(120);
    await Promise.all([first.runner.catchUp(), second.runner.catchUp()]);
    for (const ledger of [first, second]) expect(ledger.runner.model.readingsRecorded).toBe(120);
  });
});
