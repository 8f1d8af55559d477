import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillUsageEventIds, keptLine, planBillingRun } from '@compute-ledger/ledger';
import {
  workedExampleDecemberReadings,
  workedExampleKnownAt,
  workedExampleLateReading,
  workedExampleNovemberReadings,
  recordWorkedExampleContracts,
} from '../support/worked-example.js';
import { actor, openHarness, type Harness } from './harness.js';

/** DOMAIN.md's worked example, every number of it, through the ledger's services. */
describe('the worked example of DOMAIN.md', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await openHarness(workedExampleKnownAt.contracts);
    const { commands, billing } = harness.ledger;
    await recordWorkedExampleContracts(commands, actor);
    harness.at(workedExampleKnownAt.novemberUsage);
    await commands.recordUsage({ records: workedExampleNovemberReadings() }, actor);
    harness.at(workedExampleKnownAt.firstBillingRun);
    await billing.runBilling('2025-12-01T00:00:00Z', actor);
    harness.at(workedExampleKnownAt.lateReading);
    await commands.recordUsage({ records: [workedExampleLateReading] }, actor);
    harness.at('2025-12-31T23:00:00Z');
    await commands.recordUsage({ records: workedExampleDecemberReadings() }, actor);
    harness.at(workedExampleKnownAt.secondBillingRun);
    await billing.runBilling('2026-01-01T00:00:00Z', actor);
    harness.at('2026-11-26T00:00:00Z');
  });

  afterAll(async () => {
    await harness.close();
  });

  it('issues INV-000001 on 2025-12-01', async () => {
    const invoice = await harness.ledger.reports.invoice('INV-000001');
    expect(invoice.lines.map((line) => [line.serviceMonth, line.kind, line.quantity, line.unitPrice, line.amount, line.adjustment])).toEqual([
      ['2025-11', 'commitment', '504000', '2.1', '1058400.00', false], // 504 h x 1,000 x 2.10
      ['2025-11', 'overage', '25200', '3.5', '88200.00', false], // (529,200 - 504,000) x 3.50
      ['2025-11', 'sla_credit', '1', '-105840.00', '-105840.00', false], // 1,200 outage GPU-h -> 99.7619 % -> 10 % of 1,058,400.00
      ['2025-12', 'commitment', '744000', '2.1', '1562400.00', false], // 744 h x 1,000 x 2.10, in advance
    ]);
    expect(invoice.total).toBe('2603160.00');
    expect([invoice.invoiceId, invoice.kind, invoice.issuedAt, invoice.dueAt, invoice.currency]).toEqual(['INV-000001', 'invoice', '2025-12-01T00:00:00Z', '2025-12-31T00:00:00Z', 'USD']);
  });

  it('lists each line\'s sources, walking back to the facts', async () => {
    const invoice = await harness.ledger.reports.invoice('INV-000001');
    const types = (kind: string): string[] => invoice.lines.find((line) => line.kind === kind)!.sources.map((source) => source.type);
    expect(types('commitment')).toEqual(['LeaseSigned']);
    expect(types('sla_credit')).toEqual(['LeaseSigned', 'OutageRecorded']);
    const overage = invoice.lines.find((line) => line.kind === 'overage')!;
    expect(overage.sources.filter((source) => source.type === 'UsageRecorded')).toHaveLength(100);
    expect(overage.omittedSources).toBe(404); // 504 readings, the latest 100 listed
  });

  it('settles the late reading as an adjustment on 2026-01-01', async () => {
    const invoice = await harness.ledger.reports.invoice('INV-000002');
    expect(invoice.lines.map((line) => [line.serviceMonth, line.kind, line.quantity, line.amount, line.adjustment])).toEqual([
      ['2025-11', 'overage', '600', '2100.00', true], // 25,800 x 3.50 = 90,300.00 - 88,200.00 invoiced
      ['2026-01', 'commitment', '744000', '1562400.00', false], // 744 h x 1,000 x 2.10; December used exactly its 744,000 hours
    ]);
    expect(invoice.total).toBe('1564500.00');
  });

  it('reports MRR, ARR and the ramp as an expansion', async () => {
    const mrr = await harness.ledger.reports.mrr({ asOf: '2025-12-15T00:00:00Z' });
    expect([mrr.mrr, mrr.arr]).toEqual(['1533000.00', '18396000.00']); // 1,000 x 2.10 x 8760 / 12
    const february = await harness.ledger.reports.mrrMovements({ month: '2026-02' });
    // 2,000 x 2.00 x 8760 / 12 = 2,920,000.00 - 1,533,000.00
    expect([february.startingMrr, february.expansion, february.endingMrr]).toEqual(['1533000.00', '1387000.00', '2920000.00']);
    const january = await harness.ledger.reports.mrrMovements({ month: '2026-01' });
    expect([january.expansion, january.tenants[0]!.movement]).toEqual(['0.00', 'none']);
    const november = await harness.ledger.reports.mrrMovements({ month: '2025-11' });
    expect([november.new, november.tenants[0]!.movement]).toEqual(['1533000.00', 'new']);
  });

  it('reports November revenue as known today and as known on 2025-12-02', async () => {
    const today = await harness.ledger.reports.revenue({ month: '2025-11' });
    expect([today.commitment, today.usage, today.slaCredits, today.total]).toEqual(['1058400.00', '90300.00', '-105840.00', '1042860.00']);
    const then = await harness.ledger.reports.revenue({ month: '2025-11', knownAt: '2025-12-02T00:00:00Z' });
    expect([then.usage, then.total]).toEqual(['88200.00', '1040760.00']);
  });

  it('balances the trial balance at 2025-12-15', async () => {
    const trial = await harness.ledger.reports.trialBalance({ asOf: '2025-12-15T00:00:00Z' });
    const account = (code: string) => trial.accounts.find((row) => row.account === code)!;
    expect([account('1100').debit, account('1200').credit, account('4000').credit, account('4010').credit, account('4090').debit]).toEqual([
      '2603160.00', // INV-000001
      '1560300.00', // 2,603,160.00 invoiced - 1,058,400.00 - 90,300.00 recognized + 105,840.00 credit
      '1058400.00',
      '90300.00',
      '105840.00',
    ]);
    expect([trial.totalDebit, trial.totalCredit]).toEqual(['2709000.00', '2709000.00']);
    const balances = await harness.ledger.reports.contractBalances({ asOf: '2025-12-15T00:00:00Z' });
    expect([balances.deferredRevenue, balances.unbilledReceivables]).toEqual(['1560300.00', '0.00']);
  });

  it('reports the backlog at 2025-12-15', async () => {
    const backlog = await harness.ledger.reports.backlog({ asOf: '2025-12-15T00:00:00Z' });
    // 1,000 x 1,152 h x 2.10 (to 2026-02-01) + 2,000 x 6,768 h x 2.00 (to 2026-11-10) = 2,419,200.00 + 27,072,000.00
    expect(backlog.total).toBe('29491200.00');
  });

  it('reproduces an issued invoice from its cut-off', async () => {
    const { model } = harness.ledger.runner;
    const run = model.runs[0]!.data;
    const [planned] = planBillingRun(model, { billingDate: run.billingDate, cutoff: run.cutoffPosition, currency: 'USD', minorDigits: 2 });
    // The model keeps no reading ids: a reading's event is named by the store, as a run does before it records the document.
    await fillUsageEventIds(harness.ledger.store, planned!.lines.flatMap((line) => line.sources));
    // The document as recorded, line sources included (the model keeps its lines without them).
    const issued = await harness.ledger.reports.invoice('INV-000001');
    expect(planned!.lines).toEqual(issued.lines);
    expect(model.documents.get('INV-000001')!.data.lines).toEqual(planned!.lines.map(keptLine));
  });

  it('reconciles November and verifies the chain and the rebuild', async () => {
    const reconciliation = await harness.ledger.reports.reconciliation({ month: '2025-11' });
    expect(reconciliation.leases[0]).toMatchObject({ committedGpuHours: '504000', allocatedGpuHours: '604800', meteredGpuHours: '529800', charges: '1042860.00', invoiced: '1042860.00', notYetInvoiced: '0.00', ok: true });
    const verified = await harness.ledger.verify();
    expect(verified.chain.ok).toBe(true);
    expect(verified.rebuild.ok).toBe(true);
  });
});
