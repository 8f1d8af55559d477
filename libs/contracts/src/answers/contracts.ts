import { z } from 'zod';
import { CommitmentBilling, SlaTier, TenantBillingDetails } from '../events.js';
import { GpuHours, Identifier, Instant, Month, Rate, SignedMoney } from '../primitives.js';

/** Tenants, sites, leases, allocations, outages and usage as the API answers them. */

/** A currency in an answer: the ISO 4217 code the ledger was configured with. */
export const CurrencyCodeText = z.string().regex(/^[A-Z]{3}$/).describe('ISO 4217 code');

export const TenantAnswer = z.strictObject({
  tenantId: Identifier,
  name: z.string(),
  currency: CurrencyCodeText,
  paymentTermsDays: z.int().min(0),
  billingDetails: TenantBillingDetails.describe('what documents print in their bill-to block; `{}` while there are none'),
});
export type TenantAnswer = z.infer<typeof TenantAnswer>;

/** POST /v1/tenants echoes the registration: billing details only when it had them. */
export const TenantRegistrationAnswer = TenantAnswer.extend({ billingDetails: TenantBillingDetails.optional() });
export type TenantRegistrationAnswer = z.infer<typeof TenantRegistrationAnswer>;

export const SiteAnswer = z.strictObject({
  siteId: Identifier,
  name: z.string(),
  gpuSku: z.string(),
  gpuCount: z.int().min(1),
  powerMw: z.string().nullable(),
});
export type SiteAnswer = z.infer<typeof SiteAnswer>;

export const LeaseStatus = z.enum(['active', 'terminated', 'ended']);

export const LeaseAnswer = z.strictObject({
  leaseId: Identifier,
  tenantId: Identifier,
  siteId: Identifier,
  gpuSku: z.string(),
  signedAt: Instant,
  startsAt: Instant,
  endsAt: Instant,
  status: LeaseStatus,
  commitment: z.array(z.strictObject({ effectiveFrom: Instant, gpuCount: z.int().min(0), ratePerGpuHour: Rate })),
  overageRatePerGpuHour: Rate.describe('the rate now in force'),
  overageRates: z.array(z.strictObject({ effectiveFrom: Instant, ratePerGpuHour: Rate })),
  commitmentBilling: CommitmentBilling,
  sla: z.array(SlaTier),
  amendments: z.array(z.strictObject({ amendmentId: Identifier, effectiveAt: Instant })),
  termination: z.strictObject({ effectiveAt: Instant, terminationFee: SignedMoney }).nullable(),
  outages: z.array(z.strictObject({ outageId: Identifier, startsAt: Instant, endsAt: Instant, affectedGpus: z.int().min(1) })),
});
export type LeaseAnswer = z.infer<typeof LeaseAnswer>;

export const AllocationAnswer = z.strictObject({
  allocationId: Identifier,
  leaseId: Identifier,
  siteId: Identifier,
  gpuCount: z.int().min(1),
  startsAt: Instant,
  endsAt: Instant.nullable().describe('null while the allocation is open'),
});
export type AllocationAnswer = z.infer<typeof AllocationAnswer>;

export const OutageAnswer = z.strictObject({ outageId: Identifier, leaseId: Identifier, startsAt: Instant, endsAt: Instant, affectedGpus: z.int().min(1) });
export type OutageAnswer = z.infer<typeof OutageAnswer>;

/** POST /v1/usage: what the batch added, and what it repeated. */
export const UsageBatchAnswer = z.strictObject({
  accepted: z.int().min(0).describe('readings recorded by this request'),
  duplicates: z.int().min(0).describe('records that repeated a reading already recorded, or one earlier in the batch'),
});
export type UsageBatchAnswer = z.infer<typeof UsageBatchAnswer>;

export const CorrectionAnswer = z.strictObject({ correctionId: Identifier, readingId: Identifier, leaseId: Identifier, gpuHours: GpuHours });
export type CorrectionAnswer = z.infer<typeof CorrectionAnswer>;

/** An event that a figure comes from: its position in the log, id and type. */
export const SourceAnswer = z.strictObject({ position: z.int().min(0), eventId: z.string(), type: z.string() });

export const LeaseUsageAnswer = z.strictObject({
  leaseId: Identifier,
  month: Month,
  knownAt: Instant,
  meteredGpuHours: GpuHours,
  committedGpuHours: GpuHours,
  allocatedGpuHours: GpuHours,
  readings: z.array(SourceAnswer).describe('one page of the month\'s readings, in log order'),
  nextCursor: z.string().nullable().describe('the cursor of the next page; null on the last page'),
});
export type LeaseUsageAnswer = z.infer<typeof LeaseUsageAnswer>;

export type SourceAnswer = z.infer<typeof SourceAnswer>;
