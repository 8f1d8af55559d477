/**
 * The public API of @compute-ledger/ledger: what the API, the command line and the tests use,
 * named one by one. Everything else in this library is internal; a name is added here when a
 * user outside the library needs it, not before.
 */

// Opening a ledger and its services
export { Ledger, openLedger, openStore, type LedgerVerifyResult } from './application/ledger.js';
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
export { ConflictError, DomainError, NotFoundError, RuleViolationError, UsageBatchRefusedError, ValidationError, type FieldError } from './domain/errors.js';
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

// Charges, billing and the projections
export { chargeKindOrder, chargesFor } from './charging/charges.js';
export { planBillingRun } from './charging/run-plan.js';
export { LedgerModel, type PeriodCloseRecord } from './projections/ledger-model.js';
export { reconciliationReport, revenueReport, trialBalanceReport, type ReportScope } from './projections/reports.js';
export { journalEntries } from './projections/journal.js';
export { receivablesAt, receivablesOfTenant } from './projections/receivables.js';
export { modelDigest } from './projections/model-snapshot.js';

// The store port, its rules and the hash chain
export { type AppendResult, type EventStore, type EventToAppend, type ExpectedRevision, type FoldedEvent, type JsonObject, type ReadAllOptions, type RecordedEvent, type StreamWrite, type SubscribeOptions, type Subscription, type VerifyAnchor, type VerifyResult } from './store/event-store.js';
export { appendEventsMax, readPageEventsMax, readStreamEventsMax } from './store/limits.js';
export { canonicalJson } from './store/canonical-json.js';
export { chainHash, genesisHash } from './store/hash-chain.js';
export { parsePinnedHead, pinnedHeadFormat, pinnedHeadPattern, verifyLog, type PinnedHead } from './store/pinned-heads.js';

// The adapters (SQLite, EventStoreDB)
export { openSqliteEventStore, SqliteEventStore } from './store/sqlite/sqlite-event-store.js';
export { dataDirectoryMode, sqliteStorePragmas } from './store/sqlite/open-database.js';
export { eventIdKey } from './store/sqlite/event-id-key.js';
export { streamMarkRevisions } from './store/sqlite/schema.js';
export { subscriptionPollIntervalMs } from './store/sqlite/subscription.js';
export { isEsdbConnectionString } from './store/esdb/connection.js';
export { openEsdbEventStore } from './store/esdb/esdb-event-store.js';

// Values: decimals, time, wording
export { dec, Decimal, formatMoney } from './shared/decimal.js';
export { addMonths, monthInterval, monthsBetween, nextMonth, toInstant, toMs } from './shared/time.js';
export { countOf } from './shared/wording.js';
