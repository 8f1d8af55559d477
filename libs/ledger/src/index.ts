/**
 * The public API of @compute-ledger/ledger: what the API, the command line and the tests use,
 * named one by one. Everything else in this library is internal; a name is added here when a
 * user outside the library needs it, not before.
 */

// Opening a ledger and its services
export { Ledger, openLedger, type LedgerOptions, type LedgerVerifyResult } from './application/ledger.js';
export { systemClock, type Clock } from './application/clock.js';
export { LedgerCommands, type LeaseResult, type UsageBatchResult } from './application/ledger-commands.js';
export { leaseView, type InvoiceView, type MonthTimeQuery, type ReportService, type TimeQuery, type UsagePageQuery } from './application/report-service.js';
export { type BillingCommands, type BillingRunResult, type Outcome } from './application/billing-commands.js';
export { billingStreamId } from './domain/streams.js';
export { type PeriodCloseResult, type PeriodService } from './application/period-service.js';
export { ModelRunner } from './application/model-runner.js';
export { loadCheckpoint, loadVerifiedCheckpoint, modelCheckpointedEvent, modelCheckpointStream, saveCheckpoint, type CheckpointState } from './application/model-checkpoint.js';
export { StreamStateCache } from './application/stream-cache.js';
export { fromRecordedEvent } from './application/event-codec.js';

// Errors a caller tells apart
export { ConflictError, DomainError, ForbiddenError, NotFoundError, RuleViolationError, UsageBatchRefusedError, ValidationError, type FieldError } from './domain/errors.js';
export { ConcurrencyError, DuplicateEventIdError, StoreOpenError } from './store/errors.js';

// The domain: deciders, folds, states and stream ids
export { type Decider } from './domain/decider.js';
export { evolveTenant, isTenantEvent, normalizeBillingDetails, tenantDecider, type TenantState, type TenantStreamState } from './domain/tenant/tenant.js';
export { allocationsOfLease, evolveSite, siteDecider, type SiteEvent, type SiteStreamState } from './domain/site/site.js';
export { allocatedGpuHours, type AllocationInterval } from './domain/site/capacity.js';
export { type LeaseState } from './domain/lease/lease-state.js';
export { committedAt, evolveLease, foldLease, leaseStatus, overageRateAt, type LeaseEvent } from './domain/lease/lease.js';
export { leaseDecider, type AmendLease, type SignLease } from './domain/lease/decide.js';
export { decideUsageBatch, initialUsageState, meteringDecider, type MeteringEvent, type UsageLeaseContext } from './domain/metering/usage.js';
export { leaseStream, siteStream, tenantStream, usageStream } from './domain/streams.js';
export { billingDecider, type BillingEvent, type PlannedDocument, type RunBilling } from './domain/billing/billing.js';
export { decideCreditGrant, type CreditGrantFacts, type RecordCreditGrant } from './domain/billing/credit-grant.js';

// Charges, billing and the projections
export { chargeKindOrder, chargesFor } from './charging/charges.js';
export { planBillingRun } from './charging/run-plan.js';
export { fillUsageEventIds } from './application/usage-event-ids.js';
export { LedgerModel, keptLine, type KeptDocument, type KeptLine, type PeriodCloseRecord } from './projections/ledger-model.js';
export { reconciliationReport, revenueReport, trialBalanceReport, type ReportScope } from './projections/reports.js';
export { journalEntries } from './projections/journal.js';
export { receivablesAt, receivablesOfTenant } from './projections/receivables.js';
export { modelDigest, restoreModel, writeModelSnapshot } from './projections/model-snapshot.js';
export { draftView } from './projections/drafts.js';
export { ChargeMemo, chargeEntryBytes, chargeMemoBytesMax } from './projections/memos.js';
export { expiriesMadeFinalAt, type GrantExpiry } from './projections/credits.js';

// The store port, the hash chain, and the rules every adapter (libs/store-*) applies the same way
export * from './store/index.js';

// Values: decimals, time, wording
export { dec, Decimal, formatMoney, fractionDigits } from './shared/decimal.js';
export { addMonths, monthInterval, monthsBetween, nextMonth, toInstant, toMs } from './shared/time.js';
export { countOf } from './shared/wording.js';
