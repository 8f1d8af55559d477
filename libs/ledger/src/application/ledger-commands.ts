import type {
  AllocateCapacityBody,
  AmendLeaseBody,
  CommissionSiteBody,
  CorrectUsageBody,
  CurrencyCode,
  RecordOutageBody,
  RegisterTenantBody,
  ReleaseCapacityBody,
  SignLeaseBody,
  TerminateLeaseBody,
  UpdateTenantBillingDetailsBody,
  UsageBatchBody,
} from '@compute-ledger/contracts';
import { foldLease } from '../domain/lease/lease.js';
import type { LeaseState } from '../domain/lease/lease-state.js';
import type { TenantState } from '../domain/tenant/tenant.js';
import type { EventStore } from '../store/event-store.js';
import { AggregateStreams } from './aggregate-streams.js';
import { BillingCommands } from './billing-commands.js';
import { systemClock, type Clock } from './clock.js';
import { CommandHandler } from './command-handler.js';
import type { CommandContext } from './event-codec.js';
import { LeaseCommands, type LeaseResult, type OutageResult } from './lease-commands.js';
import { ModelRunner } from './model-runner.js';
import { SiteCommands, type AllocationResult, type SiteResult, type SiteView } from './site-commands.js';
import { TenantCommands, type TenantResult } from './tenant-commands.js';
import { UsageCommands, type CorrectionResult, type UsageBatchResult } from './usage-commands.js';
import { UsageLookup } from './usage-lookup.js';

export type { CommandContext } from './event-codec.js';
export type { CommandOutcome } from './command-handler.js';
export type { TenantResult } from './tenant-commands.js';
export type { AllocationResult, AllocationView, SiteResult, SiteView } from './site-commands.js';
export type { LeaseResult, OutageResult, OutageView } from './lease-commands.js';
export type { CorrectionResult, CorrectionView, UsageBatchResult } from './usage-commands.js';

export interface LedgerCommandsOptions {
  store: EventStore;
  /** The ledger's one currency (default USD): tenants in another are refused. */
  currency?: CurrencyCode;
  clock?: Clock;
  /**
   * The ledger model that knows every reading and allocation (the ledger's own, which follows
   * the log). Without it the commands keep a model of their own.
   */
  runner?: ModelRunner;
  /** Documents of a run whose absolute total is above this are drafts awaiting approval (`LEDGER_APPROVAL_ABOVE`); none when unset. */
  approvalAbove?: string | undefined;
}

/**
 * The commands of every aggregate, each handled by its own command handler over one
 * `CommandHandler` (load, decide, append, retry) and one set of folded streams.
 *
 * Each instance keeps its own cache of streams; any number of instances may share one store,
 * because every load reads what was appended since and every append checks the revision.
 */
export class LedgerCommands {
  readonly currency: CurrencyCode;
  readonly tenants: TenantCommands;
  readonly sites: SiteCommands;
  readonly leases: LeaseCommands;
  readonly usage: UsageCommands;
  readonly billing: BillingCommands;
  private readonly runner: ModelRunner;

  constructor(options: LedgerCommandsOptions) {
    this.currency = options.currency ?? 'USD';
    const clock = options.clock ?? systemClock;
    const handler = new CommandHandler(options.store);
    const streams = new AggregateStreams(options.store);
    this.runner = options.runner ?? new ModelRunner(options.store, foldLease);
    const lookup = new UsageLookup(options.store, this.runner);
    this.tenants = new TenantCommands(handler, streams, this.currency);
    this.sites = new SiteCommands(handler, streams, lookup);
    this.leases = new LeaseCommands(handler, streams, this.currency, clock);
    this.usage = new UsageCommands(handler, streams, this.runner, lookup);
    this.billing = new BillingCommands(handler, streams, this.runner, this.currency, clock, options.approvalAbove ?? null);
  }

  /**
   * Brings the model up to the log so that the first command after a start does not wait for
   * it. Optional: every command that needs the model catches it up.
   */
  async warmUp(): Promise<void> {
    await this.runner.catchUp();
  }

  registerTenant(body: RegisterTenantBody, context: CommandContext): Promise<TenantResult> {
    return this.tenants.registerTenant(body, context);
  }

  updateTenantBillingDetails(tenantId: string, body: UpdateTenantBillingDetailsBody, context: CommandContext): Promise<TenantResult> {
    return this.tenants.updateTenantBillingDetails(tenantId, body, context);
  }

  commissionSite(body: CommissionSiteBody, context: CommandContext): Promise<SiteResult> {
    return this.sites.commissionSite(body, context);
  }

  signLease(body: SignLeaseBody, context: CommandContext): Promise<LeaseResult> {
    return this.leases.signLease(body, context);
  }

  amendLease(leaseId: string, body: AmendLeaseBody, context: CommandContext): Promise<LeaseResult> {
    return this.leases.amendLease(leaseId, body, context);
  }

  terminateLease(leaseId: string, body: TerminateLeaseBody, context: CommandContext): Promise<LeaseResult> {
    return this.leases.terminateLease(leaseId, body, context);
  }

  recordOutage(body: RecordOutageBody, context: CommandContext): Promise<OutageResult> {
    return this.leases.recordOutage(body, context);
  }

  allocateCapacity(body: AllocateCapacityBody, context: CommandContext): Promise<AllocationResult> {
    return this.sites.allocateCapacity(body, context);
  }

  releaseCapacity(allocationId: string, body: ReleaseCapacityBody, context: CommandContext): Promise<AllocationResult> {
    return this.sites.releaseCapacity(allocationId, body, context);
  }

  recordUsage(body: UsageBatchBody, context: CommandContext): Promise<UsageBatchResult> {
    return this.usage.recordUsage(body, context);
  }

  correctUsage(body: CorrectUsageBody, context: CommandContext): Promise<CorrectionResult> {
    return this.usage.correctUsage(body, context);
  }

  getTenant(tenantId: string): Promise<TenantState | null> {
    return this.tenants.getTenant(tenantId);
  }

  getSite(siteId: string): Promise<SiteView | null> {
    return this.sites.getSite(siteId);
  }

  getLease(leaseId: string): Promise<LeaseState | null> {
    return this.leases.getLease(leaseId);
  }
}
