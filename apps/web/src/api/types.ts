import type {
  ArAgingReportAnswer,
  AuditEventAnswer,
  AuditEventsAnswer as ContractAuditEventsAnswer,
  AuditStreamAnswer as ContractAuditStreamAnswer,
  AuditVerifyAnswer,
  BacklogReportAnswer,
  CapacityReportAnswer,
  CreditGrantsAnswer as ContractCreditGrantsAnswer,
  DocumentKind as ContractDocumentKind,
  DocumentLineAnswer,
  DocumentStatus as ContractDocumentStatus,
  DraftListAnswer as ContractDraftListAnswer,
  InvoiceDocumentAnswer,
  InvoiceListAnswer as ContractInvoiceListAnswer,
  MrrMovementsReportAnswer as ContractMrrMovements,
  MrrReportAnswer,
  ReconciliationReportAnswer,
  RevenueReportAnswer,
  RpoAnswer as ContractRpoAnswer,
} from '@compute-ledger/contracts';

/**
 * The answers of the public /v1 API that the dashboard reads: the contracts' answer types
 * (libs/contracts/src/answers, types only: no schema code reaches the browser), under the names
 * the pages use. Money, rates and GPU-hours are decimal strings: they are shown as they arrive
 * and never turned into JavaScript numbers for arithmetic.
 */

/** A decimal string as the ledger sends it: `"2603160.00"`, `"-105840.00"`, `"529200"`. */
export type Decimal = string;
/** An ISO-8601 UTC instant. */
export type Instant = string;
/** A service month, `YYYY-MM`. */
export type Month = string;

export type MrrAnswer = MrrReportAnswer;
export type Movement = ContractMrrMovements['tenants'][number]['movement'];
export type MrrMovementsAnswer = ContractMrrMovements;
export type RevenueAnswer = RevenueReportAnswer;
export type RpoAnswer = ContractRpoAnswer;
export type RpoBands = ContractRpoAnswer['bands'];
export type BacklogAnswer = BacklogReportAnswer;
export type ArAgingAnswer = ArAgingReportAnswer;
export type AgingBuckets = ArAgingReportAnswer['totals'];
export type ReconciliationAnswer = ReconciliationReportAnswer;
export type ReconciliationLease = ReconciliationReportAnswer['leases'][number];
export type CapacityAnswer = CapacityReportAnswer;

export type LineKind = DocumentLineAnswer['kind'];
export type LineSource = DocumentLineAnswer['sources'][number];
export type CreditGrantsAnswer = ContractCreditGrantsAnswer;

/** A document's line; the list of documents sends lines without their sources. */
export type InvoiceLine = Omit<DocumentLineAnswer, 'sources' | 'omittedSources'> & Partial<Pick<DocumentLineAnswer, 'sources' | 'omittedSources'>>;

export type DocumentKind = ContractDocumentKind;
export type DocumentStatus = ContractDocumentStatus;

/** A billing document, from GET /v1/invoices/{id} (lines with sources) or the list (without). */
export type BillingDocument = Omit<InvoiceDocumentAnswer, 'lines'> & { lines: InvoiceLine[] };

export type InvoiceListAnswer = ContractInvoiceListAnswer;

export type AuditEvent = AuditEventAnswer;
export type AuditEventsAnswer = ContractAuditEventsAnswer;
export type AuditStreamAnswer = ContractAuditStreamAnswer;

export type VerifyAnswer = AuditVerifyAnswer;
/** The model checkpoint on disk against the log (null fields: there is none). */
export type CheckpointAgainstLog = NonNullable<AuditVerifyAnswer['model']>;

/** A draft of a billing run awaiting four-eyes approval (GET /v1/drafts), with its audit trail. */
export type DraftAnswer = ContractDraftListAnswer['drafts'][number];
export type DraftListAnswer = ContractDraftListAnswer;
