import { z } from 'zod';
import { ChargeKind, DocumentKind } from '../events.js';
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

export const DocumentLineAnswer = z.strictObject({
  leaseId: Identifier,
  serviceMonth: Month,
  kind: ChargeKind,
  description: z.string(),
  quantity: z.string().describe('GPU-hours for commitment and overage lines, else "1"'),
  unitPrice: z.string(),
  amount: SignedMoney,
  adjustment: z.boolean(),
  sources: z.array(SourceAnswer),
  omittedSources: z.int().min(0).optional().describe('source events left out of `sources` to keep a document bounded'),
});

export const DocumentStatus = z.enum(['open', 'partially_paid', 'paid', 'issued']);

/** A billing document: an invoice, a credit note of a run, or a credit note by hand (GET /v1/invoices/{invoiceId}). */
export const InvoiceDocumentAnswer = z.strictObject({
  invoiceId: z.string(),
  kind: DocumentKind,
  tenantId: Identifier,
  billingDate: BillingDate.nullable().describe('null for a credit note by hand, which no billing run issued'),
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
