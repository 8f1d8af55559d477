import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  RuleViolationError,
  evolveLease,
  siteDecider,
  type LeaseState,
  type SiteEvent,
  type SiteStreamState,
} from '@compute-ledger/ledger';
import { workedExampleLease, workedExampleSite } from '../support/worked-example.js';

/**
 * Random interleavings of allocations and releases, decided one after the other as the site
 * stream would record them, never over-allocate the site. The check is a brute-force timeline
 * built from the recorded events alone: every boundary is a whole hour, so the load at every hour
 * of the horizon is the load at every instant.
 */

const hourMs = 3_600_000;
const originMs = Date.parse('2025-11-10T00:00:00Z');
// A coarse grid of hours makes starts and ends coincide often, where half-open intervals matter.
const horizonHours = 30;
const instantAt = (hour: number): string => new Date(originMs + hour * hourMs).toISOString().replace('.000Z', 'Z');

const lease: LeaseState = evolveLease(null, { type: 'LeaseSigned', data: workedExampleLease });

type Operation =
  | { kind: 'allocate'; gpuCount: number; startHour: number }
  | { kind: 'release'; pick: number; endHour: number; alignTo: number | null };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('allocate' as const), gpuCount: fc.integer({ min: 1, max: 12 }), startHour: fc.integer({ min: 0, max: 20 }) }),
  // A release often ends exactly where another allocation starts, where half-open intervals matter.
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat(), endHour: fc.integer({ min: 0, max: 24 }), alignTo: fc.option(fc.nat()) }),
);

interface Interval {
  gpuCount: number;
  startHour: number;
  endHour: number;
}

/** The timeline from the recorded events only, independent of the decider's state and sweep. */
function timelineOf(events: readonly SiteEvent[]): Map<string, Interval> {
  const intervals = new Map<string, Interval>();
  for (const event of events) {
    if (event.type === 'CapacityAllocated') {
      intervals.set(event.data.allocationId, { gpuCount: event.data.gpuCount, startHour: (Date.parse(event.data.startsAt) - originMs) / hourMs, endHour: Infinity });
    } else if (event.type === 'CapacityReleased') {
      const interval = intervals.get(event.data.allocationId);
      if (interval === undefined) throw new Error('release of an unknown allocation');
      interval.endHour = Math.min(interval.endHour, (Date.parse(event.data.endsAt) - originMs) / hourMs);
    }
  }
  return intervals;
}

function maxLoad(intervals: Iterable<Interval>): number {
  let peak = 0;
  const all = [...intervals];
  for (let hour = 0; hour <= horizonHours; hour += 1) {
    const load = all.reduce((total, interval) => (interval.startHour <= hour && hour < interval.endHour ? total + interval.gpuCount : total), 0);
    peak = Math.max(peak, load);
  }
  return peak;
}

describe('site capacity under random allocations and releases', () => {
  it('is never exceeded, and an allocation is refused only when it would exceed it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(operation, { minLength: 1, maxLength: 40 }), (gpuCount, operations) => {
        const recorded: SiteEvent[] = [{ type: 'SiteCommissioned', data: { ...workedExampleSite, gpuCount } }];
        let state: SiteStreamState = siteDecider.evolve(siteDecider.initialState(), recorded[0] as SiteEvent);
        const allocationIds: string[] = [];
        const startHours: number[] = [];
        operations.forEach((op, step) => {
          const command =
            op.kind === 'allocate'
              ? ({
                  type: 'AllocateCapacity',
                  data: { allocationId: `A-${step}`, leaseId: 'L-1001', siteId: 'colossus-1', gpuCount: op.gpuCount, startsAt: instantAt(op.startHour) },
                  lease,
                } as const)
              : ({
                  type: 'ReleaseCapacity',
                  data: {
                    allocationId: allocationIds[op.pick % Math.max(1, allocationIds.length)] ?? 'A-none',
                    endsAt: instantAt(op.alignTo === null ? op.endHour : (startHours[op.alignTo % Math.max(1, startHours.length)] ?? op.endHour)),
                  },
                } as const);
          let events: SiteEvent[];
          try {
            events = siteDecider.decide(command, state);
          } catch (error) {
            if (!(error instanceof RuleViolationError || error instanceof ConflictError || (error as Error).name === 'NotFoundError')) throw error;
            if (op.kind === 'allocate') {
              // A refusal is justified: with this allocation the brute-force timeline exceeds capacity.
              const candidate = { gpuCount: op.gpuCount, startHour: op.startHour, endHour: Infinity };
              expect(maxLoad([...timelineOf(recorded).values(), candidate])).toBeGreaterThan(gpuCount);
            }
            return;
          }
          for (const event of events) {
            state = siteDecider.evolve(state, event);
            recorded.push(event);
            if (event.type === 'CapacityAllocated') {
              allocationIds.push(event.data.allocationId);
              startHours.push((Date.parse(event.data.startsAt) - originMs) / hourMs);
            }
          }
          expect(maxLoad(timelineOf(recorded).values())).toBeLessThanOrEqual(gpuCount);
        });
      }),
      { numRuns: 500 },
    );
  });
});
