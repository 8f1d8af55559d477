import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LedgerCommands,
  RuleViolationError,
  leaseStream,
  siteStream,
  usageStream,
  type EventStore,
  type RecordedEvent,
} from '@compute-ledger/ledger';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import {
  workedExampleAllocation,
  workedExampleKnownAt,
  workedExampleLateReading,
  workedExampleLease,
  workedExampleNovemberReadings,
  workedExampleOutage,
  workedExampleSite,
  workedExampleTenant,
} from '../support/worked-example.js';

/** The worked example of DOMAIN.md, appended through LedgerCommands to a SQLite file and read back. */

const context = { actor: 'key:test', correlationId: 'worked-example' };

function sumGpuHours(events: readonly RecordedEvent[]): bigint {
  // The example's GPU-hours are whole numbers, so an exact integer sum shows the working.
  return events.reduce((total, event) => total + BigInt(String(event.data.gpuHours)), 0n);
}

describe('the worked example on a SQLite file', () => {
  let directory: string;
  let now: Date;
  const clock = (): Date => now;
  const stores: EventStore[] = [];
  const open = (): EventStore => {
    const store = openSqliteEventStore({ path: join(directory, 'ledger.db'), clock });
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'ledger-domain-'));
    now = new Date(workedExampleKnownAt.contracts);
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('records the facts and reads them back after a restart', async () => {
    const store = open();
    const commands = new LedgerCommands({ store, currency: 'USD', clock });
    await commands.registerTenant(workedExampleTenant, context);
    await commands.commissionSite(workedExampleSite, context);
    await commands.signLease(workedExampleLease, context);
    await commands.allocateCapacity(workedExampleAllocation, context);

    now = new Date(workedExampleKnownAt.novemberUsage);
    const readings = workedExampleNovemberReadings();
    expect(readings).toHaveLength(504);
    expect(await commands.recordUsage({ records: readings }, context)).toEqual({ outcome: 'created', accepted: 504, duplicates: 0 });
    expect(await commands.recordUsage({ records: readings }, context)).toEqual({ outcome: 'unchanged', accepted: 0, duplicates: 504 });
    expect((await commands.recordOutage(workedExampleOutage, context)).outcome).toBe('created');

    now = new Date(workedExampleKnownAt.lateReading);
    expect(await commands.recordUsage({ records: [workedExampleLateReading] }, context)).toEqual({ outcome: 'created', accepted: 1, duplicates: 0 });
    await store.close();
    stores.splice(0);

    const reopened = open();
    expect(await reopened.verify()).toMatchObject({ ok: true, eventsChecked: 4 + 504 + 1 + 1 });
    const usage = await reopened.readStream(usageStream('L-1001'));
    expect(usage).toHaveLength(505);
    expect(sumGpuHours(usage.slice(0, 504))).toBe(529_200n); // 504 x 1,050
    expect(sumGpuHours(usage)).toBe(529_800n); // + 600 late on 2025-12-03
    expect(usage[0]).toMatchObject({ eventId: `reading:${readings[0]?.readingId}`, metadata: { actor: 'key:test', correlationId: 'worked-example' } });
    expect(usage.at(-1)).toMatchObject({ eventId: 'reading:R-1001-late-2025-11-30', recordedAt: expect.stringMatching(/^2025-12-03T00:00:00/) });
    expect((await reopened.readStream(siteStream('colossus-1'))).map((event) => event.eventId)).toEqual(['site:colossus-1', 'allocation:A-1001-1']);
    expect((await reopened.readStream(leaseStream('L-1001'))).map((event) => event.eventId)).toEqual(['lease:L-1001', 'outage:O-1001-1']);

    const restarted = new LedgerCommands({ store: reopened, currency: 'USD', clock });
    const lease = await restarted.getLease('L-1001');
    expect(lease).toMatchObject({
      leaseId: 'L-1001',
      tenantId: 'frontier-lab',
      startsAtMs: Date.parse('2025-11-10T00:00:00Z'),
      endsAtMs: Date.parse('2026-11-10T00:00:00Z'),
      commitmentBilling: 'advance',
      schedule: [
        { effectiveFromMs: Date.parse('2025-11-10T00:00:00Z'), gpuCount: 1000, ratePerGpuHour: '2.10' },
        { effectiveFromMs: Date.parse('2026-02-01T00:00:00Z'), gpuCount: 2000, ratePerGpuHour: '2.00' },
      ],
      outages: [{ outageId: 'O-1001-1', startsAtMs: Date.parse('2025-11-20T00:00:00Z'), endsAtMs: Date.parse('2025-11-20T06:00:00Z'), affectedGpus: 200 }],
    });
    expect(lease?.sla).toHaveLength(3);
    // The late reading is found through the log by a fresh process and can be corrected.
    const corrected = await restarted.correctUsage({ correctionId: 'C-late', readingId: workedExampleLateReading.readingId, gpuHours: '600' }, context);
    expect(corrected.outcome).toBe('created');
  });

  it('lets exactly one of two processes racing for the last GPUs allocate them', async () => {
    const setup = new LedgerCommands({ store: open(), currency: 'USD', clock });
    await setup.registerTenant(workedExampleTenant, context);
    await setup.commissionSite({ ...workedExampleSite, gpuCount: 2_000 }, context);
    await setup.signLease(workedExampleLease, context);
    await setup.allocateCapacity(workedExampleAllocation, context);

    // Two store handles on one file, each with its own command cache: two processes.
    const one = new LedgerCommands({ store: open(), currency: 'USD', clock });
    const other = new LedgerCommands({ store: open(), currency: 'USD', clock });
    const last = { ...workedExampleAllocation, gpuCount: 800 };
    const results = await Promise.allSettled([
      one.allocateCapacity({ ...last, allocationId: 'A-one' }, context),
      other.allocateCapacity({ ...last, allocationId: 'A-other' }, context),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((result) => result.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(RuleViolationError);
    expect((refused?.reason as Error).message).toBe('allocation of 800 GPUs would exceed site colossus-1 capacity of 2000 at 2025-11-10T00:00:00Z by 800');
    const allocations = (await open().readStream(siteStream('colossus-1'))).filter((event) => event.type === 'CapacityAllocated');
    expect(allocations.reduce((total, event) => total + Number(event.data.gpuCount), 0)).toBe(2_000);
  });
});
