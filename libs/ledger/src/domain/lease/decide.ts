import type {
  AmendLeaseBody,
  CommitmentEntry,
  CurrencyCode,
  LedgerEventOf,
  RecordOutageBody,
  SignLeaseBody,
  TerminateLeaseBody,
} from '@compute-ledger/contracts';
import { leaseTermYearsMax } from '@compute-ledger/contracts';
import { addYears, isFirstInstantOfMonth, toInstant, toMs } from '../../shared/time.js';
import { unreachable, type Decider } from '../decider.js';
import { ConflictError, NotFoundError, RuleViolationError } from '../errors.js';
import type { TenantState } from '../tenant/tenant.js';
import { formatInterval, canonicalInstant, normalizeMoney } from '../values.js';
import {
  evolveLease,
  leaseAmendedFingerprint,
  leaseSignedFingerprint,
  outageFingerprint,
  type LeaseEvent,
  type LeaseStreamState,
} from './lease.js';
import type { LeaseState } from './lease-state.js';

export interface SignLease {
  type: 'SignLease';
  data: SignLeaseBody;
  /** The tenant and the site as they stand, null when they do not exist. */
  tenant: TenantState | null;
  site: { siteId: string; gpuSku: string } | null;
  ledgerCurrency: CurrencyCode;
}

export interface AmendLease {
  type: 'AmendLease';
  data: AmendLeaseBody & { leaseId: string };
}

export interface TerminateLease {
  type: 'TerminateLease';
  data: TerminateLeaseBody & { leaseId: string };
  /** The fee is written with this currency's minor digits. */
  ledgerCurrency: CurrencyCode;
}

export interface RecordOutage {
  type: 'RecordOutage';
  data: RecordOutageBody;
}

export type LeaseCommand = SignLease | AmendLease | TerminateLease | RecordOutage;

export function decideLease(command: LeaseCommand, state: LeaseStreamState): LeaseEvent[] {
  switch (command.type) {
    case 'SignLease':
      return signLease(command, state);
    case 'AmendLease':
      return amendLease(command, requireLease(state, command.data.leaseId));
    case 'TerminateLease':
      return terminateLease(command, requireLease(state, command.data.leaseId));
    case 'RecordOutage':
      return recordOutage(command, requireLease(state, command.data.leaseId));
    default:
      return unreachable(command, 'lease command');
  }
}

function requireLease(state: LeaseStreamState, leaseId: string): LeaseState {
  if (state === null) throw new NotFoundError(`lease ${leaseId} does not exist`);
  return state;
}

function normalizeSchedule(entries: readonly CommitmentEntry[]): CommitmentEntry[] {
  return entries.map((entry) => ({ ...entry, effectiveFrom: canonicalInstant(entry.effectiveFrom) }));
}

/**
 * A commitment schedule (or an amendment's tail) must start exactly at `firstMs`, be ordered
 * strictly by effectiveFrom (two entries at one instant would leave the commitment there
 * ambiguous), and lie inside the term, before `endMs`.
 */
function checkSchedule(entries: readonly CommitmentEntry[], firstMs: number, endMs: number, what: string): void {
  const first = entries[0];
  if (first === undefined) throw new RuleViolationError(`the ${what} has no entry`);
  if (toMs(first.effectiveFrom) !== firstMs) {
    throw new RuleViolationError(`the ${what}'s first entry must be at ${toInstant(firstMs)}, not at ${canonicalInstant(first.effectiveFrom)}`);
  }
  let previousMs = Number.NEGATIVE_INFINITY;
  entries.forEach((entry, index) => {
    const ms = toMs(entry.effectiveFrom);
    if (ms <= previousMs) {
      throw new RuleViolationError(
        `the ${what}'s entry ${index + 1} (effectiveFrom ${toInstant(ms)}) must come strictly after entry ${index} (${toInstant(previousMs)})`,
      );
    }
    if (ms >= endMs) {
      throw new RuleViolationError(`the ${what}'s entry ${index + 1} (effectiveFrom ${toInstant(ms)}) is not before the term's end ${toInstant(endMs)}`);
    }
    previousMs = ms;
  });
}

/** A term ends at most leaseTermYearsMax years after it starts (see the limit's reason). */
function checkTermLength(startsAtMs: number, endsAtMs: number, what: string): void {
  const latestEndMs = addYears(startsAtMs, leaseTermYearsMax);
  if (endsAtMs > latestEndMs) {
    throw new RuleViolationError(`the ${what}'s term ${formatInterval(startsAtMs, endsAtMs)} is longer than ${leaseTermYearsMax} years: it must end by ${toInstant(latestEndMs)}`);
  }
}

function signLease(command: SignLease, state: LeaseStreamState): LeaseEvent[] {
  const { data, tenant, site } = command;
  const event: LedgerEventOf<'LeaseSigned'> = {
    type: 'LeaseSigned',
    data: {
      leaseId: data.leaseId,
      tenantId: data.tenantId,
      siteId: data.siteId,
      gpuSku: data.gpuSku,
      signedAt: canonicalInstant(data.signedAt),
      startsAt: canonicalInstant(data.startsAt),
      endsAt: canonicalInstant(data.endsAt),
      commitment: normalizeSchedule(data.commitment),
      overageRatePerGpuHour: data.overageRatePerGpuHour,
      commitmentBilling: data.commitmentBilling,
      sla: data.sla,
    },
  };
  if (state !== null) {
    if (state.fingerprint === leaseSignedFingerprint(event.data)) return [];
    throw new ConflictError(`lease ${data.leaseId} is already signed with other content`);
  }
  if (tenant === null) throw new NotFoundError(`tenant ${data.tenantId} does not exist`);
  if (tenant.currency !== command.ledgerCurrency) {
    throw new RuleViolationError(`tenant ${tenant.tenantId}'s currency ${tenant.currency} is not the ledger's currency ${command.ledgerCurrency}`);
  }
  if (site === null) throw new NotFoundError(`site ${data.siteId} does not exist`);
  if (data.gpuSku !== site.gpuSku) {
    throw new RuleViolationError(`lease gpuSku ${data.gpuSku} does not match site ${site.siteId}'s gpuSku ${site.gpuSku}`);
  }
  const startsAtMs = toMs(data.startsAt);
  const endsAtMs = toMs(data.endsAt);
  if (startsAtMs >= endsAtMs) {
    throw new RuleViolationError(`lease startsAt ${toInstant(startsAtMs)} must be before endsAt ${toInstant(endsAtMs)}`);
  }
  checkTermLength(startsAtMs, endsAtMs, 'lease');
  checkSchedule(data.commitment, startsAtMs, endsAtMs, 'commitment schedule');
  return [event];
}

function terminationNote(lease: LeaseState): string {
  return lease.termination === null ? '' : `; the lease was terminated at ${toInstant(lease.termination.effectiveAtMs)}`;
}

function amendLease(command: AmendLease, lease: LeaseState): LeaseEvent[] {
  const { data } = command;
  const eventData: LedgerEventOf<'LeaseAmended'>['data'] = { leaseId: lease.leaseId, amendmentId: data.amendmentId, effectiveAt: canonicalInstant(data.effectiveAt) };
  if (data.commitment !== undefined) eventData.commitment = normalizeSchedule(data.commitment);
  if (data.endsAt !== undefined) eventData.endsAt = canonicalInstant(data.endsAt);
  if (data.overageRatePerGpuHour !== undefined) eventData.overageRatePerGpuHour = data.overageRatePerGpuHour;

  const existing = lease.amendments.find((amendment) => amendment.amendmentId === data.amendmentId);
  if (existing !== undefined) {
    if (existing.fingerprint === leaseAmendedFingerprint(eventData)) return [];
    throw new ConflictError(`amendment ${data.amendmentId} of lease ${lease.leaseId} is already recorded with other content`);
  }
  const effectiveAtMs = toMs(data.effectiveAt);
  if (lease.termination !== null && effectiveAtMs >= lease.termination.effectiveAtMs) {
    throw new RuleViolationError(
      `lease ${lease.leaseId} was terminated at ${toInstant(lease.termination.effectiveAtMs)} and takes no amendment effective at or after it`,
    );
  }
  if (effectiveAtMs < lease.startsAtMs || effectiveAtMs >= lease.endsAtMs) {
    throw new RuleViolationError(`amendment effectiveAt ${toInstant(effectiveAtMs)} is outside lease ${lease.leaseId}'s term ${formatInterval(lease.startsAtMs, lease.endsAtMs)}`);
  }
  let endsAtMs = lease.endsAtMs;
  if (data.endsAt !== undefined) {
    // A termination is final: the term of a terminated lease ends at the termination instant.
    if (lease.termination !== null) {
      throw new RuleViolationError(`lease ${lease.leaseId} was terminated at ${toInstant(lease.termination.effectiveAtMs)}; its end cannot be amended`);
    }
    endsAtMs = toMs(data.endsAt);
    if (endsAtMs <= effectiveAtMs) {
      throw new RuleViolationError(`the amended endsAt ${toInstant(endsAtMs)} must be after the amendment's effectiveAt ${toInstant(effectiveAtMs)}`);
    }
    checkTermLength(lease.startsAtMs, endsAtMs, 'amended lease');
  }
  if (data.overageRatePerGpuHour !== undefined && !isFirstInstantOfMonth(effectiveAtMs)) {
    throw new RuleViolationError(`a new overage rate takes effect at the first instant of a month; ${toInstant(effectiveAtMs)} is not one`);
  }
  if (data.commitment !== undefined) checkSchedule(data.commitment, effectiveAtMs, endsAtMs, 'amended commitment tail');
  return [{ type: 'LeaseAmended', data: eventData }];
}

function terminateLease(command: TerminateLease, lease: LeaseState): LeaseEvent[] {
  const { data } = command;
  const terminationFee = normalizeMoney('terminationFee', data.terminationFee, command.ledgerCurrency);
  const effectiveAtMs = toMs(data.effectiveAt);
  if (lease.termination !== null) {
    if (lease.termination.effectiveAtMs === effectiveAtMs && lease.termination.terminationFee === terminationFee) return [];
    throw new ConflictError(
      `lease ${lease.leaseId} was already terminated at ${toInstant(lease.termination.effectiveAtMs)} with fee ${lease.termination.terminationFee}`,
    );
  }
  if (effectiveAtMs < lease.startsAtMs || effectiveAtMs >= lease.endsAtMs) {
    throw new RuleViolationError(`termination effectiveAt ${toInstant(effectiveAtMs)} is outside lease ${lease.leaseId}'s term ${formatInterval(lease.startsAtMs, lease.endsAtMs)}`);
  }
  return [{ type: 'LeaseTerminated', data: { leaseId: lease.leaseId, effectiveAt: toInstant(effectiveAtMs), terminationFee } }];
}

function recordOutage(command: RecordOutage, lease: LeaseState): LeaseEvent[] {
  const { data } = command;
  const eventData: LedgerEventOf<'OutageRecorded'>['data'] = {
    outageId: data.outageId,
    leaseId: lease.leaseId,
    startsAt: canonicalInstant(data.startsAt),
    endsAt: canonicalInstant(data.endsAt),
    affectedGpus: data.affectedGpus,
  };
  const existing = lease.outages.find((outage) => outage.outageId === data.outageId);
  if (existing !== undefined) {
    if (existing.fingerprint === outageFingerprint(eventData)) return [];
    throw new ConflictError(`outage ${data.outageId} is already recorded with other content`);
  }
  const startsAtMs = toMs(data.startsAt);
  const endsAtMs = toMs(data.endsAt);
  if (startsAtMs >= endsAtMs) {
    throw new RuleViolationError(`outage startsAt ${toInstant(startsAtMs)} must be before endsAt ${toInstant(endsAtMs)}`);
  }
  if (!Number.isInteger(data.affectedGpus) || data.affectedGpus <= 0) {
    throw new RuleViolationError(`an outage affects at least one GPU, not ${data.affectedGpus}`);
  }
  if (startsAtMs < lease.startsAtMs || endsAtMs > lease.endsAtMs) {
    throw new RuleViolationError(
      `outage ${formatInterval(startsAtMs, endsAtMs)} is not inside lease ${lease.leaseId}'s term ${formatInterval(lease.startsAtMs, lease.endsAtMs)}${terminationNote(lease)}`,
    );
  }
  return [{ type: 'OutageRecorded', data: eventData }];
}

export const leaseDecider: Decider<LeaseStreamState, LeaseCommand, LeaseEvent> = {
  decide: decideLease,
  evolve: evolveLease,
  initialState: () => null,
};
