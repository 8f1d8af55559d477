import type { BillTo, CreditNoteDocument, InvoiceDocument, InvoiceDocumentLine, Issuer } from './document.js';

/**
 * The two invoices of DOMAIN.md's worked example, as the ledger answers them, for the unit
 * tests of this library (test/documents renders the same ones from a real ledger).
 */

export const firstInvoice: InvoiceDocument = {
  invoiceId: 'INV-000001',
  kind: 'invoice',
  tenantId: 'frontier-lab',
  billingDate: '2025-12-01T00:00:00Z',
  issuedAt: '2025-12-01T00:00:00Z',
  dueAt: '2025-12-31T00:00:00Z',
  currency: 'USD',
  lines: [
    line('2025-11', 'commitment', 'Committed capacity 2025-11: 504000 GPU-hours', '504000', '2.1', '1058400.00'),
    line('2025-11', 'overage', 'Usage above commitment 2025-11: 529200 metered - 504000 committed GPU-hours', '25200', '3.5', '88200.00'),
    line('2025-11', 'sla_credit', 'SLA credit 2025-11: availability 99.7619 % (1200 outage GPU-hours), 10 % of commitment', '1', '-105840.00', '-105840.00'),
    line('2025-12', 'commitment', 'Committed capacity 2025-12: 744000 GPU-hours', '744000', '2.1', '1562400.00'),
  ],
  total: '2603160.00',
  amountPaid: '0.00',
  amountDue: '2603160.00',
  status: 'open',
};

export const secondInvoice: InvoiceDocument = {
  invoiceId: 'INV-000002',
  kind: 'invoice',
  tenantId: 'frontier-lab',
  billingDate: '2026-01-01T00:00:00Z',
  issuedAt: '2026-01-01T00:00:00Z',
  dueAt: '2026-01-31T00:00:00Z',
  currency: 'USD',
  lines: [
    {
      ...line('2025-11', 'overage', 'Adjustment for 2025-11: Usage above commitment 2025-11: 529800 metered - 504000 committed GPU-hours', '600', '3.5', '2100.00'),
      adjustment: true,
    },
    line('2026-01', 'commitment', 'Committed capacity 2026-01: 744000 GPU-hours', '744000', '2.1', '1562400.00'),
  ],
  total: '1564500.00',
  amountPaid: '0.00',
  amountDue: '1564500.00',
  status: 'open',
};

export const creditNoteByHand: CreditNoteDocument = {
  creditNoteId: 'goodwill-2025-12',
  documentId: 'CN-000001',
  tenantId: 'frontier-lab',
  amount: '5000.00',
  currency: 'USD',
  reason: 'Goodwill credit for the network maintenance of 2025-12-04',
  invoiceId: 'INV-000001',
  issuedAt: '2025-12-10T00:00:00Z',
};

export const exampleIssuer: Issuer = {
  name: 'Example Neocloud Ltd',
  addressLines: ['1 Datacenter Lane', 'London EC1A 1BB', 'United Kingdom'],
  taxId: 'GB123456789',
  paymentInstructions: ['Bank transfer to Example Bank plc', 'Account holder: Example Neocloud Ltd', 'IBAN GB33 BUKB 2020 1555 5555 55', 'SWIFT/BIC BUKBGB22'],
};

export const exampleBillTo: BillTo = {
  tenantId: 'frontier-lab',
  name: 'Frontier Lab',
  legalName: 'Frontier Lab, Inc.',
  billingAddress: '1 Compute Way\nSan Francisco, CA 94107\nUnited States',
  taxId: 'US-12-3456789',
  purchaseOrder: 'PO-2025-0042',
};

function line(serviceMonth: string, kind: InvoiceDocumentLine['kind'], description: string, quantity: string, unitPrice: string, amount: string): InvoiceDocumentLine {
  return { leaseId: 'L-1001', serviceMonth, kind, description, quantity, unitPrice, amount, adjustment: false, sources: [] };
}

/** An invoice of `count` lines over many leases and months, the amounts adding up to its total. */
export function longInvoice(count: number): InvoiceDocument {
  const lines = Array.from({ length: count }, (_, index) => {
    const month = `2025-${String((index % 12) + 1).padStart(2, '0')}`;
    return { ...line(month, 'commitment', `Committed capacity ${month}: 1000 GPU-hours`, '1000', '2.1', '2100.00'), leaseId: `L-${2000 + index}` };
  });
  // 2,100.00 per line, written with string arithmetic so the fixture itself needs no number for money.
  const total = `${String(21 * count)}00.00`;
  return { ...firstInvoice, invoiceId: 'INV-000099', lines, total, amountDue: total };
}
