import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { LedgerCommands, UsageBatchRefusedError, usageStream } from '@compute-ledger/ledger';
import type { UsageRecordBody } from '@compute-ledger/contracts';
import { InMemoryEventStore } from '../support/in-memory-event-store.js';
import { workedExampleAllocation, workedExampleLease, workedExampleSite, workedExampleTenant } from '../support/worked-example.js';

/**
 * A usage batch records all or nothing: random batches mixing valid readings with readings that
 * break one rule each either fail with exactly the broken records listed and nothing appended,
 * or (when none is broken) append every reading.
 */

const context = { actor: 'key:metering' };
const hourMs = 3_600_000;
const novemberStartMs = Date.parse('2025-11-10T00:00:00Z');
const instant = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

type Flaw = 'none' | 'aboveAllocated' | 'outsideTerm' | 'unknownLease' | 'twoMonths' | 'emptyPeriod';

const flawOf: fc.Arbitrary<Flaw> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Flaw>('none') },
  { weight: 1, arbitrary: fc.constantFrom<Flaw>('aboveAllocated', 'outsideTerm', 'unknownLease', 'twoMonths', 'emptyPeriod') },
);

function recordOf(readingId: string, hour: number, gpuHours: number, flaw: Flaw): UsageRecordBody {
  const startMs = novemberStartMs + hour * hourMs;
  const base = { readingId, leaseId: 'L-1001', periodStart: instant(startMs), periodEnd: instant(startMs + hourMs), gpuHours: String(gpuHours) };
  switch (flaw) {
    case 'none':
      return base;
    case 'aboveAllocated':
      return { ...base, gpuHours: '1200.5' };
    case 'outsideTerm':
      return { ...base, periodStart: '2025-11-09T00:00:00Z', periodEnd: '2025-11-09T01:00:00Z' };
    case 'unknownLease':
      return { ...base, leaseId: 'L-404' };
    case 'twoMonths':
      return { ...base, periodStart: '2025-11-30T23:00:00Z', periodEnd: '2025-12-01T01:00:00Z' };
    case 'emptyPeriod':
      return { ...base, periodEnd: base.periodStart };
  }
}

describe('usage batches', () => {
  const store = new InMemoryEventStore();
  const commands = new LedgerCommands({ store, currency: 'USD' });
  let batchNumber = 0;

  beforeAll(async () => {
    await commands.registerTenant(workedExampleTenant, context);
    await commands.commissionSite(workedExampleSite, context);
    await commands.signLease(workedExampleLease, context);
    await commands.allocateCapacity(workedExampleAllocation, context);
  });

  it('record every reading or none', async () => {
    const batch = fc.array(fc.record({ hour: fc.integer({ min: 0, max: 500 }), gpuHours: fc.integer({ min: 0, max: 1200 }), flaw: flawOf }), { minLength: 1, maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(batch, async (entries) => {
        batchNumber += 1;
        const records = entries.map((entry, index) => recordOf(`R-${batchNumber}-${index}`, entry.hour, entry.gpuHours, entry.flaw));
        const broken = entries.flatMap((entry, index) => (entry.flaw === 'none' ? [] : [index]));
        const logBefore = store.log.length;
        const usageBefore = store.streamEvents(usageStream('L-1001')).length;
        try {
          const result = await commands.recordUsage({ records }, context);
          expect(broken).toEqual([]);
          expect(result).toEqual({ outcome: 'created', accepted: records.length, duplicates: 0 });
          expect(store.streamEvents(usageStream('L-1001')).length - usageBefore).toBe(records.length);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageBatchRefusedError);
          expect((error as UsageBatchRefusedError).recordErrors.map((recordError) => recordError.index)).toEqual(broken);
          expect(store.log.length).toBe(logBefore);
        }
      }),
      { numRuns: 60 },
    );
  });
});
