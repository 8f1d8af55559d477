import type { DocumentKind as ContractDocumentKind, InvoiceLine as ContractInvoiceLine } from '@compute-ledger/contracts';

/**
 * The answers of the public /v1 API that the dashboard reads. Billing documents reuse the
 * contracts' own types (types only: no schema code reaches the browser); the report answers,
 * which the contracts do not define, are typed here from API.md and the ledger's report
 * service. Money, rates and GPU-hours are decimal strings: they are shown as they arrive and
 * never turned into JavaScript numbers for arithmetic.
 */

/** A decimal string as the ledger sends it: `"2603160.00"`, `"-105840.00"`, `"529200"`. */
export type Decimal = string;
/** An ISO-8601 UTC instant. */
export type Instant = string;
/** A service month, `YYYY-MM`. */
export type Month = string;

export interface MrrAnswer {
  asOf: Instant;
  knownAt: Instant;
  mrr: Decimal;
  arr: Decimal;
  tenants: { tenantId: string; mrr: Decimal; arr: Decimal }[];
}

export type Movement = 'new' | 'reactivation' | 'expansion' | 'contraction' | 'churn' | 'none';

export interface MrrMovementsAnswer {
  month: Month;
  knownAt: Instant;
  startingMrr: Decimal;
  new: Decimal;
  reactivation: Decimal;
  expansion: Decimal;
  contraction: Decimal;
  churn: Decimal;
  endingMrr: Decimal;
  tenants: { tenantId: string; startingMrr: Decimal; endingMrr: Decimal; movement: Movement }[];
}

export interface RevenueAnswer {
  month: Month;
  knownAt: Instant;
  commitment: Decimal;
  usage: Decimal;
  terminationFees: Decimal;
  slaCredits: Decimal;
  creditNotes: Decimal;
  total: Decimal;
  leases: { leaseId: string; tenantId: string; commitment: Decimal; usage: Decimal; terminationFees: Decimal; slaCredits: Decimal }[];
}

export interface RpoBands {
  within12Months: Decimal;
  months13to24: Decimal;
  months25to36: Decimal;
  beyond36Months: Decimal;
}

export interface RpoAnswer {
  asOf: Instant;
  knownAt: Instant;
  bands: RpoBands;
  total: Decimal;
  leases: ({ leaseId: string; tenantId: string } & RpoBands)[];
  excludes: string;
}

export interface BacklogAnswer {
  asOf: Instant;
  knownAt: Instant;
  total: Decimal;
  leases: { leaseId: string; tenantId: string; remaining: Decimal }[];
}

export interface AgingBuckets {
  current: Decimal;
  days1to30: Decimal;
  days31to60: Decimal;
  days61to90: Decimal;
  over90: Decimal;
  total: Decimal;
}

export interface ArAgingAnswer {
  asOf: Instant;
  knownAt: Instant;
  tenants: (AgingBuckets & { tenantId: string; creditBalance?: Decimal })[];
  totals: AgingBuckets;
}

export interface ReconciliationLease {
  leaseId: string;
  tenantId: string;
  committedGpuHours: Decimal;
  allocatedGpuHours: Decimal;
  meteredGpuHours: Decimal;
  overageGpuHours: Decimal;
  charges: Decimal;
  chargesByKind?: Partial<Record<LineKind, Decimal>>;
  invoiced: Decimal;
  notYetInvoiced: Decimal;
  ok: boolean;
}

export interface ReconciliationAnswer {
  month: Month;
  knownAt: Instant;
  ok: boolean;
  leases: ReconciliationLease[];
}

export interface CapacityAnswer {
  asOf: Instant;
  knownAt: Instant;
  sites: { siteId: string; gpuSku: string; gpuCount: number; allocated: number; free: number }[];
}

export type LineKind = ContractInvoiceLine['kind'];
export type LineSource = ContractInvoiceLine['sources'][number];

/** A document's line; the list of documents sends lines without their sources. */
export type InvoiceLine = Omit<ContractInvoiceLine, 'sources'> & { sources?: LineSource[] };

export type DocumentKind = ContractDocumentKind;
export type DocumentStatus = 'open' | 'partially_paid' | 'paid' | 'issued';

export interface BillingDocument {
  invoiceId: string;
  kind: DocumentKind;
  tenantId: string;
  /** null for a credit note issued by hand, outside any billing run. */
  billingDate: Instant | null;
  issuedAt: Instant;
  /** null for a credit note: it is owed to the tenant, so it is not due. */
  dueAt: Instant | null;
  currency: string;
  lines: InvoiceLine[];
  total: Decimal;
  amountPaid: Decimal;
  amountDue: Decimal;
  status: DocumentStatus;
  /** A credit note by hand: its own id and why it was issued. */
  creditNoteId?: string;
  reason?: string;
}

export interface InvoiceListAnswer {
  knownAt: Instant;
  invoices: BillingDocument[];
}

export interface AuditEvent {
  position: number;
  streamId: string;
  revision: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: Instant;
  hash: string;
}

export interface AuditEventsAnswer {
  events: AuditEvent[];
  nextPosition: number;
}

export interface AuditStreamAnswer {
  streamId: string;
  events: AuditEvent[];
  nextRevision: number;
}

/** The model checkpoint on disk against the log (null fields: there is none). */
export type CheckpointAgainstLog = { checkpointPosition: number | null; digest: string | null; matchesLog: boolean | null; reason?: string };
export type VerifyAnswer = (
  | { ok: true; eventsChecked: number; headPosition: number; headHash: string }
  | { ok: false; firstInvalidPosition: number; reason: string }
  | { ok: false; firstInvalidPosition?: undefined; eventsChecked: number; headPosition: number; headHash: string; reason: string }
) & { model?: CheckpointAgainstLog };

/** A draft of a billing run awaiting four-eyes approval (GET /v1/drafts), with its audit trail. */
export interface DraftAnswer {
  draftId: string;
  status: 'draft' | 'approved' | 'voided';
  kind: ContractDocumentKind;
  tenantId: string;
  billingDate: Instant;
  dueAt: Instant;
  currency: string;
  total: Decimal;
  createdBy: string;
  invoiceId?: string;
  approvedBy?: string;
  approvedAt?: Instant;
  voidedBy?: string;
  voidedAt?: Instant;
  reason?: string;
}

export interface DraftListAnswer {
  knownAt: Instant;
  drafts: DraftAnswer[];
}
