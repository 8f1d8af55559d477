import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, DomainError, openLedger, type Ledger } from '@compute-ledger/ledger';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import type { ChargeKind } from '@compute-ledger/contracts';

/**
 * Credit grants over random histories: several grants per tenant with overlapping priorities
 * and expiries, restricted kinds and leases, grants that expire between runs, and documents
 * that would go negative (SLA credits, amendments down). Every run is previewed first.
 */

const actor = { actor: 'property' };
const dayMs = 86_400_000;
const hourMs = 3_600_000;
const yearStartMs = Date.UTC(2026, 0, 1);
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const monthStart = (index: number): string => iso(Date.UTC(2026, index, 1));
const chargeKinds: ChargeKind[] = ['commitment', 'overage', 'sla_credit', 'termination_fee'];
const months = 8;

const leaseArbitrary = fc.record({
  startDay: fc.integer({ min: 0, max: 60 }),
  lengthDays: fc.integer({ min: 20, max: 200 }),
  gpuCount: fc.integer({ min: 1, max: 40 }),
  rateCents: fc.integer({ min: 1, max: 400 }),
  overageCents: fc.integer({ min: 0, max: 900 }),
  arrears: fc.boolean(),
  tenant: fc.integer({ min: 0, max: 1 }),
});

const grantArbitrary = fc.record({
  tenant: fc.integer({ min: 0, max: 1 }),
  prepaid: fc.boolean(),
  cents: fc.integer({ min: 1, max: 20_000_000 }),
  effectiveDay: fc.integer({ min: -10, max: 120 }),
  lengthDays: fc.option(fc.integer({ min: 1, max: 150 }), { nil: undefined }),
  priority: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  appliesTo: fc.option(fc.subarray(chargeKinds, { minLength: 1 }), { nil: undefined }),
  lease: fc.option(fc.nat(), { nil: undefined }),
  recordedMonth: fc.integer({ min: 0, max: 3 }),
});

const actionArbitrary = fc.oneof(
  fc.record({ kind: fc.constant('usage' as const), lease: fc.nat(), day: fc.nat(), hours: fc.integer({ min: 1, max: 24 }), tenthsPerGpu: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ kind: fc.constant('outage' as const), lease: fc.nat(), day: fc.nat(), hours: fc.integer({ min: 1, max: 300 }), gpus: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('amend' as const), lease: fc.nat(), day: fc.nat(), gpuCount: fc.integer({ min: 0, max: 40 }), rateCents: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ kind: fc.constant('pay' as const), tenant: fc.integer({ min: 0, max: 1 }), cents: fc.integer({ min: 1, max: 10_000_000 }) }),
);

const historyArbitrary = fc.record({
  leases: fc.array(leaseArbitrary, { minLength: 1, maxLength: 3 }),
  grants: fc.array(grantArbitrary, { minLength: 1, maxLength: 6 }),
  months: fc.array(fc.array(actionArbitrary, { maxLength: 5 }), { minLength: months, maxLength: months }),
});
type History = typeof historyArbitrary extends fc.Arbitrary<infer T> ? T : never;

async function tolerate(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
  }
}

interface Played {
  ledger: Ledger;
  /** Each run's preview, taken just before it, and the documents the run issued. */
  runs: { previewed: unknown[]; issued: unknown[] }[];
}

async function play(history: History): Promise<Played> {
  let nowMs = yearStartMs - 30 * dayMs;
  const clock = (): Date => new Date(nowMs);
  const ledger = await openLedger({ store: openSqliteEventStore({ path: ':memory:', clock }), clock });
  const { commands, billing } = ledger;
  await commands.commissionSite({ siteId: 'S', name: 'Site', gpuSku: 'H100', gpuCount: 1_000 }, actor);
  for (const tenant of [0, 1]) await commands.registerTenant({ tenantId: `T${tenant}`, name: `Tenant ${tenant}`, currency: 'USD', paymentTermsDays: 30 }, actor);
  const leaseIds: string[] = [];
  const dayInTerm = (index: number, day: number): number => {
    const lease = history.leases[index]!;
    return yearStartMs + (lease.startDay + (day % lease.lengthDays)) * dayMs;
  };
  for (const [index, lease] of history.leases.entries()) {
    const startsMs = yearStartMs + lease.startDay * dayMs;
    const leaseId = `L${index}`;
    await commands.signLease(
      {
        leaseId, tenantId: `T${lease.tenant}`, siteId: 'S', gpuSku: 'H100', signedAt: iso(startsMs - dayMs), startsAt: iso(startsMs), endsAt: iso(startsMs + lease.lengthDays * dayMs),
        commitment: [{ effectiveFrom: iso(startsMs), gpuCount: lease.gpuCount, ratePerGpuHour: (lease.rateCents / 100).toFixed(2) }],
        overageRatePerGpuHour: (lease.overageCents / 100).toFixed(2), commitmentBilling: lease.arrears ? 'arrears' : 'advance',
        sla: [{ availabilityBelowPct: '99.5', creditPct: '50' }, { availabilityBelowPct: '90', creditPct: '100' }],
      },
      actor,
    );
    await commands.allocateCapacity({ allocationId: `A${index}`, leaseId, siteId: 'S', gpuCount: 60, startsAt: iso(startsMs) }, actor);
    leaseIds.push(leaseId);
  }
  const runs: Played['runs'] = [];
  let readings = 0;
  for (const [month, actions] of history.months.entries()) {
    nowMs = Date.parse(monthStart(month)) + dayMs;
    for (const [index, grant] of history.grants.entries()) {
      if (grant.recordedMonth !== month) continue;
      nowMs += hourMs;
      const effectiveMs = yearStartMs + grant.effectiveDay * dayMs;
      const leaseId = grant.lease === undefined ? undefined : leaseIds[grant.lease % leaseIds.length]!;
      await tolerate(
        billing.recordCreditGrant(
          {
            grantId: `G${index}`, tenantId: `T${grant.tenant}`, kind: grant.prepaid ? 'prepaid' : 'promotional', amount: (grant.cents / 100).toFixed(2), effectiveAt: iso(effectiveMs),
            ...(grant.lengthDays === undefined ? {} : { expiresAt: iso(effectiveMs + grant.lengthDays * dayMs) }),
            ...(grant.priority === undefined ? {} : { priority: grant.priority }),
            ...(grant.appliesTo === undefined ? {} : { appliesTo: grant.appliesTo }),
            ...(leaseId === undefined ? {} : { leaseIds: [leaseId] }),
          },
          actor,
        ),
      );
    }
    for (const action of actions) {
      nowMs += hourMs;
      const leaseIndex = 'lease' in action ? action.lease % leaseIds.length : 0;
      const leaseId = leaseIds[leaseIndex]!;
      switch (action.kind) {
        case 'usage': {
          const startMs = dayInTerm(leaseIndex, action.day);
          const gpuHours = new Decimal(action.hours).times(action.tenthsPerGpu).times(6).toFixed();
          await tolerate(commands.recordUsage({ records: [{ readingId: `R${(readings += 1)}`, leaseId, periodStart: iso(startMs), periodEnd: iso(startMs + action.hours * hourMs), gpuHours }] }, actor));
          break;
        }
        case 'outage': {
          const startMs = dayInTerm(leaseIndex, action.day);
          await tolerate(commands.recordOutage({ outageId: `O${nowMs}`, leaseId, startsAt: iso(startMs), endsAt: iso(startMs + action.hours * hourMs), affectedGpus: action.gpus }, actor));
          break;
        }
        case 'amend': {
          const effectiveAt = iso(dayInTerm(leaseIndex, action.day));
          await tolerate(commands.amendLease(leaseId, { amendmentId: `M${nowMs}`, effectiveAt, commitment: [{ effectiveFrom: effectiveAt, gpuCount: action.gpuCount, ratePerGpuHour: (action.rateCents / 100).toFixed(2) }] }, actor));
          break;
        }
        case 'pay':
          await tolerate(billing.recordPayment({ paymentId: `P${nowMs}`, tenantId: `T${action.tenant}`, amount: (action.cents / 100).toFixed(2), receivedAt: iso(nowMs) }, actor));
          break;
      }
    }
    nowMs = Date.parse(monthStart(month + 1));
    const previewed = (await billing.previewBilling(monthStart(month + 1))).documents;
    const { result } = await billing.runBilling(monthStart(month + 1), actor);
    const issued = await Promise.all(result.documents.map(async (document) => ledger.reports.invoice(document.invoiceId)));
    runs.push({ previewed, issued });
  }
  return { ledger, runs };
}

describe('credit grants over random histories', () => {
  it('draw exactly, never take a document below zero, balance the journal, and preview what the run issues', async () => {
    await fc.assert(
      fc.asyncProperty(historyArbitrary, async (history) => {
        const { ledger, runs } = await play(history);
        try {
          // Preview equals the run: the same documents, lines and totals, only unnumbered.
          for (const { previewed, issued } of runs) {
            const shown = (documents: unknown[]) =>
              (documents as { kind: string; tenantId: string; dueAt: string | null; lines: unknown[]; total: string }[]).map((document) => [document.kind, document.tenantId, document.lines, document.total]);
            expect(shown(previewed)).toEqual(shown(issued));
          }
          const model = ledger.runner.model;
          for (const record of model.documents.values()) {
            const credits = record.data.lines.filter((line) => line.kind === 'credit');
            if (credits.length === 0) continue;
            // No document goes negative because of a credit: with credits drawn, its total is at least zero.
            expect(new Decimal(record.data.total).isNegative(), record.data.invoiceId).toBe(false);
            for (const line of credits) {
              const taken = line.drawnFrom!.reduce((sum, part) => sum.plus(part.amount), new Decimal(0));
              expect(taken.negated().toFixed(2)).toBe(line.amount);
            }
          }
          // drawn + expired + remaining = amount, each at least zero, at every month start.
          for (let month = 0; month <= months + 6; month += 1) {
            const report = await ledger.reports.credits({ asOf: monthStart(month) });
            for (const grant of report.grants) {
              const parts = [grant.drawn, grant.expired, grant.remaining].map((value) => new Decimal(value));
              for (const part of parts) expect(part.isNegative(), grant.grantId).toBe(false);
              expect(parts[0]!.plus(parts[1]!).plus(parts[2]!).toFixed(2), grant.grantId).toBe(grant.amount);
            }
            const trial = await ledger.reports.trialBalance({ asOf: monthStart(month) });
            expect(trial.totalDebit).toBe(trial.totalCredit);
          }
          const verified = await ledger.verify();
          expect(verified.rebuild.ok).toBe(true);
        } finally {
          await ledger.close();
        }
      }),
      { numRuns: 25, endOnFailure: true },
    );
  }, 180_000);
});
