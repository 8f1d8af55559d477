import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  committedAt,
  evolveLease,
  leaseDecider,
  leaseStatus,
  overageRateAt,
  type AmendLease,
  type LeaseEvent,
  type LeaseState,
  type SignLease,
  type TenantState,
} from '@compute-ledger/ledger';
import { deciderSpec } from '../support/given-when-then.js';
import { workedExampleLease, workedExampleTenant } from '../support/worked-example.js';

const spec = deciderSpec(leaseDecider);
const ms = (instant: string): number => Date.parse(instant);

const tenant: TenantState = { ...workedExampleTenant, billingDetails: {}, fingerprint: 'tenant' };
const site = { siteId: 'colossus-1', gpuSku: 'H100-SXM' };

function signCommand(overrides: Partial<SignLease['data']> = {}, context: Partial<Omit<SignLease, 'type' | 'data'>> = {}): SignLease {
  return { type: 'SignLease', data: { ...workedExampleLease, ...overrides }, tenant, site, ledgerCurrency: 'USD', ...context };
}

const signed: LeaseEvent = { type: 'LeaseSigned', data: workedExampleLease };

function fold(events: LeaseEvent[]): LeaseState {
  let state: LeaseState | null = null;
  for (const event of events) state = evolveLease(state, event);
  if (state === null) throw new Error('no lease');
  return state;
}

describe('signing a lease', () => {
  it('records the lease when tenant and site exist and the schedule is sound', () => {
    spec.given([]).when(signCommand()).then([signed]);
  });

  it('writes instants in their canonical form', () => {
    spec
      .given([])
      .when(signCommand({ signedAt: '2025-10-20T00:00:00.000Z' }))
      .then([signed]);
  });

  it('takes the same signing again as a no-op, and other content as a conflict', () => {
    spec.given([signed]).when(signCommand({ overageRatePerGpuHour: '3.5' })).thenNothing();
    spec.given([signed]).when(signCommand({ overageRatePerGpuHour: '3.60' })).thenThrows(ConflictError, 'lease L-1001 is already signed with other content');
  });

  it('refuses a lease whose tenant does not exist', () => {
    spec.given([]).when(signCommand({}, { tenant: null })).thenThrows(NotFoundError, 'tenant frontier-lab does not exist');
  });

  it('refuses a lease whose tenant is billed in another currency than the ledger', () => {
    spec
      .given([])
      .when(signCommand({}, { tenant: { ...tenant, currency: 'EUR' } }))
      .thenThrows(RuleViolationError, "tenant frontier-lab's currency EUR is not the ledger's currency USD");
  });

  it('refuses a lease whose site does not exist', () => {
    spec.given([]).when(signCommand({}, { site: null })).thenThrows(NotFoundError, 'site colossus-1 does not exist');
  });

  it('refuses a gpuSku other than the site one', () => {
    spec
      .given([])
      .when(signCommand({ gpuSku: 'B200' }))
      .thenThrows(RuleViolationError, "lease gpuSku B200 does not match site colossus-1's gpuSku H100-SXM");
  });

  it('refuses a term that does not start before it ends', () => {
    spec
      .given([])
      .when(signCommand({ endsAt: '2025-11-10T00:00:00Z' }))
      .thenThrows(RuleViolationError, 'lease startsAt 2025-11-10T00:00:00Z must be before endsAt 2025-11-10T00:00:00Z');
  });

  it('refuses a schedule whose first entry is not at startsAt', () => {
    spec
      .given([])
      .when(signCommand({ commitment: [{ effectiveFrom: '2025-11-11T00:00:00Z', gpuCount: 1000, ratePerGpuHour: '2.10' }] }))
      .thenThrows(RuleViolationError, "the commitment schedule's first entry must be at 2025-11-10T00:00:00Z, not at 2025-11-11T00:00:00Z");
  });

  it('refuses a schedule that is not ordered strictly by effectiveFrom', () => {
    const commitment = [
      { effectiveFrom: '2025-11-10T00:00:00Z', gpuCount: 1000, ratePerGpuHour: '2.10' },
      { effectiveFrom: '2026-02-01T00:00:00Z', gpuCount: 2000, ratePerGpuHour: '2.00' },
      { effectiveFrom: '2026-02-01T00:00:00Z', gpuCount: 3000, ratePerGpuHour: '1.90' },
    ];
    spec
      .given([])
      .when(signCommand({ commitment }))
      .thenThrows(RuleViolationError, "the commitment schedule's entry 3 (effectiveFrom 2026-02-01T00:00:00Z) must come strictly after entry 2 (2026-02-01T00:00:00Z)");
  });

  it('refuses a schedule entry outside the term', () => {
    const commitment = [
      { effectiveFrom: '2025-11-10T00:00:00Z', gpuCount: 1000, ratePerGpuHour: '2.10' },
      { effectiveFrom: '2026-11-10T00:00:00Z', gpuCount: 2000, ratePerGpuHour: '2.00' },
    ];
    spec
      .given([])
      .when(signCommand({ commitment }))
      .thenThrows(RuleViolationError, "the commitment schedule's entry 2 (effectiveFrom 2026-11-10T00:00:00Z) is not before the term's end 2026-11-10T00:00:00Z");
  });

  it('does not require signedAt before startsAt', () => {
    const late = { ...workedExampleLease, signedAt: '2025-12-01T00:00:00Z' };
    spec.given([]).when(signCommand({ signedAt: late.signedAt })).then([{ type: 'LeaseSigned', data: late }]);
  });
});

describe('the lease as it stands', () => {
  const lease = fold([signed]);

  it('folds the signing into the documented shape', () => {
    expect(lease.startsAtMs).toBe(ms('2025-11-10T00:00:00Z'));
    expect(lease.endsAtMs).toBe(ms('2026-11-10T00:00:00Z'));
    expect(lease.schedule).toEqual([
      { effectiveFromMs: ms('2025-11-10T00:00:00Z'), gpuCount: 1000, ratePerGpuHour: '2.10' },
      { effectiveFromMs: ms('2026-02-01T00:00:00Z'), gpuCount: 2000, ratePerGpuHour: '2.00' },
    ]);
    expect(lease.overageRates).toEqual([{ effectiveFromMs: ms('2025-11-10T00:00:00Z'), ratePerGpuHour: '3.50' }]);
    expect(lease.termination).toBeNull();
  });

  it('commits the entry in force inside the term and nothing outside it', () => {
    expect(committedAt(lease, ms('2025-11-09T23:59:59Z'))).toEqual({ gpuCount: 0, ratePerGpuHour: '0' });
    expect(committedAt(lease, ms('2025-12-15T00:00:00Z'))).toEqual({ gpuCount: 1000, ratePerGpuHour: '2.10' });
    expect(committedAt(lease, ms('2026-02-01T00:00:00Z'))).toEqual({ gpuCount: 2000, ratePerGpuHour: '2.00' });
    expect(committedAt(lease, ms('2026-11-10T00:00:00Z'))).toEqual({ gpuCount: 0, ratePerGpuHour: '0' });
    expect(overageRateAt(lease, ms('2025-12-15T00:00:00Z'))).toBe('3.50');
  });

  it('is active, then ended at the end of its term', () => {
    expect(leaseStatus(lease, ms('2025-11-01T00:00:00Z'))).toBe('active');
    expect(leaseStatus(lease, ms('2026-11-09T00:00:00Z'))).toBe('active');
    expect(leaseStatus(lease, ms('2026-11-10T00:00:00Z'))).toBe('ended');
  });
});

describe('amending a lease', () => {
  const amend = (data: Partial<AmendLease['data']> & { effectiveAt: string }): AmendLease => ({ type: 'AmendLease', data: { leaseId: 'L-1001', amendmentId: 'AM-1', ...data } });
  const upsize = { effectiveAt: '2026-01-01T00:00:00Z', commitment: [{ effectiveFrom: '2026-01-01T00:00:00Z', gpuCount: 1500, ratePerGpuHour: '2.05' }] };

  it('records a new commitment tail that replaces every entry from effectiveAt on', () => {
    const event: LeaseEvent = { type: 'LeaseAmended', data: { leaseId: 'L-1001', amendmentId: 'AM-1', ...upsize } };
    spec.given([signed]).when(amend(upsize)).then([event]);
    const lease = fold([signed, event]);
    // The ramp to 2,000 GPUs from 2026-02-01 is replaced by the tail from 2026-01-01.
    expect(lease.schedule).toEqual([
      { effectiveFromMs: ms('2025-11-10T00:00:00Z'), gpuCount: 1000, ratePerGpuHour: '2.10' },
      { effectiveFromMs: ms('2026-01-01T00:00:00Z'), gpuCount: 1500, ratePerGpuHour: '2.05' },
    ]);
    expect(lease.amendments).toHaveLength(1);
  });

  it('takes the same amendment again as a no-op and refuses its id with other content', () => {
    const event: LeaseEvent = { type: 'LeaseAmended', data: { leaseId: 'L-1001', amendmentId: 'AM-1', ...upsize } };
    spec.given([signed, event]).when(amend(upsize)).thenNothing();
    spec
      .given([signed, event])
      .when(amend({ ...upsize, overageRatePerGpuHour: '4.00' }))
      .thenThrows(ConflictError, 'amendment AM-1 of lease L-1001 is already recorded with other content');
  });

  it('accepts a retroactive amendment', () => {
    const retro = { effectiveAt: '2025-11-10T00:00:00Z', commitment: [{ effectiveFrom: '2025-11-10T00:00:00Z', gpuCount: 900, ratePerGpuHour: '2.10' }] };
    spec.given([signed]).when(amend(retro)).then([{ type: 'LeaseAmended', data: { leaseId: 'L-1001', amendmentId: 'AM-1', ...retro } }]);
  });

  it('refuses an effectiveAt before the term starts', () => {
    spec
      .given([signed])
      .when(amend({ effectiveAt: '2025-11-01T00:00:00Z', endsAt: '2027-11-10T00:00:00Z' }))
      .thenThrows(RuleViolationError, "amendment effectiveAt 2025-11-01T00:00:00Z is outside lease L-1001's term [2025-11-10T00:00:00Z, 2026-11-10T00:00:00Z)");
  });

  it('refuses an effectiveAt at or after the term ends', () => {
    spec
      .given([signed])
      .when(amend({ effectiveAt: '2026-11-10T00:00:00Z', endsAt: '2027-11-10T00:00:00Z' }))
      .thenThrows(RuleViolationError, "amendment effectiveAt 2026-11-10T00:00:00Z is outside lease L-1001's term [2025-11-10T00:00:00Z, 2026-11-10T00:00:00Z)");
  });

  it('refuses a tail that does not start exactly at effectiveAt', () => {
    spec
      .given([signed])
      .when(amend({ effectiveAt: '2026-01-01T00:00:00Z', commitment: [{ effectiveFrom: '2026-01-02T00:00:00Z', gpuCount: 1500, ratePerGpuHour: '2.05' }] }))
      .thenThrows(RuleViolationError, "the amended commitment tail's first entry must be at 2026-01-01T00:00:00Z, not at 2026-01-02T00:00:00Z");
  });

  it('refuses a new end that is not after effectiveAt', () => {
    spec
      .given([signed])
      .when(amend({ effectiveAt: '2026-01-01T00:00:00Z', endsAt: '2026-01-01T00:00:00Z' }))
      .thenThrows(RuleViolationError, "the amended endsAt 2026-01-01T00:00:00Z must be after the amendment's effectiveAt 2026-01-01T00:00:00Z");
  });

  it('shortens the term and drops the schedule entries at or after the new end', () => {
    const data = { leaseId: 'L-1001', amendmentId: 'AM-1', effectiveAt: '2025-12-01T00:00:00Z', endsAt: '2026-02-01T00:00:00Z' };
    const lease = fold([signed, { type: 'LeaseAmended', data }]);
    expect(lease.endsAtMs).toBe(ms('2026-02-01T00:00:00Z'));
    expect(lease.schedule).toEqual([{ effectiveFromMs: ms('2025-11-10T00:00:00Z'), gpuCount: 1000, ratePerGpuHour: '2.10' }]);
  });

  it('extends the term', () => {
    const data = { leaseId: 'L-1001', amendmentId: 'AM-1', effectiveAt: '2026-06-01T00:00:00Z', endsAt: '2027-11-10T00:00:00Z' };
    spec.given([signed]).when(amend(data)).then([{ type: 'LeaseAmended', data }]);
    expect(fold([signed, { type: 'LeaseAmended', data }]).endsAtMs).toBe(ms('2027-11-10T00:00:00Z'));
  });

  it('takes a new overage rate only at the first instant of a month', () => {
    spec
      .given([signed])
      .when(amend({ effectiveAt: '2026-01-15T00:00:00Z', overageRatePerGpuHour: '4.00' }))
      .thenThrows(RuleViolationError, 'a new overage rate takes effect at the first instant of a month; 2026-01-15T00:00:00Z is not one');
    const data = { leaseId: 'L-1001', amendmentId: 'AM-1', effectiveAt: '2026-01-01T00:00:00Z', overageRatePerGpuHour: '4.00' };
    spec.given([signed]).when(amend(data)).then([{ type: 'LeaseAmended', data }]);
    const lease = fold([signed, { type: 'LeaseAmended', data }]);
    expect(lease.overageRates).toEqual([
      { effectiveFromMs: ms('2025-11-10T00:00:00Z'), ratePerGpuHour: '3.50' },
      { effectiveFromMs: ms('2026-01-01T00:00:00Z'), ratePerGpuHour: '4.00' },
    ]);
  });

  it('refuses an amendment of a lease that does not exist', () => {
    spec.given([]).when(amend(upsize)).thenThrows(NotFoundError, 'lease L-1001 does not exist');
  });
});

describe('terminating a lease', () => {
  const terminate = (effectiveAt: string, terminationFee = '250000') =>
    ({ type: 'TerminateLease', data: { leaseId: 'L-1001', effectiveAt, terminationFee }, ledgerCurrency: 'USD' }) as const;
  const terminated: LeaseEvent = { type: 'LeaseTerminated', data: { leaseId: 'L-1001', effectiveAt: '2026-03-01T00:00:00Z', terminationFee: '250000.00' } };

  it('ends the term at effectiveAt, with the fee in the currency minor digits', () => {
    spec.given([signed]).when(terminate('2026-03-01T00:00:00Z')).then([terminated]);
    const lease = fold([signed, terminated]);
    expect(lease.endsAtMs).toBe(ms('2026-03-01T00:00:00Z'));
    expect(lease.termination).toEqual({ effectiveAtMs: ms('2026-03-01T00:00:00Z'), terminationFee: '250000.00' });
    expect(leaseStatus(lease, ms('2026-02-01T00:00:00Z'))).toBe('active');
    expect(leaseStatus(lease, ms('2026-03-01T00:00:00Z'))).toBe('terminated');
    expect(committedAt(lease, ms('2026-03-01T00:00:00Z'))).toEqual({ gpuCount: 0, ratePerGpuHour: '0' });
  });

  it('refuses an effectiveAt outside the term', () => {
    spec
      .given([signed])
      .when(terminate('2026-11-10T00:00:00Z'))
      .thenThrows(RuleViolationError, "termination effectiveAt 2026-11-10T00:00:00Z is outside lease L-1001's term [2025-11-10T00:00:00Z, 2026-11-10T00:00:00Z)");
    spec
      .given([signed])
      .when(terminate('2025-11-09T00:00:00Z'))
      .thenThrows(RuleViolationError, "termination effectiveAt 2025-11-09T00:00:00Z is outside lease L-1001's term [2025-11-10T00:00:00Z, 2026-11-10T00:00:00Z)");
  });

  it('refuses a fee with more fractional digits than the currency has', () => {
    spec.given([signed]).when(terminate('2026-03-01T00:00:00Z', '10.005')).thenThrows(ValidationError, 'terminationFee 10.005 has more than the 2 fractional digits of USD');
  });

  it('takes the same termination again as a no-op and another one as a conflict', () => {
    spec.given([signed, terminated]).when(terminate('2026-03-01T00:00:00.000Z', '250000.00')).thenNothing();
    spec
      .given([signed, terminated])
      .when(terminate('2026-02-01T00:00:00Z'))
      .thenThrows(ConflictError, 'lease L-1001 was already terminated at 2026-03-01T00:00:00Z with fee 250000.00');
  });

  it('takes no amendment effective at or after the termination instant', () => {
    spec
      .given([signed, terminated])
      .when({ type: 'AmendLease', data: { leaseId: 'L-1001', amendmentId: 'AM-9', effectiveAt: '2026-04-01T00:00:00Z', overageRatePerGpuHour: '4.00' } })
      .thenThrows(RuleViolationError, 'lease L-1001 was terminated at 2026-03-01T00:00:00Z and takes no amendment effective at or after it');
  });

  it('takes no new end after a termination', () => {
    spec
      .given([signed, terminated])
      .when({ type: 'AmendLease', data: { leaseId: 'L-1001', amendmentId: 'AM-9', effectiveAt: '2026-01-01T00:00:00Z', endsAt: '2027-01-01T00:00:00Z' } })
      .thenThrows(RuleViolationError, 'lease L-1001 was terminated at 2026-03-01T00:00:00Z; its end cannot be amended');
  });

  it('takes no outage after the termination instant', () => {
    spec
      .given([signed, terminated])
      .when({ type: 'RecordOutage', data: { outageId: 'O-9', leaseId: 'L-1001', startsAt: '2026-02-28T00:00:00Z', endsAt: '2026-03-01T06:00:00Z', affectedGpus: 10 } })
      .thenThrows(
        RuleViolationError,
        "outage [2026-02-28T00:00:00Z, 2026-03-01T06:00:00Z) is not inside lease L-1001's term [2025-11-10T00:00:00Z, 2026-03-01T00:00:00Z); the lease was terminated at 2026-03-01T00:00:00Z",
      );
  });
});

describe('recording an outage', () => {
  const outage = { outageId: 'O-1', leaseId: 'L-1001', startsAt: '2025-11-20T00:00:00Z', endsAt: '2025-11-20T06:00:00Z', affectedGpus: 200 };

  it('records an outage inside the term', () => {
    spec.given([signed]).when({ type: 'RecordOutage', data: outage }).then([{ type: 'OutageRecorded', data: outage }]);
    const lease = fold([signed, { type: 'OutageRecorded', data: outage }]);
    expect(lease.outages).toMatchObject([{ outageId: 'O-1', startsAtMs: ms(outage.startsAt), endsAtMs: ms(outage.endsAt), affectedGpus: 200 }]);
  });

  it('takes the same outage again as a no-op and refuses its id with other content', () => {
    spec.given([signed, { type: 'OutageRecorded', data: outage }]).when({ type: 'RecordOutage', data: outage }).thenNothing();
    spec
      .given([signed, { type: 'OutageRecorded', data: outage }])
      .when({ type: 'RecordOutage', data: { ...outage, affectedGpus: 300 } })
      .thenThrows(ConflictError, 'outage O-1 is already recorded with other content');
  });

  it('refuses an outage outside the term', () => {
    spec
      .given([signed])
      .when({ type: 'RecordOutage', data: { ...outage, startsAt: '2025-11-09T23:00:00Z' } })
      .thenThrows(RuleViolationError, "outage [2025-11-09T23:00:00Z, 2025-11-20T06:00:00Z) is not inside lease L-1001's term [2025-11-10T00:00:00Z, 2026-11-10T00:00:00Z)");
  });

  it('refuses an outage that does not start before it ends', () => {
    spec
      .given([signed])
      .when({ type: 'RecordOutage', data: { ...outage, endsAt: outage.startsAt } })
      .thenThrows(RuleViolationError, 'outage startsAt 2025-11-20T00:00:00Z must be before endsAt 2025-11-20T00:00:00Z');
  });

  it('refuses an outage that affects no GPU', () => {
    spec.given([signed]).when({ type: 'RecordOutage', data: { ...outage, affectedGpus: 0 } }).thenThrows(RuleViolationError, 'an outage affects at least one GPU, not 0');
  });

  it('refuses an outage of a lease that does not exist', () => {
    spec.given([]).when({ type: 'RecordOutage', data: outage }).thenThrows(NotFoundError, 'lease L-1001 does not exist');
  });
});
