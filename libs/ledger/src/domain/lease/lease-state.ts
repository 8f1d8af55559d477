import type { CommitmentBilling, SlaTier } from '@compute-ledger/contracts';

/**
 * A lease as its events have made it. Instants are epoch milliseconds; decimals stay strings
 * (built into Decimal where arithmetic happens). This shape is what charges, billing and reports
 * read, so it is the single description of "the lease as it stands".
 */

/** One commitment segment: from `effectiveFromMs` until the next entry (or the term's end). */
export interface ScheduleEntry {
  effectiveFromMs: number;
  gpuCount: number;
  ratePerGpuHour: string;
}

/** The overage rate in force from `effectiveFromMs` (always a month's first instant after signing). */
export interface OverageRateEntry {
  effectiveFromMs: number;
  ratePerGpuHour: string;
}

export interface OutageState {
  outageId: string;
  startsAtMs: number;
  endsAtMs: number;
  affectedGpus: number;
  /** Content fingerprint for idempotency: the same id with other content is a conflict. */
  fingerprint: string;
}

export interface AmendmentState {
  amendmentId: string;
  effectiveAtMs: number;
  fingerprint: string;
}

export interface TerminationState {
  effectiveAtMs: number;
  terminationFee: string;
}

export interface LeaseState {
  leaseId: string;
  tenantId: string;
  siteId: string;
  gpuSku: string;
  signedAtMs: number;
  startsAtMs: number;
  /** The term's end as it stands: after amendments, and the termination's instant if terminated. */
  endsAtMs: number;
  /** Ordered by effectiveFromMs; the first entry is at startsAtMs. */
  schedule: ScheduleEntry[];
  /** Ordered by effectiveFromMs; the first entry is at startsAtMs. */
  overageRates: OverageRateEntry[];
  commitmentBilling: CommitmentBilling;
  sla: SlaTier[];
  amendments: AmendmentState[];
  termination: TerminationState | null;
  outages: OutageState[];
  /** Fingerprint of the LeaseSigned content, for idempotent re-signing. */
  fingerprint: string;
}

export type LeaseStatus = 'active' | 'terminated' | 'ended';
