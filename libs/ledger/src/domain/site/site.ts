import type { AllocateCapacityBody, CommissionSiteBody, LedgerEvent, LedgerEventOf } from '@compute-ledger/contracts';
import { assert } from '../../shared/assert.js';
import { toInstant, toMs } from '../../shared/time.js';
import { unreachable, type Decider } from '../decider.js';
import { ConflictError, NotFoundError, RuleViolationError } from '../errors.js';
import type { LeaseState } from '../lease/lease-state.js';
import { fingerprintJson, formatInterval, canonicalInstant } from '../values.js';
import { peakLoad } from './capacity.js';

/**
 * A site and the allocations of its GPUs. Allocations live in the site's stream, not the
 * lease's, because capacity is a site-wide invariant: every allocation is appended to the site
 * stream at the revision it was decided on, so two allocations racing for the last GPUs cannot
 * both be recorded.
 */

export type SiteEvent = LedgerEventOf<'SiteCommissioned' | 'CapacityAllocated' | 'CapacityReleased'>;

const siteEventTypes: ReadonlySet<string> = new Set(['SiteCommissioned', 'CapacityAllocated', 'CapacityReleased']);

export function isSiteEvent(event: LedgerEvent): event is SiteEvent {
  return siteEventTypes.has(event.type);
}

export interface CommissionSite {
  type: 'CommissionSite';
  data: CommissionSiteBody;
}

export interface AllocateCapacity {
  type: 'AllocateCapacity';
  data: AllocateCapacityBody;
  /** The lease as it stands, or null when it does not exist. */
  lease: LeaseState | null;
}

export interface ReleaseCapacity {
  type: 'ReleaseCapacity';
  data: { allocationId: string; endsAt: string };
}

/**
 * Ends a terminated lease's allocations at the termination instant. Issued by the termination's
 * command handler, never by a client: the GPUs return to the site's free capacity then.
 */
export interface EndLeaseAllocations {
  type: 'EndLeaseAllocations';
  data: { leaseId: string; endsAt: string };
}

export type SiteCommand = CommissionSite | AllocateCapacity | ReleaseCapacity | EndLeaseAllocations;

export interface AllocationState {
  allocationId: string;
  leaseId: string;
  siteId: string;
  gpuCount: number;
  startsAtMs: number;
  /** Null while open; the release instant once released (the earliest one, see CapacityReleased). */
  endsAtMs: number | null;
}

export interface SiteState {
  siteId: string;
  name: string;
  gpuSku: string;
  gpuCount: number;
  powerMw: string | null;
  fingerprint: string;
  allocations: Map<string, AllocationState>;
  /** The same allocation objects, grouped by lease in order of allocation. */
  allocationsByLease: Map<string, AllocationState[]>;
}

/** Null until the site is commissioned. */
export type SiteStreamState = SiteState | null;

export function siteFingerprint(data: CommissionSiteBody): string {
  return fingerprintJson({ siteId: data.siteId, name: data.name, gpuSku: data.gpuSku, gpuCount: data.gpuCount, powerMw: data.powerMw ?? null });
}

function allocationFingerprint(data: { leaseId: string; siteId: string; gpuCount: number; startsAtMs: number }): string {
  return fingerprintJson({ leaseId: data.leaseId, siteId: data.siteId, gpuCount: data.gpuCount, startsAtMs: data.startsAtMs });
}

/** The allocations of one lease at a site (empty when it has none). */
export function allocationsOfLease(site: SiteState, leaseId: string): readonly AllocationState[] {
  return site.allocationsByLease.get(leaseId) ?? [];
}

export function decideSite(command: SiteCommand, state: SiteStreamState): SiteEvent[] {
  switch (command.type) {
    case 'CommissionSite':
      return commissionSite(command, state);
    case 'AllocateCapacity':
      return allocateCapacity(command, requireSite(state, command.data.siteId));
    case 'ReleaseCapacity':
      return releaseCapacity(command, requireSiteOfAllocation(state, command.data.allocationId));
    case 'EndLeaseAllocations':
      return endLeaseAllocations(command, state);
    default:
      return unreachable(command, 'site command');
  }
}

function requireSite(state: SiteStreamState, siteId: string): SiteState {
  if (state === null) throw new NotFoundError(`site ${siteId} does not exist`);
  return state;
}

function requireSiteOfAllocation(state: SiteStreamState, allocationId: string): SiteState {
  if (state === null) throw new NotFoundError(`allocation ${allocationId} does not exist`);
  return state;
}

function commissionSite(command: CommissionSite, state: SiteStreamState): SiteEvent[] {
  const { data } = command;
  if (state !== null) {
    if (state.fingerprint === siteFingerprint(data)) return [];
    throw new ConflictError(`site ${data.siteId} is already commissioned with other content`);
  }
  const eventData: LedgerEventOf<'SiteCommissioned'>['data'] = { siteId: data.siteId, name: data.name, gpuSku: data.gpuSku, gpuCount: data.gpuCount };
  if (data.powerMw !== undefined) eventData.powerMw = data.powerMw;
  return [{ type: 'SiteCommissioned', data: eventData }];
}

function allocateCapacity(command: AllocateCapacity, site: SiteState): SiteEvent[] {
  const { data, lease } = command;
  const startsAtMs = toMs(data.startsAt);
  const existing = site.allocations.get(data.allocationId);
  if (existing !== undefined) {
    if (allocationFingerprint(existing) === allocationFingerprint({ ...data, startsAtMs })) return [];
    throw new ConflictError(`allocation ${data.allocationId} is already recorded with other content`);
  }
  if (lease === null) throw new NotFoundError(`lease ${data.leaseId} does not exist`);
  assert(lease.leaseId === data.leaseId, 'the allocation is decided with its own lease');
  if (lease.siteId !== site.siteId) {
    throw new RuleViolationError(`lease ${lease.leaseId} is at site ${lease.siteId}, not at site ${site.siteId}`);
  }
  if (startsAtMs < lease.startsAtMs || startsAtMs >= lease.endsAtMs) {
    throw new RuleViolationError(
      `allocation start ${canonicalInstant(data.startsAt)} is outside lease ${lease.leaseId}'s term ${formatInterval(lease.startsAtMs, lease.endsAtMs)}${terminationNote(lease)}`,
    );
  }
  // A terminated lease's allocations end at the termination instant, including one recorded
  // late for a start before it: its GPUs are free again from then on.
  const endsAtMs = lease.termination === null ? Number.POSITIVE_INFINITY : lease.termination.effectiveAtMs;
  const peak = peakLoad(site.allocations.values(), startsAtMs, endsAtMs);
  const excessGpus = peak.gpuCount + data.gpuCount - site.gpuCount;
  if (excessGpus > 0) {
    throw new RuleViolationError(
      `allocation of ${data.gpuCount} GPUs would exceed site ${site.siteId} capacity of ${site.gpuCount} at ${toInstant(peak.atMs)} by ${excessGpus}`,
    );
  }
  assertWithinCapacity(site, { gpuCount: data.gpuCount, startsAtMs, endsAtMs });
  const startsAt = canonicalInstant(data.startsAt);
  const events: SiteEvent[] = [
    { type: 'CapacityAllocated', data: { allocationId: data.allocationId, leaseId: data.leaseId, siteId: site.siteId, gpuCount: data.gpuCount, startsAt } },
  ];
  if (endsAtMs !== Number.POSITIVE_INFINITY) {
    events.push({ type: 'CapacityReleased', data: { allocationId: data.allocationId, leaseId: data.leaseId, siteId: site.siteId, endsAt: toInstant(endsAtMs) } });
  }
  return events;
}

/**
 * The site's invariant, checked after the refusal above has had its say: at no instant do its
 * allocations, with the one decided, hold more GPUs than it has. Over the whole timeline, not
 * only the new allocation's interval, so that a state already over capacity (which no decision
 * can lead to) stops the work instead of being built on.
 */
function assertWithinCapacity(site: SiteState, decided: { gpuCount: number; startsAtMs: number; endsAtMs: number }): void {
  const peak = peakLoad([...site.allocations.values(), decided], Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  assert(peak.gpuCount <= site.gpuCount, `site ${site.siteId} allocates at most its ${site.gpuCount} GPUs (${peak.gpuCount} at ${toInstant(peak.atMs)})`);
}

function terminationNote(lease: LeaseState): string {
  return lease.termination === null ? '' : `; the lease was terminated at ${toInstant(lease.termination.effectiveAtMs)}`;
}

/**
 * A second release of the same allocation at another instant is a conflict, like any id reused
 * with other content: the release is a fact about the allocation, and changing when GPUs were
 * handed back is not a release but a correction this ledger does not offer. A release after the
 * lease's end is accepted: the GPUs were physically held until then, and counting them against
 * the site's capacity is the safe reading (usage past the term is refused anyway).
 */
function releaseCapacity(command: ReleaseCapacity, site: SiteState): SiteEvent[] {
  const { allocationId } = command.data;
  const allocation = site.allocations.get(allocationId);
  if (allocation === undefined) throw new NotFoundError(`allocation ${allocationId} does not exist`);
  const endsAtMs = toMs(command.data.endsAt);
  if (allocation.endsAtMs !== null) {
    if (allocation.endsAtMs === endsAtMs) return [];
    throw new ConflictError(`allocation ${allocationId} was already released at ${toInstant(allocation.endsAtMs)}`);
  }
  if (endsAtMs <= allocation.startsAtMs) {
    throw new RuleViolationError(
      `release at ${toInstant(endsAtMs)} is not after allocation ${allocationId}'s start ${toInstant(allocation.startsAtMs)}`,
    );
  }
  return [{ type: 'CapacityReleased', data: { allocationId, leaseId: allocation.leaseId, siteId: site.siteId, endsAt: toInstant(endsAtMs) } }];
}

/**
 * Every allocation of the lease still holding GPUs at the termination instant ends then. One
 * that starts later (future-dated) ends at its own start, which leaves it empty: it never held
 * GPUs. One already released after the termination instant is cut short by a second release.
 */
function endLeaseAllocations(command: EndLeaseAllocations, state: SiteStreamState): SiteEvent[] {
  if (state === null) return [];
  const terminatedAtMs = toMs(command.data.endsAt);
  const events: SiteEvent[] = [];
  for (const allocation of allocationsOfLease(state, command.data.leaseId)) {
    const endsAtMs = Math.max(terminatedAtMs, allocation.startsAtMs);
    if (allocation.endsAtMs !== null && allocation.endsAtMs <= endsAtMs) continue;
    events.push({
      type: 'CapacityReleased',
      data: { allocationId: allocation.allocationId, leaseId: allocation.leaseId, siteId: state.siteId, endsAt: toInstant(endsAtMs) },
    });
  }
  return events;
}

/**
 * Folds a site event. Allocation events update the state in place: a site's stream grows with
 * every allocation, and copying its maps for each event would make a replay quadratic. The state
 * belongs to the fold that built it; whoever keeps an old state must not fold into it.
 */
export function evolveSite(state: SiteStreamState, event: SiteEvent): SiteStreamState {
  switch (event.type) {
    case 'SiteCommissioned': {
      assert(state === null, `site ${event.data.siteId} is commissioned once`);
      const { data } = event;
      return {
        siteId: data.siteId,
        name: data.name,
        gpuSku: data.gpuSku,
        gpuCount: data.gpuCount,
        powerMw: data.powerMw ?? null,
        fingerprint: siteFingerprint(data),
        allocations: new Map(),
        allocationsByLease: new Map(),
      };
    }
    case 'CapacityAllocated': {
      assert(state !== null, `allocation ${event.data.allocationId} follows its site's commissioning`);
      // The whole site's load is checked where allocations are decided; one allocation alone never holds more than the site has.
      assert(event.data.gpuCount <= state.gpuCount, `allocation ${event.data.allocationId} holds at most site ${state.siteId}'s ${state.gpuCount} GPUs`);
      const allocation: AllocationState = {
        allocationId: event.data.allocationId,
        leaseId: event.data.leaseId,
        siteId: event.data.siteId,
        gpuCount: event.data.gpuCount,
        startsAtMs: toMs(event.data.startsAt),
        endsAtMs: null,
      };
      state.allocations.set(allocation.allocationId, allocation);
      const ofLease = state.allocationsByLease.get(allocation.leaseId);
      if (ofLease === undefined) state.allocationsByLease.set(allocation.leaseId, [allocation]);
      else ofLease.push(allocation);
      return state;
    }
    case 'CapacityReleased': {
      assert(state !== null, `release of ${event.data.allocationId} follows its site's commissioning`);
      const allocation = state.allocations.get(event.data.allocationId);
      assert(allocation !== undefined, `release of a recorded allocation ${event.data.allocationId}`);
      // A later release can only cut an allocation short (a termination): the earliest end wins.
      const endsAtMs = toMs(event.data.endsAt);
      allocation.endsAtMs = allocation.endsAtMs === null ? endsAtMs : Math.min(allocation.endsAtMs, endsAtMs);
      return state;
    }
    default:
      return unreachable(event, 'site event');
  }
}

export const siteDecider: Decider<SiteStreamState, SiteCommand, SiteEvent> = {
  decide: decideSite,
  evolve: evolveSite,
  initialState: () => null,
};
