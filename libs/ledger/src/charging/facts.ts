import type { LineSource } from '@compute-ledger/contracts';
import type { LeaseState } from '../domain/lease/lease-state.js';
import type { Decimal } from '../shared/decimal.js';
import type { GrantWithDraws } from './credits.js';

/**
 * What charging reads of the ledger, as known at a knowledge cut-off (the global position of the
 * last event it may see). The ledger model answers it; charging names only these questions, so
 * it depends on no projection and a test can answer them by hand.
 */
export interface ChargingFacts {
  /** Tenants registered at `cutoff`, in ascending id order. */
  tenantsAt(cutoff: number): readonly { tenantId: string; paymentTermsDays: number }[];
  /** Ids of the tenant's leases signed at `cutoff`, in ascending id order. */
  leasesOfTenant(tenantId: string, cutoff: number): readonly string[];
  /** The lease as it stood at `cutoff`, or null when it was not signed yet. */
  leaseAt(leaseId: string, cutoff: number): LeaseState | null;
  /** Metered GPU-hours of the lease's month, corrections applied, as known at `cutoff`. */
  meteredAt(leaseId: string, month: string, cutoff: number): Decimal;
  /** Months with readings of the lease. */
  usageMonths(leaseId: string): Iterable<string>;
  /** Service months ever invoiced for the lease. */
  readonly invoicedMonths: ReadonlyMap<string, ReadonlySet<string>>;
  /** What documents issued at `cutoff` invoiced for one (lease, month, kind). */
  invoicedAt(leaseId: string, month: string, kind: string, cutoff: number): { amount: Decimal; quantity: Decimal; lines: number };
  /** The lease's own events at `cutoff` (of `types` when given), as line sources. */
  leaseSources(leaseId: string, cutoff: number, types?: ReadonlySet<string>): LineSource[];
  /** The tenant's credit grants known at `cutoff`, each with what documents known then drew from it. */
  grantsOfTenantAt(tenantId: string, cutoff: number): readonly GrantWithDraws[];
  /** The usage events of the lease's month at `cutoff`, the latest `max` of them, and how many were left out. */
  usageSourcesAt(leaseId: string, month: string, cutoff: number, max?: number): { sources: LineSource[]; omitted: number };
}
