import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeriodAnswer, PeriodCloseAnswer, PeriodsAnswer, PriorPeriodAdjustment } from '@compute-ledger/contracts';
import { dirname, join } from 'node:path';
import { ConflictError } from '@compute-ledger/ledger';
import {
  workedExampleDecemberReadings,
  workedExampleKnownAt,
  workedExampleLateReading,
  workedExampleNovemberReadings,
  recordWorkedExampleContracts,
} from '../support/worked-example.js';
import { actor, openHarness, type Harness } from './harness.js';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { openLedgerAt } from '@compute-ledger/api';

/** DOMAIN.md, "Closing a period": the worked example with 2025-11 closed on 2025-12-02. */
describe('closing a period', () => {
  let harness: Harness;
  let seal: { position: number; hash: string };
  const closedOn = '2025-12-02T00:00:00Z';

  beforeAll(async () => {
    harness = await openHarness(workedExampleKnownAt.contracts);
    const { commands, billing, periods } = harness.ledger;
    await recordWorkedExampleContracts(commands, actor);
    harness.at(workedExampleKnownAt.novemberUsage);
    await commands.recordUsage({ records: workedExampleNovemberReadings() }, actor);
    await expect(periods.close('2025-11', actor)).rejects.toThrow(new ConflictError('2025-11 closes only after the billing run of 2025-12-01T00:00:00Z, which has not run yet'));
    harness.at(workedExampleKnownAt.firstBillingRun);
    await billing.runBilling('2025-12-01T00:00:00Z', actor);
    harness.at(closedOn);
    const head = await harness.ledger.store.headPosition();
    const closed = await periods.close('2025-11', actor);
    seal = closed.seal;
    expect(closed).toEqual({ month: '2025-11', closedAt: closedOn, seal: { position: head, hash: (await harness.ledger.store.readAll({ fromPosition: head, limit: 1 }))[0]!.hash } });
    harness.at(workedExampleKnownAt.lateReading);
    await commands.recordUsage({ records: [workedExampleLateReading] }, actor);
    harness.at('2025-12-31T23:00:00Z');
    await commands.recordUsage({ records: workedExampleDecemberReadings() }, actor);
    harness.at(workedExampleKnownAt.secondBillingRun);
    await billing.runBilling('2026-01-01T00:00:00Z', actor);
    harness.at('2026-02-01T00:00:00Z');
  });

  afterAll(async () => {
    await harness.close();
  });

  it('refuses a month closed twice, or out of order, with a 409 that says why', async () => {
    const { periods } = harness.ledger;
    await expect(periods.close('2025-11', actor)).rejects.toThrow(ConflictError);
    await expect(periods.close('2025-11', actor)).rejects.toThrow(`2025-11 is already closed (on ${closedOn}, sealed at position ${seal.position}); a closed month never opens again`);
    await expect(periods.close('2026-01', actor)).rejects.toThrow('months close in order: 2025-11 is the latest closed, so the next to close is 2025-12, not 2026-01');
    await expect(periods.close('2025-10', actor)).rejects.toThrow('the next to close is 2025-12, not 2025-10');
  });

  it('leaves November 2025 usage revenue at 88,200.00 as known at any time after the close', async () => {
    const atClose = await harness.ledger.reports.revenue({ month: '2025-11', knownAt: closedOn });
    expect([atClose.usage, atClose.total]).toEqual(['88200.00', '1040760.00']); // (529,200 - 504,000) x 3.50; 1,058,400.00 + 88,200.00 - 105,840.00
    for (const knownAt of [workedExampleKnownAt.lateReading, '2026-01-15T00:00:00Z', '2026-02-01T00:00:00Z']) {
      const later = await harness.ledger.reports.revenue({ month: '2025-11', knownAt });
      expect({ ...later, knownAt: closedOn }).toEqual(atClose);
    }
    // Known before the close, the month is open and its numbers are those of that day.
    expect((await harness.ledger.reports.revenue({ month: '2025-11', knownAt: '2025-12-01T12:00:00Z' })).usage).toBe('88200.00');
  });

  it('books the late reading in December 2025 as a prior-period usage adjustment of 2,100.00 for 2025-11', async () => {
    const december = await harness.ledger.reports.revenue({ month: '2025-12' });
    // 25,800 x 3.50 = 90,300.00 recognized by now, 88,200.00 in November's closed books
    expect(december.priorPeriodAdjustments).toEqual([{ month: '2025-11', kind: 'usage', amount: '2100.00' }]);
    // December used exactly its 744,000 committed hours: its usage is the adjustment alone
    expect([december.commitment, december.usage, december.total]).toEqual(['1562400.00', '2100.00', '1564500.00']);
    expect(december.leases).toEqual([{ leaseId: 'L-1001', tenantId: 'frontier-lab', commitment: '1562400.00', usage: '2100.00', terminationFees: '0.00', slaCredits: '0.00' }]);
    // Known before the late reading, December has nothing to adjust.
    expect((await harness.ledger.reports.revenue({ month: '2025-12', knownAt: closedOn })).priorPeriodAdjustments).toEqual([]);
  });

  it('keeps the trial balance at 2025-12-15 as DOMAIN.md gives it, balanced', async () => {
    const balance = await harness.ledger.reports.trialBalance({ asOf: '2025-12-15T00:00:00Z', knownAt: '2025-12-15T00:00:00Z' });
    const rows = Object.fromEntries(balance.accounts.map((row) => [row.account, [row.debit, row.credit]]));
    expect(rows['1100']).toEqual(['2603160.00', '0.00']);
    expect(rows['1200']).toEqual(['0.00', '1560300.00']); // December in advance, less the 2,100.00 of November usage not yet invoiced
    expect(rows['4000']).toEqual(['0.00', '1058400.00']);
    expect(rows['4010']).toEqual(['0.00', '90300.00']); // 88,200.00 in November's books + 2,100.00 adjustment in December's
    expect(rows['4090']).toEqual(['105840.00', '0.00']);
    expect([balance.totalDebit, balance.totalCredit]).toEqual(['2709000.00', '2709000.00']);
  });

  it('keeps the trial balance and contract balances at November\'s end as known at the close', async () => {
    const query = { asOf: '2025-12-01T00:00:00Z' };
    const tbAtClose = await harness.ledger.reports.trialBalance({ ...query, knownAt: closedOn });
    const tbLater = await harness.ledger.reports.trialBalance({ ...query, knownAt: '2026-02-01T00:00:00Z' });
    expect({ ...tbLater, knownAt: closedOn }).toEqual(tbAtClose);
    expect(tbAtClose.accounts.find((row) => row.account === '4010')!.credit).toBe('88200.00');
    const balancesAtClose = await harness.ledger.reports.contractBalances({ ...query, knownAt: closedOn });
    const balancesLater = await harness.ledger.reports.contractBalances({ ...query, knownAt: '2026-02-01T00:00:00Z' });
    expect({ ...balancesLater, knownAt: closedOn }).toEqual(balancesAtClose);
  });

  it('exports November\'s journal unchanged, and the adjustment in December marked as prior-period', async () => {
    const november = { from: '2025-11-01T00:00:00Z', to: '2025-12-01T00:00:00Z' };
    const atClose = await harness.ledger.reports.journal({ ...november, knownAt: closedOn });
    const later = await harness.ledger.reports.journal({ ...november, knownAt: '2026-02-01T00:00:00Z' });
    expect(later.entries).toEqual(atClose.entries);
    const december = await harness.ledger.reports.journal({ from: '2025-12-01T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    const adjustment = december.entries.filter((entry) => 'priorPeriod' in entry);
    expect(adjustment).toEqual([
      {
        entryId: 'L-1001:2025-11:overage:booked-2025-12',
        effectiveAt: '2025-12-01T00:00:00Z',
        description: 'Prior-period adjustment of recognized overage 2025-11 of lease L-1001, booked in 2025-12',
        priorPeriod: true,
        priorPeriodMonth: '2025-11',
        postings: [
          { account: '1200', leaseId: 'L-1001', debit: '2100.00', credit: '0.00' },
          { account: '4010', debit: '0.00', credit: '2100.00' },
        ],
      },
    ]);
  });

  it('leaves billing unchanged: the next run settles the late reading as an adjustment line', async () => {
    const invoice = await harness.ledger.reports.invoice('INV-000002');
    expect(invoice.lines.map((line) => [line.serviceMonth, line.kind, line.amount, line.adjustment])).toEqual([
      ['2025-11', 'overage', '2100.00', true], // 25,800 x 3.50 = 90,300.00 - 88,200.00 invoiced
      ['2026-01', 'commitment', '1562400.00', false],
    ]);
  });

  it('shows the close with its seal and the adjustment booked after it; the next month closes after its run', async () => {
    const period = await harness.ledger.reports.period('2025-11');
    expect(period).toMatchObject({ month: '2025-11', closedAt: closedOn, closedBy: 'test', seal, adjustments: [{ month: '2025-11', kind: 'usage', amount: '2100.00', bookedIn: '2025-12' }] });
    const closedDecember = await harness.ledger.periods.close('2025-12', actor);
    expect(closedDecember.month).toBe('2025-12');
    const periods = await harness.ledger.reports.periods();
    expect(periods.periods.map((each) => each.month)).toEqual(['2025-11', '2025-12']);
    // The answers have the shapes libs/contracts gives them.
    expect(() => PeriodCloseAnswer.parse(closedDecember)).not.toThrow();
    expect(() => PeriodAnswer.parse(period)).not.toThrow();
    expect(() => PeriodsAnswer.parse(periods)).not.toThrow();
    for (const adjustment of (await harness.ledger.reports.revenue({ month: '2025-12' })).priorPeriodAdjustments) expect(() => PriorPeriodAdjustment.parse(adjustment)).not.toThrow();
    const december = await harness.ledger.reports.revenue({ month: '2025-12' });
    expect([december.usage, december.total, december.priorPeriodAdjustments]).toEqual(['2100.00', '1564500.00', [{ month: '2025-11', kind: 'usage', amount: '2100.00' }]]);
    await expect(harness.ledger.reports.period('2026-01')).rejects.toThrow('period 2026-01 is not closed');
  });

  it('agrees three ways for November: metered usage, invoiced lines and the journal, adjustment included', async () => {
    const reconciliation = await harness.ledger.reports.reconciliation({ month: '2025-11' });
    expect(reconciliation.leases[0]).toMatchObject({
      meteredGpuHours: '529800',
      overageGpuHours: '25800', // 529,800 - 504,000
      invoicedOverageGpuHours: '25800', // 25,200 on INV-000001 + 600 on INV-000002
      charges: '1042860.00', // 1,058,400.00 + 90,300.00 - 105,840.00
      journalRecognized: '1042860.00', // November's closed books 1,040,760.00 + the 2,100.00 booked in December
      threeWay: { usageInvoiced: true, invoicedInJournal: true, ok: true },
    });
    expect(reconciliation.threeWayOk).toBe(true);
    // Known before the second run, the late reading is metered but not yet invoiced.
    const before = await harness.ledger.reports.reconciliation({ month: '2025-11', knownAt: '2025-12-15T00:00:00Z' });
    expect(before.leases[0]).toMatchObject({ overageGpuHours: '25800', invoicedOverageGpuHours: '25200', notYetInvoiced: '2100.00', threeWay: { usageInvoiced: false, invoicedInJournal: true, ok: false } });
    expect(before.threeWayOk).toBe(false);
  });

  it('rebuilds from the log to the same model, closes included, and restores them from a checkpoint', async () => {
    const verified = await harness.ledger.verify();
    expect(verified.chain.ok).toBe(true);
    expect(verified.rebuild.ok).toBe(true);
    await harness.ledger.checkpoint();
    const directory = dirname(harness.ledger.opening.checkpointPath!);
    const reopened = await openLedgerAt(`sqlite:${join(directory, 'ledger.db')}`, { dataDir: directory, clock: () => new Date('2026-02-01T00:00:00Z') });
    try {
      expect(reopened.restoredFrom).not.toBeNull();
      expect((await reopened.reports.periods()).periods).toEqual((await harness.ledger.reports.periods()).periods);
      expect((await reopened.reports.revenue({ month: '2025-11' })).usage).toBe('88200.00');
      expect((await reopened.reports.revenue({ month: '2025-12' })).priorPeriodAdjustments).toEqual([{ month: '2025-11', kind: 'usage', amount: '2100.00' }]);
      await expect(reopened.periods.close('2025-12', actor)).rejects.toThrow('2025-12 is already closed');
    } finally {
      await reopened.close();
    }
  });
});
