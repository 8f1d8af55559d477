import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actor, openHarness, type Harness } from './harness.js';

/**
 * A scenario of our own for what the worked example leaves out: arrears billing, a retroactive
 * amendment after its month was invoiced, a termination inside an advance-billed month with its
 * fee, a usage correction that turns a run's total negative (a credit note), payments with and
 * without a named invoice, a credit note by hand, and aging buckets. The expected numbers were
 * worked out by hand first; the working is beside each.
 *
 * Tenant orbit-ai (USD, 15 days). Site aurora-2: 10,000 B200.
 * L-2001: arrears, 2026-01-01 to 2026-04-01, 100 GPUs at 4.00, overage 5.00, 150 GPUs allocated.
 * L-2002: advance, 2026-01-01 to 2026-12-01, 50 GPUs at 3.00, overage 4.00, 50 GPUs allocated;
 *         terminated at 2026-02-15 with a fee of 10,000.00.
 */
describe('second scenario: arrears, retroactive amendment, termination, correction, payments', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await openHarness('2025-12-20T00:00:00Z');
    const { commands } = harness.ledger;
    await commands.registerTenant({ tenantId: 'orbit-ai', name: 'Orbit AI', currency: 'USD', paymentTermsDays: 15 }, actor);
    await commands.commissionSite({ siteId: 'aurora-2', name: 'Aurora 2', gpuSku: 'B200', gpuCount: 10_000 }, actor);
    await commands.signLease(
      {
        leaseId: 'L-2001', tenantId: 'orbit-ai', siteId: 'aurora-2', gpuSku: 'B200',
        signedAt: '2025-12-20T00:00:00Z', startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-04-01T00:00:00Z',
        commitment: [{ effectiveFrom: '2026-01-01T00:00:00Z', gpuCount: 100, ratePerGpuHour: '4.00' }],
        overageRatePerGpuHour: '5.00', commitmentBilling: 'arrears', sla: [],
      },
      actor,
    );
    await commands.signLease(
      {
        leaseId: 'L-2002', tenantId: 'orbit-ai', siteId: 'aurora-2', gpuSku: 'B200',
        signedAt: '2025-12-20T00:00:00Z', startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-12-01T00:00:00Z',
        commitment: [{ effectiveFrom: '2026-01-01T00:00:00Z', gpuCount: 50, ratePerGpuHour: '3.00' }],
        overageRatePerGpuHour: '4.00', commitmentBilling: 'advance', sla: [],
      },
      actor,
    );
    await commands.allocateCapacity({ allocationId: 'A-2001', leaseId: 'L-2001', siteId: 'aurora-2', gpuCount: 150, startsAt: '2026-01-01T00:00:00Z' }, actor);
    await commands.allocateCapacity({ allocationId: 'A-2002', leaseId: 'L-2002', siteId: 'aurora-2', gpuCount: 50, startsAt: '2026-01-01T00:00:00Z' }, actor);
  });

  afterAll(async () => {
    await harness.close();
  });

  it('bills only the advance lease on 2026-01-01', async () => {
    harness.at('2026-01-01T00:00:00Z');
    const run = await harness.ledger.billing.runBilling('2026-01-01T00:00:00Z', actor);
    // L-2001 is billed in arrears: January ends on Feb 1, after the billing date: nothing yet.
    // L-2002 in advance: 744 h x 50 x 3.00 = 111,600.00
    expect(run.result.documents).toEqual([{ invoiceId: 'INV-000001', kind: 'invoice', tenantId: 'orbit-ai', total: '111600.00' }]);
    const invoice = await harness.ledger.reports.invoice('INV-000001');
    expect(invoice.dueAt).toBe('2026-01-16T00:00:00Z'); // 15 days of terms
  });

  it('applies a payment to the invoice it names', async () => {
    harness.at('2026-01-20T00:00:00Z');
    await harness.ledger.billing.recordPayment({ paymentId: 'P-1', tenantId: 'orbit-ai', amount: '111600.00', receivedAt: '2026-01-20T00:00:00Z', invoiceId: 'INV-000001' }, actor);
    const invoice = await harness.ledger.reports.invoice('INV-000001');
    expect([invoice.amountPaid, invoice.amountDue, invoice.status]).toEqual(['111600.00', '0.00', 'paid']);
  });

  it('bills January in arrears with its overage on 2026-02-01', async () => {
    harness.at('2026-01-31T12:00:00Z');
    // 80,000 GPU-hours in January, within 744 h x 150 allocated = 111,600
    await harness.ledger.commands.recordUsage(
      { records: [{ readingId: 'R-JAN', leaseId: 'L-2001', periodStart: '2026-01-01T00:00:00Z', periodEnd: '2026-02-01T00:00:00Z', gpuHours: '80000' }] },
      actor,
    );
    harness.at('2026-02-01T00:00:00Z');
    const run = await harness.ledger.billing.runBilling('2026-02-01T00:00:00Z', actor);
    // L-2001 commitment Jan: 744 h x 100 x 4.00 = 297,600.00
    // L-2001 overage Jan: (80,000 - 74,400) x 5.00 = 28,000.00
    // L-2002 commitment Feb in advance: 672 h x 50 x 3.00 = 100,800.00
    // total 297,600 + 28,000 + 100,800 = 426,400.00
    expect(run.result.documents).toEqual([{ invoiceId: 'INV-000002', kind: 'invoice', tenantId: 'orbit-ai', total: '426400.00' }]);
    const lines = (await harness.ledger.reports.invoice('INV-000002')).lines.map((line) => [line.leaseId, line.serviceMonth, line.kind, line.amount, line.adjustment]);
    expect(lines).toEqual([
      ['L-2001', '2026-01', 'commitment', '297600.00', false],
      ['L-2001', '2026-01', 'overage', '28000.00', false],
      ['L-2002', '2026-02', 'commitment', '100800.00', false],
    ]);
  });

  it('settles a retroactive amendment, a termination and its fee in the next run', async () => {
    harness.at('2026-02-10T00:00:00Z');
    // L-2001 upsized to 120 GPUs from 2026-01-15, after January was invoiced.
    await harness.ledger.commands.amendLease('L-2001', { amendmentId: 'AM-1', effectiveAt: '2026-01-15T00:00:00Z', commitment: [{ effectiveFrom: '2026-01-15T00:00:00Z', gpuCount: 120, ratePerGpuHour: '4.00' }] }, actor);
    await harness.ledger.commands.terminateLease('L-2002', { effectiveAt: '2026-02-15T00:00:00Z', terminationFee: '10000.00' }, actor);
    harness.at('2026-03-01T00:00:00Z');
    const run = await harness.ledger.billing.runBilling('2026-03-01T00:00:00Z', actor);
    // L-2001 Jan commitment now 336 h x 100 + 408 h x 120 = 82,560 GPU-h x 4.00 = 330,240.00; invoiced 297,600.00 -> +32,640.00
    // L-2001 Jan overage now max(0, 80,000 - 82,560) = 0; invoiced 28,000.00 -> -28,000.00
    // L-2001 Feb commitment in arrears: 672 h x 120 x 4.00 = 322,560.00
    // L-2002 Feb commitment now 336 h (to Feb 15) x 50 x 3.00 = 50,400.00; invoiced 100,800.00 -> -50,400.00
    // L-2002 termination fee 10,000.00
    // total 32,640 - 28,000 + 322,560 - 50,400 + 10,000 = 286,800.00
    expect(run.result.documents).toEqual([{ invoiceId: 'INV-000003', kind: 'invoice', tenantId: 'orbit-ai', total: '286800.00' }]);
    const lines = (await harness.ledger.reports.invoice('INV-000003')).lines.map((line) => [line.leaseId, line.serviceMonth, line.kind, line.amount, line.adjustment]);
    expect(lines).toEqual([
      ['L-2001', '2026-01', 'commitment', '32640.00', true],
      ['L-2001', '2026-01', 'overage', '-28000.00', true],
      ['L-2001', '2026-02', 'commitment', '322560.00', false],
      ['L-2002', '2026-02', 'commitment', '-50400.00', true],
      ['L-2002', '2026-02', 'termination_fee', '10000.00', false],
    ]);
  });

  it('issues a credit note by hand against an invoice', async () => {
    harness.at('2026-03-05T00:00:00Z');
    const note = await harness.ledger.billing.issueCreditNote({ creditNoteId: 'GW-1', tenantId: 'orbit-ai', amount: '5000.00', reason: 'Goodwill for a late handover', invoiceId: 'INV-000002' }, actor);
    expect([note.result.documentId, note.result.issuedAt]).toEqual(['CN-000001', '2026-03-05T00:00:00Z']); // issued when recorded
    // A credit note is owed to the tenant: it is not due, so it has no due date.
    expect(await harness.ledger.reports.invoice('CN-000001')).toMatchObject({ kind: 'credit_note', issuedAt: '2026-03-05T00:00:00Z', dueAt: null });
    const again = await harness.ledger.billing.issueCreditNote({ creditNoteId: 'GW-1', tenantId: 'orbit-ai', amount: '5000.00', reason: 'Goodwill for a late handover', invoiceId: 'INV-000002' }, actor);
    expect(again.outcome).toBe('unchanged');
    await expect(harness.ledger.billing.issueCreditNote({ creditNoteId: 'GW-1', tenantId: 'orbit-ai', amount: '6000.00', reason: 'Goodwill', invoiceId: 'INV-000002' }, actor)).rejects.toThrow(/other content/);
  });

  it('applies a payment without a named invoice to the oldest open invoices first', async () => {
    harness.at('2026-03-20T00:00:00Z');
    await harness.ledger.billing.recordPayment({ paymentId: 'P-2', tenantId: 'orbit-ai', amount: '500000.00', receivedAt: '2026-03-20T00:00:00Z' }, actor);
    // INV-000002: 426,400.00 - 5,000.00 credited = 421,400.00 due -> paid in full
    // INV-000003: the remaining 500,000 - 421,400 = 78,600.00 -> 286,800 - 78,600 = 208,200.00 due
    const second = await harness.ledger.reports.invoice('INV-000002');
    const third = await harness.ledger.reports.invoice('INV-000003');
    expect([second.amountDue, second.status]).toEqual(['0.00', 'paid']);
    expect([third.amountPaid, third.amountDue, third.status]).toEqual(['78600.00', '208200.00', 'partially_paid']);
  });

  it('bills March in arrears and ages what is open', async () => {
    harness.at('2026-03-31T00:00:00Z');
    // 100,000 GPU-hours in March, within 744 h x 150 = 111,600 allocated
    await harness.ledger.commands.recordUsage(
      { records: [{ readingId: 'R-MAR', leaseId: 'L-2001', periodStart: '2026-03-01T00:00:00Z', periodEnd: '2026-04-01T00:00:00Z', gpuHours: '100000' }] },
      actor,
    );
    harness.at('2026-04-01T00:00:00Z');
    const run = await harness.ledger.billing.runBilling('2026-04-01T00:00:00Z', actor);
    // L-2001 Mar commitment: 744 h x 120 x 4.00 = 357,120.00
    // L-2001 Mar overage: (100,000 - 89,280) x 5.00 = 53,600.00; total 410,720.00
    expect(run.result.documents).toEqual([{ invoiceId: 'INV-000004', kind: 'invoice', tenantId: 'orbit-ai', total: '410720.00' }]);
    harness.at('2026-04-20T00:00:00Z');
    const aging = await harness.ledger.reports.arAging({ asOf: '2026-04-20T00:00:00Z' });
    // INV-000003 208,200.00 due 2026-03-16: 35 days past due -> 31-60
    // INV-000004 410,720.00 due 2026-04-16: 4 days past due -> 1-30
    expect(aging.tenants).toEqual([
      { tenantId: 'orbit-ai', current: '0.00', days1to30: '410720.00', days31to60: '208200.00', days61to90: '0.00', over90: '0.00', total: '618920.00', creditBalance: '0.00' },
    ]);
  });

  it('turns a correction into a credit note that pays down the oldest invoice', async () => {
    harness.at('2026-04-10T00:00:00Z');
    await harness.ledger.commands.correctUsage({ correctionId: 'C-1', readingId: 'R-MAR', gpuHours: '89280' }, actor);
    harness.at('2026-05-01T00:00:00Z');
    const run = await harness.ledger.billing.runBilling('2026-05-01T00:00:00Z', actor);
    // L-2001 ended on 2026-04-01: its only line is the March overage, now 0, invoiced 53,600.00 -> -53,600.00
    // CN-000001 went to the credit note by hand, so this one is CN-000002.
    expect(run.result.documents).toEqual([{ invoiceId: 'CN-000002', kind: 'credit_note', tenantId: 'orbit-ai', total: '-53600.00' }]);
    // A billing run's credit note has no due date either, though its event keeps the run's terms.
    expect((await harness.ledger.reports.invoice('CN-000002')).dueAt).toBeNull();
    expect((await harness.ledger.reports.invoices({ tenantId: 'orbit-ai' })).invoices.map((document) => [document.invoiceId, document.dueAt === null])).toEqual([
      ['INV-000001', false],
      ['INV-000002', false],
      ['INV-000003', false],
      ['CN-000001', true],
      ['INV-000004', false],
      ['CN-000002', true],
    ]);
    const aging = await harness.ledger.reports.arAging({ asOf: '2026-05-10T00:00:00Z' });
    // The credit note goes to the oldest open invoice, INV-000003: 208,200 - 53,600 = 154,600.00 (55 days past due)
    // INV-000004 410,720.00: 24 days past due
    expect(aging.tenants[0]).toMatchObject({ days1to30: '410720.00', days31to60: '154600.00', total: '565320.00' });
  });

  it('reports revenue as known before and after the retroactive amendment', async () => {
    const before = await harness.ledger.reports.revenue({ month: '2026-01', knownAt: '2026-02-05T00:00:00Z' });
    // commitment 297,600 (L-2001) + 111,600 (L-2002) = 409,200.00; usage 28,000.00
    expect([before.commitment, before.usage, before.total]).toEqual(['409200.00', '28000.00', '437200.00']);
    const after = await harness.ledger.reports.revenue({ month: '2026-01' });
    // commitment 330,240 + 111,600 = 441,840.00; usage 0
    expect([after.commitment, after.usage, after.total]).toEqual(['441840.00', '0.00', '441840.00']);
    const march = await harness.ledger.reports.revenue({ month: '2026-03' });
    // the 5,000.00 credit note by hand reduces March revenue
    expect(march.creditNotes).toBe('-5000.00');
  });

  it('reports MRR and its movements', async () => {
    const january = await harness.ledger.reports.mrr({ asOf: '2026-01-10T00:00:00Z', knownAt: '2026-02-05T00:00:00Z' });
    // (100 x 4.00 + 50 x 3.00) x 8760 / 12 = 292,000 + 109,500 = 401,500.00
    expect(january.mrr).toBe('401500.00');
    const february = await harness.ledger.reports.mrrMovements({ month: '2026-02' });
    // start (end of January, amendment known): 120 x 4 x 730 + 50 x 3 x 730 = 350,400 + 109,500 = 459,900.00
    // end: L-2002 terminated on Feb 15 -> 350,400.00: a contraction of 109,500.00
    expect([february.startingMrr, february.contraction, february.endingMrr]).toEqual(['459900.00', '109500.00', '350400.00']);
    const april = await harness.ledger.reports.mrrMovements({ month: '2026-04' });
    expect([april.startingMrr, april.churn, april.endingMrr]).toEqual(['350400.00', '350400.00', '0.00']);
    const january2026 = await harness.ledger.reports.mrrMovements({ month: '2026-01' });
    expect([january2026.new, january2026.endingMrr]).toEqual(['459900.00', '459900.00']);
  });

  it('refuses runs out of order or in the future, and answers a repeated date with the same result', async () => {
    harness.at('2026-05-02T00:00:00Z');
    await expect(harness.ledger.billing.runBilling('2025-12-01T00:00:00Z', actor)).rejects.toThrow(/earlier than the latest completed run/);
    await expect(harness.ledger.billing.runBilling('2026-06-01T00:00:00Z', actor)).rejects.toThrow(/in the future/);
    const again = await harness.ledger.billing.runBilling('2026-05-01T00:00:00Z', actor);
    expect(again.outcome).toBe('unchanged');
    expect(again.result.documents[0]!.invoiceId).toBe('CN-000002');
  });

  it('keeps the books balanced and reconciled, and a rebuild equals the live model', async () => {
    const trial = await harness.ledger.reports.trialBalance({ asOf: '2026-05-10T00:00:00Z' });
    expect(trial.totalDebit).toBe(trial.totalCredit);
    for (const month of ['2026-01', '2026-02', '2026-03']) {
      expect((await harness.ledger.reports.reconciliation({ month })).ok).toBe(true);
    }
    const verified = await harness.ledger.verify();
    expect(verified.chain.ok).toBe(true);
    expect(verified.rebuild.ok).toBe(true);
  });
});
