import { describe, expect, it } from 'vitest';
import { billToFromTenant } from './document.js';
import { renderInvoiceHtml } from './html.js';
import { documentView, formatMonth } from './view.js';
import { creditNoteByHand, exampleBillTo, exampleIssuer, firstInvoice, secondInvoice } from './worked-example.fixture.js';

describe('documentView', () => {
  it('words and formats INV-000001 of the worked example', () => {
    const view = documentView(firstInvoice, exampleIssuer, exampleBillTo);
    expect([view.title, view.number, view.issuedAt]).toEqual(['Invoice', 'INV-000001', '2025-12-01T00:00:00Z']);
    expect(view.facts).toEqual([
      { label: 'Invoice date', value: '2025-12-01' },
      { label: 'Due date', value: '2025-12-31' },
      { label: 'Payment terms', value: 'Net 30 days' },
      { label: 'Service months', value: 'November 2025, December 2025' },
      { label: 'Currency', value: 'USD' },
      { label: 'Customer ID', value: 'frontier-lab' },
      { label: 'Purchase order', value: 'PO-2025-0042' },
      { label: 'Status', value: 'Open' },
    ]);
    expect(view.lines.map((line) => [line.month, line.label, line.quantity, line.unitPrice, line.amount])).toEqual([
      ['2025-11', 'Committed capacity', '504,000 GPU-h', '$2.10 / GPU-h', '$1,058,400.00'], // 504 h x 1,000 x 2.10
      ['2025-11', 'Usage above commitment', '25,200 GPU-h', '$3.50 / GPU-h', '$88,200.00'], // (529,200 - 504,000) x 3.50
      ['2025-11', 'SLA credit', '1', '-$105,840.00', '-$105,840.00'], // 10 % of 1,058,400.00
      ['2025-12', 'Committed capacity', '744,000 GPU-h', '$2.10 / GPU-h', '$1,562,400.00'], // 744 h x 1,000 x 2.10
    ]);
    // The ledger's working in the document's number format: 1200 is 1,200, as in the quantity column.
    expect(view.lines[2]!.detail).toBe('availability 99.7619 % (1,200 outage GPU-h), 10 % of commitment');
    // "504000 GPU-hours" says what the quantity column says, 504,000 GPU-h: it is not printed twice, nor differently.
    expect(view.lines[0]!.detail).toBe('');
    expect(view.totals).toEqual([
      { label: 'Subtotal', value: '$2,603,160.00', emphasis: false },
      { label: 'Total (USD)', value: '$2,603,160.00', emphasis: true },
      { label: 'Paid and credited', value: '$0.00', emphasis: false },
      { label: 'Amount due (USD)', value: '$2,603,160.00', emphasis: true },
    ]);
    expect(view.issuer.lines).toEqual(['1 Datacenter Lane', 'London EC1A 1BB', 'United Kingdom', 'Tax ID: GB123456789']);
    expect(view.billTo).toEqual({ name: 'Frontier Lab, Inc.', lines: ['1 Compute Way', 'San Francisco, CA 94107', 'United States', 'Tax ID: US-12-3456789'] });
    expect(view.paymentInstructions).toEqual(exampleIssuer.paymentInstructions);
  });

  it('marks the late reading of INV-000002 as an adjustment for November', () => {
    const view = documentView(secondInvoice, exampleIssuer, exampleBillTo);
    expect(view.lines[0]).toMatchObject({ adjustment: 'Adjustment for 2025-11', label: 'Usage above commitment', amount: '$2,100.00', detail: '529,800 metered - 504,000 committed GPU-h' });
    expect(view.lines[1]).toMatchObject({ adjustment: null, month: '2026-01', amount: '$1,562,400.00' });
    expect(view.totals[1]!.value).toBe('$1,564,500.00');
  });

  it('shows a prepayment invoice and credits drawn on grants, each line naming its grant', () => {
    const prepayment = { ...firstInvoice, invoiceId: 'INV-000003', billingDate: '2026-01-15T00:00:00Z', issuedAt: '2026-01-15T09:00:00Z', dueAt: '2026-02-14T00:00:00Z', total: '3000000.00', amountDue: '3000000.00', lines: [{ leaseId: null, serviceMonth: '2026-01', kind: 'prepayment' as const, description: 'Prepayment, credit grant G-1', quantity: '1', unitPrice: '3000000.00', amount: '3000000.00', adjustment: false, grantId: 'G-1' }] };
    const prepaid = documentView(prepayment, exampleIssuer, exampleBillTo);
    expect(prepaid.lines.map((line) => [line.lease, line.label, line.amount])).toEqual([['Grant G-1', 'Prepayment', '$3,000,000.00']]);
    expect(prepaid.facts.slice(0, 3).map((fact) => fact.value)).toEqual(['2026-01-15', '2026-02-14', 'Net 30 days']);
    const overage = { ...firstInvoice.lines[1]!, serviceMonth: '2026-01', description: 'Usage above commitment 2026-01: 800000 metered - 744000 committed GPU-hours', quantity: '56000', amount: '196000.00' };
    const commitment = { ...firstInvoice.lines[0]!, serviceMonth: '2026-02', description: 'Committed capacity 2026-02: 1344000 GPU-hours', quantity: '1344000', unitPrice: '2', amount: '2688000.00' };
    const credit = (grantId: string, amount: string) => ({ leaseId: null, serviceMonth: '2026-02', kind: 'credit' as const, description: `Prepaid credit ${grantId}`, quantity: '1', unitPrice: amount, amount, adjustment: false, grantId });
    const drawn = { ...firstInvoice, invoiceId: 'INV-000004', total: '0.00', amountDue: '0.00', status: 'paid' as const, lines: [overage, commitment, credit('P-1', '-50000.00'), credit('G-1', '-2834000.00')] };
    const view = documentView(drawn, exampleIssuer, exampleBillTo);
    expect(view.lines.slice(2).map((line) => [line.lease, line.label, line.amount])).toEqual([
      ['Grant P-1', 'Credit applied', '-$50,000.00'],
      ['Grant G-1', 'Credit applied', '-$2,834,000.00'],
    ]);
    expect(view.totals[1]!.value).toBe('$0.00'); // 196,000 + 2,688,000 - 50,000 - 2,834,000
    expect(renderInvoiceHtml(drawn, exampleIssuer, exampleBillTo)).toContain('Grant G-1');
  });

  it('falls back to the tenant name, then to the tenant id, for the bill-to name', () => {
    expect(documentView(firstInvoice, exampleIssuer, { tenantId: 'frontier-lab', name: 'Frontier Lab' }).billTo).toEqual({ name: 'Frontier Lab', lines: [] });
    expect(documentView(firstInvoice, exampleIssuer).billTo).toEqual({ name: 'frontier-lab', lines: [] });
    expect(billToFromTenant({ tenantId: 'frontier-lab', name: 'Frontier Lab', billingDetails: { taxId: 'X1' } })).toEqual({ tenantId: 'frontier-lab', name: 'Frontier Lab', taxId: 'X1' });
  });

  it('shows a billing run credit note without due date or payment terms', () => {
    // As the API answers it: a credit note is not due, so its dueAt is null.
    const credit = { ...firstInvoice, invoiceId: 'CN-000002', kind: 'credit_note' as const, dueAt: null, lines: [firstInvoice.lines[2]!], total: '-105840.00', status: 'issued' as const, amountPaid: '0.00', amountDue: '0.00' };
    const view = documentView(credit, exampleIssuer, exampleBillTo);
    expect(renderInvoiceHtml(credit, exampleIssuer, exampleBillTo)).not.toMatch(/Due|Payment terms/);
    // The recorded event of a run's credit note keeps the run's terms: they are not shown either.
    expect(documentView({ ...credit, dueAt: '2025-12-31T00:00:00Z' }, exampleIssuer, exampleBillTo).facts).toEqual(view.facts);
    expect(() => documentView({ ...firstInvoice, dueAt: null }, exampleIssuer)).toThrow('invoice INV-000001 has no due date');
    expect(view.title).toBe('Credit note');
    expect(view.facts.map((fact) => fact.label)).toEqual(['Credit note date', 'Service months', 'Currency', 'Customer ID', 'Purchase order']);
    expect(view.totals.map((total) => total.value)).toEqual(['-$105,840.00', '-$105,840.00']);
    expect(view.paymentInstructions).toEqual([]);
  });

  it('shows a credit note by hand as a negative line with its reason and the invoice it credits', () => {
    const view = documentView(creditNoteByHand, exampleIssuer, exampleBillTo);
    expect([view.kind, view.title, view.number, view.issuedAt]).toEqual(['credit_note', 'Credit note', 'CN-000001', '2025-12-10T00:00:00Z']);
    expect(view.facts.slice(0, 2)).toEqual([
      { label: 'Credit note date', value: '2025-12-10' },
      { label: 'Credits invoice', value: 'INV-000001' },
    ]);
    expect(view.lines).toEqual([{ lease: '', month: '', adjustment: null, label: 'Credit', detail: creditNoteByHand.reason, quantity: '1', unitPrice: '-$5,000.00', amount: '-$5,000.00' }]);
    expect(view.totals[1]).toEqual({ label: 'Total (USD)', value: '-$5,000.00', emphasis: true });
  });

  it('refuses a document whose lines do not add up to its total, or a bill-to of another tenant', () => {
    expect(() => documentView({ ...firstInvoice, total: '2603160.01' }, exampleIssuer)).toThrow('its lines add up to 2603160.00, not to its total 2603160.01');
    expect(() => documentView(firstInvoice, exampleIssuer, { tenantId: 'other-lab' })).toThrow(RangeError);
    expect(() => documentView({ ...firstInvoice, lines: [] }, exampleIssuer)).toThrow(RangeError);
  });

  it('writes the numbers of a description as the columns do, never a year or a month', () => {
    const fee = { ...firstInvoice.lines[0]!, kind: 'termination_fee' as const, description: 'Early termination fee, effective 2025-11-20T12:00:00Z', quantity: '1', unitPrice: '250000.00', amount: '250000.00' };
    const view = documentView({ ...firstInvoice, lines: [fee], total: '250000.00' }, exampleIssuer);
    expect(view.lines[0]!.detail).toBe('Early termination fee, effective 2025-11-20 12:00 UTC');
    const overage = { ...firstInvoice.lines[1]!, description: 'Usage above commitment 2025-11: 1234567.5 metered - 1000000 committed GPU-hours' };
    expect(documentView({ ...firstInvoice, lines: [overage], total: overage.amount }, exampleIssuer).lines[0]!.detail).toBe('1,234,567.5 metered - 1,000,000 committed GPU-h');
  });

  it('names a long span of service months by its ends', () => {
    const lines = Array.from({ length: 8 }, (_, index) => ({ ...firstInvoice.lines[0]!, serviceMonth: `2025-0${index + 1}`, amount: '0.00' }));
    const view = documentView({ ...firstInvoice, lines, total: '0.00' }, exampleIssuer);
    expect(view.facts.find((fact) => fact.label === 'Service months')?.value).toBe('January 2025 to August 2025 (8 months)');
    expect(formatMonth('2026-01')).toBe('January 2026');
  });
});
