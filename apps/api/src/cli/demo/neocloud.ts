import type {
  AllocateCapacityBody,
  AmendLeaseBody,
  CommissionSiteBody,
  RecordOutageBody,
  RegisterTenantBody,
  SignLeaseBody,
  TerminateLeaseBody,
  UsageRecordBody,
} from '@compute-ledger/contracts';

/**
 * The demo's neocloud: three sites, four AI labs, and a year of their contracts. Lease L-1001
 * is the worked example of DOMAIN.md; the others add what a real book has: a lease billed in
 * arrears and upsized by an amendment, one terminated early with a fee, and a ramp with usage
 * above its commitment.
 */

export interface DemoLease {
  body: SignLeaseBody;
  amendments?: { recordedAt: string; body: AmendLeaseBody }[];
  outages?: { recordedAt: string; body: RecordOutageBody }[];
  termination?: { recordedAt: string; body: TerminateLeaseBody };
  lateReadings?: { recordedAt: string; record: UsageRecordBody }[];
  /** GPU-hours used in one hour of `month` with `committed` GPUs committed (capped by the allocation). */
  usage: (month: string, committed: number, random: () => number) => number;
}

export const sites: CommissionSiteBody[] = [
  { siteId: 'colossus-1', name: 'Colossus 1', gpuSku: 'H100-SXM', gpuCount: 100_000, powerMw: '300' },
  { siteId: 'aurora-2', name: 'Aurora 2', gpuSku: 'B200', gpuCount: 40_000, powerMw: '120' },
  { siteId: 'fjord-3', name: 'Fjord 3', gpuSku: 'H200', gpuCount: 16_000, powerMw: '48' },
];

export const tenants: RegisterTenantBody[] = [
  { tenantId: 'frontier-lab', name: 'Frontier Lab', currency: 'USD', paymentTermsDays: 30 },
  { tenantId: 'helix-ai', name: 'Helix AI', currency: 'USD', paymentTermsDays: 30 },
  { tenantId: 'nimbus-research', name: 'Nimbus Research', currency: 'USD', paymentTermsDays: 45 },
  { tenantId: 'orbit-robotics', name: 'Orbit Robotics', currency: 'USD', paymentTermsDays: 15 },
];

export const leases: DemoLease[] = [
  {
    body: {
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
    },
    outages: [{ recordedAt: '2025-11-20T07:00:00Z', body: { outageId: 'O-1001-1', leaseId: 'L-1001', startsAt: '2025-11-20T00:00:00Z', endsAt: '2025-11-20T06:00:00Z', affectedGpus: 200 } }],
    lateReadings: [
      {
        recordedAt: '2025-12-03T10:00:00Z',
        record: { readingId: 'L-1001:2025113023-late', leaseId: 'L-1001', periodStart: '2025-11-30T23:00:00Z', periodEnd: '2025-12-01T00:00:00Z', gpuHours: '600', source: 'meter-colossus-1' },
      },
    ],
    // The worked example: 1,050 GPU-hours an hour in November, exactly the commitment in December.
    usage: (month, committed, random) => (month === '2025-11' ? 1_050 : month === '2025-12' ? committed : committed * (0.99 + 0.08 * random())),
  },
  {
    body: {
      leaseId: 'L-2001',
      tenantId: 'helix-ai',
      siteId: 'aurora-2',
      gpuSku: 'B200',
      signedAt: '2025-11-15T00:00:00Z',
      startsAt: '2025-12-01T00:00:00Z',
      endsAt: '2027-12-01T00:00:00Z',
      commitment: [{ effectiveFrom: '2025-12-01T00:00:00Z', gpuCount: 4_000, ratePerGpuHour: '3.20' }],
      overageRatePerGpuHour: '4.50',
      commitmentBilling: 'arrears',
      sla: [
        { availabilityBelowPct: '99.9', creditPct: '5' },
        { availabilityBelowPct: '99.0', creditPct: '15' },
      ],
    },
    amendments: [
      {
        recordedAt: '2026-05-20T00:00:00Z',
        body: {
          amendmentId: 'AM-2001-1',
          effectiveAt: '2026-06-01T00:00:00Z',
          commitment: [{ effectiveFrom: '2026-06-01T00:00:00Z', gpuCount: 6_000, ratePerGpuHour: '3.10' }],
          overageRatePerGpuHour: '4.25',
        },
      },
    ],
    outages: [{ recordedAt: '2026-04-10T21:00:00Z', body: { outageId: 'O-2001-1', leaseId: 'L-2001', startsAt: '2026-04-10T08:00:00Z', endsAt: '2026-04-10T20:00:00Z', affectedGpus: 1_500 } }],
    usage: (_month, committed, random) => committed * (0.9 + 0.08 * random()),
  },
  {
    body: {
      leaseId: 'L-3001',
      tenantId: 'nimbus-research',
      siteId: 'fjord-3',
      gpuSku: 'H200',
      signedAt: '2025-12-10T00:00:00Z',
      startsAt: '2026-01-01T00:00:00Z',
      endsAt: '2027-01-01T00:00:00Z',
      commitment: [{ effectiveFrom: '2026-01-01T00:00:00Z', gpuCount: 2_000, ratePerGpuHour: '2.60' }],
      overageRatePerGpuHour: '3.80',
      commitmentBilling: 'advance',
      sla: [],
    },
    termination: { recordedAt: '2026-07-10T00:00:00Z', body: { effectiveAt: '2026-07-15T00:00:00Z', terminationFee: '250000.00' } },
    usage: (_month, committed, random) => committed * (0.75 + 0.2 * random()),
  },
  {
    body: {
      leaseId: 'L-4001',
      tenantId: 'orbit-robotics',
      siteId: 'colossus-1',
      gpuSku: 'H100-SXM',
      signedAt: '2026-02-15T00:00:00Z',
      startsAt: '2026-03-01T00:00:00Z',
      endsAt: '2027-03-01T00:00:00Z',
      commitment: [
        { effectiveFrom: '2026-03-01T00:00:00Z', gpuCount: 500, ratePerGpuHour: '2.25' },
        { effectiveFrom: '2026-09-01T00:00:00Z', gpuCount: 800, ratePerGpuHour: '2.20' },
      ],
      overageRatePerGpuHour: '3.10',
      commitmentBilling: 'advance',
      sla: [{ availabilityBelowPct: '99.5', creditPct: '10' }],
    },
    usage: (_month, committed, random) => committed * (1.02 + 0.1 * random()),
  },
];

export const allocations: AllocateCapacityBody[] = [
  { allocationId: 'A-1001-1', leaseId: 'L-1001', siteId: 'colossus-1', gpuCount: 1_200, startsAt: '2025-11-10T00:00:00Z' },
  { allocationId: 'A-2001-1', leaseId: 'L-2001', siteId: 'aurora-2', gpuCount: 4_400, startsAt: '2025-12-01T00:00:00Z' },
  { allocationId: 'A-3001-1', leaseId: 'L-3001', siteId: 'fjord-3', gpuCount: 2_000, startsAt: '2026-01-01T00:00:00Z' },
  { allocationId: 'A-1001-2', leaseId: 'L-1001', siteId: 'colossus-1', gpuCount: 1_000, startsAt: '2026-02-01T00:00:00Z' },
  { allocationId: 'A-4001-1', leaseId: 'L-4001', siteId: 'colossus-1', gpuCount: 600, startsAt: '2026-03-01T00:00:00Z' },
  { allocationId: 'A-2001-2', leaseId: 'L-2001', siteId: 'aurora-2', gpuCount: 1_800, startsAt: '2026-06-01T00:00:00Z' },
  { allocationId: 'A-4001-2', leaseId: 'L-4001', siteId: 'colossus-1', gpuCount: 300, startsAt: '2026-09-01T00:00:00Z' },
];
