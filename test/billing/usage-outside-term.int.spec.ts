import { afterEach, describe, expect, it } from 'vitest';
import { actor, openHarness, type Harness } from './harness.js';

/**
 * A reading recorded inside the term stays a fact when a retroactive termination later cuts its
 * month off the term: its GPUs were used. DOMAIN.md meters a month by the readings whose period
 * lies in it, so the month's overage (nothing is committed there any more) is billed, recognized
 * and reconciled like any other.
 */

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

describe('usage in a month a retroactive termination cut off the term', () => {
  it('is billed as overage of its month, recognized as its revenue, and reconciles', async () => {
    harness = await openHarness('2025-12-20T00:00:00Z');
    const { commands, billing, reports } = harness.ledger;
    await commands.commissionSite({ siteId: 'S-1', name: 'Site', gpuSku: 'H100', gpuCount: 10 }, actor);
    await commands.registerTenant({ tenantId: 'T-1', name: 'Tenant', currency: 'USD', paymentTermsDays: 30 }, actor);
    await commands.signLease(
      {
        leaseId: 'L-1',
        tenantId: 'T-1',
        siteId: 'S-1',
        gpuSku: 'H100',
        signedAt: '2025-12-20T00:00:00Z',
        startsAt: '2026-01-01T00:00:00Z',
        endsAt: '2026-04-02T00:00:00Z',
        commitment: [{ effectiveFrom: '2026-01-01T00:00:00Z', gpuCount: 1, ratePerGpuHour: '2.10' }],
        overageRatePerGpuHour: '3.50',
        commitmentBilling: 'advance',
        sla: [],
      },
      actor,
    );
    await commands.allocateCapacity({ allocationId: 'A-1', leaseId: 'L-1', siteId: 'S-1', gpuCount: 1, startsAt: '2026-01-01T00:00:00Z' }, actor);
    harness.at('2026-04-01T02:00:00Z');
    await commands.recordUsage({ records: [{ readingId: 'R-1', leaseId: 'L-1', periodStart: '2026-04-01T00:00:00Z', periodEnd: '2026-04-01T01:00:00Z', gpuHours: '1' }] }, actor);
    harness.at('2026-04-03T00:00:00Z');
    await commands.terminateLease('L-1', { effectiveAt: '2026-03-21T00:00:00Z', terminationFee: '0.00' }, actor);
    harness.at('2026-05-01T01:00:00Z');
    const run = await billing.runBilling('2026-05-01T00:00:00Z', actor);
    const invoice = await reports.invoice(run.result.documents[0]!.invoiceId);
    // April: nothing committed (the term ended on March 21), 1 GPU-hour metered: 1 x 3.50.
    expect(invoice.lines.find((line) => line.serviceMonth === '2026-04')).toMatchObject({ kind: 'overage', quantity: '1', amount: '3.50', adjustment: false });
    const revenue = await reports.revenue({ month: '2026-04' });
    expect(revenue.usage).toBe('3.50');
    const balance = await reports.trialBalance({ asOf: '2026-05-01T00:00:00Z' });
    expect(balance.accounts.find((row) => row.account === '4010')?.credit).toBe('3.50'); // recognized at April's end
    const reconciliation = await reports.reconciliation({ month: '2026-04' });
    expect(reconciliation.leases[0]).toMatchObject({ leaseId: 'L-1', committedGpuHours: '0', meteredGpuHours: '1', charges: '3.50', invoiced: '3.50', ok: true });
  });
});
