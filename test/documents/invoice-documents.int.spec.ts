import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billToFromTenant, documentLinesMax, renderInvoiceHtml, renderInvoicePdf, type BillTo, type InvoiceDocument, type Issuer } from '@compute-ledger/documents';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { openLedgerAt } from '@compute-ledger/api';
import { actor, openHarness, type Harness } from '../billing/harness.js';
import {
  workedExampleAllocation,
  workedExampleDecemberReadings,
  workedExampleKnownAt,
  workedExampleLateReading,
  workedExampleLease,
  workedExampleNovemberReadings,
  workedExampleOutage,
  workedExampleSite,
  workedExampleTenant,
} from '../support/worked-example.js';
import { lineWith, pagesOf, pdfToText } from './pdf-text.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const issuer: Issuer = {
  name: 'Example Neocloud Ltd',
  addressLines: ['1 Datacenter Lane', 'London EC1A 1BB', 'United Kingdom'],
  taxId: 'GB123456789',
  paymentInstructions: ['Bank transfer to Example Bank plc', 'IBAN GB33 BUKB 2020 1555 5555 55', 'SWIFT/BIC BUKBGB22'],
};

const billingDetails = {
  legalName: 'Frontier Lab, Inc.',
  billingAddress: '1 Compute Way\nSan Francisco, CA 94107\nUnited States',
  taxId: 'US-12-3456789',
};

/** DOMAIN.md's worked example run through the ledger, its two invoices rendered as a customer receives them. */
describe('invoice documents of the worked example', () => {
  let harness: Harness;
  let billTo: BillTo;
  let first: InvoiceDocument;
  let second: InvoiceDocument;

  beforeAll(async () => {
    harness = await openHarness(workedExampleKnownAt.contracts);
    const { commands, billing } = harness.ledger;
    await commands.commissionSite(workedExampleSite, actor);
    await commands.registerTenant({ ...workedExampleTenant, billingDetails }, actor);
    await commands.signLease(workedExampleLease, actor);
    await commands.allocateCapacity(workedExampleAllocation, actor);
    await commands.recordOutage(workedExampleOutage, actor);
    harness.at(workedExampleKnownAt.novemberUsage);
    await commands.recordUsage({ records: workedExampleNovemberReadings() }, actor);
    harness.at(workedExampleKnownAt.firstBillingRun);
    await billing.runBilling('2025-12-01T00:00:00Z', actor);
    harness.at(workedExampleKnownAt.lateReading);
    await commands.recordUsage({ records: [workedExampleLateReading] }, actor);
    // The tenant's finance team sends its purchase order for 2026.
    await commands.updateTenantBillingDetails('frontier-lab', { ...billingDetails, purchaseOrder: 'PO-2026-0001' }, actor);
    harness.at('2025-12-31T23:00:00Z');
    await commands.recordUsage({ records: workedExampleDecemberReadings() }, actor);
    harness.at(workedExampleKnownAt.secondBillingRun);
    await billing.runBilling('2026-01-01T00:00:00Z', actor);
    harness.at('2026-01-02T00:00:00Z');
    first = await harness.ledger.reports.invoice('INV-000001');
    second = await harness.ledger.reports.invoice('INV-000002');
    const tenant = harness.ledger.runner.model.tenants.get('frontier-lab');
    billTo = billToFromTenant(tenant!);
  });

  afterAll(async () => {
    await harness.close();
  });

  it('keeps the latest billing details of the tenant in the ledger model', () => {
    expect(billTo).toEqual({ tenantId: 'frontier-lab', name: 'Frontier Lab', ...billingDetails, purchaseOrder: 'PO-2026-0001' });
  });

  it('shows every number of INV-000001 in its PDF', async () => {
    const text = pdfToText(await renderInvoicePdf(first, issuer, billTo));
    expect(pagesOf(text)).toHaveLength(1);
    expect(lineWith(text, 'INVOICE')).toContain('INVOICE');
    lineWith(text, 'INV-000001');
    lineWith(text, 'Invoice date', '2025-12-01');
    lineWith(text, 'Due date', '2025-12-31');
    lineWith(text, 'Payment terms', 'Net 30 days');
    lineWith(text, 'Service months', 'November 2025, December 2025');
    lineWith(text, 'Currency', 'USD');
    lineWith(text, 'Purchase order', 'PO-2026-0001');
    lineWith(text, 'L-1001', '2025-11', 'Committed capacity', '504,000 GPU-h', '$2.10 / GPU-h', '$1,058,400.00'); // 504 h x 1,000 x 2.10
    lineWith(text, 'L-1001', '2025-11', 'Usage above commitment', '25,200 GPU-h', '$3.50 / GPU-h', '$88,200.00'); // (529,200 - 504,000) x 3.50
    lineWith(text, 'L-1001', '2025-11', 'SLA credit', '-$105,840.00'); // 10 % of 1,058,400.00
    lineWith(text, 'L-1001', '2025-12', 'Committed capacity', '744,000 GPU-h', '$1,562,400.00'); // 744 h x 1,000 x 2.10, in advance
    lineWith(text, 'Subtotal', '$2,603,160.00');
    lineWith(text, 'Total (USD)', '$2,603,160.00');
    lineWith(text, 'Paid and credited', '$0.00');
    lineWith(text, 'Amount due (USD)', '$2,603,160.00');
    expect(text).not.toContain('Adjustment');
    // One number format on the page: the working under a line groups its digits as the columns do.
    lineWith(text, '1,200 outage GPU-h');
    expect(text).not.toMatch(/\b\d{4,}(?:\.\d+)? (?:outage |metered |committed )?GPU-h/);
    expect(text).not.toContain('GPU-hours');
  });

  it('shows the issuer, the bill-to block and how to pay', async () => {
    const text = pdfToText(await renderInvoicePdf(first, issuer, billTo));
    for (const part of ['Example Neocloud Ltd', '1 Datacenter Lane', 'Tax ID: GB123456789', 'BILL TO', 'Frontier Lab, Inc.', '1 Compute Way', 'San Francisco, CA 94107', 'Tax ID: US-12-3456789']) {
      lineWith(text, part);
    }
    lineWith(text, 'IBAN GB33 BUKB 2020 1555 5555 55');
    lineWith(text, 'Please quote INV-000001 with your payment.');
    lineWith(text, 'Page 1 of 1');
  });

  it('shows the late reading on INV-000002 as an adjustment for November', async () => {
    const text = pdfToText(await renderInvoicePdf(second, issuer, billTo));
    lineWith(text, 'Invoice date', '2026-01-01');
    lineWith(text, 'Due date', '2026-01-31');
    lineWith(text, 'L-1001', '2025-11', 'Adjustment for 2025-11', '600 GPU-h', '$3.50 / GPU-h', '$2,100.00'); // 25,800 x 3.50 = 90,300.00 - 88,200.00 invoiced
    lineWith(text, 'L-1001', '2026-01', 'Committed capacity', '744,000 GPU-h', '$1,562,400.00'); // 744 h x 1,000 x 2.10
    lineWith(text, 'Total (USD)', '$1,564,500.00');
    lineWith(text, 'Amount due (USD)', '$1,564,500.00');
  });

  it('prints a tenant named in any script as it is named, in embedded subset fonts, the same bytes every time', async () => {
    const name = 'Ōkami 研究所 Лаборатория';
    const named = { ...billTo, legalName: name, billingAddress: 'Łódź, ul. Piotrkowska 1\n東京都千代田区 1-1' };
    const bytes = await renderInvoicePdf(first, issuer, named);
    const text = pdfToText(bytes);
    lineWith(text, name);
    lineWith(text, 'Łódź, ul. Piotrkowska 1');
    lineWith(text, '東京都千代田区 1-1');
    lineWith(text, 'L-1001', '2025-11', 'Committed capacity', '504,000 GPU-h', '$2.10 / GPU-h', '$1,058,400.00');
    // Embedded and subset (a six-letter tag before the font's name), never a font of the reader's machine.
    const pdf = bytes.toString('latin1');
    const embedded = new Set([...pdf.matchAll(/\/BaseFont \/[A-Z]{6}\+([A-Za-z-]+)/g)].map((match) => match[1]));
    expect(embedded).toEqual(new Set(['NotoSans-Regular', 'NotoSans-Bold', 'NotoSansSC-Regular', 'NotoSansSC-Bold']));
    expect(pdf).not.toContain('Helvetica');
    expect(pdf).toMatch(/\/FontFile2 \d+ 0 R/);
    // A subset keeps the file small: the Chinese font alone is over 10 MB.
    expect(bytes.length).toBeLessThan(64 * 1024);
    // Other documents rendered in between (the fonts are shared by the process) change nothing.
    await renderInvoicePdf(second, issuer, billTo);
    const again = await renderInvoicePdf(await harness.ledger.reports.invoice('INV-000001'), issuer, named);
    expect(sha256(again)).toBe(sha256(bytes));
  });

  it('renders the same invoice to the same bytes every time', async () => {
    const once = await renderInvoicePdf(first, issuer, billTo);
    const again = await renderInvoicePdf(await harness.ledger.reports.invoice('INV-000001'), issuer, billTo);
    expect(sha256(again)).toBe(sha256(once));
    expect(renderInvoiceHtml(first, issuer, billTo)).toBe(renderInvoiceHtml(first, issuer, billTo));
  });

  it('shows the same numbers in the HTML page', () => {
    const html = renderInvoiceHtml(second, issuer, billTo);
    for (const part of ['INV-000002', 'Adjustment for 2025-11', '$2,100.00', '$1,562,400.00', '$1,564,500.00', '2026-01-31', 'PO-2026-0001']) expect(html).toContain(part);
  });

  it('renders a credit note by hand against INV-000001, and the invoice then shows it applied', async () => {
    harness.at('2026-01-05T00:00:00Z');
    const reason = 'Goodwill credit for the network maintenance of 2025-12-04';
    const issued = await harness.ledger.billing.issueCreditNote({ creditNoteId: 'goodwill-1', tenantId: 'frontier-lab', amount: '5000.00', reason, invoiceId: 'INV-000001' }, actor);
    const text = pdfToText(await renderInvoicePdf(issued.result, issuer, billTo));
    lineWith(text, 'CREDIT NOTE');
    lineWith(text, 'CN-000001');
    lineWith(text, 'Credit note date', '2026-01-05');
    lineWith(text, 'Credits invoice', 'INV-000001');
    lineWith(text, 'Credit', '-$5,000.00');
    lineWith(text, 'Total (USD)', '-$5,000.00');
    expect(text).toContain('Goodwill credit');
    expect(text).not.toContain('HOW TO PAY');
    const invoice = pdfToText(await renderInvoicePdf(await harness.ledger.reports.invoice('INV-000001'), issuer, billTo));
    lineWith(invoice, 'Paid and credited', '$5,000.00');
    lineWith(invoice, 'Amount due (USD)', '$2,598,160.00'); // 2,603,160.00 - 5,000.00
    lineWith(invoice, 'Status', 'Partially paid');
  });

  it('continues an invoice of hundreds of lines over pages, each with the table header and a page number', async () => {
    const lineCount = 360;
    expect(lineCount).toBeLessThan(documentLinesMax);
    const lines = Array.from({ length: lineCount }, (_, index) => ({ ...first.lines[0]!, leaseId: `L-${String(index).padStart(4, '0')}` }));
    // Each line is 1,058,400.00: the total is written as a string product, exactly.
    const long: InvoiceDocument = { ...first, lines, total: `${String(10_584 * lineCount)}00.00`, amountPaid: '0.00', amountDue: `${String(10_584 * lineCount)}00.00` };
    const text = pdfToText(await renderInvoicePdf(long, issuer, billTo));
    const pages = pagesOf(text);
    expect(pages.length).toBeGreaterThan(5);
    pages.forEach((page, index) => {
      expect(page).toContain(`Page ${index + 1} of ${pages.length}`);
      // Every page with lines has the table header; the totals may come on a page of their own.
      if (/L-\d{4}/.test(page)) expect(page).toMatch(/LEASE +MONTH +DESCRIPTION/);
    });
    for (const line of lines) lineWith(text, line.leaseId, '$1,058,400.00');
    lineWith(text, 'Total (USD)', '$381,024,000.00'); // 360 x 1,058,400.00
  });
});

describe('tenant billing details in the ledger model', () => {
  it('survive a checkpoint and a restart, and a rebuild from the log gives the same model', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'ledger-documents-'));
    const store = `sqlite:${join(directory, 'ledger.db')}`;
    const options = { dataDir: directory, clock: () => new Date('2025-10-20T00:00:00Z') };
    try {
      const ledger = await openLedgerAt(store, options);
      await ledger.commands.registerTenant(workedExampleTenant, actor);
      await ledger.commands.updateTenantBillingDetails('frontier-lab', billingDetails, actor);
      await ledger.reports.scope();
      expect(ledger.runner.model.tenants.get('frontier-lab')?.billingDetails).toEqual(billingDetails);
      await ledger.close();
      const reopened = await openLedgerAt(store, options);
      try {
        expect(reopened.runner.model.tenants.get('frontier-lab')?.billingDetails).toEqual(billingDetails);
        expect((await reopened.verify()).rebuild.ok).toBe(true);
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
