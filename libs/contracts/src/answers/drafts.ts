import { z } from 'zod';
import { DraftStatus } from '../commands.js';
import { DocumentKind } from '../events.js';
import { BillingDate, Identifier, Instant, SignedMoney } from '../primitives.js';
import { DocumentLineAnswer } from './billing.js';
import { CurrencyCodeText } from './contracts.js';

/** Drafts of billing runs awaiting four-eyes approval, and what became of them (API.md, "Approval and webhooks"). */

export const DraftAnswer = z.strictObject({
  draftId: Identifier,
  status: DraftStatus.describe('draft until approved (then issued as `invoiceId`) or voided'),
  kind: DocumentKind,
  tenantId: Identifier,
  billingDate: BillingDate,
  dueAt: Instant,
  currency: CurrencyCodeText,
  lines: z.array(DocumentLineAnswer),
  total: SignedMoney,
  createdBy: z.string().describe('the actor who ran the billing run'),
  invoiceId: z.string().optional().describe('approved: the number it was issued with'),
  approvedBy: z.string().optional(),
  approvedAt: Instant.optional(),
  voidedBy: z.string().optional(),
  voidedAt: Instant.optional(),
  reason: z.string().optional().describe('voided: why'),
});
export type DraftAnswer = z.infer<typeof DraftAnswer>;

/** GET /v1/drafts: the drafts without their lines' sources. */
export const DraftListAnswer = z.strictObject({
  knownAt: Instant,
  drafts: z.array(DraftAnswer.extend({ lines: z.array(DocumentLineAnswer.omit({ sources: true, omittedSources: true })) })),
});
export type DraftListAnswer = z.infer<typeof DraftListAnswer>;

