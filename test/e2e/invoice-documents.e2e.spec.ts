import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineWith, pdfToText } from '../documents/pdf-text.js';
import { keys, startHarness, type ApiHarness, type KeyName } from './support/api-harness.js';
import { decemberReadings, lateReadingCloudEvents, recordContracts } from './support/worked-example.js';

/**
 * The worked example's invoices as the customer receives them, over HTTP: the PDF read back with
 * poppler's pdftotext (a reader independent of the one that wrote it), the HTML page, the
 * document as issued that an auditor can hash, and the tenant boundary.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface DocumentAnswer {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const otherLab = {
  tenantId: 'other-lab',
  name: 'Other Lab',
  currency: 'USD',
  paymentTermsDays: 30,
  billingDetails: { legalName: 'Other Lab GmbH', billingAddress: 'Rechenweg 1\n10115 Berlin\nGermany', taxId: 'DE123456789' },
};

let api: ApiHarness;

/** A document's bytes as they come off the wire (the harness reads bodies as text). */
async function fetchDocument(path: string, as: KeyName, headers: Record<string, string> = {}): Promise<DocumentAnswer> {
  const response = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${keys[as]}`, ...headers } });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

beforeAll(async () => {
  api = await startHarness('2025-10-20T12:00:00Z');
  await recordContracts(api);
  const registered = await api.post('/v1/tenants', 'finance', otherLab);
  expect(registered.status, registered.text).toBe(201);
  expect(registered.body).toEqual(otherLab);
  api.at('2025-12-01T06:00:00Z');
  expect((await api.post('/v1/billing-runs', 'billing', { billingDate: '2025-12-01T00:00:00Z' })).status).toBe(201);
  api.at('2025-12-03T10:00:00Z');
  await api.request('POST', '/v1/usage', { as: 'metering', raw: JSON.stringify(lateReadingCloudEvents), headers: { 'content-type': 'application/cloudevents-batch+json' } });
  api.at('2026-01-01T00:30:00Z');
  await api.post('/v1/usage', 'metering', { records: decemberReadings });
  api.at('2026-01-01T06:00:00Z');
  const second = await api.post<Json>('/v1/billing-runs', 'billing', { billingDate: '2026-01-01T00:00:00Z' });
  expect(second.body.documents.map((document: Json) => document.invoiceId)).toEqual(['INV-000002']);
});

afterAll(async () => {
  await api.close();
});

describe('invoice documents over HTTP', () => {
  it('serves INV-000001 as a PDF with every number of the worked example', async () => {
    const { status, headers, bytes } = await fetchDocument('/v1/invoices/INV-000001/document', 'finance');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/pdf');
    expect(headers.get('content-disposition')).toBe('inline; filename="INV-000001.pdf"');
    expect(headers.get('etag')).toBe(`"${sha256(bytes)}"`);
    const text = pdfToText(bytes);
    lineWith(text, 'INV-000001');
    lineWith(text, 'L-1001', '2025-11', 'Committed capacity', '$1,058,400.00'); // 504 h x 1,000 x 2.10
    lineWith(text, 'L-1001', '2025-11', 'Usage above commitment', '$88,200.00'); // (529,200 - 504,000) x 3.50
    lineWith(text, 'L-1001', '2025-11', 'SLA credit', '-$105,840.00'); // 10 % of 1,058,400.00
    lineWith(text, 'L-1001', '2025-12', 'Committed capacity', '$1,562,400.00'); // 744 h x 1,000 x 2.10, in advance
    lineWith(text, 'Total (USD)', '$2,603,160.00');
    lineWith(text, 'Amount due (USD)', '$2,603,160.00');
    lineWith(text, 'Status', 'Open');
  });

  it('shows the late reading on INV-000002 as an adjustment for November', async () => {
    const { status, bytes } = await fetchDocument('/v1/invoices/INV-000002/document?format=pdf', 'auditor');
    expect(status).toBe(200);
    const text = pdfToText(bytes);
    lineWith(text, 'L-1001', '2025-11', 'Adjustment for 2025-11', '$2,100.00'); // 25,800 x 3.50 = 90,300.00 - 88,200.00 invoiced
    lineWith(text, 'L-1001', '2026-01', 'Committed capacity', '$1,562,400.00');
    lineWith(text, 'Total (USD)', '$1,564,500.00');
  });

  it('serves the HTML page for format=html and for Accept: text/html, and refuses an unknown format', async () => {
    const html = await fetchDocument('/v1/invoices/INV-000002/document?format=html', 'billing');
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-disposition')).toBe('inline; filename="INV-000002.html"');
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html.bytes.toString('utf8')).toContain('$1,564,500.00');
    const accepted = await fetchDocument('/v1/invoices/INV-000002/document', 'billing', { accept: 'text/html' });
    expect(accepted.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(accepted.headers.get('vary')).toBe('accept');
    expect(accepted.bytes.equals(html.bytes)).toBe(true);
    const pdf = await fetchDocument('/v1/invoices/INV-000002/document', 'billing', { accept: 'application/pdf' });
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const unknown = await api.get<Json>('/v1/invoices/INV-000002/document?format=docx', 'billing');
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(unknown.body.errors).toEqual([{ path: 'query.format', message: expect.any(String) }]);
  });

  it('renders the document as issued to the same bytes before and after a payment and new billing details', async () => {
    const path = '/v1/invoices/INV-000001/document?asIssued=true';
    const once = await fetchDocument(path, 'auditor');
    const twice = await fetchDocument(path, 'auditor');
    expect(twice.bytes.equals(once.bytes)).toBe(true);
    expect(twice.headers.get('etag')).toBe(once.headers.get('etag'));
    expect(pdfToText(once.bytes)).not.toContain('Amount due');
    const current = await fetchDocument('/v1/invoices/INV-000001/document', 'auditor');

    api.at('2026-01-05T09:00:00Z');
    const payment = await api.post('/v1/payments', 'finance', { paymentId: 'PAY-1', tenantId: 'frontier-lab', amount: '1000000.00', receivedAt: '2026-01-05T09:00:00Z', invoiceId: 'INV-000001' });
    expect(payment.status).toBe(201);
    const details = await api.request<Json>('PUT', '/v1/tenants/frontier-lab/billing-details', { as: 'finance', body: { legalName: 'Frontier Lab, Inc.', purchaseOrder: 'PO-2026-0001' } });
    expect(details.status, details.text).toBe(200);

    const after = await fetchDocument(path, 'auditor');
    expect(after.bytes.equals(once.bytes)).toBe(true);
    const unchanged = await fetchDocument(path, 'auditor', { 'if-none-match': once.headers.get('etag')! });
    expect(unchanged.status).toBe(304);
    expect(unchanged.bytes).toHaveLength(0);
    // The current document moves on: the payment and the new bill-to block.
    const paid = await fetchDocument('/v1/invoices/INV-000001/document', 'auditor');
    expect(paid.headers.get('etag')).not.toBe(current.headers.get('etag'));
    const text = pdfToText(paid.bytes);
    lineWith(text, 'Amount due (USD)', '$1,603,160.00'); // 2,603,160.00 - 1,000,000.00
    lineWith(text, 'Status', 'Partially paid');
    lineWith(text, 'Frontier Lab, Inc.');
    lineWith(text, 'Purchase order', 'PO-2026-0001');
  });

  it('gives a tenant its own documents and answers another tenant’s exactly like an unknown number', async () => {
    expect((await fetchDocument('/v1/invoices/INV-000001/document', 'tenant')).status).toBe(200);
    const theirs = await api.get<Json>('/v1/invoices/INV-000001/document', 'otherTenant');
    const unknown = await api.get<Json>('/v1/invoices/INV-999999/document', 'otherTenant');
    expect(theirs.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(theirs.body.detail.replace('INV-000001', 'ID')).toBe(unknown.body.detail.replace('INV-999999', 'ID'));
  });

  it('renders a credit note by hand from its record', async () => {
    api.at('2026-01-06T00:00:00Z');
    const reason = 'Goodwill credit for the network maintenance of 2025-12-04';
    const issued = await api.post<Json>('/v1/credit-notes', 'finance', { creditNoteId: 'goodwill-1', tenantId: 'frontier-lab', amount: '5000.00', reason, invoiceId: 'INV-000001' });
    expect(issued.status, issued.text).toBe(201);
    // The answer is the credit note document, as GET /v1/invoices/{invoiceId} shows it; the same
    // request again answers 200 with the same body.
    expect(issued.body).toEqual((await api.get('/v1/invoices/CN-000001', 'finance')).body);
    expect(issued.body).toMatchObject({ invoiceId: 'CN-000001', kind: 'credit_note', tenantId: 'frontier-lab', currency: 'USD', lines: [], total: '-5000.00', status: 'issued', creditNoteId: 'goodwill-1', reason, creditedInvoiceId: 'INV-000001' });
    const again = await api.post<Json>('/v1/credit-notes', 'finance', { creditNoteId: 'goodwill-1', tenantId: 'frontier-lab', amount: '5000.00', reason, invoiceId: 'INV-000001' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(issued.body);
    const { status, headers, bytes } = await fetchDocument('/v1/invoices/CN-000001/document', 'tenant');
    expect(status).toBe(200);
    expect(headers.get('content-disposition')).toBe('inline; filename="CN-000001.pdf"');
    const text = pdfToText(bytes);
    lineWith(text, 'CREDIT NOTE');
    lineWith(text, 'Credits invoice', 'INV-000001');
    lineWith(text, 'Total (USD)', '-$5,000.00');
    expect(text).toContain('Goodwill credit');
    expect((await api.get('/v1/invoices/CN-000001/document', 'otherTenant')).status).toBe(404);
  });
});

describe('tenant billing details over HTTP', () => {
  it('answers a tenant with its billing details, to itself and to finance, and 404 to another tenant', async () => {
    const own = await api.get<Json>('/v1/tenants/other-lab', 'otherTenant');
    expect(own.status).toBe(200);
    expect(own.body).toEqual(otherLab);
    const theirs = await api.get<Json>('/v1/tenants/other-lab', 'tenant');
    const unknown = await api.get<Json>('/v1/tenants/no-such-lab', 'tenant');
    expect(theirs.status).toBe(404);
    expect(theirs.body.detail.replace('other-lab', 'ID')).toBe(unknown.body.detail.replace('no-such-lab', 'ID'));
    const frontier = await api.get<Json>('/v1/tenants/frontier-lab', 'auditor');
    expect(frontier.body.billingDetails).toEqual({ legalName: 'Frontier Lab, Inc.', purchaseOrder: 'PO-2026-0001' });
  });

  it('replaces the details as a whole, records nothing for the same ones again, and 404s an unknown tenant', async () => {
    const cleared = await api.request<Json>('PUT', '/v1/tenants/other-lab/billing-details', { as: 'finance', body: { legalName: 'Other Lab GmbH' } });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toEqual({ ...otherLab, billingDetails: { legalName: 'Other Lab GmbH' } });
    const head = await api.head();
    const again = await api.request('PUT', '/v1/tenants/other-lab/billing-details', { as: 'finance', body: { legalName: 'Other Lab GmbH' } });
    expect(again.status).toBe(200);
    expect(await api.head()).toBe(head);
    const missing = await api.request('PUT', '/v1/tenants/no-such-lab/billing-details', { as: 'finance', body: {} });
    expect(missing.status).toBe(404);
    const repeat = await api.post('/v1/tenants', 'finance', otherLab);
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(otherLab);
  });
});
