import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Decimal,
  DomainError,
  chargeKindOrder,
  chargesFor,
  monthsBetween,
  openLedger,
  type Ledger,
} from '@compute-ledger/ledger';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';

/**
 * Invariants over random histories: leases with ramps, both billing modes, SLA tiers, usage,
 * corrections, outages, amendments, terminations, payments and monthly runs, each recorded at
 * its own time. Refused commands are part of the history too (they must change nothing).
 */

const actor = { actor: 'property' };
const dayMs = 86_400_000;
const yearStartMs = Date.UTC(2026, 0, 1);
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const monthStart = (index: number): string => iso(Date.UTC(2026, index, 1));

const leaseArbitrary = fc.record({
  startDay: fc.integer({ min: 0, max: 200 }),
  lengthDays: fc.integer({ min: 20, max: 300 }),
  gpuCount: fc.integer({ min: 1, max: 50 }),
  rateCents: fc.integer({ min: 1, max: 500 }),
  rampDay: fc.option(fc.integer({ min: 1, max: 150 }), { nil: undefined }),
  rampGpuCount: fc.integer({ min: 0, max: 80 }),
  overageCents: fc.integer({ min: 0, max: 900 }),
  arrears: fc.boolean(),
  sla: fc.boolean(),
  tenant: fc.integer({ min: 0, max: 2 }),
});

const actionArbitrary = fc.oneof(
  fc.record({ kind: fc.constant('usage' as const), lease: fc.nat(), day: fc.nat(), hours: fc.integer({ min: 1, max: 24 }), tenthsPerGpuHour: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ kind: fc.constant('correct' as const), reading: fc.nat(), tenths: fc.integer({ min: 0, max: 10 }) }),
  fc.record({ kind: fc.constant('outage' as const), lease: fc.nat(), day: fc.nat(), hours: fc.integer({ min: 1, max: 200 }), gpus: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ kind: fc.constant('amend' as const), lease: fc.nat(), day: fc.nat(), gpuCount: fc.integer({ min: 0, max: 90 }), rateCents: fc.integer({ min: 1, max: 600 }) }),
  fc.record({ kind: fc.constant('terminate' as const), lease: fc.nat(), day: fc.nat(), feeCents: fc.integer({ min: 0, max: 1_000_000 }) }),
  fc.record({ kind: fc.constant('pay' as const), tenant: fc.integer({ min: 0, max: 2 }), cents: fc.integer({ min: 1, max: 50_000_000 }) }),
);

const historyArbitrary = fc.record({
  leases: fc.array(leaseArbitrary, { minLength: 1, maxLength: 4 }),
  months: fc.array(fc.array(actionArbitrary, { maxLength: 6 }), { minLength: 13, maxLength: 13 }),
});

type History = typeof historyArbitrary extends fc.Arbitrary<infer T> ? T : never;

async function tolerate(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
  }
}

/** Plays a history month by month and runs billing at every month start, then a last run. */
async function play(history: History): Promise<{ ledger: Ledger; setNow: (ms: number) => void }> {
  let nowMs = yearStartMs - 30 * dayMs;
  const clock = (): Date => new Date(nowMs);
  const ledger = await openLedger({ store: openSqliteEventStore({ path: ':memory:', clock }), clock });
  const { commands, billing } = ledger;
  await commands.commissionSite({ siteId: 'S', name: 'Site', gpuSku: 'H100', gpuCount: 1_000 }, actor);
  for (const tenant of [0, 1, 2]) await commands.registerTenant({ tenantId: `T${tenant}`, name: `Tenant ${tenant}`, currency: 'USD', paymentTermsDays: 30 }, actor);
  const leaseIds: string[] = [];
  /** A day inside lease `index`'s original term, so most random facts land where they are allowed. */
  const dayInTerm = (index: number, day: number): number => {
    const lease = history.leases[index]!;
    return yearStartMs + (lease.startDay + (day % lease.lengthDays)) * dayMs;
  };
  for (const [index, lease] of history.leases.entries()) {
    const startsMs = yearStartMs + lease.startDay * dayMs;
    const endsMs = startsMs + lease.lengthDays * dayMs;
    const commitment = [{ effectiveFrom: iso(startsMs), gpuCount: lease.gpuCount, ratePerGpuHour: (lease.rateCents / 100).toFixed(2) }];
    if (lease.rampDay !== undefined && lease.rampDay < lease.lengthDays) {
      commitment.push({ effectiveFrom: iso(startsMs + lease.rampDay * dayMs), gpuCount: lease.rampGpuCount, ratePerGpuHour: (lease.rateCents / 100).toFixed(2) });
    }
    const leaseId = `L${index}`;
    await commands.signLease(
      {
        leaseId, tenantId: `T${lease.tenant}`, siteId: 'S', gpuSku: 'H100', signedAt: iso(startsMs - dayMs), startsAt: iso(startsMs), endsAt: iso(endsMs), commitment,
        overageRatePerGpuHour: (lease.overageCents / 100).toFixed(2), commitmentBilling: lease.arrears ? 'arrears' : 'advance',
        sla: lease.sla ? [{ availabilityBelowPct: '99.5', creditPct: '10' }, { availabilityBelowPct: '97', creditPct: '30' }] : [],
      },
      actor,
    );
    await commands.allocateCapacity({ allocationId: `A${index}`, leaseId, siteId: 'S', gpuCount: 100, startsAt: iso(startsMs) }, actor);
    leaseIds.push(leaseId);
  }
  const readings: string[] = [];
  for (const [month, actions] of history.months.entries()) {
    nowMs = Date.parse(monthStart(month)) + dayMs;
    for (const action of actions) {
      nowMs += 3_600_000;
      const leaseIndex = 'lease' in action ? action.lease % leaseIds.length : 0;
      const leaseId = leaseIds[leaseIndex]!;
      switch (action.kind) {
        case 'usage': {
          const startMs = dayInTerm(leaseIndex, action.day);
          const readingId = `R${readings.length}`;
          readings.push(readingId);
          const gpuHours = new Decimal(action.hours).times(action.tenthsPerGpuHour).times(10).toFixed();
          await tolerate(commands.recordUsage({ records: [{ readingId, leaseId, periodStart: iso(startMs), periodEnd: iso(startMs + action.hours * 3_600_000), gpuHours }] }, actor));
          break;
        }
        case 'correct':
          if (readings.length > 0) {
            await tolerate(commands.correctUsage({ correctionId: `C${nowMs}`, readingId: readings[action.reading % readings.length]!, gpuHours: String(action.tenths * 10) }, actor));
          }
          break;
        case 'outage': {
          const startMs = dayInTerm(leaseIndex, action.day);
          await tolerate(commands.recordOutage({ outageId: `O${nowMs}`, leaseId, startsAt: iso(startMs), endsAt: iso(startMs + action.hours * 3_600_000), affectedGpus: action.gpus }, actor));
          break;
        }
        case 'amend': {
          const effectiveAt = iso(dayInTerm(leaseIndex, action.day));
          await tolerate(commands.amendLease(leaseId, { amendmentId: `M${nowMs}`, effectiveAt, commitment: [{ effectiveFrom: effectiveAt, gpuCount: action.gpuCount, ratePerGpuHour: (action.rateCents / 100).toFixed(2) }] }, actor));
          break;
        }
        case 'terminate':
          await tolerate(commands.terminateLease(leaseId, { effectiveAt: iso(dayInTerm(leaseIndex, action.day + 5)), terminationFee: (action.feeCents / 100).toFixed(2) }, actor));
          break;
        case 'pay':
          await tolerate(billing.recordPayment({ paymentId: `P${nowMs}`, tenantId: `T${action.tenant}`, amount: (action.cents / 100).toFixed(2), receivedAt: iso(nowMs) }, actor));
          break;
      }
    }
    nowMs = Date.parse(monthStart(month + 1));
    await billing.runBilling(monthStart(month + 1), actor);
  }
  // A last run after every term has ended settles everything that is left.
  nowMs = Date.UTC(2027, 6, 1);
  await billing.runBilling('2027-07-01T00:00:00Z', actor);
  return { ledger, setNow: (ms) => (nowMs = ms) };
}

describe('ledger invariants over random histories', () => {
  it('balances, settles every charge exactly, adds up movements, names each source by its event, and rebuilds byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(historyArbitrary, async (history) => {
        const { ledger } = await play(history);
        try {
          const model = ledger.runner.model;
          // Debits equal credits at month starts, as known now and as known at earlier instants.
          for (const knownAt of [undefined, monthStart(3), monthStart(7), monthStart(11)]) {
            for (const month of [0, 2, 4, 6, 8, 10, 12, 18]) {
              const trial = await ledger.reports.trialBalance({ asOf: monthStart(month), knownAt });
              expect(trial.totalDebit).toBe(trial.totalCredit);
            }
          }
          // Once a run has covered a charge, the lines invoiced for its key sum to the charge.
          for (const leaseId of model.leases.keys()) {
            const lease = model.leaseAt(leaseId, model.position)!;
            const months = new Set([...monthsBetween(lease.startsAtMs, lease.endsAtMs), ...(model.invoicedMonths.get(leaseId) ?? [])]);
            for (const month of months) {
              const charges = chargesFor(lease, month, model.meteredAt(leaseId, month, model.position), 2);
              for (const kind of chargeKindOrder) {
                const charge = charges.find((candidate) => candidate.kind === kind)?.amount ?? new Decimal(0);
                const invoiced = model.invoicedAt(leaseId, month, kind, model.position).amount;
                expect(`${leaseId} ${month} ${kind} ${invoiced.toFixed(2)}`).toBe(`${leaseId} ${month} ${kind} ${charge.toFixed(2)}`);
              }
            }
          }
          // Movements add up, month by month.
          for (let month = 0; month < 14; month += 1) {
            const report = await ledger.reports.mrrMovements({ month: monthStart(month).slice(0, 7) });
            const computed = new Decimal(report.startingMrr).plus(report.new).plus(report.reactivation).plus(report.expansion).minus(report.contraction).minus(report.churn);
            expect(computed.toFixed(2)).toBe(report.endingMrr);
          }
          // Lineage: every source of every document names the event at its position, by id and type
          // (the model keeps no reading ids: a reading's event id is the store's answer).
          const issued = await Promise.all([...model.documents.keys()].map((invoiceId) => ledger.reports.invoice(invoiceId)));
          const sources = issued.flatMap((document) => document.lines.flatMap((line) => line.sources));
          const logged = new Map((await ledger.store.readForFold(0, model.position + 1)).map((event) => [event.position, event] as const));
          for (const source of sources) {
            expect(`${source.position} ${source.eventId} ${source.type}`).toBe(`${source.position} ${logged.get(source.position)?.eventId} ${logged.get(source.position)?.type}`);
          }
          // A rebuild from the first event equals the live model.
          const verified = await ledger.verify();
          expect(verified.chain.ok).toBe(true);
          expect(verified.rebuild.ok).toBe(true);
        } finally {
          await ledger.close();
        }
      }),
      { numRuns: 12, endOnFailure: true },
    );
  }, 120_000);
});
