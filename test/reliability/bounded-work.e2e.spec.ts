import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerEventRegistry } from '@compute-ledger/contracts';
import type { JsonObject } from '@compute-ledger/ledger';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import { buildOnce } from '../cli/support.js';
import { Client, type Json } from './support/client.js';
import { gpuSku, siteBody, tenantBody } from './support/fleet.js';
import { startServer, storePath, temporaryDirectory, type LedgerServer } from './support/ledger-server.js';

/**
 * No request makes the ledger compute for longer than the instant it asks about warrants. A
 * lease may run at most 50 years and name no instant from 2100 on; a report walks only the
 * months up to its asOf, so even a lease recorded before these limits (ending in 9999) leaves
 * every report, and the health check, answering at once.
 */

/** What any report of a small ledger must answer within on this machine; a term walked month by month to 9999 took minutes and gigabytes. */
const reportBudgetMs = 2_000;
const tenantId = 'long-lab';
const siteId = 'site-long';

let directory: ReturnType<typeof temporaryDirectory>;
let server: LedgerServer | undefined;
let client: Client;

function leaseBody(leaseId: string, startsAt: string, endsAt: string) {
  return {
    leaseId,
    tenantId,
    siteId,
    gpuSku,
    signedAt: startsAt,
    startsAt,
    endsAt,
    commitment: [{ effectiveFrom: startsAt, gpuCount: 8, ratePerGpuHour: '2.00' }],
    overageRatePerGpuHour: '3.00',
  };
}

/** Every report of API.md that takes an instant or a month, at the instants that cost the most. */
const reportPaths = [
  ...['2026-06-15T00:00:00Z', '2099-12-31T23:59:59.999Z'].flatMap((asOf) =>
    ['mrr', 'backlog', 'trial-balance', 'contract-balances', 'ar-aging', 'capacity'].map((name) => `/v1/reports/${name}?asOf=${asOf}`),
  ),
  ...['2026-06', '2099-12'].flatMap((month) => ['mrr-movements', 'revenue', 'reconciliation'].map((name) => `/v1/reports/${name}?month=${month}`)),
];

async function answersEveryReportInBudget(): Promise<void> {
  for (const path of reportPaths) {
    const startedMs = performance.now();
    const answer = await client.request('GET', path, { as: 'finance', signal: AbortSignal.timeout(reportBudgetMs * 5) });
    const elapsedMs = performance.now() - startedMs;
    expect(answer.status, `${path}: ${answer.text.slice(0, 500)}`).toBe(200);
    expect(elapsedMs, path).toBeLessThan(reportBudgetMs);
  }
  await client.expect(200, 'GET', '/healthz', { as: null, signal: AbortSignal.timeout(reportBudgetMs) });
}

beforeAll(async () => {
  buildOnce();
  directory = temporaryDirectory('bounded');
  server = await startServer({ directory: directory.path });
  client = new Client(server.url);
  await client.expect(201, 'POST', '/v1/sites', { as: 'operations', body: siteBody(siteId, 1_000) });
  await client.expect(201, 'POST', '/v1/tenants', { as: 'finance', body: tenantBody(tenantId) });
});

afterAll(async () => {
  await server?.kill();
  directory?.remove();
});

describe('what a fact may span', () => {
  it('refuses a term that ends in 9999 or runs past 50 years, naming the limit, and records nothing', async () => {
    const { body: before } = await client.expect<Json>(200, 'GET', '/v1/audit/verify', { as: 'auditor' });
    const endless = await client.post('/v1/leases', 'finance', leaseBody('L-9999', '2026-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z'));
    expect(endless.status).toBe(400);
    expect(endless.text).toContain('must be before 2100-01-01T00:00:00Z');
    const tooLong = await client.post('/v1/leases', 'finance', leaseBody('L-51Y', '2026-01-01T00:00:00Z', '2076-01-01T00:00:00.001Z'));
    expect(tooLong.status).toBe(422);
    expect(tooLong.text).toContain('longer than 50 years: it must end by 2076-01-01T00:00:00Z');
    const { body: after } = await client.expect<Json>(200, 'GET', '/v1/audit/verify', { as: 'auditor' });
    expect(after['headPosition']).toBe(before['headPosition']);
  });

  it('refuses an amendment that stretches a term past 50 years, and report instants from 2100 on', async () => {
    await client.expect(201, 'POST', '/v1/leases', { as: 'finance', body: leaseBody('L-AMEND', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z') });
    const stretched = await client.post('/v1/leases/L-AMEND/amendments', 'finance', { amendmentId: 'A-1', effectiveAt: '2026-06-01T00:00:00Z', endsAt: '2080-01-01T00:00:00Z' });
    expect(stretched.status).toBe(422);
    expect(stretched.text).toContain('longer than 50 years');
    expect((await client.get('/v1/reports/trial-balance?asOf=2100-01-01T00:00:00Z', 'finance')).status).toBe(400);
    expect((await client.get('/v1/reports/revenue?month=2100-01', 'finance')).status).toBe(400);
    expect((await client.post('/v1/billing-runs', 'billing', { billingDate: '2100-01-01T00:00:00Z' })).status).toBe(400);
  });
});

describe('work bounded by the instant asked about', () => {
  it('answers every report within the budget with a 50-year lease recorded', async () => {
    await client.expect(201, 'POST', '/v1/leases', { as: 'finance', body: leaseBody('L-50Y', '2026-01-01T00:00:00Z', '2076-01-01T00:00:00Z') });
    await answersEveryReportInBudget();
  });

  it('answers every report within the budget, and after a restart, when the log holds a lease ending in 9999 from before the limits', async () => {
    await server!.stopCleanly();
    server = undefined;
    // Written to the log as a ledger without the limits recorded it: through the store, which
    // chains it like any other event.
    const store = openSqliteEventStore({ path: storePath(directory.path) });
    try {
      const data = ledgerEventRegistry.parseCurrent('LeaseSigned', { ...leaseBody('L-ENDLESS', '2026-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z'), commitmentBilling: 'advance', sla: [] }) as JsonObject;
      await store.append('lease-L-ENDLESS', [{ eventId: 'lease:L-ENDLESS', type: 'LeaseSigned', schemaVersion: 1, data, metadata: { actor: 'test' } }], 'no_stream');
    } finally {
      await store.close();
    }
    server = await startServer({ directory: directory.path });
    client = new Client(server.url);
    await answersEveryReportInBudget();
  });
});
