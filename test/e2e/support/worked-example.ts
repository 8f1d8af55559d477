import type { ApiHarness } from './api-harness.js';
import { hourlyReadings, instant } from './api-harness.js';
import { workedExampleAllocation, workedExampleLease, workedExampleOutage, workedExampleSite, workedExampleTenant } from '../../support/worked-example.js';

/**
 * The worked example of DOMAIN.md, recorded over HTTP by the roles a deployment uses: operations
 * for the site, allocation and outage, finance for the tenant and the lease, metering for usage.
 */

export const site = workedExampleSite;
export const tenant = workedExampleTenant;
export const lease = workedExampleLease;
export const outage = workedExampleOutage;
export const allocation = { ...workedExampleAllocation, allocationId: 'A-1001' };
/** 504 hourly readings of 1,050 GPU-hours: 529,200. */
export const novemberReadings = hourlyReadings('L-1001', '2025-11-10T00:00:00Z', '2025-12-01T00:00:00Z', '1050');
/** December used exactly its 744,000 committed hours: 31 daily readings of 24,000. */
export const decemberReadings = Array.from({ length: 31 }, (_, day) => {
  const startMs = Date.parse('2025-12-01T00:00:00Z') + day * 86_400_000;
  return { readingId: `L-1001:day:2025-12-${String(day + 1).padStart(2, '0')}`, leaseId: 'L-1001', periodStart: instant(startMs), periodEnd: instant(startMs + 86_400_000), gpuHours: '24000' };
});
/** The late reading of 2025-11-30, as the metering pipeline sends it: a CloudEvents batch. */
export const lateReadingCloudEvents = [
  {
    specversion: '1.0',
    id: 'L-1001:late:2025-11-30T23',
    source: 'meter-colossus-1',
    type: 'gpu.usage.v1',
    subject: 'L-1001',
    datacontenttype: 'application/json',
    data: { periodStart: '2025-11-30T23:00:00Z', periodEnd: '2025-12-01T00:00:00Z', gpuHours: '600' },
  },
];

/** Everything up to the first billing run, each step as the role that owns it. */
export async function recordContracts(api: ApiHarness): Promise<void> {
  api.at('2025-10-20T12:00:00Z');
  await expectStatus(api.post('/v1/sites', 'operations', site), 201);
  await expectStatus(api.post('/v1/tenants', 'finance', tenant), 201);
  await expectStatus(api.post('/v1/leases', 'finance', lease), 201);
  api.at('2025-11-09T18:00:00Z');
  await expectStatus(api.post('/v1/allocations', 'operations', allocation), 201);
  api.at('2025-11-20T07:00:00Z');
  await expectStatus(api.post('/v1/outages', 'operations', outage), 201);
  api.at('2025-12-01T00:30:00Z');
  await expectStatus(api.post('/v1/usage', 'metering', { records: novemberReadings }), 202);
}

async function expectStatus(answer: Promise<{ status: number; text: string }>, status: number): Promise<void> {
  const { status: actual, text } = await answer;
  if (actual !== status) throw new Error(`expected ${status}, got ${actual}: ${text}`);
}
