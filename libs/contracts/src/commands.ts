import { z } from 'zod';
import {
  CapacityAllocated,
  ChargeKind,
  CreditGrantKind,
  creditGrantPriorityMax,
  CommitmentBilling,
  CommitmentSchedule,
  LeaseSigned,
  OutageRecorded,
  SiteCommissioned,
  SlaTiers,
  TenantBillingDetails,
  TenantRegistered,
  UsageRecorded,
} from './events.js';
import {
  GpuHours,
  Identifier,
  MoneyAmount,
  Rate,
  RequestBillingDate,
  RequestInstant,
  RequestMonth,
  reasonLengthMax,
  usageBatchRecordsMax,
  usageReadingsPageDefault,
  usageReadingsPageMax,
  usageSourceLengthMax,
} from './primitives.js';

/**
 * Request bodies of the public API (API.md), which are also the commands' payloads: the HTTP
 * layer and the command line validate with these and hand the result to the same services.
 */

/** A tenant registers with exactly the facts its event records. */
export const RegisterTenantBody = TenantRegistered;
export type RegisterTenantBody = z.infer<typeof RegisterTenantBody>;

/** The tenant's billing details as a whole (the tenant id is the path's): a field left out is cleared. */
export const UpdateTenantBillingDetailsBody = TenantBillingDetails;
export type UpdateTenantBillingDetailsBody = z.infer<typeof UpdateTenantBillingDetailsBody>;

export const CommissionSiteBody = SiteCommissioned;
export type CommissionSiteBody = z.infer<typeof CommissionSiteBody>;

/** The lease as signed; billing mode and SLA tiers may be left out (advance, no tiers). */
export const SignLeaseBody = LeaseSigned.extend({
  signedAt: RequestInstant,
  startsAt: RequestInstant,
  endsAt: RequestInstant,
  commitmentBilling: CommitmentBilling.default('advance'),
  sla: SlaTiers.default([]),
});
export type SignLeaseBody = z.infer<typeof SignLeaseBody>;

export const AmendLeaseBody = z
  .strictObject({
    amendmentId: Identifier,
    effectiveAt: RequestInstant,
    commitment: CommitmentSchedule.optional(),
    endsAt: RequestInstant.optional(),
    overageRatePerGpuHour: Rate.optional(),
  })
  .refine(
    (body) => body.commitment !== undefined || body.endsAt !== undefined || body.overageRatePerGpuHour !== undefined,
    { message: 'an amendment changes at least one of commitment, endsAt, overageRatePerGpuHour' },
  );
export type AmendLeaseBody = z.infer<typeof AmendLeaseBody>;

export const TerminateLeaseBody = z.strictObject({ effectiveAt: RequestInstant, terminationFee: MoneyAmount });
export type TerminateLeaseBody = z.infer<typeof TerminateLeaseBody>;

export const AllocateCapacityBody = CapacityAllocated;
export type AllocateCapacityBody = z.infer<typeof AllocateCapacityBody>;

export const ReleaseCapacityBody = z.strictObject({ endsAt: RequestInstant });
export type ReleaseCapacityBody = z.infer<typeof ReleaseCapacityBody>;

export const RecordOutageBody = OutageRecorded;
export type RecordOutageBody = z.infer<typeof RecordOutageBody>;

export const UsageRecordBody = UsageRecorded;
export type UsageRecordBody = z.infer<typeof UsageRecordBody>;

export const UsageBatchBody = z.strictObject({
  records: z.array(UsageRecordBody).min(1).max(usageBatchRecordsMax),
});
export type UsageBatchBody = z.infer<typeof UsageBatchBody>;

/** The data of a usage CloudEvent: the reading without its ids. */
export const UsageCloudEventData = z.strictObject({ periodStart: RequestInstant, periodEnd: RequestInstant, gpuHours: GpuHours });

/**
 * One CloudEvents 1.0 usage event (an element of `application/cloudevents-batch+json`, the body
 * of `application/cloudevents+json`, or the `ce-*` headers and body of binary mode). Extension
 * attributes are allowed, as CloudEvents allows them, and ignored.
 */
export const UsageCloudEvent = z.object({
  specversion: z.literal('1.0', { error: 'must be "1.0": the ledger reads CloudEvents 1.0' }),
  id: Identifier.describe('the readingId'),
  source: z.string().min(1).max(usageSourceLengthMax).describe('the meter'),
  type: z.literal('gpu.usage.v1', { error: 'must be "gpu.usage.v1", the type of a usage reading' }),
  subject: Identifier.describe('the leaseId'),
  time: z.string().optional(),
  datacontenttype: z.literal('application/json', { error: 'must be "application/json": the data of a usage event is JSON' }).optional(),
  data: UsageCloudEventData,
});
export type UsageCloudEvent = z.infer<typeof UsageCloudEvent>;
export const UsageCloudEventBatch = z.array(UsageCloudEvent).min(1).max(usageBatchRecordsMax);

export const CorrectUsageBody = z.strictObject({ correctionId: Identifier, readingId: Identifier, gpuHours: GpuHours });
export type CorrectUsageBody = z.infer<typeof CorrectUsageBody>;

export const RunBillingBody = z.strictObject({ billingDate: RequestBillingDate });
export type RunBillingBody = z.infer<typeof RunBillingBody>;

export const RecordPaymentBody = z.strictObject({
  paymentId: Identifier,
  tenantId: Identifier,
  amount: MoneyAmount,
  receivedAt: RequestInstant,
  invoiceId: z.string().min(1).max(64).optional(),
});
export type RecordPaymentBody = z.infer<typeof RecordPaymentBody>;

export const IssueCreditNoteBody = z.strictObject({
  creditNoteId: Identifier,
  tenantId: Identifier,
  amount: MoneyAmount,
  reason: z.string().trim().min(1).max(reasonLengthMax),
  invoiceId: z.string().min(1).max(64).optional(),
  issuedAt: RequestInstant.optional(),
});
export type IssueCreditNoteBody = z.infer<typeof IssueCreditNoteBody>;

/** POST /v1/credit-grants: a prepaid or promotional credit for a tenant (DOMAIN.md, "Credit grants"). */
export const RecordCreditGrantBody = z.strictObject({
  grantId: Identifier,
  tenantId: Identifier,
  kind: CreditGrantKind,
  amount: MoneyAmount,
  effectiveAt: RequestInstant,
  expiresAt: RequestInstant.optional(),
  priority: z.int().min(0).max(creditGrantPriorityMax).optional(),
  appliesTo: z.array(ChargeKind).min(1).max(ChargeKind.options.length).optional(),
  leaseIds: z.array(Identifier).min(1).max(1_000).optional(),
});
export type RecordCreditGrantBody = z.infer<typeof RecordCreditGrantBody>;

/** GET /v1/billing-runs/preview: any month start, future ones included. */
export const BillingPreviewQuery = z.strictObject({ billingDate: RequestBillingDate });
export const CreditGrantsQuery = z.strictObject({ tenantId: Identifier.optional(), asOf: RequestInstant.optional(), knownAt: RequestInstant.optional() });

/** Voiding a draft of a billing run: why, for the audit trail. */
export const VoidDraftBody = z.strictObject({ reason: z.string().trim().min(1).max(reasonLengthMax) });
export type VoidDraftBody = z.infer<typeof VoidDraftBody>;

export const DraftStatus = z.enum(['draft', 'approved', 'voided']);
export type DraftStatus = z.infer<typeof DraftStatus>;
export const DraftListQuery = z.strictObject({ status: DraftStatus.optional(), knownAt: RequestInstant.optional() });
export type DraftListQuery = z.infer<typeof DraftListQuery>;

/** Query parameters of the reports: every report takes knownAt (default now). */
export const AsOfQuery = z.strictObject({ asOf: RequestInstant.optional(), knownAt: RequestInstant.optional() });
export const MonthQuery = z.strictObject({ month: RequestMonth, knownAt: RequestInstant.optional() });
/**
 * A lease's usage for a month, its readings a page at a time: `limit` of them (default
 * usageReadingsPageDefault, at most usageReadingsPageMax), from the start of the month or after
 * `cursor`, the `nextCursor` of the page before (the log position of that page's last reading).
 */
export const UsageQuery = z.strictObject({
  month: RequestMonth,
  knownAt: RequestInstant.optional(),
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,4}$/, `must be a whole number from 1 to ${usageReadingsPageMax}`)
    .transform(Number)
    .refine((value) => value <= usageReadingsPageMax, `must be at most ${usageReadingsPageMax}`)
    .default(usageReadingsPageDefault),
  cursor: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,14})$/, 'must be the nextCursor of an earlier page')
    .optional(),
});
