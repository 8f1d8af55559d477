import { describe, expect, it } from 'vitest';
import { escapeHtml, renderInvoiceHtml } from './html.js';
import { creditNoteByHand, exampleBillTo, exampleIssuer, firstInvoice, secondInvoice } from './worked-example.fixture.js';

describe('renderInvoiceHtml', () => {
  it('is one self-contained page: inline style, nothing to fetch, no script', () => {
    const html = renderInvoiceHtml(firstInvoice, exampleIssuer, exampleBillTo);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<style>');
    expect(html).toContain('@page{size:A4');
    expect(html).not.toMatch(/<script|<link|<img|src=|href=|url\(|@import|https?:/i);
  });

  it('shows every number of INV-000001', () => {
    const html = renderInvoiceHtml(firstInvoice, exampleIssuer, exampleBillTo);
    for (const text of ['INV-000001', '2025-12-01', '2025-12-31', 'Net 30 days', '$1,058,400.00', '$88,200.00', '-$105,840.00', '$1,562,400.00', '$2,603,160.00', 'PO-2025-0042', 'IBAN GB33 BUKB 2020 1555 5555 55']) {
      expect(html).toContain(text);
    }
  });

  it('shows the adjustment of INV-000002', () => {
    const html = renderInvoiceHtml(secondInvoice, exampleIssuer, exampleBillTo);
    expect(html).toContain('<span class="adjustment">Adjustment for 2025-11</span>');
    expect(html).toContain('$2,100.00');
    expect(html).toContain('$1,564,500.00');
  });

  it('escapes every text that comes from data', () => {
    const billTo = { ...exampleBillTo, legalName: '<script>alert("x")</script> & Sons', billingAddress: "1 O'Hare <Way>" };
    const html = renderInvoiceHtml(firstInvoice, { ...exampleIssuer, name: 'A < B' }, billTo);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons');
    expect(html).toContain('1 O&#39;Hare &lt;Way&gt;');
    expect(html).toContain('<title>Invoice INV-000001</title>');
    expect(html).toContain('A &lt; B');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('renders a credit note by hand', () => {
    const html = renderInvoiceHtml(creditNoteByHand, exampleIssuer, exampleBillTo);
    expect(html).toContain('<h1>Credit note</h1>');
    expect(html).toContain('CN-000001');
    expect(html).toContain('-$5,000.00');
    expect(html).toContain('Credits invoice');
    expect(html).not.toContain('How to pay');
  });
});
