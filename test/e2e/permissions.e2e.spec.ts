import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { Webhooks, WebhookUrlPolicy } from '@compute-ledger/api';
import { hourlyReadings, keys, startHarness, type ApiHarness, type KeyName } from './support/api-harness.js';
import { recordContracts } from './support/worked-example.js';

/**
 * Every endpoint with every role and with no key: the permission table of API.md, stated here
 * on its own (not read from the code) so that a change to either shows up as a failure.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Role = Exclude<KeyName, 'otherTenant'>;

const roles: readonly Role[] = ['admin', 'finance', 'operations', 'metering', 'billing', 'auditor', 'tenant'];
const reporters: Role[] = ['finance', 'auditor'];

/** Who besides admin may call each endpoint; `public` needs no key. */
const allowed: Record<string, Role[] | 'public'> = {
  'POST /v1/tenants': ['finance'],
  'GET /v1/tenants/{tenantId}': ['finance', 'auditor', 'tenant'],
  'PUT /v1/tenants/{tenantId}/billing-details': ['finance'],
  'POST /v1/sites': ['operations'],
  'POST /v1/leases': ['finance'],
  'GET /v1/leases/{leaseId}': ['finance', 'auditor', 'tenant'],
  'POST /v1/leases/{leaseId}/amendments': ['finance'],
  'POST /v1/leases/{leaseId}/termination': ['finance'],
  'POST /v1/allocations': ['operations'],
  'POST /v1/allocations/{allocationId}/release': ['operations'],
  'POST /v1/outages': ['operations'],
  'POST /v1/usage': ['metering'],
  'POST /v1/usage/corrections': ['metering'],
  'GET /v1/leases/{leaseId}/usage': ['finance', 'auditor', 'tenant'],
  'POST /v1/billing-runs': ['finance', 'billing'],
  'GET /v1/billing-runs': ['finance', 'auditor', 'billing'],
  'GET /v1/invoices': ['finance', 'auditor', 'billing', 'tenant'],
  'GET /v1/invoices/{invoiceId}': ['finance', 'auditor', 'billing', 'tenant'],
  'GET /v1/invoices/{invoiceId}/document': ['finance', 'auditor', 'billing', 'tenant'],
  'POST /v1/payments': ['finance'],
  'POST /v1/credit-notes': ['finance'],
  'POST /v1/credit-grants': ['finance'],
  'GET /v1/credit-grants': reporters,
  'GET /v1/credit-grants/{grantId}': reporters,
  'GET /v1/billing-runs/preview': ['finance', 'auditor', 'billing'],
  'GET /v1/drafts': ['finance', 'auditor', 'billing'],
  'GET /v1/drafts/{draftId}': ['finance', 'auditor', 'billing'],
  'POST /v1/drafts/{draftId}/approve': ['finance'],
  'POST /v1/drafts/{draftId}/void': ['finance'],
  'GET /v1/reports/mrr': reporters,
  'GET /v1/reports/mrr-movements': reporters,
  'GET /v1/reports/revenue': reporters,
  'GET /v1/reports/backlog': reporters,
  'GET /v1/reports/trial-balance': reporters,
  'GET /v1/reports/contract-balances': reporters,
  'GET /v1/reports/ar-aging': reporters,
  'GET /v1/reports/reconciliation': reporters,
  'GET /v1/reports/capacity': ['finance', 'auditor', 'operations'],
  'GET /v1/reports/rpo': reporters,
  'GET /v1/reports/credits': reporters,
  'POST /v1/periods/{month}/close': ['finance'],
  'GET /v1/periods': reporters,
  'GET /v1/periods/{month}': reporters,
  'GET /v1/audit/events': reporters,
  'GET /v1/audit/streams/{streamId}': reporters,
  'GET /v1/audit/verify': reporters,
  'POST /v1/webhooks': [],
  'GET /v1/webhooks': [],
  'DELETE /v1/webhooks/{endpointId}': [],
  'GET /v1/webhooks/{endpointId}/deliveries': [],
  'POST /v1/webhooks/{endpointId}/secret': [],
  'POST /v1/webhooks/{endpointId}/deliveries/{deliveryId}/retry': [],
  'POST /v1/webhooks/{endpointId}/replay': [],
  'GET /healthz': 'public',
  'GET /metrics': 'public',
  'GET /v1/openapi.json': 'public',
  'GET /docs': 'public',
  'GET /docs/init.js': 'public',
  'GET /docs/{asset}': 'public',
};

/** Routes of the service's own, served but not API: the OpenAPI document leaves them out. */
const internalRoutes = ['GET /docs/init.js', 'GET /docs/{asset}'];

const pathValues: Record<string, string> = { tenantId: 'frontier-lab', leaseId: 'L-1001', allocationId: 'A-1001', invoiceId: 'INV-000001', streamId: 'lease-L-1001', asset: 'swagger-ui.css', endpointId: 'erp', deliveryId: 'no-such-delivery', grantId: 'G-1', draftId: 'DRAFT-000001' };

let api: ApiHarness;

beforeAll(async () => {
  api = await startHarness('2025-10-20T12:00:00Z', { webhooks: (ledger, dataDir) => new Webhooks({ ledger, dataDir, policy: new WebhookUrlPolicy([]) }) });
  await recordContracts(api);
  // A second tenant with a lease and an invoice, for the tenant boundary.
  await api.post('/v1/tenants', 'finance', { tenantId: 'other-lab', name: 'Other Lab', currency: 'USD', paymentTermsDays: 30 });
  await api.post('/v1/leases', 'finance', {
    leaseId: 'L-2001',
    tenantId: 'other-lab',
    siteId: 'colossus-1',
    gpuSku: 'H100-SXM',
    signedAt: '2025-11-01T00:00:00Z',
    startsAt: '2025-11-10T00:00:00Z',
    endsAt: '2026-11-10T00:00:00Z',
    commitment: [{ effectiveFrom: '2025-11-10T00:00:00Z', gpuCount: 10, ratePerGpuHour: '2.00' }],
    overageRatePerGpuHour: '3.00',
  });
  await api.post('/v1/allocations', 'operations', { allocationId: 'A-2001', leaseId: 'L-2001', siteId: 'colossus-1', gpuCount: 10, startsAt: '2025-11-10T00:00:00Z' });
  await api.post('/v1/usage', 'metering', { records: hourlyReadings('L-2001', '2025-11-10T00:00:00Z', '2025-11-11T00:00:00Z', '10') });
  api.at('2025-12-01T06:00:00Z');
  const run = await api.post<Json>('/v1/billing-runs', 'billing', { billingDate: '2025-12-01T00:00:00Z' });
  expect(run.body.documents.map((document: Json) => document.invoiceId)).toEqual(['INV-000001', 'INV-000002']);
});

afterAll(async () => {
  await api.close();
});

describe('permissions', () => {
  it('describes exactly the endpoints of the permission table', async () => {
    const { body } = await api.get<Json>('/v1/openapi.json', null);
    const served = Object.entries(body.paths as Record<string, Json>).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    expect(served.sort()).toEqual(Object.keys(allowed).filter((route) => !internalRoutes.includes(route)).sort());
  });

  it('answers every endpoint for every role: 401 without a key, 403 without the right, never 5xx', async () => {
    const headBefore = await api.head();
    const failures: string[] = [];
    for (const [route, who] of Object.entries(allowed)) {
      const [method, template] = route.split(' ') as [string, string];
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => pathValues[name]!);
      // An empty body: a caller with the right gets 400 from validation, which runs after the
      // guard, or (billing details) the tenant's empty details again, so this walk records nothing.
      const body = method === 'POST' || method === 'PUT' ? {} : undefined;
      const anonymous = await api.request(method, path, { as: null, ...(body === undefined ? {} : { body }) });
      if (who === 'public') {
        if (anonymous.status !== 200) failures.push(`${route} without a key: ${anonymous.status}`);
        continue;
      }
      if (anonymous.status !== 401) failures.push(`${route} without a key: ${anonymous.status}`);
      for (const role of roles) {
        const answer = await api.request(method, path, { as: role, ...(body === undefined ? {} : { body }) });
        const mayCall = role === 'admin' || who.includes(role);
        if (answer.status >= 500) failures.push(`${route} as ${role}: ${answer.status} ${answer.text}`);
        else if (mayCall && (answer.status === 401 || answer.status === 403)) failures.push(`${route} as ${role}: refused with ${answer.status}`);
        else if (!mayCall && answer.status !== 403) failures.push(`${route} as ${role}: ${answer.status}, expected 403`);
      }
    }
    expect(failures).toEqual([]);
    expect(await api.head()).toBe(headBefore);
  });

  it('tells a missing key, an unknown key and a malformed header apart from a missing right', async () => {
    const missing = await api.get<Json>('/v1/reports/mrr', null);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(missing.body).toMatchObject({ status: 401, title: expect.any(String), detail: expect.stringContaining('Bearer') });
    const unknown = await api.request('GET', '/v1/reports/mrr', { as: null, headers: { authorization: 'Bearer not-a-known-key' } });
    expect(unknown.status).toBe(401);
    const basic = await api.request('GET', '/v1/reports/mrr', { as: null, headers: { authorization: `Basic ${keys.admin}` } });
    expect(basic.status).toBe(401);
    const forbidden = await api.get<Json>('/v1/reports/mrr', 'metering');
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toContain('metering');
    expect(forbidden.text).not.toContain(keys.metering);
  });
});

describe('the tenant boundary', () => {
  it('shows a tenant its own lease, usage and invoices', async () => {
    expect((await api.get('/v1/leases/L-1001', 'tenant')).status).toBe(200);
    expect((await api.get('/v1/leases/L-1001/usage?month=2025-11', 'tenant')).status).toBe(200);
    expect((await api.get('/v1/invoices/INV-000001', 'tenant')).status).toBe(200);
    const list = await api.get<Json>('/v1/invoices', 'tenant');
    expect(list.body.invoices.map((invoice: Json) => invoice.invoiceId)).toEqual(['INV-000001']);
    const theirs = await api.get<Json>('/v1/invoices', 'otherTenant');
    expect(theirs.body.invoices.map((invoice: Json) => invoice.invoiceId)).toEqual(['INV-000002']);
  });

  it('answers another tenant’s resources exactly as resources that do not exist', async () => {
    const lease = await api.get<Json>('/v1/leases/L-2001', 'tenant');
    const missingLease = await api.get<Json>('/v1/leases/L-9999', 'tenant');
    expect(lease.status).toBe(404);
    expect(missingLease.status).toBe(404);
    expect(lease.body.detail.replace('L-2001', 'ID')).toBe(missingLease.body.detail.replace('L-9999', 'ID'));
    expect((await api.get('/v1/leases/L-2001/usage?month=2025-11', 'tenant')).status).toBe(404);
    const invoice = await api.get<Json>('/v1/invoices/INV-000002', 'tenant');
    const missingInvoice = await api.get<Json>('/v1/invoices/INV-999999', 'tenant');
    expect(invoice.status).toBe(404);
    expect(invoice.body.detail.replace('INV-000002', 'ID')).toBe(missingInvoice.body.detail.replace('INV-999999', 'ID'));
    expect((await api.get('/v1/invoices/INV-000001', 'otherTenant')).status).toBe(404);
    const filtered = await api.get<Json>('/v1/invoices?tenantId=other-lab', 'tenant');
    expect(filtered.body.invoices).toEqual([]);
  });

  it('refuses a tenant every write and every report', async () => {
    expect((await api.post('/v1/payments', 'tenant', { paymentId: 'P-x', tenantId: 'frontier-lab', amount: '1.00', receivedAt: '2025-12-01T00:00:00Z' })).status).toBe(403);
    expect((await api.get('/v1/reports/revenue?month=2025-11', 'tenant')).status).toBe(403);
    expect((await api.get('/v1/audit/events', 'tenant')).status).toBe(403);
    expect((await api.get('/v1/billing-runs', 'tenant')).status).toBe(403);
  });
});
