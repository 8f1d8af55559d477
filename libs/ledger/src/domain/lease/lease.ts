import type { CommitmentEntry, LedgerEvent, LedgerEventOf } from '@compute-ledger/contracts';
import { assert } from '../../shared/assert.js';
import { toMs } from '../../shared/time.js';
import { unreachable } from '../decider.js';
import { fingerprintJson, canonicalInstant, normalizeQuantity } from '../values.js';
import type { LeaseState, LeaseStatus, OverageRateEntry, ScheduleEntry } from './lease-state.js';

/**
 * The lease's events and its fold. `evolveLease` is pure: it never changes the state it is
 * given (reports keep a lease's earlier states to answer "as known at"), and a lease's arrays
 * are short (schedule entries, amendments, outages), so copying them is cheap.
 */

export type LeaseEvent = LedgerEventOf<'LeaseSigned' | 'LeaseAmended' | 'LeaseTerminated' | 'OutageRecorded'>;

/** Null until the lease is signed. */
export type LeaseStreamState = LeaseState | null;

const leaseEventTypes: ReadonlySet<string> = new Set(['LeaseSigned', 'LeaseAmended', 'LeaseTerminated', 'OutageRecorded']);

export function isLeaseEvent(event: LedgerEvent): event is LeaseEvent {
  return leaseEventTypes.has(event.type);
}

function scheduleFingerprint(entries: readonly CommitmentEntry[]): unknown[] {
  return entries.map((entry) => ({
    effectiveFrom: canonicalInstant(entry.effectiveFrom),
    gpuCount: entry.gpuCount,
    ratePerGpuHour: normalizeQuantity(entry.ratePerGpuHour),
  }));
}

export function leaseSignedFingerprint(data: LedgerEventOf<'LeaseSigned'>['data']): string {
  return fingerprintJson({
    leaseId: data.leaseId,
    tenantId: data.tenantId,
    siteId: data.siteId,
    gpuSku: data.gpuSku,
    signedAt: canonicalInstant(data.signedAt),
    startsAt: canonicalInstant(data.startsAt),
    endsAt: canonicalInstant(data.endsAt),
    commitment: scheduleFingerprint(data.commitment),
    overageRatePerGpuHour: normalizeQuantity(data.overageRatePerGpuHour),
    commitmentBilling: data.commitmentBilling,
    sla: data.sla.map((tier) => ({ availabilityBelowPct: normalizeQuantity(tier.availabilityBelowPct), creditPct: normalizeQuantity(tier.creditPct) })),
  });
}

export function leaseAmendedFingerprint(data: LedgerEventOf<'LeaseAmended'>['data']): string {
  return fingerprintJson({
    leaseId: data.leaseId,
    amendmentId: data.amendmentId,
    effectiveAt: canonicalInstant(data.effectiveAt),
    commitment: data.commitment === undefined ? null : scheduleFingerprint(data.commitment),
    endsAt: data.endsAt === undefined ? null : canonicalInstant(data.endsAt),
    overageRatePerGpuHour: data.overageRatePerGpuHour === undefined ? null : normalizeQuantity(data.overageRatePerGpuHour),
  });
}

export function outageFingerprint(data: LedgerEventOf<'OutageRecorded'>['data']): string {
  return fingerprintJson({
    outageId: data.outageId,
    leaseId: data.leaseId,
    startsAt: canonicalInstant(data.startsAt),
    endsAt: canonicalInstant(data.endsAt),
    affectedGpus: data.affectedGpus,
  });
}

function toScheduleEntries(entries: readonly CommitmentEntry[]): ScheduleEntry[] {
  return entries.map((entry) => ({ effectiveFromMs: toMs(entry.effectiveFrom), gpuCount: entry.gpuCount, ratePerGpuHour: entry.ratePerGpuHour }));
}

/**
 * Entries from `endMs` on lie outside the term and are dropped, except the first one: it is at
 * the term's start and keeps the schedule's shape even for a term cut to nothing.
 */
function withinTerm<T extends { effectiveFromMs: number }>(entries: readonly T[], endMs: number): T[] {
  return entries.filter((entry, index) => index === 0 || entry.effectiveFromMs < endMs);
}

export function evolveLease(state: LeaseStreamState, event: LeaseEvent): LeaseState {
  switch (event.type) {
    case 'LeaseSigned': {
      assert(state === null, `lease ${event.data.leaseId} is signed once`);
      const { data } = event;
      const startsAtMs = toMs(data.startsAt);
      return {
        leaseId: data.leaseId,
        tenantId: data.tenantId,
        siteId: data.siteId,
        gpuSku: data.gpuSku,
        signedAtMs: toMs(data.signedAt),
        startsAtMs,
        endsAtMs: toMs(data.endsAt),
        schedule: toScheduleEntries(data.commitment),
        overageRates: [{ effectiveFromMs: startsAtMs, ratePerGpuHour: data.overageRatePerGpuHour }],
        commitmentBilling: data.commitmentBilling,
        sla: data.sla.map((tier) => ({ ...tier })),
        amendments: [],
        termination: null,
        outages: [],
        fingerprint: leaseSignedFingerprint(data),
      };
    }
    case 'LeaseAmended': {
      assert(state !== null, `amendment of lease ${event.data.leaseId} follows its signing`);
      return applyAmendment(state, event.data);
    }
    case 'LeaseTerminated': {
      assert(state !== null, `termination of lease ${event.data.leaseId} follows its signing`);
      const effectiveAtMs = toMs(event.data.effectiveAt);
      return {
        ...state,
        endsAtMs: effectiveAtMs,
        schedule: withinTerm(state.schedule, effectiveAtMs),
        overageRates: withinTerm(state.overageRates, effectiveAtMs),
        termination: { effectiveAtMs, terminationFee: event.data.terminationFee },
      };
    }
    case 'OutageRecorded': {
      assert(state !== null, `outage of lease ${event.data.leaseId} follows its signing`);
      const { data } = event;
      const outage = {
        outageId: data.outageId,
        startsAtMs: toMs(data.startsAt),
        endsAtMs: toMs(data.endsAt),
        affectedGpus: data.affectedGpus,
        fingerprint: outageFingerprint(data),
      };
      return { ...state, outages: [...state.outages, outage] };
    }
    default:
      return unreachable(event, 'lease event');
  }
}

/**
 * A new commitment tail replaces every entry from `effectiveAt` on; a new overage rate does the
 * same for the overage rates; a new end moves the term's end and drops what lies beyond it.
 */
function applyAmendment(state: LeaseState, data: LedgerEventOf<'LeaseAmended'>['data']): LeaseState {
  const effectiveAtMs = toMs(data.effectiveAt);
  let schedule = state.schedule;
  if (data.commitment !== undefined) {
    schedule = [...schedule.filter((entry) => entry.effectiveFromMs < effectiveAtMs), ...toScheduleEntries(data.commitment)];
  }
  let overageRates: OverageRateEntry[] = state.overageRates;
  if (data.overageRatePerGpuHour !== undefined) {
    overageRates = [
      ...overageRates.filter((entry) => entry.effectiveFromMs < effectiveAtMs),
      { effectiveFromMs: effectiveAtMs, ratePerGpuHour: data.overageRatePerGpuHour },
    ];
  }
  let endsAtMs = state.endsAtMs;
  if (data.endsAt !== undefined) {
    endsAtMs = toMs(data.endsAt);
    schedule = withinTerm(schedule, endsAtMs);
    overageRates = withinTerm(overageRates, endsAtMs);
  }
  const amendment = { amendmentId: data.amendmentId, effectiveAtMs, fingerprint: leaseAmendedFingerprint(data) };
  return { ...state, schedule, overageRates, endsAtMs, amendments: [...state.amendments, amendment] };
}

/**
 * Folds any ledger event into a lease (the projections' lease fold): events of other aggregates
 * leave it as it is.
 */
export function foldLease(state: LeaseStreamState, event: LedgerEvent): LeaseState {
  if (isLeaseEvent(event)) return evolveLease(state, event);
  assert(state !== null, `a ${event.type} event is folded into a lease that exists`);
  return state;
}

/**
 * A lease is `terminated` from its termination instant on, `ended` from the end of its term on
 * when it ran its course, and `active` before that (including before its term starts).
 */
export function leaseStatus(state: LeaseState, nowMs: number): LeaseStatus {
  if (state.termination !== null) return nowMs >= state.termination.effectiveAtMs ? 'terminated' : 'active';
  return nowMs >= state.endsAtMs ? 'ended' : 'active';
}

/** True when `ms` lies inside the term as it stands, [startsAtMs, endsAtMs). */
export function isInsideTerm(state: LeaseState, ms: number): boolean {
  return ms >= state.startsAtMs && ms < state.endsAtMs;
}

/** The last entry with `effectiveFromMs <= ms`, or undefined before the first. */
function entryAt<T extends { effectiveFromMs: number }>(entries: readonly T[], ms: number): T | undefined {
  let found: T | undefined;
  for (const entry of entries) {
    if (entry.effectiveFromMs > ms) break;
    found = entry;
  }
  return found;
}

export interface CommittedCapacity {
  gpuCount: number;
  ratePerGpuHour: string;
}

/** The committed GPU count and rate at instant `ms`: the schedule inside the term, zero outside. */
export function committedAt(state: LeaseState, ms: number): CommittedCapacity {
  const entry = isInsideTerm(state, ms) ? entryAt(state.schedule, ms) : undefined;
  return entry === undefined ? { gpuCount: 0, ratePerGpuHour: '0' } : { gpuCount: entry.gpuCount, ratePerGpuHour: entry.ratePerGpuHour };
}

/** The overage rate in force at instant `ms` inside the term, or null outside it. */
export function overageRateAt(state: LeaseState, ms: number): string | null {
  if (!isInsideTerm(state, ms)) return null;
  return entryAt(state.overageRates, ms)?.ratePerGpuHour ?? null;
}
