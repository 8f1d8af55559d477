import { z } from 'zod';
import { ChargeKind, CreditGrantKind, DocumentKind, LineKind } from '../events.js';
import { BillingDate, Identifier, Instant, MoneyAmount, Month, SignedMoney } from '../primitives.js';
import { CurrencyCodeText, SourceAnswer } from './contracts.js';

/** Billing runs, billing documents and payments as the API answers them. */

export const BillingRunDocumentAnswer = z.strictObject({ invoiceId: z.string(), kind: DocumentKind, tenantId: Identifier, total: SignedMoney });

export const BillingRunAnswer = z.strictObject({
  billingDate: BillingDate,
  cutoffPosition: z.int().min(-1).describe('the last log position the run read'),
  documents: z.array(BillingRunDocumentAnswer),
  approvalAbove: MoneyAmount.optional().describe('the approval threshold the run used (LEDGER_APPROVAL_ABOVE); absent when none was set'),
  drafts: z
    .array(z.strictObject({ draftId: Identifier, kind: DocumentKind, tenantId: Identifier, total: SignedMoney }))
    .optional()
    .describe('documents above the threshold, recorded as drafts awaiting approval; present with approvalAbove'),
});
export type BillingRunAnswer = z.infer<typeof BillingRunAnswer>;

export const BillingRunsAnswer = z.strictObject({ runs: z.array(BillingRunAnswer) });
export type BillingRunsAnswer = z.infer<typeof BillingRunsAnswer>;

export const CreditDrawnFromAnswer = z.strictObject({ leaseId: Identifier, serviceMonth: Month, kind: ChargeKind, amount: MoneyAmount });

export const DocumentLineAnswer = z.strictObject({
  leaseId: Identifier.nullable().describe('null for a prepayment or credit line'),
  serviceMonth: Month,
  kind: LineKind,
  description: z.string(),
  quantity: z.string().describe('GPU-hours for commitment and overage lines, else "1"'),
  unitPrice: z.string(),
  amount: SignedMoney,
  adjustment: z.boolean(),
  sources: z.array(SourceAnswer),
  omittedSources: z.int().min(0).optional().describe('source events left out of `sources` to keep a document bounded'),
  grantId: Identifier.optional().describe('a credit line: the grant it draws on'),
  drawnFrom: z.array(CreditDrawnFromAnswer).optional().describe('a credit line: the charge lines it paid, and how much of each'),
});

export const DocumentStatus = z.enum(['open', 'partially_paid', 'paid', 'issued']);
export type DocumentStatus = z.infer<typeof DocumentStatus>;

/** A billing document: an invoice, a credit note of a run, or a credit note by hand (GET /v1/invoices/{invoiceId}). */
export const InvoiceDocumentAnswer = z.strictObject({
  invoiceId: z.string(),
  kind: DocumentKind,
  tenantId: Identifier,
  billingDate: Instant.nullable().describe('a run\'s billing date, a prepaid grant\'s effectiveAt, or null for a credit note by hand'),
  issuedAt: Instant,
  dueAt: Instant.nullable().describe('null for a credit note, which is not paid and has no due date'),
  currency: CurrencyCodeText,
  lines: z.array(DocumentLineAnswer),
  total: SignedMoney,
  amountPaid: SignedMoney,
  amountDue: SignedMoney,
  status: DocumentStatus.describe('an invoice is open, partially_paid or paid; a credit note is issued'),
  creditNoteId: Identifier.optional().describe('a credit note by hand: its id'),
  reason: z.string().optional().describe('a credit note by hand: why it was issued'),
  creditedInvoiceId: z.string().optional().describe('a credit note by hand: the invoice it credits'),
});
export type InvoiceDocumentAnswer = z.infer<typeof InvoiceDocumentAnswer>;

/** A document a run would issue (GET /v1/billing-runs/preview): numbered only when it is issued. */
export const PreviewDocumentAnswer = z.strictObject({
  number: z.null().describe('null: a preview issues nothing'),
  kind: DocumentKind,
  tenantId: Identifier,
  billingDate: BillingDate,
  issuedAt: Instant,
  dueAt: Instant,
  currency: CurrencyCodeText,
  lines: z.array(DocumentLineAnswer),
  total: SignedMoney,
});

export const BillingPreviewAnswer = z.strictObject({
  billingDate: BillingDate,
  knownAt: Instant,
  cutoffPosition: z.int().min(-1).describe('the last log position the preview read'),
  documents: z.array(PreviewDocumentAnswer),
});
export type BillingPreviewAnswer = z.infer<typeof BillingPreviewAnswer>;

export const CreditDrawAnswer = z.strictObject({ invoiceId: z.string(), billingDate: Instant, amount: MoneyAmount });

/** A credit grant with what its tenant's invoices drew from it, and what expired, as of asOf. */
export const CreditGrantAnswer = z.strictObject({
  grantId: Identifier,
  tenantId: Identifier,
  kind: CreditGrantKind,
  amount: MoneyAmount,
  effectiveAt: Instant,
  expiresAt: Instant.nullable(),
  priority: z.int().min(0),
  appliesTo: z.array(ChargeKind),
  leaseIds: z.array(Identifier).nullable().describe('null: every lease of the tenant'),
  invoiceId: z.string().nullable().describe('the prepayment invoice of a prepaid grant'),
  recordedAt: Instant,
  drawn: MoneyAmount,
  expired: MoneyAmount,
  remaining: MoneyAmount,
  draws: z.array(CreditDrawAnswer),
});
export type CreditGrantAnswer = z.infer<typeof CreditGrantAnswer>;

export const CreditGrantRecordedAnswer = z.strictObject({
  grant: CreditGrantAnswer,
  invoice: InvoiceDocumentAnswer.nullable().describe('the prepayment invoice of a prepaid grant, else null'),
});
export type CreditGrantRecordedAnswer = z.infer<typeof CreditGrantRecordedAnswer>;

export const CreditGrantsAnswer = z.strictObject({ asOf: Instant, knownAt: Instant, grants: z.array(CreditGrantAnswer) });
export type CreditGrantsAnswer = z.infer<typeof CreditGrantsAnswer>;

/** GET /v1/invoices: the documents without their lines' sources. */
export const InvoiceListAnswer = z.strictObject({
  knownAt: Instant,
  invoices: z.array(InvoiceDocumentAnswer.extend({ lines: z.array(DocumentLineAnswer.omit({ sources: true, omittedSources: true })) })),
});
export type InvoiceListAnswer = z.infer<typeof InvoiceListAnswer>;

export const PaymentAnswer = z.strictObject({ paymentId: Identifier, tenantId: Identifier, amount: MoneyAmount, receivedAt: Instant, invoiceId: z.string().optional() });
export type PaymentAnswer = z.infer<typeof PaymentAnswer>;

export type BillingRunDocumentAnswer = z.infer<typeof BillingRunDocumentAnswer>;
export type DocumentLineAnswer = z.infer<typeof DocumentLineAnswer>;
