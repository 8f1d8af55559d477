import type { AllocateCapacityBody, CommissionSiteBody, ReleaseCapacityBody } from '@compute-ledger/contracts';
import { NotFoundError } from '../domain/errors.js';
import { decideSite, type AllocationState, type SiteState } from '../domain/site/site.js';
import { leaseStream, siteStream } from '../domain/streams.js';
import { assert } from '../shared/assert.js';
import { toInstant } from '../shared/time.js';
import type { AggregateStreams } from './aggregate-streams.js';
import type { CommandHandler, CommandOutcome } from './command-handler.js';
import type { CommandContext } from './event-codec.js';
import type { UsageLookup } from './usage-lookup.js';

export interface SiteView {
  siteId: string;
  name: string;
  gpuSku: string;
  gpuCount: number;
  powerMw: string | null;
}

export interface SiteResult {
  outcome: CommandOutcome;
  site: SiteView;
}

export interface AllocationView {
  allocationId: string;
  leaseId: string;
  siteId: string;
  gpuCount: number;
  startsAt: string;
  /** Null while the allocation is open. */
  endsAt: string | null;
}

export interface AllocationResult {
  outcome: CommandOutcome;
  allocation: AllocationView;
}

/** Commissioning sites and allocating and releasing their GPUs. */
export class SiteCommands {
  constructor(
    private readonly handler: CommandHandler,
    private readonly streams: AggregateStreams,
    private readonly usage: UsageLookup,
  ) {}

  async commissionSite(body: CommissionSiteBody, context: CommandContext): Promise<SiteResult> {
    const outcome = await this.handler.execute(this.streams.sites, siteStream(body.siteId), context, (state) =>
      decideSite({ type: 'CommissionSite', data: body }, state),
    );
    const site = await this.getSite(body.siteId);
    assert(site !== null, `site ${body.siteId} exists once commissioned`);
    return { outcome, site };
  }

  async allocateCapacity(body: AllocateCapacityBody, context: CommandContext): Promise<AllocationResult> {
    const streamId = siteStream(body.siteId);
    const outcome = await this.handler.attempt(async () => {
      // The lease is loaded before the site: a termination appends to the site stream after its
      // lease stream, so an allocation decided on a lease that was not yet terminated either
      // reaches the site first (and the termination releases it) or finds the site moved and
      // decides again with the terminated lease.
      const leaseEntry = await this.streams.leases.load(leaseStream(body.leaseId));
      const siteEntry = await this.streams.sites.load(streamId);
      const revision = siteEntry.revision;
      const events = decideSite({ type: 'AllocateCapacity', data: body, lease: leaseEntry.state }, siteEntry.state);
      return this.handler.append(this.streams.sites, streamId, revision, events, context);
    });
    return { outcome, allocation: await this.allocationView(body.siteId, body.allocationId) };
  }

  async releaseCapacity(allocationId: string, body: ReleaseCapacityBody, context: CommandContext): Promise<AllocationResult> {
    await this.usage.catchUp();
    const siteId = this.usage.siteOfAllocation(allocationId);
    if (siteId === undefined) throw new NotFoundError(`allocation ${allocationId} does not exist`);
    const outcome = await this.handler.execute(this.streams.sites, siteStream(siteId), context, (state) =>
      decideSite({ type: 'ReleaseCapacity', data: { allocationId, endsAt: body.endsAt } }, state),
    );
    return { outcome, allocation: await this.allocationView(siteId, allocationId) };
  }

  async getSite(siteId: string): Promise<SiteView | null> {
    const site = (await this.streams.sites.load(siteStream(siteId))).state;
    return site === null ? null : siteView(site);
  }

  private async allocationView(siteId: string, allocationId: string): Promise<AllocationView> {
    const site = (await this.streams.sites.load(siteStream(siteId))).state;
    const allocation = site?.allocations.get(allocationId);
    assert(allocation !== undefined, `allocation ${allocationId} exists once recorded`);
    return allocationView(allocation);
  }
}

function siteView(site: SiteState): SiteView {
  return { siteId: site.siteId, name: site.name, gpuSku: site.gpuSku, gpuCount: site.gpuCount, powerMw: site.powerMw };
}

function allocationView(allocation: AllocationState): AllocationView {
  return {
    allocationId: allocation.allocationId,
    leaseId: allocation.leaseId,
    siteId: allocation.siteId,
    gpuCount: allocation.gpuCount,
    startsAt: toInstant(allocation.startsAtMs),
    endsAt: allocation.endsAtMs === null ? null : toInstant(allocation.endsAtMs),
  };
}
