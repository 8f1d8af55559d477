import { z } from 'zod';
import {
  BillingDate,
  Currency,
  GpuCount,
  GpuHours,
  GpuSku,
  Identifier,
  Instant,
  MoneyAmount,
  Month,
  Name,
  PaymentTermsDays,
  Percentage,
  Rate,
  SignedMoney,
  billingAddressLengthMax,
  billingAddressLinesMax,
  commitmentEntriesMax,
  purchaseOrderLengthMax,
  reasonLengthMax,
  slaTiersMax,
  taxIdLengthMax,
  usageSourceLengthMax,
} from './primitives.js';
import { PeriodClosed } from './periods.js';

/**
 * The facts. Every event type has a schema version; the registry below maps (type, version) to
 * its schema and upcasts old versions to the current one when the log is read, so a new version
 * never requires rewriting history.
 */

export const CommitmentEntry = z.strictObject({
  effectiveFrom: Instant,
  gpuCount: z.int().min(0).max(10_000_000),
  ratePerGpuHour: Rate,
});
export type CommitmentEntry = z.infer<typeof CommitmentEntry>;
export const CommitmentSchedule = z.array(CommitmentEntry).min(1).max(commitmentEntriesMax);

export const SlaTier = z.strictObject({ availabilityBelowPct: Percentage, creditPct: Percentage });
export type SlaTier = z.infer<typeof SlaTier>;
export const SlaTiers = z.array(SlaTier).max(slaTiersMax);

export const CommitmentBilling = z.enum(['advance', 'arrears']);
export type CommitmentBilling = z.infer<typeof CommitmentBilling>;

export const ChargeKind = z.enum(['commitment', 'overage', 'sla_credit', 'termination_fee']);
export type ChargeKind = z.infer<typeof ChargeKind>;

/** What a document line is: one of the charges, the prepayment of a prepaid grant, or a draw on a grant. */
export const LineKind = z.enum([...ChargeKind.options, 'prepayment', 'credit']);
export type LineKind = z.infer<typeof LineKind>;

export const CreditGrantKind = z.enum(['prepaid', 'promotional']);
export type CreditGrantKind = z.infer<typeof CreditGrantKind>;

/** The lowest and highest priority of a grant; lower is drawn first. */
export const creditGrantPriorityMax = 100;
export const creditGrantPriorityDefault = 50;
/** The charge kinds a grant pays for unless told otherwise. */
export const creditGrantAppliesToDefault: readonly ChargeKind[] = ['commitment', 'overage', 'termination_fee'];

export const DocumentKind = z.enum(['invoice', 'credit_note']);
export type DocumentKind = z.infer<typeof DocumentKind>;

/**
 * True when the text has no control character but, where allowed, the line feed: a tab, a
 * carriage return or any other control character would print as garbage on an invoice.
 */
function isPrintableText(text: string, newlineAllowed: boolean): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 0x0a && newlineAllowed) continue;
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

const oneLineText = (lengthMax: number) =>
  z.string().trim().min(1).max(lengthMax).refine((text) => isPrintableText(text, false), 'must be one line of text without control characters');

/** A multi-line postal address, lines separated by `\n`. */
export const BillingAddress = z
  .string()
  .trim()
  .min(1)
  .max(billingAddressLengthMax)
  .refine((address) => isPrintableText(address, true), 'must be text with lines separated by \\n and no other control characters')
  .refine((address) => address.split('\n').length <= billingAddressLinesMax, `must have at most ${billingAddressLinesMax} lines`);

/**
 * What a tenant's invoices print in their bill-to block. Every field is optional: a document
 * falls back to the tenant's name and id for what is missing.
 */
export const TenantBillingDetails = z.strictObject({
  legalName: Name.optional(),
  billingAddress: BillingAddress.optional(),
  taxId: oneLineText(taxIdLengthMax).optional(),
  purchaseOrder: oneLineText(purchaseOrderLengthMax).optional(),
});
export type TenantBillingDetails = z.infer<typeof TenantBillingDetails>;

export const TenantRegistered = z.strictObject({
  tenantId: Identifier,
  name: Name,
  currency: Currency,
  paymentTermsDays: PaymentTermsDays,
  /** Optional, so events recorded before billing details existed stay valid at version 1. */
  billingDetails: TenantBillingDetails.optional(),
});

/** The tenant's billing details as a whole, replacing the previous ones: a field left out is cleared. */
export const TenantBillingDetailsUpdated = z.strictObject({
  tenantId: Identifier,
  billingDetails: TenantBillingDetails,
});

export const SiteCommissioned = z.strictObject({
  siteId: Identifier,
  name: Name,
  gpuSku: GpuSku,
  gpuCount: GpuCount,
  powerMw: z.string().regex(/^(0|[1-9][0-9]{0,9})(\.[0-9]{1,3})?$/, 'must be a decimal string of megawatts').optional(),
});

export const LeaseSigned = z.strictObject({
  leaseId: Identifier,
  tenantId: Identifier,
  siteId: Identifier,
  gpuSku: GpuSku,
  signedAt: Instant,
  startsAt: Instant,
  endsAt: Instant,
  commitment: CommitmentSchedule,
  overageRatePerGpuHour: Rate,
  commitmentBilling: CommitmentBilling,
  sla: SlaTiers,
});

export const LeaseAmended = z.strictObject({
  leaseId: Identifier,
  amendmentId: Identifier,
  effectiveAt: Instant,
  commitment: CommitmentSchedule.optional(),
  endsAt: Instant.optional(),
  overageRatePerGpuHour: Rate.optional(),
});

export const LeaseTerminated = z.strictObject({
  leaseId: Identifier,
  effectiveAt: Instant,
  terminationFee: MoneyAmount,
});

export const CapacityAllocated = z.strictObject({
  allocationId: Identifier,
  leaseId: Identifier,
  siteId: Identifier,
  gpuCount: GpuCount,
  startsAt: Instant,
});

export const CapacityReleased = z.strictObject({
  allocationId: Identifier,
  leaseId: Identifier,
  siteId: Identifier,
  endsAt: Instant,
});

export const UsageRecorded = z.strictObject({
  readingId: Identifier,
  leaseId: Identifier,
  periodStart: Instant,
  periodEnd: Instant,
  gpuHours: GpuHours,
  source: z.string().min(1).max(usageSourceLengthMax).optional(),
});

export const UsageCorrected = z.strictObject({
  correctionId: Identifier,
  readingId: Identifier,
  leaseId: Identifier,
  gpuHours: GpuHours,
});

export const OutageRecorded = z.strictObject({
  outageId: Identifier,
  leaseId: Identifier,
  startsAt: Instant,
  endsAt: Instant,
  affectedGpus: GpuCount,
});

/**
 * The object schema of billing documents and what they are built of. A document's data comes
 * out of its check (the registry's parseCurrent, before it is appended) with its keys in sorted
 * order, the order canonical JSON writes them in, so the store writes it with JSON.stringify
 * rather than its sorting writer: a billing run's documents name hundreds of thousands of line
 * sources. The declarations keep the order that reads best; the schemas' types are unchanged.
 */
function documentObject<const Shape extends z.ZodRawShape>(shape: Shape) {
  const sorted = Object.fromEntries(Object.keys(shape).sort().map((key) => [key, shape[key]])) as Shape;
  return z.strictObject(sorted);
}

export const LineSource = documentObject({ position: z.int().min(0), eventId: z.string(), type: z.string() });
export type LineSource = z.infer<typeof LineSource>;

/** A part of a charge line that a credit line paid: the line by (lease, month, kind) and the amount taken from it. */
export const CreditDrawnFrom = documentObject({ leaseId: Identifier, serviceMonth: Month, kind: ChargeKind, amount: MoneyAmount });
export type CreditDrawnFrom = z.infer<typeof CreditDrawnFrom>;

export const InvoiceLine = documentObject({
  /** The lease of a charge line; null for a prepayment or credit line, which belong to no lease. */
  leaseId: Identifier.nullable(),
  serviceMonth: Month,
  kind: LineKind,
  description: z.string(),
  quantity: z.string(),
  unitPrice: z.string(),
  amount: SignedMoney,
  adjustment: z.boolean(),
  sources: z.array(LineSource),
  /** Source events left out of `sources` to keep a document bounded (usage readings beyond the cap). */
  omittedSources: z.int().min(0).optional(),
  /** A credit line: the grant it draws on. */
  grantId: Identifier.optional(),
  /** A credit line: the charge lines of its document it paid, in line order. */
  drawnFrom: z.array(CreditDrawnFrom).optional(),
});
export type InvoiceLine = z.infer<typeof InvoiceLine>;

/**
 * A billing document (invoice or credit note) produced by a billing run, or the invoice of a
 * prepaid grant, dated at the grant's effectiveAt (any instant, not only a month's first).
 */
export const InvoiceIssued = documentObject({
  invoiceId: z.string(),
  kind: DocumentKind,
  tenantId: Identifier,
  billingDate: Instant,
  issuedAt: Instant,
  dueAt: Instant,
  currency: Currency,
  lines: z.array(InvoiceLine).min(1),
  total: SignedMoney,
});

export const BillingRunDocument = documentObject({
  invoiceId: z.string(),
  kind: DocumentKind,
  tenantId: Identifier,
  total: SignedMoney,
});

/** Who did it: the actor the request's key records (role and key fingerprint). */
const Actor = z.string().min(1).max(256);

/**
 * Four-eyes approval (API.md, "Approval and webhooks"): a run's document whose absolute total is
 * above `LEDGER_APPROVAL_ABOVE` is recorded as a draft, without a number, by the actor who ran
 * the run; another finance or admin key approves it (the document is then issued with the next
 * number of its series) or voids it with a reason (its lines are billed again by the next run).
 */
export const DraftCreated = documentObject({
  draftId: Identifier,
  kind: DocumentKind,
  tenantId: Identifier,
  billingDate: BillingDate,
  dueAt: Instant,
  currency: Currency,
  lines: z.array(InvoiceLine).min(1),
  total: SignedMoney,
  createdBy: Actor,
});

export const DraftApproved = z.strictObject({
  draftId: Identifier,
  invoiceId: z.string(),
  approvedBy: Actor,
  approvedAt: Instant,
});

export const DraftVoided = z.strictObject({
  draftId: Identifier,
  reason: z.string().min(1).max(reasonLengthMax),
  voidedBy: Actor,
  voidedAt: Instant,
});

export const BillingRunDraft = documentObject({
  draftId: Identifier,
  kind: DocumentKind,
  tenantId: Identifier,
  total: SignedMoney,
});

export const BillingRunCompleted = documentObject({
  billingDate: BillingDate,
  cutoffPosition: z.int().min(-1),
  documents: z.array(BillingRunDocument),
  /** The approval threshold the run used; left out when none was set (every document issued). */
  approvalAbove: MoneyAmount.optional(),
  /** The run's drafts, present with `approvalAbove`. */
  drafts: z.array(BillingRunDraft).optional(),
});

/** A credit note by hand: finance credits a tenant an amount, with a reason. */
export const CreditNoteIssued = z.strictObject({
  creditNoteId: Identifier,
  documentId: z.string(),
  tenantId: Identifier,
  amount: MoneyAmount,
  currency: Currency,
  reason: z.string().min(1).max(reasonLengthMax),
  invoiceId: z.string().optional(),
  issuedAt: Instant,
});

export const PaymentReceived = z.strictObject({
  paymentId: Identifier,
  tenantId: Identifier,
  amount: MoneyAmount,
  receivedAt: Instant,
  invoiceId: z.string().optional(),
});

/**
 * A credit grant (DOMAIN.md, "Credit grants"): a prepaid or promotional amount the tenant's
 * invoices draw down until it is used up or expires. Version 1; the defaults (priority,
 * appliesTo) are stored resolved, so a later change of default never changes a recorded grant.
 */
export const CreditGranted = z.strictObject({
  grantId: Identifier,
  tenantId: Identifier,
  kind: CreditGrantKind,
  amount: MoneyAmount,
  effectiveAt: Instant,
  expiresAt: Instant.optional(),
  priority: z.int().min(0).max(creditGrantPriorityMax),
  appliesTo: z.array(ChargeKind).min(1).max(ChargeKind.options.length),
  leaseIds: z.array(Identifier).min(1).max(1_000).optional(),
  /** The prepaid grant's invoice, issued with it; absent for a promotional grant. */
  invoiceId: z.string().optional(),
  recordedAt: Instant,
});

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex');

/**
 * The ledger's own bookkeeping, in its stream `ledger-model`: the model checkpoint it wrote of
 * the log up to `checkpointPosition` (whose event has `eventHash`), and the sha256 of the
 * snapshot (`digest`). Being in the hash-chained log, it makes a checkpoint file edited on disk
 * tell itself apart from the one written: a restart uses a checkpoint only when its digest is
 * recorded here. It changes no tenant's facts: no report, run or number reads it.
 */
export const ModelCheckpointed = z.strictObject({
  checkpointPosition: z.int().min(0),
  eventHash: sha256Hex,
  digest: sha256Hex,
  snapshotVersion: z.int().min(1),
});

/** Every current event schema by type. */
export const eventDataSchemas = {
  TenantRegistered,
  TenantBillingDetailsUpdated,
  SiteCommissioned,
  LeaseSigned,
  LeaseAmended,
  LeaseTerminated,
  CapacityAllocated,
  CapacityReleased,
  UsageRecorded,
  UsageCorrected,
  OutageRecorded,
  InvoiceIssued,
  BillingRunCompleted,
  DraftCreated,
  DraftApproved,
  DraftVoided,
  CreditNoteIssued,
  PaymentReceived,
  CreditGranted,
  ModelCheckpointed,
  PeriodClosed,
} as const;

export type EventType = keyof typeof eventDataSchemas;
export const eventTypes = Object.keys(eventDataSchemas) as EventType[];
export type EventDataOf<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;

/** A ledger event as the domain sees it: a discriminated union on `type`. */
export type LedgerEvent = { [T in EventType]: { type: T; data: EventDataOf<T> } }[EventType];
export type LedgerEventOf<T extends EventType> = Extract<LedgerEvent, { type: T }>;
