import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { Webhooks, WebhookUrlPolicy, parseWebhookAllowList } from '@compute-ledger/api';
import { startHarness, type ApiHarness } from './support/api-harness.js';
import { startReceiver, verifySignature, waitFor, type Receiver } from '../support/webhook-receiver.js';
import { decemberReadings, lateReadingCloudEvents, recordContracts } from './support/worked-example.js';

/**
 * Four-eyes approval over HTTP (API.md, "Approval and webhooks"), on DOMAIN.md's worked example
 * with LEDGER_APPROVAL_ABOVE=2000000: finance runs billing, the run's documents above two
 * million wait as drafts, and another key approves or voids them.
 *
 * The worked example's amounts (DOMAIN.md, "Billing"):
 *   November 2025: commitment 1,058,400.00 + usage 88,200.00 - SLA credit 105,840.00 = 1,040,760.00
 *   December 2025 commitment, billed in advance:                                       1,562,400.00
 *   run of 2025-12-01: 1,040,760.00 + 1,562,400.00                                   = 2,603,160.00 (> 2,000,000.00: a draft)
 *   late reading of 2025-11-30 (600 GPU-hours x 3.50):                                     2,100.00
 *   January 2026 commitment, billed in advance:                                        1,562,400.00
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let api: ApiHarness;
let financeActor: string;

beforeAll(async () => {
  api = await startHarness('2025-10-20T12:00:00Z', { approvalAbove: '2000000.00' });
  await recordContracts(api);
});

afterAll(async () => {
  await api.close();
});

describe('four-eyes approval over HTTP', () => {
  it('records the run of 2025-12-01 (2,603,160.00, above 2,000,000.00) as a draft: no number, not in receivables, aging, trial balance or journal', async () => {
    const run = await api.post<Json>('/v1/billing-runs', 'finance', { billingDate: '2025-12-01T00:00:00Z' });
    expect(run.status).toBe(201);
    expect(run.body).toMatchObject({ documents: [], approvalAbove: '2000000.00', drafts: [{ draftId: 'DRAFT-000001', kind: 'invoice', tenantId: 'frontier-lab', total: '2603160.00' }] });
    const draft = await api.get<Json>('/v1/drafts/DRAFT-000001', 'auditor');
    expect(draft.status).toBe(200);
    expect(draft.body).toMatchObject({ draftId: 'DRAFT-000001', status: 'draft', billingDate: '2025-12-01T00:00:00Z', dueAt: '2025-12-31T00:00:00Z', total: '2603160.00' });
    expect(draft.body.invoiceId).toBeUndefined();
    financeActor = draft.body.createdBy;
    expect(financeActor).toMatch(/^finance#/);
    expect((await api.get<Json>('/v1/invoices', 'finance')).body.invoices).toEqual([]);
    expect((await api.get<Json>('/v1/reports/ar-aging?asOf=2026-02-15T00:00:00Z', 'finance')).body.tenants).toEqual([expect.objectContaining({ tenantId: 'frontier-lab', total: '0.00' })]);
    const trialBalance = await api.get<Json>('/v1/reports/trial-balance?asOf=2025-12-15T00:00:00Z', 'auditor');
    const receivable = trialBalance.body.accounts.find((account: Json) => account.account === '1100');
    expect(receivable === undefined || (receivable.debit === '0.00' && receivable.credit === '0.00')).toBe(true);
    const journal = await api.ledger.reports.journal({});
    expect(journal.entries.filter((entry: Json) => JSON.stringify(entry.postings).includes('"1100"'))).toEqual([]);
    // Reconciliation counts the draft as invoiced, as the next run does: nothing is billed twice.
    const reconciliation = await api.get<Json>('/v1/reports/reconciliation?month=2025-11', 'auditor');
    expect(reconciliation.body).toMatchObject({ ok: true, leases: [expect.objectContaining({ invoiced: '1040760.00', notYetInvoiced: '0.00' })] });
  });

  it('lists drafts to finance, auditors and billing, with a status filter, and to no tenant', async () => {
    const list = await api.get<Json>('/v1/drafts?status=draft', 'billing');
    expect(list.status).toBe(200);
    expect(list.body.drafts.map((draft: Json) => [draft.draftId, draft.status])).toEqual([['DRAFT-000001', 'draft']]);
    expect(list.body.drafts[0].lines[0].sources).toBeUndefined();
    expect((await api.get<Json>('/v1/drafts?status=approved', 'finance')).body.drafts).toEqual([]);
    expect((await api.get('/v1/drafts', 'tenant')).status).toBe(403);
    expect((await api.get('/v1/drafts/DRAFT-000001', 'tenant')).status).toBe(403);
    expect((await api.get('/v1/drafts?status=pending', 'finance')).status).toBe(400);
    expect((await api.get('/v1/drafts/DRAFT-999999', 'finance')).status).toBe(404);
  });

  it('refuses the key that ran the run (403, saying so), and roles that may not approve, recording nothing', async () => {
    const head = await api.head();
    const own = await api.post<Json>('/v1/drafts/DRAFT-000001/approve', 'finance', {});
    expect(own.status).toBe(403);
    expect(own.body.detail).toBe(
      `draft DRAFT-000001 was created by the billing run of 2025-12-01T00:00:00Z under this API key (${financeActor}); another finance or admin key must approve it`,
    );
    for (const role of ['billing', 'auditor', 'operations', 'tenant'] as const) {
      expect((await api.post('/v1/drafts/DRAFT-000001/approve', role, {})).status, role).toBe(403);
      expect((await api.post('/v1/drafts/DRAFT-000001/void', role, { reason: 'no' })).status, role).toBe(403);
    }
    expect((await api.post('/v1/drafts/DRAFT-999999/approve', 'admin', {})).status).toBe(404);
    expect((await api.post('/v1/drafts/DRAFT-000001/void', 'admin', {})).status).toBe(400);
    expect(await api.head()).toBe(head);
  });

  it('does not close 2025-11 while the draft of the run of 2025-12-01 is pending', async () => {
    api.at('2025-12-02T00:00:00Z');
    const close = await api.post<Json>('/v1/periods/2025-11/close', 'finance', {});
    expect(close.status).toBe(409);
    expect(close.body.detail).toBe('2025-11 closes only when no draft of a billing run up to 2025-12-01T00:00:00Z awaits approval: approve or void DRAFT-000001 first');
  });

  it('voids the draft with a reason (the same void again answers 200, another reason or an approval 409)', async () => {
    const voided = await api.post<Json>('/v1/drafts/DRAFT-000001/void', 'admin', { reason: 'SLA credit under dispute' });
    expect(voided.status).toBe(201);
    expect(voided.body).toMatchObject({ draftId: 'DRAFT-000001', status: 'voided', reason: 'SLA credit under dispute', voidedBy: expect.stringMatching(/^admin#/), voidedAt: '2025-12-02T00:00:00Z', createdBy: financeActor });
    const again = await api.post<Json>('/v1/drafts/DRAFT-000001/void', 'finance', { reason: 'SLA credit under dispute' });
    expect([again.status, again.body]).toEqual([200, voided.body]);
    expect((await api.post('/v1/drafts/DRAFT-000001/void', 'admin', { reason: 'another' })).status).toBe(409);
    expect((await api.post('/v1/drafts/DRAFT-000001/approve', 'admin', {})).status).toBe(409);
    // Nothing is pending of the run of 2025-12-01 any more: November closes.
    expect((await api.post('/v1/periods/2025-11/close', 'finance', {})).status).toBe(201);
  });

  it('bills the voided draft\'s lines again in the next run, and two racing approvals issue it once, as INV-000001', async () => {
    api.at('2025-12-03T00:00:00Z');
    expect((await api.request('POST', '/v1/usage', { as: 'metering', raw: JSON.stringify(lateReadingCloudEvents), headers: { 'content-type': 'application/cloudevents-batch+json' } })).status).toBe(202);
    api.at('2026-01-01T00:30:00Z');
    expect((await api.post('/v1/usage', 'metering', { records: decemberReadings })).status).toBe(202);
    const run = await api.post<Json>('/v1/billing-runs', 'finance', { billingDate: '2026-01-01T00:00:00Z' });
    // 1,040,760.00 (November, back from the voided draft) + 2,100.00 (late reading) + 1,562,400.00 (December) + 1,562,400.00 (January) = 4,167,660.00
    expect(run.body).toMatchObject({ documents: [], drafts: [{ draftId: 'DRAFT-000002', total: '4167660.00' }] });
    const draft = await api.get<Json>('/v1/drafts/DRAFT-000002', 'finance');
    expect(draft.body.lines.map((line: Json) => [line.serviceMonth, line.kind, line.amount])).toEqual([
      ['2025-11', 'commitment', '1058400.00'],
      ['2025-11', 'overage', '90300.00'],
      ['2025-11', 'sla_credit', '-105840.00'],
      ['2025-12', 'commitment', '1562400.00'],
      ['2026-01', 'commitment', '1562400.00'],
    ]);
    api.at('2026-01-02T09:00:00Z');
    const [first, second] = await Promise.all([api.post<Json>('/v1/drafts/DRAFT-000002/approve', 'admin', {}), api.post<Json>('/v1/drafts/DRAFT-000002/approve', 'admin', {})]);
    expect([first.status, second.status].sort()).toEqual([200, 201]);
    expect(second.body).toEqual(first.body);
    // Dated as the run, not as the approval.
    expect(first.body).toMatchObject({ invoiceId: 'INV-000001', billingDate: '2026-01-01T00:00:00Z', issuedAt: '2026-01-01T00:00:00Z', dueAt: '2026-01-31T00:00:00Z', total: '4167660.00', status: 'open' });
    expect(first.body.lines).toEqual(draft.body.lines);
    const approved = await api.get<Json>('/v1/drafts/DRAFT-000002', 'auditor');
    expect(approved.body).toMatchObject({ status: 'approved', invoiceId: 'INV-000001', approvedBy: expect.stringMatching(/^admin#/), approvedAt: '2026-01-02T09:00:00Z', createdBy: financeActor });
    expect((await api.get<Json>('/v1/invoices', 'finance')).body.invoices.map((invoice: Json) => invoice.invoiceId)).toEqual(['INV-000001']);
    expect((await api.get<Json>('/v1/invoices/INV-000001', 'tenant')).status).toBe(200);
    expect((await api.post('/v1/drafts/DRAFT-000002/void', 'admin', { reason: 'too late' })).status).toBe(409);
    // In receivables now: due 2026-01-31, 15 days past due on 2026-02-15.
    const aging = await api.get<Json>('/v1/reports/ar-aging?asOf=2026-02-15T00:00:00Z', 'finance');
    expect(aging.body.tenants).toEqual([expect.objectContaining({ tenantId: 'frontier-lab', days1to30: '4167660.00', total: '4167660.00' })]);
  });

  it('keeps the closed November as it was: the approval books in the open month of its date', async () => {
    const period = await api.get<Json>('/v1/periods/2025-11', 'finance');
    expect(period.body.adjustments).toEqual([expect.objectContaining({ month: '2025-11', kind: 'usage', amount: '2100.00', bookedIn: '2025-12' })]);
    const trialBalance = await api.get<Json>('/v1/reports/trial-balance?asOf=2026-01-15T00:00:00Z', 'auditor');
    // Accounts receivable: the approved invoice, 4,167,660.00 on the debit side.
    expect(trialBalance.body.accounts).toContainEqual(expect.objectContaining({ account: '1100', debit: '4167660.00' }));
    expect(trialBalance.body.totalDebit).toBe(trialBalance.body.totalCredit);
  });

  it('numbers the next document issued after the approved one with no gap: INV-000002', async () => {
    api.at('2026-02-01T00:30:00Z');
    const run = await api.post<Json>('/v1/billing-runs', 'finance', { billingDate: '2026-02-01T00:00:00Z' });
    // February's commitment in advance after the lease's ramp, 2,688,000.00: above the threshold again.
    expect(run.body).toMatchObject({ documents: [], drafts: [{ draftId: 'DRAFT-000003', total: '2688000.00' }] });
    const approved = await api.post<Json>('/v1/drafts/DRAFT-000003/approve', 'admin', {});
    expect([approved.status, approved.body.invoiceId, approved.body.issuedAt]).toEqual([201, 'INV-000002', '2026-02-01T00:00:00Z']);
    // DRAFT-000001 voided, DRAFT-000002 and DRAFT-000003 approved: two numbers, in order of issue, no hole.
    expect((await api.get<Json>('/v1/invoices', 'auditor')).body.invoices.map((invoice: Json) => invoice.invoiceId)).toEqual(['INV-000001', 'INV-000002']);
    const runs = await api.get<Json>('/v1/billing-runs', 'auditor');
    expect(runs.body.runs.map((one: Json) => one.drafts.map((draft: Json) => draft.draftId))).toEqual([['DRAFT-000001'], ['DRAFT-000002'], ['DRAFT-000003']]);
  });

  it('rebuilds the same model from the log, drafts included', async () => {
    const verify = await api.ledger.verify();
    expect(verify.rebuild.ok).toBe(true);
  });
});

describe('draft.created webhooks', () => {
  let hooked: ApiHarness;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    const limits = { deliveryTimeoutMs: 300, retryDelayBaseMs: 20, retryDelayMaxMs: 120, retryWindowMs: 60_000, idlePollMs: 50 };
    hooked = await startHarness('2025-10-20T12:00:00Z', {
      approvalAbove: '2000000.00',
      webhooks: (ledger, directory) => new Webhooks({ ledger, dataDir: directory, policy: new WebhookUrlPolicy(parseWebhookAllowList('127.0.0.1')), limits }),
    });
  });

  afterAll(async () => {
    await hooked?.close();
    await receiver?.close();
  });

  it('delivers the draft as GET /v1/drafts/{draftId} shows it at its creation, signed; its approval then as invoice.issued', async () => {
    const registered = await hooked.post<Json>('/v1/webhooks', 'admin', { endpointId: 'erp', url: `${receiver.url}/hooks`, events: ['draft.created', 'invoice.issued'] });
    expect(registered.status).toBe(201);
    await recordContracts(hooked);
    await hooked.post('/v1/billing-runs', 'finance', { billingDate: '2025-12-01T00:00:00Z' });
    await waitFor(() => receiver.acceptedOnce().length >= 1, 15_000, 'the draft');
    const shown = await hooked.get<Json>('/v1/drafts/DRAFT-000001', 'finance');
    const [draftDelivery] = receiver.received;
    expect(verifySignature(registered.body.secret, draftDelivery!)).toBe(true);
    expect(draftDelivery!.id).toBe('draft:DRAFT-000001');
    expect(JSON.parse(draftDelivery!.body)).toMatchObject({ type: 'draft.created', data: shown.body });
    hooked.at('2025-12-02T09:00:00Z');
    expect((await hooked.post('/v1/drafts/DRAFT-000001/approve', 'admin', {})).status).toBe(201);
    await waitFor(() => receiver.acceptedOnce().length >= 2, 15_000, 'the issued invoice');
    expect(receiver.acceptedOnce()).toEqual(['draft:DRAFT-000001', 'document:INV-000001']);
    // The body is the draft as of its creation event: status draft, whatever became of it since.
    expect(JSON.parse(receiver.received[0]!.body).data.status).toBe('draft');
  });
});
