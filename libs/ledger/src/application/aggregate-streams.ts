import { evolveBilling, initialBillingState, isBillingEvent, type BillingEvent, type BillingState } from '../domain/billing/billing.js';
import { evolveLease, isLeaseEvent, type LeaseEvent, type LeaseStreamState } from '../domain/lease/lease.js';
import { evolveSite, isSiteEvent, type SiteEvent, type SiteStreamState } from '../domain/site/site.js';
import { evolveTenant, isTenantEvent, type TenantEvent, type TenantStreamState } from '../domain/tenant/tenant.js';
import type { EventStore } from '../store/event-store.js';
import { StreamStateCache } from './stream-cache.js';

/**
 * The folded streams of every aggregate one process keeps, shared by the command handlers of
 * all of them: a lease is signed on the tenant and site as the tenant and site commands left them.
 */
export class AggregateStreams {
  readonly tenants: StreamStateCache<TenantStreamState, TenantEvent>;
  readonly sites: StreamStateCache<SiteStreamState, SiteEvent>;
  readonly leases: StreamStateCache<LeaseStreamState, LeaseEvent>;
  readonly billing: StreamStateCache<BillingState, BillingEvent>;

  constructor(store: EventStore) {
    this.tenants = new StreamStateCache(store, { initialState: () => null, evolve: evolveTenant, accepts: isTenantEvent });
    this.sites = new StreamStateCache(store, { initialState: () => null, evolve: evolveSite, accepts: isSiteEvent });
    this.leases = new StreamStateCache(store, { initialState: () => null, evolve: evolveLease, accepts: isLeaseEvent });
    this.billing = new StreamStateCache(store, { initialState: initialBillingState, evolve: evolveBilling, accepts: isBillingEvent });
  }
}
