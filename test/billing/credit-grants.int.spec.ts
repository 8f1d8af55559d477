import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  recordWorkedExampleContracts,
  workedExampleDecemberReadings,
  workedExampleJanuaryReadings,
  workedExampleKnownAt,
  workedExampleLateReading,
  workedExampleNovemberReadings,
  workedExamplePrepaidGrant,
  workedExamplePromotionalGrant,
} from '../support/worked-example.js';
import { actor, openHarness, type Harness } from './harness.js';

/** The credit example of DOMAIN.md ("Credit grants"), every number of it, through the ledger's services. */
describe('the credit grants example of DOMAIN.md', () => {
  let harness: Harness;
  let previewOfFebruary: unknown;

  beforeAll(async () => {
    harness = await openHarness(workedExampleKnownAt.contracts);
    const { commands, billing } = harness.ledger;
    await recordWorkedExampleContracts(commands, actor);
    harness.at(workedExampleKnownAt.novemberUsage);
    await commands.recordUsage({ records: workedExampleNovemberReadings() }, actor);
    await billing.runBilling('2025-12-01T00:00:00Z', actor);
    harness.at(workedExampleKnownAt.lateReading);
    await commands.recordUsage({ records: [workedExampleLateReading] }, actor);
    harness.at('2025-12-31T23:00:00Z');
    await commands.recordUsage({ records: workedExampleDecemberReadings() }, actor);
    harness.at(workedExampleKnownAt.secondBillingRun);
    await billing.runBilling('2026-01-01T00:00:00Z', actor);
    harness.at('2026-01-15T09:00:00Z');
    await billing.recordCreditGrant(workedExamplePrepaidGrant, actor);
    await billing.recordCreditGrant(workedExamplePromotionalGrant, actor);
    harness.at('2026-01-31T23:30:00Z');
    await commands.recordUsage({ records: workedExampleJanuaryReadings() }, actor);
    harness.at('2026-02-01T00:00:00Z');
    previewOfFebruary = await billing.previewBilling('2026-02-01T00:00:00Z');
    await billing.runBilling('2026-02-01T00:00:00Z', actor);
    harness.at('2026-03-01T00:00:00Z');
    await billing.runBilling('2026-03-01T00:00:00Z', actor);
    harness.at('2026-03-15T00:00:00Z');
  });

  afterAll(async () => {
    await harness.close();
  });

  it('issues the prepaid grant\'s invoice at once: INV-000003, one prepayment line', async () => {
    const invoice = await harness.ledger.reports.invoice('INV-000003');
    expect([invoice.billingDate, invoice.issuedAt, invoice.dueAt]).toEqual(['2026-01-15T00:00:00Z', '2026-01-15T09:00:00Z', '2026-02-14T00:00:00Z']); // due 2026-01-15 + 30 days
    expect(invoice.lines.map((line) => [line.leaseId, line.serviceMonth, line.kind, line.amount, line.grantId])).toEqual([[null, '2026-01', 'prepayment', '3000000.00', 'G-1']]);
    expect(invoice.total).toBe('3000000.00');
  });

  it('draws P-1 then G-1 on INV-000004, down to 0.00 and not below', async () => {
    const invoice = await harness.ledger.reports.invoice('INV-000004');
    expect(invoice.lines.map((line) => [line.leaseId, line.serviceMonth, line.kind, line.amount, line.grantId ?? null])).toEqual([
      ['L-1001', '2026-01', 'overage', '196000.00', null], // (800,000 - 744,000) x 3.50
      ['L-1001', '2026-02', 'commitment', '2688000.00', null], // 2,000 x 672 h x 2.00
      [null, '2026-02', 'credit', '-50000.00', 'P-1'], // P-1 (priority 1, overage only) draws min(50,000, 196,000, 2,884,000)
      [null, '2026-02', 'credit', '-2834000.00', 'G-1'], // G-1: eligible 146,000 + 2,688,000 = 2,834,000 = cap 2,884,000 - 50,000
    ]);
    expect(invoice.total).toBe('0.00');
    const [promotional, prepaid] = invoice.lines.slice(2);
    expect(promotional!.drawnFrom).toEqual([{ leaseId: 'L-1001', serviceMonth: '2026-01', kind: 'overage', amount: '50000.00' }]);
    expect(prepaid!.drawnFrom).toEqual([
      { leaseId: 'L-1001', serviceMonth: '2026-01', kind: 'overage', amount: '146000.00' }, // 196,000 - 50,000 left by P-1
      { leaseId: 'L-1001', serviceMonth: '2026-02', kind: 'commitment', amount: '2688000.00' },
    ]);
    expect(prepaid!.sources[0]).toMatchObject({ eventId: 'credit-grant:G-1', type: 'CreditGranted' });
  });

  it('bills March without G-1, expired on 2026-03-01: INV-000005', async () => {
    const invoice = await harness.ledger.reports.invoice('INV-000005');
    expect(invoice.lines.map((line) => [line.serviceMonth, line.kind, line.amount])).toEqual([['2026-03', 'commitment', '2976000.00']]); // 2,000 x 744 h x 2.00
    expect(invoice.total).toBe('2976000.00');
  });

  it('shows the preview of a run equal to what the run then issued', async () => {
    const issued = await harness.ledger.reports.invoice('INV-000004');
    const preview = previewOfFebruary as { documents: { number: null; lines: unknown[]; total: string }[] };
    expect(preview.documents).toHaveLength(1);
    expect(preview.documents[0]!.number).toBeNull();
    expect(preview.documents[0]!.lines).toEqual(issued.lines);
    expect(preview.documents[0]!.total).toBe(issued.total);
  });

  it('reports G-1 expired 166,000.00 and P-1 used up', async () => {
    const report = await harness.ledger.reports.credits({ asOf: '2026-03-15T00:00:00Z' });
    expect(report.grants).toEqual([
      { grantId: 'G-1', tenantId: 'frontier-lab', kind: 'prepaid', amount: '3000000.00', drawn: '2834000.00', expired: '166000.00', remaining: '0.00', expiresAt: '2026-03-01T00:00:00Z' }, // 3,000,000 - 2,834,000
      { grantId: 'P-1', tenantId: 'frontier-lab', kind: 'promotional', amount: '50000.00', drawn: '50000.00', expired: '0.00', remaining: '0.00', expiresAt: '2026-12-31T00:00:00Z' },
    ]);
    const before = await harness.ledger.reports.credits({ asOf: '2026-01-20T00:00:00Z' });
    expect(before.grants.map((grant) => [grant.grantId, grant.drawn, grant.remaining])).toEqual([
      ['G-1', '0.00', '3000000.00'],
      ['P-1', '0.00', '50000.00'],
    ]);
    const grant = await harness.ledger.reports.creditGrant('G-1', { asOf: '2026-03-15T00:00:00Z' });
    expect(grant.draws).toEqual([{ invoiceId: 'INV-000004', billingDate: '2026-02-01T00:00:00Z', amount: '2834000.00' }]);
  });

  it('books the promotional credit in February\'s revenue and the breakage in March\'s', async () => {
    const february = await harness.ledger.reports.revenue({ month: '2026-02' });
    expect([february.commitment, february.promotionalCredits, february.expiredCredits]).toEqual(['2688000.00', '-50000.00', '0.00']);
    expect(february.total).toBe('2638000.00'); // 2,688,000 - 50,000
    const march = await harness.ledger.reports.revenue({ month: '2026-03' });
    expect([march.commitment, march.expiredCredits]).toEqual(['2976000.00', '166000.00']);
    expect(march.total).toBe('3142000.00'); // 2,976,000 + 166,000
    const january = await harness.ledger.reports.revenue({ month: '2026-01' });
    expect(january.usage).toBe('196000.00'); // overage is January's revenue; the grant pays it, it does not change it
  });

  it('keeps the trial balance balanced at every instant, with 2300, 4030 and 4096', async () => {
    const instants = ['2026-01-14T00:00:00Z', '2026-01-15T00:00:00Z', '2026-01-20T00:00:00Z', '2026-02-01T00:00:00Z', '2026-02-15T00:00:00Z', '2026-03-01T00:00:00Z', '2026-03-15T00:00:00Z'];
    for (const asOf of instants) {
      const balance = await harness.ledger.reports.trialBalance({ asOf });
      expect(balance.totalDebit, asOf).toBe(balance.totalCredit);
    }
    const account = async (asOf: string, code: string) => (await harness.ledger.reports.trialBalance({ asOf })).accounts.find((row) => row.account === code)!;
    // 2026-01-20: the prepayment invoiced, nothing drawn: 2300 credit 3,000,000.00.
    expect((await account('2026-01-20T00:00:00Z', '2300')).credit).toBe('3000000.00');
    // 2026-02-15: G-1 drew 2,834,000.00: 2300 credit 166,000.00; P-1 drew 50,000.00: 4096 debit 50,000.00.
    expect((await account('2026-02-15T00:00:00Z', '2300')).credit).toBe('166000.00');
    expect((await account('2026-02-15T00:00:00Z', '4096')).debit).toBe('50000.00');
    // 2026-03-01: the 166,000.00 left expired: 2300 at zero, 4030 credit 166,000.00.
    expect((await account('2026-03-01T00:00:00Z', '2300')).credit).toBe('0.00');
    expect((await account('2026-03-01T00:00:00Z', '4030')).credit).toBe('166000.00');
    const balances = await harness.ledger.reports.contractBalances({ asOf: '2026-01-20T00:00:00Z' });
    expect(balances.customerCredits).toBe('3000000.00');
  });

  it('leaves MRR, backlog and line differences as they were: a grant pays charges, it does not change them', async () => {
    const mrr = await harness.ledger.reports.mrr({ asOf: '2026-02-15T00:00:00Z' });
    expect(mrr.mrr).toBe('2920000.00'); // 2,000 x 2.00 x 8760 / 12
    const reconciliation = await harness.ledger.reports.reconciliation({ month: '2026-01' });
    expect(reconciliation.leases[0]!.invoiced).toBe('1758400.00'); // 1,562,400.00 in advance + 196,000.00 overage, credits not counted
    expect(reconciliation.ok).toBe(true);
  });

  it('answers a repeat of a grant as recorded and refuses the same id with other content', async () => {
    const again = await harness.ledger.billing.recordCreditGrant(workedExamplePrepaidGrant, actor);
    expect(again.outcome).toBe('unchanged');
    await expect(harness.ledger.billing.recordCreditGrant({ ...workedExamplePrepaidGrant, amount: '3000001.00' }, actor)).rejects.toThrow(/other content/);
  });

  it('refuses bad grants with a clear error and records nothing', async () => {
    const { billing, runner } = harness.ledger;
    const position = runner.model.position;
    const base = { ...workedExamplePromotionalGrant, grantId: 'P-bad' };
    await expect(billing.recordCreditGrant({ ...base, tenantId: 'nobody' }, actor)).rejects.toMatchObject({ family: 'not_found' });
    await expect(billing.recordCreditGrant({ ...base, expiresAt: base.effectiveAt }, actor)).rejects.toMatchObject({ family: 'validation' });
    await expect(billing.recordCreditGrant({ ...base, amount: '0.00' }, actor)).rejects.toMatchObject({ family: 'validation' });
    await expect(billing.recordCreditGrant({ ...base, amount: '10.001' }, actor)).rejects.toMatchObject({ family: 'validation' });
    await expect(billing.recordCreditGrant({ ...base, leaseIds: ['L-unknown'] }, actor)).rejects.toMatchObject({ family: 'not_found' });
    expect(runner.model.position).toBe(position);
  });
});

/** DOMAIN.md, "Closing a period": a prepaid grant dated inside a closed month is booked in the first open month. */
describe('a prepaid grant dated inside a closed month', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await openHarness(workedExampleKnownAt.contracts);
    const { commands, billing, periods } = harness.ledger;
    await recordWorkedExampleContracts(commands, actor);
    harness.at(workedExampleKnownAt.novemberUsage);
    await commands.recordUsage({ records: workedExampleNovemberReadings() }, actor);
    await billing.runBilling('2025-12-01T00:00:00Z', actor);
    harness.at('2025-12-31T23:00:00Z');
    await commands.recordUsage({ records: workedExampleDecemberReadings() }, actor);
    harness.at(workedExampleKnownAt.secondBillingRun);
    await billing.runBilling('2026-01-01T00:00:00Z', actor);
    harness.at('2026-01-02T00:00:00Z');
    await periods.close('2025-11', actor);
    await periods.close('2025-12', actor);
    harness.at('2026-01-05T00:00:00Z');
    await billing.recordCreditGrant({ ...workedExamplePrepaidGrant, grantId: 'G-late', effectiveAt: '2025-12-20T00:00:00Z', expiresAt: '2026-06-01T00:00:00Z' }, actor);
  });

  afterAll(async () => {
    await harness.close();
  });

  it('leaves December\'s books as they were at the close and books the prepayment on 2026-01-01 as a prior-period adjustment', async () => {
    const { reports } = harness.ledger;
    const account = (balance: Awaited<ReturnType<typeof reports.trialBalance>>, code: string) => balance.accounts.find((row) => row.account === code)!;
    const atClose = await reports.trialBalance({ asOf: '2026-01-01T00:00:00Z' });
    expect(account(atClose, '2300').credit).toBe('0.00'); // December is closed: its books never change
    const after = await reports.trialBalance({ asOf: '2026-01-05T00:00:00Z' });
    expect(account(after, '2300').credit).toBe('3000000.00');
    expect(after.totalDebit).toBe(after.totalCredit);
    const journal = await reports.journal({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' });
    const prepayment = journal.entries.find((entry) => entry.entryId === 'INV-000003')!;
    expect(prepayment).toMatchObject({ effectiveAt: '2026-01-01T00:00:00Z', priorPeriod: true, priorPeriodMonth: '2025-12' });
    const invoice = await reports.invoice('INV-000003');
    expect([invoice.billingDate, invoice.issuedAt, invoice.dueAt]).toEqual(['2025-12-20T00:00:00Z', '2026-01-05T00:00:00Z', '2026-01-19T00:00:00Z']); // due 2025-12-20 + 30 days
  });
});
