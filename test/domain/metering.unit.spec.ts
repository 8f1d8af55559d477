import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  NotFoundError,
  RuleViolationError,
  UsageBatchRefusedError,
  ValidationError,
  decideUsageBatch,
  evolveLease,
  initialUsageState,
  meteringDecider,
  type AllocationInterval,
  type LeaseState,
  type MeteringEvent,
  type UsageLeaseContext,
} from '@compute-ledger/ledger';
import type { UsageRecordBody } from '@compute-ledger/contracts';
import { deciderSpec } from '../support/given-when-then.js';
import { workedExampleLease, workedExampleNovemberReadings } from '../support/worked-example.js';

const spec = deciderSpec(meteringDecider);
const ms = (instant: string): number => Date.parse(instant);

const lease: LeaseState = evolveLease(null, { type: 'LeaseSigned', data: workedExampleLease });
const terminatedLease = evolveLease(lease, { type: 'LeaseTerminated', data: { leaseId: 'L-1001', effectiveAt: '2025-11-20T12:00:00Z', terminationFee: '0.00' } });
const allocations: AllocationInterval[] = [{ gpuCount: 1200, startsAtMs: ms('2025-11-10T00:00:00Z'), endsAtMs: null }];
const context: UsageLeaseContext = { lease, allocations };

const reading: UsageRecordBody = { readingId: 'R-1', leaseId: 'L-1001', periodStart: '2025-11-10T00:00:00Z', periodEnd: '2025-11-10T01:00:00Z', gpuHours: '1050' };
const recorded: MeteringEvent = { type: 'UsageRecorded', data: reading };
const record = (records: UsageRecordBody[], usageContext: UsageLeaseContext = context) =>
  ({ type: 'RecordUsage', data: { leaseId: 'L-1001', records }, context: usageContext }) as const;

function refusal(records: UsageRecordBody[], usageContext: UsageLeaseContext = context, family: 'rule' | 'conflict' = 'rule'): UsageBatchRefusedError {
  const error = spec.given([]).when(record(records, usageContext)).thenThrows(UsageBatchRefusedError, /records (was|were) refused; nothing was recorded/);
  expect(error.family).toBe(family);
  return error as UsageBatchRefusedError;
}

function refusedMessage(change: Partial<UsageRecordBody>, usageContext: UsageLeaseContext = context): string {
  const [first] = refusal([{ ...reading, ...change }], usageContext).recordErrors;
  expect(first?.index).toBe(0);
  expect(first?.readingId).toBe(change.readingId ?? 'R-1');
  return first?.message ?? '';
}

describe('recording usage', () => {
  it('records readings within the allocated hours', () => {
    spec.given([]).when(record([reading])).then([recorded]);
  });

  it('refuses a reading of a lease that does not exist', () => {
    expect(refusedMessage({}, { lease: null, allocations: [] })).toBe('lease L-1001 does not exist');
  });

  it('refuses a period that does not start before it ends', () => {
    expect(refusedMessage({ periodEnd: reading.periodStart })).toBe('periodStart 2025-11-10T00:00:00Z must be before periodEnd 2025-11-10T00:00:00Z');
  });

  it('refuses a period across two service months', () => {
    expect(refusedMessage({ periodStart: '2025-11-30T23:00:00Z', periodEnd: '2025-12-01T01:00:00Z', gpuHours: '1' })).toBe(
      'period [2025-11-30T23:00:00Z, 2025-12-01T01:00:00Z) spans more than one service month',
    );
  });

  it('accepts a period that ends at the first instant of the next month', () => {
    spec.given([]).when(record([{ ...reading, periodStart: '2025-11-30T23:00:00Z', periodEnd: '2025-12-01T00:00:00Z' }])).then([
      { type: 'UsageRecorded', data: { ...reading, periodStart: '2025-11-30T23:00:00Z', periodEnd: '2025-12-01T00:00:00Z' } },
    ]);
  });

  it('refuses a period outside the term', () => {
    expect(refusedMessage({ periodStart: '2025-11-09T23:00:00Z', periodEnd: '2025-11-10T01:00:00Z', gpuHours: '1' })).toBe(
      "period [2025-11-09T23:00:00Z, 2025-11-10T01:00:00Z) is not inside lease L-1001's term [2025-11-10T00:00:00Z, 2026-11-10T00:00:00Z)",
    );
  });

  it('refuses a period after a termination', () => {
    expect(refusedMessage({ periodStart: '2025-11-20T12:00:00Z', periodEnd: '2025-11-20T13:00:00Z' }, { lease: terminatedLease, allocations })).toBe(
      "period [2025-11-20T12:00:00Z, 2025-11-20T13:00:00Z) is not inside lease L-1001's term [2025-11-10T00:00:00Z, 2025-11-20T12:00:00Z); the lease was terminated at 2025-11-20T12:00:00Z",
    );
  });

  it('refuses negative GPU-hours and more than 6 fractional digits', () => {
    expect(refusedMessage({ gpuHours: '-1' })).toBe('gpuHours -1 is negative');
    expect(refusedMessage({ gpuHours: '1.0000001' })).toBe('gpuHours 1.0000001 has more than 6 fractional digits');
  });

  it('refuses more GPU-hours than allocated over the period', () => {
    expect(refusedMessage({ gpuHours: '1200.000001' })).toBe(
      'gpuHours 1200.000001 GPU-hours exceeds the 1200 GPU-hours allocated to lease L-1001 over [2025-11-10T00:00:00Z, 2025-11-10T01:00:00Z)',
    );
    spec.given([]).when(record([{ ...reading, gpuHours: '1200' }])).then([{ type: 'UsageRecorded', data: { ...reading, gpuHours: '1200' } }]);
  });

  it('compares the bound exactly when an hour does not divide the period', () => {
    // 1,200 GPUs over one millisecond: 1/3000 GPU-hours, a decimal that does not terminate.
    const period = { periodStart: '2025-11-10T00:00:00.000Z', periodEnd: '2025-11-10T00:00:00.001Z' };
    spec.given([]).when(record([{ ...reading, ...period, gpuHours: '0.000333' }])).then([
      { type: 'UsageRecorded', data: { ...reading, periodStart: '2025-11-10T00:00:00Z', periodEnd: '2025-11-10T00:00:00.001Z', gpuHours: '0.000333' } },
    ]);
    expect(refusedMessage({ ...period, gpuHours: '0.000334' })).toMatch(/exceeds the 0.000333 GPU-hours allocated/);
  });

  it('counts a reading once: the same reading again is a duplicate, with other content it is refused', () => {
    spec.given([recorded]).when(record([{ ...reading, gpuHours: '1050.0' }])).thenNothing();
    expect(refusedMessageWith(recorded, { gpuHours: '1000' })).toBe('reading R-1 is already recorded with other content');
    const error = spec.given([recorded]).when(record([{ ...reading, gpuHours: '1000' }])).thenThrows(UsageBatchRefusedError, /refused/) as UsageBatchRefusedError;
    expect(error.family).toBe('conflict');
    expect(error.recordErrors[0]?.kind).toBe('conflict');
  });

  it('builds the event data with its keys in sorted order, which the store writes as canonical JSON without sorting', () => {
    const events = decideUsageBatch([{ ...reading, source: 'meter-1' }, { ...reading, readingId: 'R-2' }], () => ({ context, usage: initialUsageState() })).eventsByLease.get('L-1001') ?? [];
    const keys = events.map((event) => Object.keys(event.data));
    expect(keys.map((each) => each.length)).toEqual([6, 5]); // with and without a source
    for (const each of keys) expect(each).toEqual([...each].sort());
  });

  it('counts the same reading twice in one batch once', () => {
    const decision = decideUsageBatch([reading, { ...reading }], () => ({ context, usage: initialUsageState() }));
    expect(decision.accepted).toBe(1);
    expect(decision.duplicates).toBe(1);
    expect(decision.eventsByLease.get('L-1001')).toEqual([recorded]);
  });

  it('refuses the same reading twice in one batch with different content', () => {
    const error = refusal([reading, { ...reading, gpuHours: '1000' }], context, 'conflict');
    expect(error.recordErrors).toEqual([{ index: 1, readingId: 'R-1', message: 'reading R-1 appears twice in the batch with different content (records 0 and 1)', kind: 'conflict' }]);
  });

  it('refuses the whole batch when one record is refused, listing each refused record', () => {
    const records = workedExampleNovemberReadings().slice(0, 5);
    const broken = [records[0], { ...records[1], gpuHours: '5000' }, records[2], { ...records[3], leaseId: 'L-1001', periodEnd: records[3]?.periodStart }, records[4]] as UsageRecordBody[];
    const error = refusal(broken);
    expect(error.recordErrors.map((recordError) => [recordError.index, recordError.kind])).toEqual([[1, 'rule'], [3, 'rule']]);
  });
});

function refusedMessageWith(given: MeteringEvent, change: Partial<UsageRecordBody>): string {
  const error = spec.given([given]).when(record([{ ...reading, ...change }])).thenThrows(UsageBatchRefusedError, /refused/) as UsageBatchRefusedError;
  return error.recordErrors[0]?.message ?? '';
}

describe('correcting usage', () => {
  const correct = (gpuHours: string, correctionId = 'C-1') => ({ type: 'CorrectUsage', data: { correctionId, readingId: 'R-1', gpuHours }, context }) as const;
  const corrected: MeteringEvent = { type: 'UsageCorrected', data: { correctionId: 'C-1', readingId: 'R-1', leaseId: 'L-1001', gpuHours: '900' } };

  it('records the reading new value', () => {
    spec.given([recorded]).when(correct('900')).then([corrected]);
    let state = initialUsageState();
    for (const event of [recorded, corrected]) state = meteringDecider.evolve(state, event);
    expect(state.readings.get('R-1')?.gpuHours).toBe('900');
  });

  it('is idempotent by correction id, and its id with other content is a conflict', () => {
    spec.given([recorded, corrected]).when(correct('900.000')).thenNothing();
    spec.given([recorded, corrected]).when(correct('800')).thenThrows(ConflictError, 'correction C-1 is already recorded with other content');
  });

  it('refuses the correction of a reading that does not exist', () => {
    spec.given([]).when(correct('900')).thenThrows(NotFoundError, 'reading R-1 does not exist');
  });

  it('keeps the reading bound', () => {
    spec
      .given([recorded])
      .when(correct('1201'))
      .thenThrows(
        RuleViolationError,
        'correction of reading R-1 to 1201 GPU-hours exceeds the 1200 GPU-hours allocated to lease L-1001 over [2025-11-10T00:00:00Z, 2025-11-10T01:00:00Z)',
      );
  });

  it('refuses negative GPU-hours', () => {
    spec.given([recorded]).when(correct('-5')).thenThrows(ValidationError, 'gpuHours -5 is negative');
  });
});
