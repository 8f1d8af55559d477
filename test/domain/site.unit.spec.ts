import { describe, expect, it } from 'vitest';
import { InvariantError } from '@compute-ledger/contracts';
import {
  ConflictError,
  NotFoundError,
  RuleViolationError,
  allocatedGpuHours,
  allocationsOfLease,
  evolveLease,
  evolveSite,
  siteDecider,
  type LeaseState,
  type SiteEvent,
  type SiteStreamState,
} from '@compute-ledger/ledger';
import { deciderSpec } from '../support/given-when-then.js';
import { workedExampleAllocation, workedExampleLease, workedExampleSite } from '../support/worked-example.js';

const spec = deciderSpec(siteDecider);
const ms = (instant: string): number => Date.parse(instant);

const lease: LeaseState = evolveLease(null, { type: 'LeaseSigned', data: workedExampleLease });
const terminatedLease: LeaseState = evolveLease(lease, {
  type: 'LeaseTerminated',
  data: { leaseId: 'L-1001', effectiveAt: '2026-03-01T00:00:00Z', terminationFee: '0.00' },
});

const commissioned: SiteEvent = { type: 'SiteCommissioned', data: workedExampleSite };
const allocated: SiteEvent = { type: 'CapacityAllocated', data: workedExampleAllocation };
const allocate = (data: Partial<typeof workedExampleAllocation> = {}, context: { lease?: LeaseState | null } = {}) =>
  ({ type: 'AllocateCapacity', data: { ...workedExampleAllocation, ...data }, lease: context.lease === undefined ? lease : context.lease }) as const;
const release = (allocationId: string, endsAt: string) => ({ type: 'ReleaseCapacity', data: { allocationId, endsAt } }) as const;
const released = (allocationId: string, endsAt: string, leaseId = 'L-1001'): SiteEvent => ({
  type: 'CapacityReleased',
  data: { allocationId, leaseId, siteId: 'colossus-1', endsAt },
});

function fold(events: SiteEvent[]): SiteStreamState {
  let state: SiteStreamState = null;
  for (const event of events) state = evolveSite(state, event);
  return state;
}

describe('commissioning a site', () => {
  it('records the site, and the same request again as a no-op', () => {
    spec.given([]).when({ type: 'CommissionSite', data: workedExampleSite }).then([commissioned]);
    spec.given([commissioned]).when({ type: 'CommissionSite', data: { ...workedExampleSite } }).thenNothing();
  });

  it('refuses the same site id with other content', () => {
    spec
      .given([commissioned])
      .when({ type: 'CommissionSite', data: { ...workedExampleSite, gpuCount: 50_000 } })
      .thenThrows(ConflictError, 'site colossus-1 is already commissioned with other content');
  });
});

describe('allocating capacity', () => {
  it('allocates GPUs of the lease site inside its term', () => {
    spec.given([commissioned]).when(allocate()).then([allocated]);
  });

  it('takes the same allocation again as a no-op and its id with other content as a conflict', () => {
    spec.given([commissioned, allocated]).when(allocate()).thenNothing();
    spec.given([commissioned, allocated]).when(allocate({ gpuCount: 1300 })).thenThrows(ConflictError, 'allocation A-1001-1 is already recorded with other content');
  });

  it('refuses an allocation at a site that does not exist', () => {
    spec.given([]).when(allocate()).thenThrows(NotFoundError, 'site colossus-1 does not exist');
  });

  it('refuses an allocation to a lease that does not exist', () => {
    spec.given([commissioned]).when(allocate({}, { lease: null })).thenThrows(NotFoundError, 'lease L-1001 does not exist');
  });

  it('refuses an allocation to a lease at another site', () => {
    spec
      .given([{ type: 'SiteCommissioned', data: { ...workedExampleSite, siteId: 'memphis-2' } }])
      .when(allocate({ siteId: 'memphis-2' }))
      .thenThrows(RuleViolationError, 'lease L-1001 is at site colossus-1, not at site memphis-2');
  });

  it('refuses a start outside the lease term', () => {
    spec
      .given([commissioned])
      .when(allocate({ startsAt: '2025-11-09T00:00:00Z' }))
      .thenThrows(RuleViolationError, "allocation start 2025-11-09T00:00:00Z is outside lease L-1001's term [2025-11-10T00:00:00Z, 2026-11-10T00:00:00Z)");
    spec
      .given([commissioned])
      .when(allocate({ startsAt: '2026-11-10T00:00:00Z' }))
      .thenThrows(RuleViolationError, "allocation start 2026-11-10T00:00:00Z is outside lease L-1001's term [2025-11-10T00:00:00Z, 2026-11-10T00:00:00Z)");
  });

  it('refuses an allocation that would exceed the site capacity at some instant', () => {
    const big: SiteEvent = { type: 'CapacityAllocated', data: { ...workedExampleAllocation, allocationId: 'A-big', gpuCount: 99_900 } };
    spec
      .given([commissioned, big])
      .when(allocate({ allocationId: 'A-2', gpuCount: 300 }))
      .thenThrows(RuleViolationError, 'allocation of 300 GPUs would exceed site colossus-1 capacity of 100000 at 2025-11-10T00:00:00Z by 200');
  });

  it('counts future-dated allocations: an earlier open-ended one overlaps them', () => {
    const future: SiteEvent = { type: 'CapacityAllocated', data: { ...workedExampleAllocation, allocationId: 'A-future', gpuCount: 99_000, startsAt: '2026-06-01T00:00:00Z' } };
    spec
      .given([commissioned, future])
      .when(allocate({ allocationId: 'A-2', gpuCount: 1_500 }))
      .thenThrows(RuleViolationError, 'allocation of 1500 GPUs would exceed site colossus-1 capacity of 100000 at 2026-06-01T00:00:00Z by 500');
  });

  it('counts future-dated releases: GPUs released later are free from then on', () => {
    const full: SiteEvent = { type: 'CapacityAllocated', data: { ...workedExampleAllocation, allocationId: 'A-full', gpuCount: 100_000 } };
    const events = [commissioned, full, released('A-full', '2026-01-01T00:00:00Z')];
    spec
      .given(events)
      .when(allocate({ allocationId: 'A-2', gpuCount: 10, startsAt: '2025-12-31T23:00:00Z' }))
      .thenThrows(RuleViolationError, 'allocation of 10 GPUs would exceed site colossus-1 capacity of 100000 at 2025-12-31T23:00:00Z by 10');
    spec
      .given(events)
      .when(allocate({ allocationId: 'A-2', gpuCount: 100_000, startsAt: '2026-01-01T00:00:00Z' }))
      .then([{ type: 'CapacityAllocated', data: { ...workedExampleAllocation, allocationId: 'A-2', gpuCount: 100_000, startsAt: '2026-01-01T00:00:00Z' } }]);
  });

  it('refuses an allocation after a termination and ends one that starts before it', () => {
    spec
      .given([commissioned])
      .when(allocate({ startsAt: '2026-03-01T00:00:00Z' }, { lease: terminatedLease }))
      .thenThrows(
        RuleViolationError,
        "allocation start 2026-03-01T00:00:00Z is outside lease L-1001's term [2025-11-10T00:00:00Z, 2026-03-01T00:00:00Z); the lease was terminated at 2026-03-01T00:00:00Z",
      );
    spec
      .given([commissioned])
      .when(allocate({}, { lease: terminatedLease }))
      .then([allocated, released('A-1001-1', '2026-03-01T00:00:00Z')]);
  });
});

describe('releasing capacity', () => {
  it('releases an allocation after its start, and the same release again is a no-op', () => {
    spec.given([commissioned, allocated]).when(release('A-1001-1', '2026-01-01T00:00:00Z')).then([released('A-1001-1', '2026-01-01T00:00:00Z')]);
    spec.given([commissioned, allocated, released('A-1001-1', '2026-01-01T00:00:00Z')]).when(release('A-1001-1', '2026-01-01T00:00:00.000Z')).thenNothing();
  });

  it('refuses a second release at another instant as a conflict', () => {
    spec
      .given([commissioned, allocated, released('A-1001-1', '2026-01-01T00:00:00Z')])
      .when(release('A-1001-1', '2026-02-01T00:00:00Z'))
      .thenThrows(ConflictError, 'allocation A-1001-1 was already released at 2026-01-01T00:00:00Z');
  });

  it('refuses a release that is not after the allocation start', () => {
    spec
      .given([commissioned, allocated])
      .when(release('A-1001-1', '2025-11-10T00:00:00Z'))
      .thenThrows(RuleViolationError, "release at 2025-11-10T00:00:00Z is not after allocation A-1001-1's start 2025-11-10T00:00:00Z");
  });

  it('refuses the release of an allocation that does not exist', () => {
    spec.given([commissioned]).when(release('A-404', '2026-01-01T00:00:00Z')).thenThrows(NotFoundError, 'allocation A-404 does not exist');
  });

  it('accepts a release after the lease end: the GPUs were held until then', () => {
    spec.given([commissioned, allocated]).when(release('A-1001-1', '2027-01-01T00:00:00Z')).then([released('A-1001-1', '2027-01-01T00:00:00Z')]);
  });
});

describe('ending the allocations of a terminated lease', () => {
  const end = { type: 'EndLeaseAllocations', data: { leaseId: 'L-1001', endsAt: '2026-03-01T00:00:00Z' } } as const;

  it('ends open allocations, cuts later releases short, empties future ones and leaves earlier ones', () => {
    const events: SiteEvent[] = [
      commissioned,
      allocated,
      { type: 'CapacityAllocated', data: { ...workedExampleAllocation, allocationId: 'A-late-release', gpuCount: 10 } },
      released('A-late-release', '2026-05-01T00:00:00Z'),
      { type: 'CapacityAllocated', data: { ...workedExampleAllocation, allocationId: 'A-early-release', gpuCount: 10 } },
      released('A-early-release', '2026-01-01T00:00:00Z'),
      { type: 'CapacityAllocated', data: { ...workedExampleAllocation, allocationId: 'A-future', gpuCount: 10, startsAt: '2026-04-01T00:00:00Z' } },
      { type: 'CapacityAllocated', data: { ...workedExampleAllocation, allocationId: 'A-other', leaseId: 'L-2002', gpuCount: 10 } },
    ];
    const releases = [
      released('A-1001-1', '2026-03-01T00:00:00Z'),
      released('A-late-release', '2026-03-01T00:00:00Z'),
      released('A-future', '2026-04-01T00:00:00Z'),
    ];
    spec.given(events).when(end).then(releases);
    const site = fold([...events, ...releases]);
    if (site === null) throw new Error('no site');
    expect(allocationsOfLease(site, 'L-1001').map((allocation) => allocation.endsAtMs)).toEqual([
      ms('2026-03-01T00:00:00Z'),
      ms('2026-03-01T00:00:00Z'),
      ms('2026-01-01T00:00:00Z'),
      ms('2026-04-01T00:00:00Z'),
    ]);
    spec.given([...events, ...releases]).when(end).thenNothing();
  });
});

describe('allocated GPU-hours', () => {
  it('sums gpuCount x hours of overlap, exactly', () => {
    const site = fold([commissioned, allocated, { type: 'CapacityAllocated', data: { ...workedExampleAllocation, allocationId: 'A-2', gpuCount: 3, startsAt: '2025-11-10T00:30:00Z' } }]);
    if (site === null) throw new Error('no site');
    const hours = allocatedGpuHours(allocationsOfLease(site, 'L-1001'), ms('2025-11-10T00:00:00Z'), ms('2025-11-10T01:00:00Z'));
    expect(hours.toFixed()).toBe('1201.5'); // 1,200 x 1 h + 3 x 0.5 h
  });
});

describe('the capacity invariant', () => {
  const forged = (gpuCount: number, allocationId: string) => ({
    allocationId,
    leaseId: 'L-0001',
    siteId: 'colossus-1',
    gpuCount,
    startsAtMs: ms('2020-01-01T00:00:00Z'),
    endsAtMs: ms('2020-02-01T00:00:00Z'),
  });

  it('stops a decision on a state already over capacity: a bug, not a refusal', () => {
    // Forged: 100,000 + 1 GPUs held in January 2020 at a site of 100,000, which no decision can lead to.
    // The new allocation does not overlap them, so only the invariant sees it.
    const site = fold([commissioned]);
    if (site === null) throw new Error('the site is commissioned');
    for (const allocation of [forged(100_000, 'A-forged-1'), forged(1, 'A-forged-2')]) site.allocations.set(allocation.allocationId, allocation);
    expect(() => siteDecider.decide(allocate(), site)).toThrow(InvariantError);
    expect(() => siteDecider.decide(allocate(), site)).toThrow('site colossus-1 allocates at most its 100000 GPUs (100001 at 2020-01-01T00:00:00Z)');
  });

  it('leaves an allocation over capacity a domain error (422), not an invariant failure', () => {
    const site = fold([commissioned]);
    let thrown: unknown;
    try {
      siteDecider.decide(allocate({ gpuCount: 100_001 }), site);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RuleViolationError);
    expect(thrown).not.toBeInstanceOf(InvariantError);
  });

  it('stops folding an allocation larger than its site', () => {
    expect(() => fold([commissioned, { type: 'CapacityAllocated', data: { ...workedExampleAllocation, gpuCount: 100_001 } }])).toThrow(InvariantError);
  });
});
