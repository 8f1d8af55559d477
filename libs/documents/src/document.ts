import type { DocumentLineAnswer, EventDataOf, InvoiceDocumentAnswer, SourceAnswer } from '@compute-ledger/contracts';

/**
 * What the renderers take: the contracts' answer shapes (libs/contracts/src/answers), as types
 * only, so this library needs neither the ledger nor a schema library at run time. The ledger
 * has validated every field before it recorded it; the renderers check only what they rely on.
 */

export type LineKind = DocumentLineAnswer['kind'];

export type LineSourceReference = SourceAnswer;

/**
 * One line of a billing document: a charge of one lease, one service month and one kind. Its
 * sources (lineage, for auditors; a customer's document does not print it) may be left out.
 */
export type InvoiceDocumentLine = Omit<DocumentLineAnswer, 'sources'> & { sources?: readonly LineSourceReference[] };

/**
 * A billing document as `GET /v1/invoices/{invoiceId}` answers it (the ledger's
 * `reports.invoice(invoiceId)`): an invoice, or a credit note when a billing run's total was
 * negative. Without `amountPaid`, `amountDue` and `status` (the document as issued, before
 * payments) the renderers leave those rows out. The recorded event of a run's credit note still
 * carries a due date; the answer's is null, and it is not shown.
 */
export type InvoiceDocument = Omit<InvoiceDocumentAnswer, 'lines' | 'amountPaid' | 'amountDue' | 'status' | 'creditNoteId' | 'reason' | 'creditedInvoiceId'> &
  Partial<Pick<InvoiceDocumentAnswer, 'amountPaid' | 'amountDue' | 'status'>> & { lines: readonly InvoiceDocumentLine[] };

/**
 * A credit note by hand, as recorded (`CreditNoteIssued`): finance credited the tenant an
 * amount, with a reason, optionally against one invoice. Its `amount` is positive; the document
 * shows it as a negative line, like a billing run's credit note.
 */
export type CreditNoteDocument = EventDataOf<'CreditNoteIssued'>;

export type BillingDocument = InvoiceDocument | CreditNoteDocument;

export function isCreditNoteByHand(document: BillingDocument): document is CreditNoteDocument {
  return 'documentId' in document;
}

/** Who issues the documents: the neocloud itself (see `issuerFromEnv`). */
export interface Issuer {
  /** The legal name. */
  name: string;
  addressLines: readonly string[];
  /** VAT or other tax registration number. */
  taxId?: string;
  /** How to pay, line by line: bank, account holder, IBAN or account number, SWIFT/BIC, reference. */
  paymentInstructions: readonly string[];
}

/**
 * Whom a document is addressed to: the tenant's billing details. Every field but the tenant id
 * is optional; the document falls back to the tenant's name, then its id.
 */
export interface BillTo {
  tenantId: string;
  /** The tenant's name as registered. */
  name?: string;
  legalName?: string;
  /** Multi-line, lines separated by `\n`. */
  billingAddress?: string;
  taxId?: string;
  purchaseOrder?: string;
}

/** The ledger's tenant as the projection keeps it, as far as a document needs it. */
export interface TenantWithBillingDetails {
  tenantId: string;
  name: string;
  billingDetails?: { legalName?: string; billingAddress?: string; taxId?: string; purchaseOrder?: string };
}

/** The bill-to block of a tenant. */
export function billToFromTenant(tenant: TenantWithBillingDetails): BillTo {
  return { tenantId: tenant.tenantId, name: tenant.name, ...tenant.billingDetails };
}
