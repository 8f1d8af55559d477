import type { AmendLeaseBody, CurrencyCode, RecordOutageBody, SignLeaseBody, TerminateLeaseBody } from '@compute-ledger/contracts';
import { decideLease } from '../domain/lease/decide.js';
import { evolveLease, leaseStatus } from '../domain/lease/lease.js';
import type { LeaseState, LeaseStatus, OutageState } from '../domain/lease/lease-state.js';
import { decideSite } from '../domain/site/site.js';
import { leaseStream, siteStream, tenantStream } from '../domain/streams.js';
import { assert } from '../shared/assert.js';
import { toInstant } from '../shared/time.js';
import type { Clock } from './clock.js';
import type { AggregateStreams } from './aggregate-streams.js';
import type { CommandHandler, CommandOutcome } from './command-handler.js';
import { toStreamWrite, type CommandContext } from './event-codec.js';

export interface LeaseResult {
  outcome: CommandOutcome;
  lease: LeaseState;
  status: LeaseStatus;
}

export interface OutageView {
  outageId: string;
  leaseId: string;
  startsAt: string;
  endsAt: string;
  affectedGpus: number;
}

export interface OutageResult {
  outcome: CommandOutcome;
  outage: OutageView;
}

/** Signing, amending and terminating leases, and recording their outages. */
export class LeaseCommands {
  constructor(
    private readonly handler: CommandHandler,
    private readonly streams: AggregateStreams,
    private readonly currency: CurrencyCode,
    private readonly clock: Clock,
  ) {}

  async signLease(body: SignLeaseBody, context: CommandContext): Promise<LeaseResult> {
    const streamId = leaseStream(body.leaseId);
    const outcome = await this.handler.attempt(async () => {
      const [tenant, site, entry] = await Promise.all([
        this.streams.tenants.load(tenantStream(body.tenantId)),
        this.streams.sites.load(siteStream(body.siteId)),
        this.streams.leases.load(streamId),
      ]);
      const revision = entry.revision;
      const command = { type: 'SignLease', data: body, tenant: tenant.state, site: site.state, ledgerCurrency: this.currency } as const;
      return this.handler.append(this.streams.leases, streamId, revision, decideLease(command, entry.state), context);
    });
    return this.leaseResult(body.leaseId, outcome);
  }

  async amendLease(leaseId: string, body: AmendLeaseBody, context: CommandContext): Promise<LeaseResult> {
    const outcome = await this.handler.execute(this.streams.leases, leaseStream(leaseId), context, (state) =>
      decideLease({ type: 'AmendLease', data: { ...body, leaseId } }, state),
    );
    return this.leaseResult(leaseId, outcome);
  }

  /**
   * Terminates a lease and ends its allocations still open at the termination instant. With a
   * store that offers `appendMany`, the termination and the releases are one transaction. Without
   * it the termination is appended first and the releases second: a crash in between leaves a
   * terminated lease whose allocations are still open. Sending the same termination again
   * repairs that, because this handler always releases what the termination leaves open, also
   * when the termination itself is already recorded.
   */
  async terminateLease(leaseId: string, body: TerminateLeaseBody, context: CommandContext): Promise<LeaseResult> {
    const { leases, sites } = this.streams;
    const leaseStreamId = leaseStream(leaseId);
    let terminated = false;
    await this.handler.attempt(async () => {
      const leaseEntry = await leases.load(leaseStreamId);
      const siteId = leaseEntry.state?.siteId;
      const siteEntry = siteId === undefined ? null : await sites.load(siteStream(siteId));
      const leaseRevision = leaseEntry.revision;
      const leaseEvents = decideLease({ type: 'TerminateLease', data: { ...body, leaseId }, ledgerCurrency: this.currency }, leaseEntry.state);
      const lease = leaseEvents.reduce<LeaseState | null>((state, event) => evolveLease(state, event), leaseEntry.state);
      assert(lease !== null && lease.termination !== null, `lease ${leaseId} is terminated once its termination is decided`);
      assert(siteEntry !== null && siteId !== undefined, `lease ${leaseId}'s site is loaded`);
      const siteStreamId = siteStream(siteId);
      const siteRevision = siteEntry.revision;
      const endsAt = toInstant(lease.termination.effectiveAtMs);
      const siteEvents = decideSite({ type: 'EndLeaseAllocations', data: { leaseId, endsAt } }, siteEntry.state);
      const appendMany = this.handler.store.appendMany?.bind(this.handler.store);
      if (leaseEvents.length > 0 && siteEvents.length > 0 && appendMany !== undefined) {
        const results = await appendMany([
          toStreamWrite(leaseStreamId, leaseRevision, leaseEvents, context),
          toStreamWrite(siteStreamId, siteRevision, siteEvents, context),
        ]);
        leases.appended(leaseStreamId, leaseRevision, leaseEvents, resultRevision(results, 0));
        sites.appended(siteStreamId, siteRevision, siteEvents, resultRevision(results, 1));
        terminated = results[0]?.written === true;
        return;
      }
      if ((await this.handler.append(leases, leaseStreamId, leaseRevision, leaseEvents, context)) === 'created') terminated = true;
      await this.handler.append(sites, siteStreamId, siteRevision, siteEvents, context);
    });
    return this.leaseResult(leaseId, terminated ? 'created' : 'unchanged');
  }

  async recordOutage(body: RecordOutageBody, context: CommandContext): Promise<OutageResult> {
    const outcome = await this.handler.execute(this.streams.leases, leaseStream(body.leaseId), context, (state) =>
      decideLease({ type: 'RecordOutage', data: body }, state),
    );
    const lease = await this.getLease(body.leaseId);
    const outage = lease?.outages.find((candidate) => candidate.outageId === body.outageId);
    assert(lease !== null && outage !== undefined, `outage ${body.outageId} exists once recorded`);
    return { outcome, outage: outageView(lease.leaseId, outage) };
  }

  /** The lease as it stands (after amendments and termination), or null. */
  async getLease(leaseId: string): Promise<LeaseState | null> {
    return (await this.streams.leases.load(leaseStream(leaseId))).state;
  }

  private async leaseResult(leaseId: string, outcome: CommandOutcome): Promise<LeaseResult> {
    const lease = await this.getLease(leaseId);
    assert(lease !== null, `lease ${leaseId} exists once signed`);
    return { outcome, lease, status: leaseStatus(lease, this.clock().getTime()) };
  }
}

function outageView(leaseId: string, outage: OutageState): OutageView {
  return { outageId: outage.outageId, leaseId, startsAt: toInstant(outage.startsAtMs), endsAt: toInstant(outage.endsAtMs), affectedGpus: outage.affectedGpus };
}

function resultRevision(results: readonly { nextRevision: number }[], position: number): number {
  const result = results[position];
  assert(result !== undefined, `appendMany answers one result per write (${position})`);
  return result.nextRevision;
}
