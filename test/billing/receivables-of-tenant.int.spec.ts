import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keptLine, receivablesAt, receivablesOfTenant } from '@compute-ledger/ledger';
import { actor, openHarness, type Harness } from './harness.js';

/**
 * Reads of one tenant's invoices cost that tenant's documents: `receivablesOfTenant` settles
 * one tenant from its own billing facts and answers what settling every tenant answers for it,
 * and an invoice is read through its own tenant only.
 *
 * Two tenants of one site, billed in advance on 2026-01-01 and 2026-02-01:
 * nova (100 GPUs at 2.00): January 744 h x 100 x 2.00 = 148,800.00; February 672 h x 100 x 2.00 = 134,400.00.
 * vega (10 GPUs at 3.00): January 744 h x 10 x 3.00 = 22,320.00; February 672 h x 10 x 3.00 = 20,160.00.
 * nova pays 150,000.00 on 2026-01-20 naming no invoice: 148,800.00 to INV-000001, 1,200.00 left as credit,
 * which INV-000003 (February) consumes: 134,400.00 - 1,200.00 = 133,200.00 due.
 */
describe('receivables of one tenant', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await openHarness('2025-12-20T00:00:00Z');
    const { commands, billing } = harness.ledger;
    await commands.commissionSite({ siteId: 'ring-1', name: 'Ring 1', gpuSku: 'H200', gpuCount: 1_000 }, actor);
    for (const [tenantId, leaseId, gpuCount, rate] of [['nova', 'L-N', 100, '2.00'], ['vega', 'L-V', 10, '3.00']] as const) {
      await commands.registerTenant({ tenantId, name: tenantId, currency: 'USD', paymentTermsDays: 30 }, actor);
      await commands.signLease(
        {
          leaseId, tenantId, siteId: 'ring-1', gpuSku: 'H200',
          signedAt: '2025-12-20T00:00:00Z', startsAt: '2026-01-01T00:00:00Z', endsAt: '2027-01-01T00:00:00Z',
          commitment: [{ effectiveFrom: '2026-01-01T00:00:00Z', gpuCount, ratePerGpuHour: rate }],
          overageRatePerGpuHour: rate, commitmentBilling: 'advance', sla: [],
        },
        actor,
      );
    }
    harness.at('2026-01-01T00:00:00Z');
    await billing.runBilling('2026-01-01T00:00:00Z', actor);
    harness.at('2026-01-20T00:00:00Z');
    await billing.recordPayment({ paymentId: 'P-N1', tenantId: 'nova', amount: '150000.00', receivedAt: '2026-01-20T00:00:00Z' }, actor);
    harness.at('2026-02-01T00:00:00Z');
    await billing.runBilling('2026-02-01T00:00:00Z', actor);
    harness.at('2026-02-03T00:00:00Z');
    await billing.issueCreditNote({ creditNoteId: 'GW-V', tenantId: 'vega', amount: '100.00', reason: 'Goodwill', invoiceId: 'INV-000002' }, actor);
    harness.at('2026-02-05T00:00:00Z');
    await harness.ledger.runner.catchUp();
  });

  afterAll(async () => {
    await harness.close();
  });

  it('answers for one tenant what settling every tenant answers for it, at every cut-off', () => {
    const model = harness.ledger.runner.model;
    for (let cutoff = -1; cutoff <= model.position; cutoff += 1) {
      const all = receivablesAt(model, Date.parse('2026-02-05T00:00:00Z'), cutoff);
      for (const tenantId of ['nova', 'vega']) {
        if (!all.has(tenantId)) continue;
        expect(receivablesOfTenant(model, tenantId, Date.parse('2026-02-05T00:00:00Z'), cutoff)).toEqual(all.get(tenantId));
      }
    }
  });

  it('settles the payment and the credit it leaves over', async () => {
    const [first, february] = await Promise.all([harness.ledger.reports.invoice('INV-000001'), harness.ledger.reports.invoice('INV-000003')]);
    expect([first.tenantId, first.total, first.amountPaid, first.status]).toEqual(['nova', '148800.00', '148800.00', 'paid']);
    // 134,400.00 - the 1,200.00 credit left by P-N1 = 133,200.00
    expect([february.tenantId, february.total, february.amountPaid, february.amountDue, february.status]).toEqual(['nova', '134400.00', '1200.00', '133200.00', 'partially_paid']);
  });

  it('reads an invoice and a tenant\'s list through that tenant\'s billing facts only, with the answers of the whole list', async () => {
    const model = harness.ledger.runner.model;
    const { invoices: everything } = await harness.ledger.reports.invoices({});
    expect(everything.map((invoice) => invoice.invoiceId)).toEqual(['INV-000001', 'INV-000002', 'INV-000003', 'INV-000004', 'CN-000001']);
    const billingOfTenant = vi.spyOn(model, 'billingOfTenant');
    const documentsAt = vi.spyOn(model, 'documentsAt');
    try {
      for (const expected of everything) {
        billingOfTenant.mockClear();
        // The list shows lines without their sources; the document alone has them (read from the log).
        const invoice = await harness.ledger.reports.invoice(expected.invoiceId);
        expect({ ...invoice, lines: invoice.lines.map(keptLine) }).toEqual(expected);
        expect(new Set(billingOfTenant.mock.calls.map(([tenantId]) => tenantId))).toEqual(new Set(expected.kind === 'credit_note' && expected.creditNoteId !== undefined ? [] : [expected.tenantId]));
      }
      billingOfTenant.mockClear();
      const { invoices: vega } = await harness.ledger.reports.invoices({ tenantId: 'vega' });
      expect(vega).toEqual(everything.filter((invoice) => invoice.tenantId === 'vega'));
      expect(new Set(billingOfTenant.mock.calls.map(([tenantId]) => tenantId))).toEqual(new Set(['vega']));
      expect(documentsAt).not.toHaveBeenCalled();
    } finally {
      billingOfTenant.mockRestore();
      documentsAt.mockRestore();
    }
  });
});
