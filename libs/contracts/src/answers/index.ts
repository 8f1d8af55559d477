import type { z } from 'zod';
import { AuditEventsAnswer, AuditStreamAnswer, AuditVerifyAnswer, HealthAnswer, OpenApiDocumentAnswer } from './audit.js';
import { BillingPreviewAnswer, BillingRunAnswer, BillingRunsAnswer, CreditGrantAnswer, CreditGrantRecordedAnswer, CreditGrantsAnswer, InvoiceDocumentAnswer, InvoiceListAnswer, PaymentAnswer } from './billing.js';
import { AllocationAnswer, CorrectionAnswer, LeaseAnswer, LeaseUsageAnswer, OutageAnswer, SiteAnswer, TenantAnswer, TenantRegistrationAnswer, UsageBatchAnswer } from './contracts.js';
import { DraftAnswer, DraftListAnswer } from './drafts.js';
import { ProblemAnswer } from './problem.js';
import {
  ArAgingReportAnswer,
  BacklogReportAnswer,
  CapacityReportAnswer,
  ContractBalancesReportAnswer,
  CreditsReportAnswer,
  MrrMovementsReportAnswer,
  MrrReportAnswer,
  ReconciliationReportAnswer,
  RevenueReportAnswer,
  TrialBalanceReportAnswer,
} from './reports.js';
import { PeriodAnswer, PeriodCloseAnswer, PeriodsAnswer, RpoAnswer } from '../periods.js';
import { WebhookDeliveriesAnswer, WebhookDeliveryAnswer, WebhookEndpointAnswer, WebhookEndpointsAnswer } from './webhooks.js';

export * from './problem.js';
export * from './contracts.js';
export * from './billing.js';
export * from './reports.js';
export * from './audit.js';
export * from './webhooks.js';
export * from './drafts.js';

/**
 * Every answer shape by the name the OpenAPI document gives it (`#/components/schemas/<name>`).
 * An endpoint can only declare an answer that is named here, and a client (or a test) finds the
 * schema of an answer from the name the document gives for its route and status.
 */
export const answerSchemas = {
  Problem: ProblemAnswer,
  Tenant: TenantAnswer,
  TenantRegistration: TenantRegistrationAnswer,
  Site: SiteAnswer,
  Lease: LeaseAnswer,
  Allocation: AllocationAnswer,
  Outage: OutageAnswer,
  UsageBatch: UsageBatchAnswer,
  Correction: CorrectionAnswer,
  LeaseUsage: LeaseUsageAnswer,
  BillingRun: BillingRunAnswer,
  BillingRuns: BillingRunsAnswer,
  InvoiceDocument: InvoiceDocumentAnswer,
  InvoiceList: InvoiceListAnswer,
  Payment: PaymentAnswer,
  BillingPreview: BillingPreviewAnswer,
  CreditGrant: CreditGrantAnswer,
  CreditGrantRecorded: CreditGrantRecordedAnswer,
  CreditGrants: CreditGrantsAnswer,
  CreditsReport: CreditsReportAnswer,
  Draft: DraftAnswer,
  DraftList: DraftListAnswer,
  MrrReport: MrrReportAnswer,
  MrrMovementsReport: MrrMovementsReportAnswer,
  RevenueReport: RevenueReportAnswer,
  BacklogReport: BacklogReportAnswer,
  TrialBalanceReport: TrialBalanceReportAnswer,
  ContractBalancesReport: ContractBalancesReportAnswer,
  ArAgingReport: ArAgingReportAnswer,
  ReconciliationReport: ReconciliationReportAnswer,
  CapacityReport: CapacityReportAnswer,
  RpoReport: RpoAnswer,
  PeriodClose: PeriodCloseAnswer,
  Period: PeriodAnswer,
  Periods: PeriodsAnswer,
  AuditEvents: AuditEventsAnswer,
  AuditStream: AuditStreamAnswer,
  AuditVerify: AuditVerifyAnswer,
  Health: HealthAnswer,
  OpenApiDocument: OpenApiDocumentAnswer,
  WebhookEndpoint: WebhookEndpointAnswer,
  WebhookEndpoints: WebhookEndpointsAnswer,
  WebhookDelivery: WebhookDeliveryAnswer,
  WebhookDeliveries: WebhookDeliveriesAnswer,
} as const satisfies Record<string, z.ZodType>;
export type AnswerName = keyof typeof answerSchemas;
