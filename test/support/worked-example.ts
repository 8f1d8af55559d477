import type {
  AllocateCapacityBody,
  CommissionSiteBody,
  CurrencyCode,
  RecordCreditGrantBody,
  RecordOutageBody,
  RegisterTenantBody,
  SignLeaseBody,
  UsageRecordBody,
} from '@compute-ledger/contracts';
import type { LedgerCommands } from '@compute-ledger/ledger';

/**
 * The worked example of DOMAIN.md as request bodies, for every test that wants it: site
 * colossus-1 with 100,000 H100-SXM, tenant frontier-lab (USD, 30 days), lease L-1001 with a ramp
 * and SLA tiers, 1,200 GPUs allocated from 2025-11-10, 504 hourly readings of 1,050 GPU-hours in
 * November (529,200), an outage on 200 GPUs, and a late reading on 2025-12-03 for 2025-11-30.
 */

export const workedExampleCurrency: CurrencyCode = 'USD';

/** When each fact becomes known, for tests that set the store's clock ("as known at"). */
export const workedExampleKnownAt = {
  contracts: '2025-10-20T00:00:00Z',
  novemberUsage: '2025-12-01T00:00:00Z',
  firstBillingRun: '2025-12-01T00:00:00Z',
  lateReading: '2025-12-03T00:00:00Z',
  secondBillingRun: '2026-01-01T00:00:00Z',
} as const;

export const workedExampleSite: CommissionSiteBody = {
  siteId: 'colossus-1',
  name: 'Colossus 1',
  gpuSku: 'H100-SXM',
  gpuCount: 100_000,
  powerMw: '300',
};

export const workedExampleTenant: RegisterTenantBody = {
  tenantId: 'frontier-lab',
  name: 'Frontier Lab',
  currency: 'USD',
  paymentTermsDays: 30,
};

export const workedExampleLease: SignLeaseBody = {
  leaseId: 'L-1001',
  tenantId: 'frontier-lab',
  siteId: 'colossus-1',
  gpuSku: 'H100-SXM',
  signedAt: '2025-10-20T00:00:00Z',
  startsAt: '2025-11-10T00:00:00Z',
  endsAt: '2026-11-10T00:00:00Z',
  commitment: [
    { effectiveFrom: '2025-11-10T00:00:00Z', gpuCount: 1_000, ratePerGpuHour: '2.10' },
    { effectiveFrom: '2026-02-01T00:00:00Z', gpuCount: 2_000, ratePerGpuHour: '2.00' },
  ],
  overageRatePerGpuHour: '3.50',
  commitmentBilling: 'advance',
  sla: [
    { availabilityBelowPct: '99.9', creditPct: '10' },
    { availabilityBelowPct: '99.0', creditPct: '25' },
    { availabilityBelowPct: '95.0', creditPct: '100' },
  ],
};

export const workedExampleAllocation: AllocateCapacityBody = {
  allocationId: 'A-1001-1',
  leaseId: 'L-1001',
  siteId: 'colossus-1',
  gpuCount: 1_200,
  startsAt: '2025-11-10T00:00:00Z',
};

const hourMs = 3_600_000;

function hourlyReadings(fromInstant: string, hours: number, gpuHours: string, prefix: string): UsageRecordBody[] {
  const fromMs = Date.parse(fromInstant);
  return Array.from({ length: hours }, (_, hour) => {
    const periodStart = new Date(fromMs + hour * hourMs).toISOString().replace('.000Z', 'Z');
    const periodEnd = new Date(fromMs + (hour + 1) * hourMs).toISOString().replace('.000Z', 'Z');
    return { readingId: `${prefix}-${periodStart.slice(0, 13)}`, leaseId: 'L-1001', periodStart, periodEnd, gpuHours, source: 'meter-colossus-1' };
  });
}

/** November 2025: 504 hourly readings (2025-11-10 to 2025-12-01) of 1,050 GPU-hours, 529,200 in all. */
export function workedExampleNovemberReadings(): UsageRecordBody[] {
  return hourlyReadings('2025-11-10T00:00:00Z', 504, '1050', 'R-1001');
}

/** December 2025: 744 hourly readings of 1,000 GPU-hours, exactly the 744,000 committed hours. */
export function workedExampleDecemberReadings(): UsageRecordBody[] {
  return hourlyReadings('2025-12-01T00:00:00Z', 744, '1000', 'R-1001');
}

export const workedExampleNovemberGpuHours = '529200';

export const workedExampleOutage: RecordOutageBody = {
  outageId: 'O-1001-1',
  leaseId: 'L-1001',
  startsAt: '2025-11-20T00:00:00Z',
  endsAt: '2025-11-20T06:00:00Z',
  affectedGpus: 200,
};

/** Recorded on 2025-12-03, for 2025-11-30: 600 more GPU-hours in November (25,800 over the commitment). */
export const workedExampleLateReading: UsageRecordBody = {
  readingId: 'R-1001-late-2025-11-30',
  leaseId: 'L-1001',
  periodStart: '2025-11-30T00:00:00Z',
  periodEnd: '2025-12-01T00:00:00Z',
  gpuHours: '600',
  source: 'meter-colossus-1',
};

/**
 * The worked example's contracts as finance and operations record them before any usage: the
 * site, the tenant, lease L-1001, its allocation and the November outage, in that order.
 */
export async function recordWorkedExampleContracts(commands: LedgerCommands, context: Parameters<LedgerCommands['commissionSite']>[1]): Promise<void> {
  await commands.commissionSite(workedExampleSite, context);
  await commands.registerTenant(workedExampleTenant, context);
  await commands.signLease(workedExampleLease, context);
  await commands.allocateCapacity(workedExampleAllocation, context);
  await commands.recordOutage(workedExampleOutage, context);
}

/** January 2026: 744 hourly readings, 376 of 1,100 and 368 of 1,050 GPU-hours: 800,000 (committed 744,000). */
export function workedExampleJanuaryReadings(): UsageRecordBody[] {
  const readings = hourlyReadings('2026-01-01T00:00:00Z', 744, '1050', 'R-1001');
  return readings.map((reading, hour) => (hour < 376 ? { ...reading, gpuHours: '1100' } : reading));
}

/**
 * The credit example of DOMAIN.md ("Credit grants"), after the worked example: frontier-lab buys
 * prepaid G-1 on 2026-01-15, sales adds promotional P-1 for overage only.
 */
export const workedExamplePrepaidGrant: RecordCreditGrantBody = {
  grantId: 'G-1',
  tenantId: 'frontier-lab',
  kind: 'prepaid',
  amount: '3000000.00',
  effectiveAt: '2026-01-15T00:00:00Z',
  expiresAt: '2026-03-01T00:00:00Z',
  priority: 10,
};

export const workedExamplePromotionalGrant: RecordCreditGrantBody = {
  grantId: 'P-1',
  tenantId: 'frontier-lab',
  kind: 'promotional',
  amount: '50000.00',
  effectiveAt: '2026-01-15T00:00:00Z',
  expiresAt: '2026-12-31T00:00:00Z',
  priority: 1,
  appliesTo: ['overage'],
};
