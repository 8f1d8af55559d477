import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type ApiHarness } from './support/api-harness.js';
import { recordContracts } from './support/worked-example.js';

/** Closing a period and the RPO over HTTP: status codes, roles, problem details, and the answers' shapes. */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let api: ApiHarness;

beforeAll(async () => {
  api = await startHarness('2025-10-20T12:00:00Z');
  await recordContracts(api);
});

afterAll(async () => {
  await api.close();
});

describe('periods over HTTP', () => {
  it('refuses a close before the month\'s run with 409, recording nothing', async () => {
    const head = await api.head();
    const early = await api.post<Json>('/v1/periods/2025-11/close', 'finance', {});
    expect(early.status).toBe(409);
    expect(early.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(early.body['detail']).toBe('2025-11 closes only after the billing run of 2025-12-01T00:00:00Z, which has not run yet');
    expect(await api.head()).toBe(head);
  });

  it('lets finance and admin close, not auditors or billing; readers see the seals', async () => {
    expect((await api.post('/v1/billing-runs', 'billing', { billingDate: '2025-12-01T00:00:00Z' })).status).toBe(201);
    api.at('2025-12-02T00:00:00Z');
    for (const role of ['auditor', 'billing', 'operations', 'tenant'] as const) expect((await api.post(`/v1/periods/2025-11/close`, role, {})).status, role).toBe(403);
    const head = await api.head();
    const closed = await api.post<Json>('/v1/periods/2025-11/close', 'finance', {});
    expect(closed.status).toBe(201);
    expect(closed.body).toEqual({ month: '2025-11', closedAt: '2025-12-02T00:00:00Z', seal: { position: head, hash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    const again = await api.post<Json>('/v1/periods/2025-11/close', 'admin', {});
    expect(again.status).toBe(409);
    expect(again.body['detail']).toMatch(/^2025-11 is already closed/);
    const outOfOrder = await api.post<Json>('/v1/periods/2026-01/close', 'admin', {});
    expect([outOfOrder.status, outOfOrder.body['detail']]).toEqual([409, 'months close in order: 2025-11 is the latest closed, so the next to close is 2025-12, not 2026-01']);
    const list = await api.get<Json>('/v1/periods', 'auditor');
    expect(list.status).toBe(200);
    expect(list.body['periods']).toEqual([{ month: '2025-11', closedAt: '2025-12-02T00:00:00Z', closedBy: expect.any(String), seal: closed.body['seal'], adjustments: [] }]);
    expect((await api.get<Json>('/v1/periods/2025-11', 'finance')).body['seal']).toEqual(closed.body['seal']);
    expect((await api.get('/v1/periods/2025-12', 'finance')).status).toBe(404);
    expect((await api.get('/v1/periods/2025-13', 'finance')).status).toBe(400);
    expect((await api.get('/v1/periods', 'tenant')).status).toBe(403);
    // The seal is a pinned head the audit endpoint checks.
    const verify = await api.get<Json>(`/v1/audit/verify?expectHead=${closed.body['seal'].position}:${closed.body['seal'].hash}`, 'auditor');
    expect(verify.body['ok']).toBe(true);
  });

  it('answers the RPO in four bands with what it leaves out', async () => {
    const rpo = await api.get<Json>('/v1/reports/rpo?asOf=2025-12-15T00:00:00Z&knownAt=2025-12-15T00:00:00Z', 'auditor');
    expect(rpo.status).toBe(200);
    // 1,000 x 1,152 h x 2.10 + 2,000 x 6,768 h x 2.00, all before 2026-12-15
    expect(rpo.body).toEqual({
      asOf: '2025-12-15T00:00:00Z',
      knownAt: '2025-12-15T00:00:00Z',
      bands: { within12Months: '29491200.00', months13to24: '0.00', months25to36: '0.00', beyond36Months: '0.00' },
      total: '29491200.00',
      leases: [{ leaseId: 'L-1001', tenantId: 'frontier-lab', within12Months: '29491200.00', months13to24: '0.00', months25to36: '0.00', beyond36Months: '0.00' }],
      excludes: 'usage-based consideration (ASC 606-10-50-14A)',
    });
    expect((await api.get('/v1/reports/rpo', 'tenant')).status).toBe(403);
  });
});
