import { afterEach, describe, expect, it } from 'vitest';
// The demo seed lives with the `ledger` command; seeding it here, in this process, sets its clock.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { demoStoryBegins, seedDemo } from '@compute-ledger/api';
import { actor, openHarness, type Harness } from './harness.js';

/**
 * Reports as of an instant read a lease from its signedAt (DOMAIN.md, "Recurring revenue"), and
 * each lease as amended by what is known at knownAt, whatever the amendment's effectiveAt: the
 * two time axes, checked where they cross. Also the backlog of a span that is not a multiple of
 * 36 seconds, divided once and rounded once.
 */

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

async function world(start: string): Promise<Harness> {
  harness = await openHarness(start);
  const { commands } = harness.ledger;
  await commands.commissionSite({ siteId: 'S-1', name: 'Site', gpuSku: 'H100', gpuCount: 10_000 }, actor);
  await commands.registerTenant({ tenantId: 'T-1', name: 'Tenant', currency: 'USD', paymentTermsDays: 30 }, actor);
  return harness;
}

function lease(leaseId: string, signedAt: string, startsAt: string, endsAt: string, gpuCount: number, rate: string) {
  return {
    leaseId,
    tenantId: 'T-1',
    siteId: 'S-1',
    gpuSku: 'H100',
    signedAt,
    startsAt,
    endsAt,
    commitment: [{ effectiveFrom: startsAt, gpuCount, ratePerGpuHour: rate }],
    overageRatePerGpuHour: '3.00',
    commitmentBilling: 'advance' as const,
    sla: [],
  };
}

describe('reports as of an instant and as known at another', () => {
  it('leaves out a lease signed after asOf, even when it was recorded before knownAt', async () => {
    const h = await world('2026-01-05T00:00:00Z');
    const { commands, reports } = h.ledger;
    await commands.signLease(lease('L-A', '2026-01-02T00:00:00Z', '2026-02-01T00:00:00Z', '2026-04-01T00:00:00Z', 10, '2.00'), actor);
    // Recorded on 2026-01-06, signed on 2026-01-20: a contract prepared and entered before signing.
    h.at('2026-01-06T00:00:00Z');
    await commands.signLease(lease('L-B', '2026-01-20T00:00:00Z', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z', 5, '3.00'), actor);
    h.at('2026-02-10T00:00:00Z');

    const before = await reports.backlog({ asOf: '2026-01-15T00:00:00Z', knownAt: '2026-02-01T00:00:00Z' });
    expect(before.leases.map((each) => each.leaseId)).toEqual(['L-A']);
    expect(before.total).toBe('28320.00'); // L-A only: 10 GPUs x 1,416 h (Feb + Mar) x 2.00
    const after = await reports.backlog({ asOf: '2026-01-20T00:00:00Z', knownAt: '2026-02-01T00:00:00Z' });
    expect(after.total).toBe('38400.00'); // + L-B from its signing: 5 x 672 h x 3.00 = 10,080.00

    // MRR at 2026-02-15: L-A 10 x 2.00 x 8760 / 12 = 14,600.00; L-B 5 x 3.00 x 730 = 10,950.00.
    expect((await reports.mrr({ asOf: '2026-02-15T00:00:00Z' })).mrr).toBe('25550.00');
    // As of 2026-01-19 neither is in force (they start in February), and L-B does not exist yet.
    expect((await reports.backlog({ asOf: '2026-01-19T23:59:59.999Z' })).leases.map((each) => each.leaseId)).toEqual(['L-A']);
  });

  it('counts MRR movements through the month-end instants: a lease signed after its start is new in the month it is signed', async () => {
    const h = await world('2026-03-10T00:00:00Z');
    const { commands, reports } = h.ledger;
    // Backdated: the term starts 2026-02-01, the lease is signed 2026-03-10.
    await commands.signLease(lease('L-C', '2026-03-10T00:00:00Z', '2026-02-01T00:00:00Z', '2026-12-01T00:00:00Z', 10, '2.00'), actor);
    h.at('2026-04-02T00:00:00Z');
    const february = await reports.mrrMovements({ month: '2026-02' });
    expect(february.endingMrr).toBe('0.00'); // at 2026-02-28T23:59:59.999Z L-C was not signed
    expect(february.new).toBe('0.00');
    const march = await reports.mrrMovements({ month: '2026-03' });
    expect(march.startingMrr).toBe('0.00');
    expect(march.new).toBe('14600.00'); // 10 x 2.00 x 8760 / 12: new, not a reactivation
    expect(march.tenants[0]).toMatchObject({ tenantId: 'T-1', movement: 'new' });
  });

  it('reads an amendment effective before asOf only when it is known at knownAt', async () => {
    const h = await world('2026-01-05T00:00:00Z');
    const { commands, reports } = h.ledger;
    await commands.signLease(lease('L-D', '2026-01-05T00:00:00Z', '2026-02-01T00:00:00Z', '2026-05-01T00:00:00Z', 10, '2.00'), actor);
    // Recorded 2026-03-10, effective 2026-03-01: a retroactive step up to 20 GPUs.
    h.at('2026-03-10T00:00:00Z');
    await commands.amendLease('L-D', { amendmentId: 'A-1', effectiveAt: '2026-03-01T00:00:00Z', commitment: [{ effectiveFrom: '2026-03-01T00:00:00Z', gpuCount: 20, ratePerGpuHour: '2.00' }] }, actor);
    h.at('2026-04-01T00:00:00Z');

    const asOf = '2026-03-05T00:00:00Z';
    const known = await reports.backlog({ asOf, knownAt: '2026-03-11T00:00:00Z' });
    const unknown = await reports.backlog({ asOf, knownAt: '2026-03-09T00:00:00Z' });
    // Mar 5 to May 1 = 1,368 h: as amended 20 x 1,368 x 2.00; as first signed 10 x 1,368 x 2.00.
    expect(known.total).toBe('54720.00');
    expect(unknown.total).toBe('27360.00');
    expect((await reports.mrr({ asOf, knownAt: '2026-03-11T00:00:00Z' })).mrr).toBe('29200.00'); // 20 x 2.00 x 730
    expect((await reports.mrr({ asOf, knownAt: '2026-03-09T00:00:00Z' })).mrr).toBe('14600.00'); // 10 x 2.00 x 730
  });

  it('computes a backlog over 2,298 h 5 min exactly: 1,602 x 2,298 1/12 h x 2.25 = 8,283,441.375 -> 8,283,441.38', async () => {
    const h = await world('2024-01-01T00:00:00Z');
    await h.ledger.commands.signLease(lease('L-E', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '2024-07-01T00:00:00Z', 1602, '2.25'), actor);
    // 2024-03-27T05:55 to 2024-07-01 = 95 days 18 h 5 min = 2,298 1/12 h (not a multiple of 36 s).
    const backlog = await h.ledger.reports.backlog({ asOf: '2024-03-27T05:55:00Z' });
    expect(backlog.total).toBe('8283441.38'); // 2,298 1/12 x 1,602 = 3,681,529.5 GPU-h x 2.25 = 8,283,441.375, half up
  });

  it('bills the arrears month of a lease starting at 11:01 exactly, and shows its quantity at 6 digits', async () => {
    const h = await world('2024-01-20T00:00:00Z');
    const { commands, billing, reports } = h.ledger;
    await commands.signLease({ ...lease('L-F', '2024-01-20T00:00:00Z', '2024-01-23T11:01:00Z', '2024-06-01T00:00:00Z', 153, '2.30'), commitmentBilling: 'arrears' }, actor);
    h.at('2024-02-01T00:00:00Z');
    const run = await billing.runBilling('2024-02-01T00:00:00Z', actor);
    const invoice = await reports.invoice(run.result.documents[0]!.invoiceId);
    // Jan 23 11:01 to Feb 1 = 204 59/60 h x 153 = 31,362.45 GPU-h x 2.30 = 72,133.635 -> 72,133.64
    expect(invoice.lines[0]).toMatchObject({ kind: 'commitment', quantity: '31362.45', unitPrice: '2.3', amount: '72133.64' });
  });

  it('lists no demo lease signed after asOf in the backlog as of 2025-12-15', async () => {
    // Seeded as known on 2026-03-01: L-4001 (signed 2026-02-15) is recorded, but not yet signed on 2025-12-15.
    const seededAt = '2026-03-01T00:00:00Z';
    const h = (harness = await openHarness(demoStoryBegins));
    await seedDemo(h.ledger, { nowMs: () => Date.parse(seededAt), moveTo: (instantMs) => h.at(new Date(instantMs).toISOString()), release: () => h.at(seededAt) });
    const backlog = await harness.ledger.reports.backlog({ asOf: '2025-12-15T00:00:00Z' });
    expect(backlog.leases.map((lease) => lease.leaseId)).toEqual(['L-1001', 'L-2001', 'L-3001']); // signed 2025-10-20, 2025-11-15, 2025-12-10
    const later = await harness.ledger.reports.backlog({ asOf: '2026-02-15T00:00:00Z' });
    expect(later.leases.map((lease) => lease.leaseId)).toContain('L-4001');
  });
});
