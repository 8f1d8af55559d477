import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type ApiHarness } from './support/api-harness.js';
import { decemberReadings, lateReadingCloudEvents, lease, novemberReadings, recordContracts, tenant } from './support/worked-example.js';
import { workedExampleJanuaryReadings, workedExamplePrepaidGrant, workedExamplePromotionalGrant } from '../support/worked-example.js';

/**
 * DOMAIN.md's worked example end to end over HTTP: every number it states, read back from the
 * API with the key of the role that would read it.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let api: ApiHarness;

beforeAll(async () => {
  api = await startHarness('2025-10-20T12:00:00Z');
  await recordContracts(api);
});

afterAll(async () => {
  await api.close();
});

describe('the worked example of DOMAIN.md over HTTP', () => {
  it('answers a repeated create with 200 and the first body, and other content with 409', async () => {
    const again = await api.post('/v1/tenants', 'finance', tenant);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(tenant);
    const other = await api.post('/v1/tenants', 'finance', { ...tenant, paymentTermsDays: 45 });
    expect(other.status).toBe(409);
    expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const resent = await api.post('/v1/usage', 'metering', { records: novemberReadings });
    expect(resent.status).toBe(202);
    expect(resent.body).toEqual({ accepted: 0, duplicates: 504 });
  });

  it('bills 2025-12-01 as INV-000001, 2,603,160.00, and the same run again answers 200 with the same body', async () => {
    api.at('2025-12-01T06:00:00Z');
    const run = await api.post<Json>('/v1/billing-runs', 'billing', { billingDate: '2025-12-01T00:00:00Z' });
    expect(run.status).toBe(201);
    expect(run.body.billingDate).toBe('2025-12-01T00:00:00Z');
    expect(run.body.documents).toEqual([{ invoiceId: 'INV-000001', kind: 'invoice', tenantId: 'frontier-lab', total: '2603160.00' }]);
    const again = await api.post('/v1/billing-runs', 'billing', { billingDate: '2025-12-01T00:00:00Z' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(run.body);
  });

  it('shows INV-000001 line by line to the tenant itself', async () => {
    const { status, body } = await api.get<Json>('/v1/invoices/INV-000001', 'tenant');
    expect(status).toBe(200);
    expect(body).toMatchObject({ invoiceId: 'INV-000001', kind: 'invoice', tenantId: 'frontier-lab', billingDate: '2025-12-01T00:00:00Z', dueAt: '2025-12-31T00:00:00Z', currency: 'USD' });
    const lines = body.lines.map((line: Json) => [line.serviceMonth, line.kind, line.quantity, line.amount, line.adjustment]);
    expect(lines).toEqual([
      ['2025-11', 'commitment', '504000', '1058400.00', false], // 504 h x 1,000 x 2.10
      ['2025-11', 'overage', '25200', '88200.00', false], // (529,200 - 504,000) x 3.50
      ['2025-11', 'sla_credit', '1', '-105840.00', false], // 1,200 outage GPU-h -> 99.7619 % -> 10 % of 1,058,400.00
      ['2025-12', 'commitment', '744000', '1562400.00', false], // 744 h x 1,000 x 2.10, in advance
    ]);
    expect(body.total).toBe('2603160.00');
    expect(body.amountDue).toBe('2603160.00');
    expect(body.status).toBe('open');
    for (const line of body.lines) expect(line.sources.length).toBeGreaterThan(0);
    expect(body.lines[0].sources).toContainEqual(expect.objectContaining({ eventId: 'lease:L-1001', type: 'LeaseSigned' }));
  });

  it('takes the late reading of 2025-11-30 as a CloudEvents batch on 2025-12-03', async () => {
    api.at('2025-12-03T10:00:00Z');
    const late = await api.request('POST', '/v1/usage', { as: 'metering', raw: JSON.stringify(lateReadingCloudEvents), headers: { 'content-type': 'application/cloudevents-batch+json' } });
    expect(late.status).toBe(202);
    expect(late.body).toEqual({ accepted: 1, duplicates: 0 });
    const usage = await api.get<Json>('/v1/leases/L-1001/usage?month=2025-11', 'tenant');
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({ leaseId: 'L-1001', month: '2025-11', meteredGpuHours: '529800', committedGpuHours: '504000', allocatedGpuHours: '604800' }); // 1,200 x 504 h allocated
    expect(usage.body.readings).toHaveLength(505);
    expect(usage.body.nextCursor).toBeNull();
    // The last reading is the late one, named by its event.
    expect(usage.body.readings[504]).toMatchObject({ eventId: 'reading:L-1001:late:2025-11-30T23', type: 'UsageRecorded' });
  });

  it('pages through the readings of a month, with the totals of the whole month on every page', async () => {
    const whole = await api.get<Json>('/v1/leases/L-1001/usage?month=2025-11', 'finance');
    const pages: Json[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${cursor}`;
      const page = await api.get<Json>(`/v1/leases/L-1001/usage?month=2025-11&limit=200${query}`, 'finance');
      expect(page.status).toBe(200);
      expect(page.body).toMatchObject({ meteredGpuHours: '529800', committedGpuHours: '504000', allocatedGpuHours: '604800' });
      pages.push(page.body);
      cursor = page.body.nextCursor as string | null;
    } while (cursor !== null && pages.length < 10);
    expect(pages.map((page) => page.readings.length)).toEqual([200, 200, 105]); // 505 readings
    expect(pages.flatMap((page) => page.readings)).toEqual(whole.body.readings);
    // A cursor past the last reading answers an empty last page.
    const after = await api.get<Json>(`/v1/leases/L-1001/usage?month=2025-11&cursor=${whole.body.readings[504].position}`, 'finance');
    expect(after.body).toMatchObject({ readings: [], nextCursor: null, meteredGpuHours: '529800' });
  });

  it('records the payment of INV-000001 and shows it paid', async () => {
    api.at('2025-12-30T09:00:00Z');
    const payment = await api.post('/v1/payments', 'finance', { paymentId: 'PAY-1', tenantId: 'frontier-lab', amount: '2603160.00', receivedAt: '2025-12-30T09:00:00Z', invoiceId: 'INV-000001' });
    expect(payment.status).toBe(201);
    const invoice = await api.get<Json>('/v1/invoices/INV-000001', 'billing');
    expect(invoice.body).toMatchObject({ amountPaid: '2603160.00', amountDue: '0.00', status: 'paid' });
  });

  it('bills 2026-01-01 as 1,564,500.00 with the +2,100.00 adjustment of November usage and no December overage', async () => {
    api.at('2026-01-01T00:30:00Z');
    const december = await api.post('/v1/usage', 'metering', { records: decemberReadings });
    expect(december.body).toEqual({ accepted: 31, duplicates: 0 });
    api.at('2026-01-01T06:00:00Z');
    const run = await api.post<Json>('/v1/billing-runs', 'finance', { billingDate: '2026-01-01T00:00:00Z' });
    expect(run.status).toBe(201);
    expect(run.body.documents).toEqual([{ invoiceId: 'INV-000002', kind: 'invoice', tenantId: 'frontier-lab', total: '1564500.00' }]);
    const { body } = await api.get<Json>('/v1/invoices/INV-000002', 'auditor');
    const lines = body.lines.map((line: Json) => [line.serviceMonth, line.kind, line.amount, line.adjustment]);
    expect(lines).toEqual([
      ['2025-11', 'overage', '2100.00', true], // 25,800 x 3.50 = 90,300.00 minus 88,200.00 invoiced
      ['2026-01', 'commitment', '1562400.00', false],
    ]);
    expect(body.dueAt).toBe('2026-01-31T00:00:00Z');
    const runs = await api.get<Json>('/v1/billing-runs', 'billing');
    expect(runs.body.runs.map((entry: Json) => entry.billingDate)).toEqual(['2025-12-01T00:00:00Z', '2026-01-01T00:00:00Z']);
    const list = await api.get<Json>('/v1/invoices?tenantId=frontier-lab', 'finance');
    expect(list.body.invoices.map((invoice: Json) => [invoice.invoiceId, invoice.total, invoice.status])).toEqual([
      ['INV-000001', '2603160.00', 'paid'],
      ['INV-000002', '1564500.00', 'open'],
    ]);
    for (const invoice of list.body.invoices) for (const line of invoice.lines) expect(line).not.toHaveProperty('sources');
  });

  it('answers MRR 1,533,000.00 (ARR 18,396,000.00) at 2025-12-15', async () => {
    api.at('2026-01-02T00:00:00Z');
    const { body } = await api.get<Json>('/v1/reports/mrr?asOf=2025-12-15T00:00:00Z', 'auditor');
    expect(body).toMatchObject({ asOf: '2025-12-15T00:00:00Z', knownAt: '2026-01-02T00:00:00Z', mrr: '1533000.00', arr: '18396000.00' }); // 1,000 x 2.10 x 8760 / 12
    expect(body.tenants).toEqual([{ tenantId: 'frontier-lab', mrr: '1533000.00', arr: '18396000.00' }]);
  });

  it('shows the ramp as an expansion of 1,387,000.00 in February 2026 and none in January', async () => {
    const february = await api.get<Json>('/v1/reports/mrr-movements?month=2026-02', 'finance');
    expect(february.body).toMatchObject({ month: '2026-02', startingMrr: '1533000.00', expansion: '1387000.00', endingMrr: '2920000.00', new: '0.00', churn: '0.00' }); // 2,000 x 2.00 x 8760 / 12
    expect(february.body.tenants).toEqual([{ tenantId: 'frontier-lab', startingMrr: '1533000.00', endingMrr: '2920000.00', movement: 'expansion' }]);
    const january = await api.get<Json>('/v1/reports/mrr-movements?month=2026-01', 'finance');
    expect(january.body).toMatchObject({ expansion: '0.00', startingMrr: '1533000.00', endingMrr: '1533000.00' });
    expect(january.body.tenants[0].movement).toBe('none');
    const november = await api.get<Json>('/v1/reports/mrr-movements?month=2025-11', 'finance');
    expect(november.body).toMatchObject({ startingMrr: '0.00', new: '1533000.00', endingMrr: '1533000.00' });
  });

  it('reports November 2025 revenue as known now (1,042,860.00) and as known on 2025-12-02 (1,040,760.00)', async () => {
    const now = await api.get<Json>('/v1/reports/revenue?month=2025-11', 'auditor');
    expect(now.body).toMatchObject({ month: '2025-11', commitment: '1058400.00', usage: '90300.00', slaCredits: '-105840.00', terminationFees: '0.00', total: '1042860.00' });
    const before = await api.get<Json>('/v1/reports/revenue?month=2025-11&knownAt=2025-12-02T00:00:00Z', 'auditor');
    expect(before.body).toMatchObject({ knownAt: '2025-12-02T00:00:00Z', commitment: '1058400.00', usage: '88200.00', slaCredits: '-105840.00', total: '1040760.00' });
  });

  it('balances the trial balance at 2025-12-15 at 2,709,000.00', async () => {
    const { body } = await api.get<Json>('/v1/reports/trial-balance?asOf=2025-12-15T00:00:00Z', 'auditor');
    const accounts = Object.fromEntries(body.accounts.map((account: Json) => [account.account, [account.debit, account.credit]]));
    expect(accounts).toMatchObject({
      '1100': ['2603160.00', '0.00'],
      '1200': ['0.00', '1560300.00'], // December billed in advance, less the 2,100.00 of November usage not yet invoiced
      '4000': ['0.00', '1058400.00'],
      '4010': ['0.00', '90300.00'],
      '4090': ['105840.00', '0.00'],
    });
    expect(body.totalDebit).toBe('2709000.00');
    expect(body.totalCredit).toBe('2709000.00');
  });

  it('reports a backlog of 29,491,200.00 at 2025-12-15', async () => {
    const { body } = await api.get<Json>('/v1/reports/backlog?asOf=2025-12-15T00:00:00Z', 'finance');
    expect(body.total).toBe('29491200.00'); // 1,000 x 1,152 h x 2.10 + 2,000 x 6,768 h x 2.00
    expect(body.leases).toEqual([{ leaseId: 'L-1001', tenantId: 'frontier-lab', remaining: '29491200.00' }]);
  });

  it('answers the other reports for the same book', async () => {
    const capacity = await api.get<Json>('/v1/reports/capacity?asOf=2025-12-15T00:00:00Z', 'operations');
    expect(capacity.status).toBe(200);
    expect(capacity.body.sites).toEqual([expect.objectContaining({ siteId: 'colossus-1', gpuCount: 100000, allocated: 1200, free: 98800 })]);
    const aging = await api.get<Json>('/v1/reports/ar-aging?asOf=2026-01-15T00:00:00Z', 'finance');
    expect(aging.body.tenants).toEqual([expect.objectContaining({ tenantId: 'frontier-lab', current: '1564500.00', total: '1564500.00' })]);
    const balances = await api.get<Json>('/v1/reports/contract-balances?asOf=2025-12-15T00:00:00Z', 'auditor');
    expect(balances.status).toBe(200);
    expect(balances.body.leases).toEqual([expect.objectContaining({ leaseId: 'L-1001', balance: '1560300.00' })]);
    const reconciliation = await api.get<Json>('/v1/reports/reconciliation?month=2025-11', 'auditor');
    expect(reconciliation.status).toBe(200);
    expect(reconciliation.body.ok).toBe(true);
  });

  it('shows the lease as it stands', async () => {
    const { status, body } = await api.get<Json>('/v1/leases/L-1001', 'tenant');
    expect(status).toBe(200);
    expect(body).toMatchObject({ leaseId: 'L-1001', tenantId: 'frontier-lab', status: 'active', startsAt: lease.startsAt, endsAt: lease.endsAt, commitmentBilling: 'advance' });
    expect(body.commitment).toHaveLength(2);
  });

  it('keeps an audit trail whose hash chain verifies and whose events name the actor and request', async () => {
    const verify = await api.get<Json>('/v1/audit/verify', 'auditor');
    expect(verify.body).toMatchObject({ ok: true, eventsChecked: (await api.head()) + 1 });
    const page = await api.get<Json>('/v1/audit/events?fromPosition=0&limit=3', 'auditor');
    expect(page.body.events.map((event: Json) => event.type)).toEqual(['SiteCommissioned', 'TenantRegistered', 'LeaseSigned']);
    expect(page.body.nextPosition).toBe(3);
    expect(page.body.events[1].metadata.actor).toMatch(/^finance#[0-9a-f]{8}$/);
    expect(page.body.events[1].recordedAt).toBe('2025-10-20T12:00:00.000Z');
    const stream = await api.get<Json>('/v1/audit/streams/lease-L-1001', 'auditor');
    expect(stream.body.events.map((event: Json) => event.type)).toEqual(['LeaseSigned', 'OutageRecorded']);
    const traced = await api.post('/v1/payments', 'finance', { paymentId: 'PAY-2', tenantId: 'frontier-lab', amount: '100.00', receivedAt: '2026-01-02T00:00:00Z' }, { 'x-request-id': 'trace-worked-example-1' });
    expect(traced.headers.get('x-request-id')).toBe('trace-worked-example-1');
    const last = await api.get<Json>(`/v1/audit/events?fromPosition=${await api.head()}`, 'auditor');
    expect(last.body.events[0].metadata.correlationId).toBe('trace-worked-example-1');
  });
});

/**
 * DOMAIN.md's credit example, after the worked example above: prepaid G-1 and promotional P-1,
 * January's usage, the runs of 2026-02-01 (previewed first) and 2026-03-01.
 */
describe('the credit grants example of DOMAIN.md over HTTP', () => {
  it('records prepaid G-1 with its invoice INV-000003, and P-1 with none', async () => {
    api.at('2026-01-15T09:00:00Z');
    const prepaid = await api.post<Json>('/v1/credit-grants', 'finance', workedExamplePrepaidGrant);
    expect(prepaid.status).toBe(201);
    expect(prepaid.body.grant).toMatchObject({ grantId: 'G-1', kind: 'prepaid', amount: '3000000.00', priority: 10, appliesTo: ['commitment', 'overage', 'termination_fee'], drawn: '0.00', remaining: '3000000.00', invoiceId: 'INV-000003' });
    expect(prepaid.body.invoice).toMatchObject({ invoiceId: 'INV-000003', billingDate: '2026-01-15T00:00:00Z', dueAt: '2026-02-14T00:00:00Z', total: '3000000.00', status: 'open' }); // due 2026-01-15 + 30 days
    expect(prepaid.body.invoice.lines.map((line: Json) => [line.leaseId, line.kind, line.amount])).toEqual([[null, 'prepayment', '3000000.00']]);
    const again = await api.post<Json>('/v1/credit-grants', 'finance', workedExamplePrepaidGrant);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(prepaid.body);
    const promotional = await api.post<Json>('/v1/credit-grants', 'finance', workedExamplePromotionalGrant);
    expect(promotional.status).toBe(201);
    expect(promotional.body.invoice).toBeNull();
    expect((await api.post('/v1/credit-grants', 'billing', { ...workedExamplePromotionalGrant, grantId: 'P-2' })).status).toBe(403);
  });

  it('refuses bad grants with a clear 4xx and records nothing', async () => {
    const head = await api.head();
    const base = { ...workedExamplePromotionalGrant, grantId: 'P-bad' };
    const refusals: [Json, number][] = [
      [{ ...base, tenantId: 'nobody' }, 404],
      [{ ...base, leaseIds: ['L-unknown'] }, 404],
      [{ ...base, expiresAt: base.effectiveAt }, 400],
      [{ ...base, amount: '0.00' }, 400],
      [{ ...base, amount: '10.001' }, 400],
      [{ ...base, appliesTo: ['coffee'] }, 400],
    ];
    for (const [body, status] of refusals) {
      const answer = await api.post<Json>('/v1/credit-grants', 'finance', body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect(await api.head()).toBe(head);
  });

  it('previews the run of 2026-02-01 before January ends, and the run then issues exactly what the preview showed', async () => {
    api.at('2026-01-31T23:30:00Z');
    expect((await api.post('/v1/usage', 'metering', { records: workedExampleJanuaryReadings() })).status).toBe(202);
    const head = await api.head();
    const preview = await api.get<Json>('/v1/billing-runs/preview?billingDate=2026-02-01T00:00:00Z', 'billing');
    expect(preview.status).toBe(200);
    expect(await api.head()).toBe(head);
    expect(preview.body.documents.map((document: Json) => [document.number, document.total])).toEqual([[null, '0.00']]);
    api.at('2026-02-01T06:00:00Z');
    const run = await api.post<Json>('/v1/billing-runs', 'billing', { billingDate: '2026-02-01T00:00:00Z' });
    expect(run.body.documents).toEqual([{ invoiceId: 'INV-000004', kind: 'invoice', tenantId: 'frontier-lab', total: '0.00' }]);
    const invoice = await api.get<Json>('/v1/invoices/INV-000004', 'tenant');
    expect(invoice.body.lines).toEqual(preview.body.documents[0].lines);
    expect(invoice.body.lines.map((line: Json) => [line.serviceMonth, line.kind, line.amount, line.grantId ?? null])).toEqual([
      ['2026-01', 'overage', '196000.00', null], // (800,000 - 744,000) x 3.50
      ['2026-02', 'commitment', '2688000.00', null], // 2,000 x 672 h x 2.00
      ['2026-02', 'credit', '-50000.00', 'P-1'], // P-1, overage only, priority 1
      ['2026-02', 'credit', '-2834000.00', 'G-1'], // G-1: eligible 2,834,000 = cap 2,884,000 - 50,000
    ]);
    expect(invoice.body.total).toBe('0.00');
    const done = await api.get<Json>('/v1/billing-runs/preview?billingDate=2026-02-01T00:00:00Z', 'billing');
    expect(done.body.documents).toEqual([]); // the run is done: running it again issues nothing
    expect((await api.get('/v1/billing-runs/preview?billingDate=2025-11-01T00:00:00Z', 'billing')).status).toBe(409); // before the latest run and never run: refused, as a run would be
    expect((await api.get('/v1/billing-runs/preview?billingDate=2026-02-15T00:00:00Z', 'billing')).status).toBe(400); // not a month start
  });

  it('previews a future date with the usage known so far, and bills 2026-03-01 without G-1 as INV-000005', async () => {
    api.at('2026-02-20T00:00:00Z');
    const future = await api.get<Json>('/v1/billing-runs/preview?billingDate=2026-03-01T00:00:00Z', 'finance');
    expect(future.status).toBe(200);
    expect(future.body.documents.map((document: Json) => document.total)).toEqual(['2976000.00']); // 2,000 x 744 h x 2.00; G-1 expires on the billing date
    expect((await api.post('/v1/billing-runs', 'finance', { billingDate: '2026-03-01T00:00:00Z' })).status).toBe(422);
    api.at('2026-03-01T06:00:00Z');
    const run = await api.post<Json>('/v1/billing-runs', 'finance', { billingDate: '2026-03-01T00:00:00Z' });
    expect(run.body.documents).toEqual([{ invoiceId: 'INV-000005', kind: 'invoice', tenantId: 'frontier-lab', total: '2976000.00' }]);
  });

  it('reports the grants: G-1 drew 2,834,000.00 and 166,000.00 expired; P-1 used up', async () => {
    api.at('2026-03-15T00:00:00Z');
    const credits = await api.get<Json>('/v1/reports/credits?asOf=2026-03-15T00:00:00Z', 'auditor');
    expect(credits.status).toBe(200);
    expect(credits.body.grants.map((grant: Json) => [grant.grantId, grant.drawn, grant.expired, grant.remaining])).toEqual([
      ['G-1', '2834000.00', '166000.00', '0.00'], // 3,000,000 - 2,834,000 expired on 2026-03-01
      ['P-1', '50000.00', '0.00', '0.00'],
    ]);
    expect(credits.body.totals).toEqual({ amount: '3050000.00', drawn: '2884000.00', expired: '166000.00', remaining: '0.00' });
    const grant = await api.get<Json>('/v1/credit-grants/G-1', 'finance');
    expect(grant.body.draws).toEqual([{ invoiceId: 'INV-000004', billingDate: '2026-02-01T00:00:00Z', amount: '2834000.00' }]);
    const list = await api.get<Json>('/v1/credit-grants?tenantId=frontier-lab', 'finance');
    expect(list.body.grants.map((entry: Json) => entry.grantId)).toEqual(['G-1', 'P-1']);
    expect((await api.get('/v1/credit-grants/G-404', 'finance')).status).toBe(404);
  });

  it('books February 2026 with promotionalCredits -50,000.00 and March 2026 with expiredCredits 166,000.00', async () => {
    const february = await api.get<Json>('/v1/reports/revenue?month=2026-02', 'finance');
    expect([february.body.commitment, february.body.promotionalCredits, february.body.total]).toEqual(['2688000.00', '-50000.00', '2638000.00']); // 2,688,000 - 50,000
    const march = await api.get<Json>('/v1/reports/revenue?month=2026-03', 'finance');
    expect([march.body.commitment, march.body.expiredCredits, march.body.total]).toEqual(['2976000.00', '166000.00', '3142000.00']); // 2,976,000 + 166,000
  });

  it('balances the trial balance at every instant of the example', async () => {
    for (const asOf of ['2026-01-15T00:00:00Z', '2026-01-20T00:00:00Z', '2026-02-01T00:00:00Z', '2026-02-28T00:00:00Z', '2026-03-01T00:00:00Z', '2026-03-15T00:00:00Z']) {
      const balance = await api.get<Json>(`/v1/reports/trial-balance?asOf=${asOf}`, 'auditor');
      expect(balance.body.totalDebit, asOf).toBe(balance.body.totalCredit);
    }
    const march = await api.get<Json>('/v1/reports/trial-balance?asOf=2026-03-15T00:00:00Z', 'auditor');
    const row = (code: string): Json => march.body.accounts.find((account: Json) => account.account === code);
    expect([row('2300').debit, row('2300').credit]).toEqual(['0.00', '0.00']); // 3,000,000 invoiced - 2,834,000 drawn - 166,000 expired
    expect(row('4030').credit).toBe('166000.00');
    expect(row('4096').debit).toBe('50000.00');
  });
});
