/**
 * What the renderers take: plain TypeScript shapes, structurally the same as what the ledger
 * answers, so this library needs neither the ledger nor a schema library. The ledger has
 * validated every field before it recorded it; the renderers check only what they rely on.
 */

export type LineKind = 'commitment' | 'overage' | 'sla_credit' | 'termination_fee' | 'prepayment' | 'credit';

export interface LineSourceReference {
  position: number;
  eventId: string;
  type: string;
}

/**
 * One line of a billing document: a charge of one lease, one service month and one kind; or the
 * prepayment of a credit grant, or a credit drawn on one, which belong to no lease.
 */
export interface InvoiceDocumentLine {
  leaseId: string | null;
  /** `YYYY-MM`. */
  serviceMonth: string;
  kind: LineKind;
  description: string;
  /** GPU-hours for commitment and overage lines, `"1"` otherwise (a decimal string). */
  quantity: string;
  unitPrice: string;
  amount: string;
  /** True when the line settles a difference on a charge invoiced before. */
  adjustment: boolean;
  /** Lineage, for auditors; a customer's document does not print it. */
  sources?: readonly LineSourceReference[];
  omittedSources?: number;
  /** A prepayment or credit line: the grant it comes from. */
  grantId?: string;
}

/**
 * A billing document as `GET /v1/invoices/{invoiceId}` answers it (the ledger's
 * `reports.invoice(invoiceId)`): an invoice, or a credit note when a billing run's total was
 * negative. Without `amountPaid`, `amountDue` and `status` (the document as issued, before
 * payments) the renderers leave those rows out.
 */
export interface InvoiceDocument {
  invoiceId: string;
  kind: 'invoice' | 'credit_note';
  tenantId: string;
  /** The invoice date: the first instant of a month (null only for a credit note by hand, which renders from its own record). */
  billingDate: string | null;
  issuedAt: string;
  /** Null for a credit note, which is not due (the recorded event of a run's credit note still carries one; it is not shown). */
  dueAt: string | null;
  currency: string;
  lines: readonly InvoiceDocumentLine[];
  total: string;
  amountPaid?: string;
  amountDue?: string;
  /** `open`, `partially_paid`, `paid` for an invoice; `issued` for a credit note. */
  status?: string;
}

/**
 * A credit note by hand, as recorded (`CreditNoteIssued`): finance credited the tenant an
 * amount, with a reason, optionally against one invoice. Its `amount` is positive; the document
 * shows it as a negative line, like a billing run's credit note.
 */
export interface CreditNoteDocument {
  creditNoteId: string;
  /** The document number, `CN-000001`. */
  documentId: string;
  tenantId: string;
  amount: string;
  currency: string;
  reason: string;
  /** The invoice it credits, when finance named one. */
  invoiceId?: string;
  issuedAt: string;
}

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
