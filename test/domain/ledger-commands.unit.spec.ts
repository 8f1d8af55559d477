import { describe, expect, it } from 'vitest';
import { RegisterTenantBody, UpdateTenantBillingDetailsBody, ledgerEventRegistry, readLedgerEvent } from '@compute-ledger/contracts';
import {
  ConflictError,
  LedgerCommands,
  NotFoundError,
  RuleViolationError,
  UsageBatchRefusedError,
  ValidationError,
  leaseStream,
  siteStream,
  usageStream,
  type EventStore,
} from '@compute-ledger/ledger';
import { InMemoryEventStore } from '../support/in-memory-event-store.js';
import {
  workedExampleAllocation,
  workedExampleLease,
  workedExampleNovemberReadings,
  workedExampleSite,
  workedExampleTenant,
} from '../support/worked-example.js';

const clock = (): Date => new Date('2025-12-15T00:00:00Z');
const context = { actor: 'key:finance', correlationId: 'req-1' };

async function seeded(store: EventStore, options: { gpuCount?: number } = {}): Promise<LedgerCommands> {
  const commands = new LedgerCommands({ store, currency: 'USD', clock });
  await commands.registerTenant(workedExampleTenant, context);
  await commands.commissionSite({ ...workedExampleSite, gpuCount: options.gpuCount ?? workedExampleSite.gpuCount }, context);
  await commands.signLease(workedExampleLease, context);
  return commands;
}

describe('LedgerCommands', () => {
  it('answers created, then unchanged for the same request, and records metadata and deterministic ids', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = new LedgerCommands({ store, currency: 'USD', clock });
    expect((await commands.registerTenant(workedExampleTenant, context)).outcome).toBe('created');
    expect((await commands.registerTenant(workedExampleTenant, context)).outcome).toBe('unchanged');
    const site = await commands.commissionSite(workedExampleSite, context);
    expect(site).toEqual({ outcome: 'created', site: { siteId: 'colossus-1', name: 'Colossus 1', gpuSku: 'H100-SXM', gpuCount: 100_000, powerMw: '300' } });
    const lease = await commands.signLease(workedExampleLease, context);
    expect(lease.outcome).toBe('created');
    expect(lease.status).toBe('active');
    expect(lease.lease.schedule).toHaveLength(2);
    expect((await commands.signLease(workedExampleLease, context)).outcome).toBe('unchanged');
    const allocation = await commands.allocateCapacity(workedExampleAllocation, context);
    expect(allocation).toEqual({
      outcome: 'created',
      allocation: { allocationId: 'A-1001-1', leaseId: 'L-1001', siteId: 'colossus-1', gpuCount: 1200, startsAt: '2025-11-10T00:00:00Z', endsAt: null },
    });
    expect(store.log.map((event) => event.eventId)).toEqual(['tenant:frontier-lab', 'site:colossus-1', 'lease:L-1001', 'allocation:A-1001-1']);
    expect(store.log[0]?.metadata).toEqual({ actor: 'key:finance', correlationId: 'req-1' });
    await expect(commands.registerTenant({ ...workedExampleTenant, name: 'Other' }, context)).rejects.toBeInstanceOf(ConflictError);
  });

  it('records a usage batch once, and counts a resent batch as duplicates', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await seeded(store);
    await commands.allocateCapacity(workedExampleAllocation, context);
    const records = workedExampleNovemberReadings().slice(0, 100);
    expect(await commands.recordUsage({ records }, context)).toEqual({ outcome: 'created', accepted: 100, duplicates: 0 });
    expect(await commands.recordUsage({ records }, context)).toEqual({ outcome: 'unchanged', accepted: 0, duplicates: 100 });
    expect(store.streamEvents(usageStream('L-1001'))).toHaveLength(100);
  });

  it('compares a resent reading with the one recorded in the log, by value, whatever was corrected since and whichever process asks', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await seeded(store);
    await commands.allocateCapacity(workedExampleAllocation, context);
    const [reading] = workedExampleNovemberReadings();
    if (reading === undefined) throw new Error('no reading');
    await commands.recordUsage({ records: [reading] }, context);
    await commands.correctUsage({ correctionId: 'C-1', readingId: reading.readingId, gpuHours: '1' }, context);
    // The same instants and GPU-hours written otherwise, sent to a process that never saw the reading.
    const resent = { ...reading, periodStart: reading.periodStart.replace('Z', '.000Z'), gpuHours: `${reading.gpuHours}.000` };
    const restarted = new LedgerCommands({ store, currency: 'USD', clock });
    expect(await restarted.recordUsage({ records: [resent] }, context)).toEqual({ outcome: 'unchanged', accepted: 0, duplicates: 1 });
    const changed = await restarted.recordUsage({ records: [{ ...reading, gpuHours: '1' }] }, context).catch((caught: unknown) => caught);
    expect(changed).toBeInstanceOf(UsageBatchRefusedError);
    expect((changed as UsageBatchRefusedError).recordErrors).toEqual([{ index: 0, readingId: reading.readingId, message: `reading ${reading.readingId} is already recorded with other content`, kind: 'conflict' }]);
    // The correction is found the same way: its repeat is unchanged, its id with another value a conflict.
    expect((await restarted.correctUsage({ correctionId: 'C-1', readingId: reading.readingId, gpuHours: '1.0' }, context)).outcome).toBe('unchanged');
    await expect(restarted.correctUsage({ correctionId: 'C-1', readingId: reading.readingId, gpuHours: '2' }, context)).rejects.toBeInstanceOf(ConflictError);
    expect(store.streamEvents(usageStream('L-1001'))).toHaveLength(2);
  });

  it('reads only the events appended since a stream was last loaded, and nothing when only it appended since', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await seeded(store);
    await commands.allocateCapacity(workedExampleAllocation, context);
    const readings = workedExampleNovemberReadings();
    await commands.recordUsage({ records: readings.slice(0, 100) }, context);
    const reads: [string, number | undefined][] = [];
    const readStream = store.readStream.bind(store);
    store.readStream = (streamId, fromRevision, limit) => {
      reads.push([streamId, fromRevision]);
      return readStream(streamId, fromRevision, limit);
    };
    // Nothing but this process's own batch came since: the streams are known as they stand.
    await commands.recordUsage({ records: readings.slice(100, 200) }, context);
    expect(reads).toEqual([]);
    // Another process records usage for the lease: the next batch reads its stream from there on.
    await new LedgerCommands({ store, currency: 'USD', clock }).recordUsage({ records: readings.slice(200, 210) }, context);
    reads.length = 0;
    const result = await commands.recordUsage({ records: readings.slice(205, 300) }, context);
    expect(reads).toContainEqual([leaseStream('L-1001'), 1]);
    // A usage stream is never read whole: the model knows its readings, and only the five
    // already recorded are read back from the log to compare their content.
    expect(reads.map(([streamId]) => streamId)).not.toContain(usageStream('L-1001'));
    // The five readings the other process recorded count as duplicates, not twice.
    expect(result).toEqual({ outcome: 'created', accepted: 90, duplicates: 5 });
  });

  it('refuses a batch whole, listing each refused record', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await seeded(store);
    await commands.allocateCapacity(workedExampleAllocation, context);
    const records = workedExampleNovemberReadings().slice(0, 3);
    const broken = records.map((record, index) => (index === 1 ? { ...record, leaseId: 'L-404' } : record));
    const before = store.log.length;
    const error = await commands.recordUsage({ records: broken }, context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageBatchRefusedError);
    expect((error as UsageBatchRefusedError).recordErrors).toEqual([{ index: 1, readingId: records[1]?.readingId, message: 'lease L-404 does not exist', kind: 'rule' }]);
    expect(store.log.length).toBe(before);
  });

  it('refuses a reading id already recorded for another lease', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await seeded(store);
    await commands.allocateCapacity(workedExampleAllocation, context);
    await commands.signLease({ ...workedExampleLease, leaseId: 'L-2002' }, context);
    await commands.allocateCapacity({ ...workedExampleAllocation, allocationId: 'A-2002-1', leaseId: 'L-2002' }, context);
    const [reading] = workedExampleNovemberReadings();
    if (reading === undefined) throw new Error('no reading');
    await commands.recordUsage({ records: [reading] }, context);
    const error = await commands.recordUsage({ records: [{ ...reading, leaseId: 'L-2002' }] }, context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageBatchRefusedError);
    expect((error as UsageBatchRefusedError).recordErrors).toEqual([{ index: 0, readingId: reading.readingId, message: `reading ${reading.readingId} is already recorded for another lease`, kind: 'conflict' }]);
    expect((error as UsageBatchRefusedError).family).toBe('conflict');
  });

  it('corrects a reading found through the log after a restart, and releases an allocation the same way', async () => {
    const store = new InMemoryEventStore({ clock });
    const first = await seeded(store);
    await first.allocateCapacity(workedExampleAllocation, context);
    const [reading] = workedExampleNovemberReadings();
    if (reading === undefined) throw new Error('no reading');
    await first.recordUsage({ records: [reading] }, context);

    const restarted = new LedgerCommands({ store, currency: 'USD', clock });
    const corrected = await restarted.correctUsage({ correctionId: 'C-1', readingId: reading.readingId, gpuHours: '900' }, context);
    expect(corrected).toEqual({ outcome: 'created', correction: { correctionId: 'C-1', readingId: reading.readingId, leaseId: 'L-1001', gpuHours: '900' } });
    expect((await restarted.correctUsage({ correctionId: 'C-1', readingId: reading.readingId, gpuHours: '900' }, context)).outcome).toBe('unchanged');
    await expect(restarted.correctUsage({ correctionId: 'C-2', readingId: 'R-404', gpuHours: '1' }, context)).rejects.toThrow(new NotFoundError('reading R-404 does not exist'));
    await expect(restarted.correctUsage({ correctionId: 'C-3', readingId: reading.readingId, gpuHours: '1201' }, context)).rejects.toBeInstanceOf(RuleViolationError);

    const released = await restarted.releaseCapacity('A-1001-1', { endsAt: '2026-01-01T00:00:00Z' }, context);
    expect(released.allocation.endsAt).toBe('2026-01-01T00:00:00Z');
    await expect(restarted.releaseCapacity('A-404', { endsAt: '2026-01-01T00:00:00Z' }, context)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lets exactly one of two racing allocations have the last GPUs of a site', async () => {
    const store = new InMemoryEventStore({ clock });
    await seeded(store, { gpuCount: 1_000 });
    const one = new LedgerCommands({ store, currency: 'USD', clock });
    const other = new LedgerCommands({ store, currency: 'USD', clock });
    const allocation = { ...workedExampleAllocation, gpuCount: 600 };
    const appendsBefore = store.appendCalls;
    const results = await Promise.allSettled([
      one.allocateCapacity({ ...allocation, allocationId: 'A-one' }, context),
      other.allocateCapacity({ ...allocation, allocationId: 'A-other' }, context),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const [refused] = results.filter((result) => result.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(RuleViolationError);
    expect((refused?.reason as Error).message).toBe('allocation of 600 GPUs would exceed site colossus-1 capacity of 1000 at 2025-11-10T00:00:00Z by 200');
    expect(store.streamEvents(siteStream('colossus-1')).filter((event) => event.type === 'CapacityAllocated')).toHaveLength(1);
    // Both decided on the same revision and both appended: the loser's append was refused by the
    // store, and deciding again with the winner's allocation refused the request.
    expect(store.appendCalls - appendsBefore).toBe(2);
  });

  for (const withoutAppendMany of [false, true]) {
    it(`ends the open allocations of a terminated lease ${withoutAppendMany ? 'with one append per stream' : 'in one transaction'}`, async () => {
      const store = new InMemoryEventStore({ clock, withoutAppendMany });
      const commands = await seeded(store, { gpuCount: 2_000 });
      await commands.allocateCapacity(workedExampleAllocation, context);
      const appendsBefore = store.appendCalls;
      const terminated = await commands.terminateLease('L-1001', { effectiveAt: '2026-03-01T00:00:00Z', terminationFee: '250000' }, context);
      expect(terminated.outcome).toBe('created');
      expect(terminated.lease.termination).toEqual({ effectiveAtMs: Date.parse('2026-03-01T00:00:00Z'), terminationFee: '250000.00' });
      expect(store.appendCalls - appendsBefore).toBe(withoutAppendMany ? 2 : 1);
      expect(store.streamEvents(siteStream('colossus-1')).at(-1)).toMatchObject({
        eventId: 'release:A-1001-1:2026-03-01T00:00:00Z',
        data: { allocationId: 'A-1001-1', leaseId: 'L-1001', siteId: 'colossus-1', endsAt: '2026-03-01T00:00:00Z' },
      });
      expect((await commands.terminateLease('L-1001', { effectiveAt: '2026-03-01T00:00:00Z', terminationFee: '250000.00' }, context)).outcome).toBe('unchanged');
      // The GPUs are free again from the termination instant.
      await commands.signLease({ ...workedExampleLease, leaseId: 'L-2002' }, context);
      await commands.allocateCapacity({ ...workedExampleAllocation, allocationId: 'A-2002-1', leaseId: 'L-2002', gpuCount: 2_000, startsAt: '2026-03-01T00:00:00Z' }, context);
      await expect(commands.allocateCapacity({ ...workedExampleAllocation, allocationId: 'A-late', startsAt: '2026-04-01T00:00:00Z' }, context)).rejects.toBeInstanceOf(RuleViolationError);
      const error = await commands
        .recordUsage({ records: [{ readingId: 'R-after', leaseId: 'L-1001', periodStart: '2026-03-01T00:00:00Z', periodEnd: '2026-03-01T01:00:00Z', gpuHours: '1' }] }, context)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UsageBatchRefusedError);
    });
  }

  it('repairs a termination whose releases were lost before they were appended', async () => {
    const store = new InMemoryEventStore({ clock, withoutAppendMany: true });
    const commands = await seeded(store);
    await commands.allocateCapacity(workedExampleAllocation, context);
    // A crash between the two appends: only the termination reached the log.
    const realAppend = store.append.bind(store);
    let appends = 0;
    store.append = async (streamId, events, expected) => {
      appends += 1;
      if (appends === 2) throw new Error('power lost');
      return realAppend(streamId, events, expected);
    };
    await expect(commands.terminateLease('L-1001', { effectiveAt: '2026-03-01T00:00:00Z', terminationFee: '0' }, context)).rejects.toThrow('power lost');
    expect(store.streamEvents(leaseStream('L-1001')).at(-1)?.type).toBe('LeaseTerminated');
    expect(store.streamEvents(siteStream('colossus-1')).at(-1)?.type).toBe('CapacityAllocated');
    const again = await commands.terminateLease('L-1001', { effectiveAt: '2026-03-01T00:00:00Z', terminationFee: '0' }, context);
    expect(again.outcome).toBe('unchanged');
    expect(store.streamEvents(siteStream('colossus-1')).at(-1)?.type).toBe('CapacityReleased');
  });

  it('records a usage batch without appendMany, one lease at a time', async () => {
    const store = new InMemoryEventStore({ clock, withoutAppendMany: true });
    const commands = await seeded(store);
    await commands.allocateCapacity(workedExampleAllocation, context);
    const records = workedExampleNovemberReadings().slice(0, 10);
    expect(await commands.recordUsage({ records }, context)).toEqual({ outcome: 'created', accepted: 10, duplicates: 0 });
  });

  it('decides again when another writer appended to the stream first', async () => {
    const store = new InMemoryEventStore({ clock });
    const one = await seeded(store);
    const other = new LedgerCommands({ store, currency: 'USD', clock });
    await one.getLease('L-1001');
    await other.amendLease('L-1001', { amendmentId: 'AM-1', effectiveAt: '2026-01-01T00:00:00Z', overageRatePerGpuHour: '4.00' }, context);
    const amended = await one.amendLease('L-1001', { amendmentId: 'AM-2', effectiveAt: '2026-02-01T00:00:00Z', overageRatePerGpuHour: '4.50' }, context);
    expect(amended.lease.amendments.map((amendment) => amendment.amendmentId)).toEqual(['AM-1', 'AM-2']);
  });

  it('records outages in the lease stream', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = await seeded(store);
    const outage = { outageId: 'O-1', leaseId: 'L-1001', startsAt: '2025-11-20T00:00:00Z', endsAt: '2025-11-20T06:00:00Z', affectedGpus: 200 };
    expect(await commands.recordOutage(outage, context)).toEqual({ outcome: 'created', outage });
    expect(store.streamEvents(leaseStream('L-1001')).at(-1)?.eventId).toBe('outage:O-1');
  });
});

describe('LedgerCommands: tenant billing details', () => {
  const details = { legalName: 'Frontier Lab, Inc.', billingAddress: '1 Compute Way\nSan Francisco, CA 94107', taxId: 'US-12-3456789' };
  const moved = { ...details, billingAddress: '500 Cluster Road\nAustin, TX 78701' };

  it('records each change of the details, also a change back to earlier details, and nothing for a repeat', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = new LedgerCommands({ store, currency: 'USD', clock });
    await commands.registerTenant(workedExampleTenant, context);
    const first = await commands.updateTenantBillingDetails('frontier-lab', details, context);
    expect(first.outcome).toBe('created');
    expect(first.tenant.billingDetails).toEqual(details);
    expect((await commands.updateTenantBillingDetails('frontier-lab', { ...details }, context)).outcome).toBe('unchanged');
    expect((await commands.updateTenantBillingDetails('frontier-lab', moved, context)).outcome).toBe('created');
    // Back to the first details: a new fact, which an id from the content alone would have swallowed as a repeat.
    expect((await commands.updateTenantBillingDetails('frontier-lab', details, context)).outcome).toBe('created');
    expect((await commands.getTenant('frontier-lab'))?.billingDetails).toEqual(details);
    const ids = store.log.map((event) => event.eventId);
    expect(ids).toHaveLength(4);
    expect(ids.slice(1).map((id) => id.replace(/:[0-9a-f]{16}$/, ''))).toEqual([
      'tenant-billing-details:frontier-lab:1',
      'tenant-billing-details:frontier-lab:2',
      'tenant-billing-details:frontier-lab:3',
    ]);
    expect(ids[1]!.slice(-16)).toBe(ids[3]!.slice(-16)); // the same details hash the same
    // The registration, sent again, is still the same registration.
    expect((await commands.registerTenant(workedExampleTenant, context)).outcome).toBe('unchanged');
  });

  it('refuses billing details of a tenant that does not exist', async () => {
    const commands = new LedgerCommands({ store: new InMemoryEventStore({ clock }), currency: 'USD', clock });
    await expect(commands.updateTenantBillingDetails('nobody', details, context)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses details the event schema does not take, and records nothing', async () => {
    const store = new InMemoryEventStore({ clock });
    const commands = new LedgerCommands({ store, currency: 'USD', clock });
    await commands.registerTenant(workedExampleTenant, context);
    await expect(commands.updateTenantBillingDetails('frontier-lab', { taxId: 'US\t12' }, context)).rejects.toBeInstanceOf(ValidationError);
    await expect(commands.updateTenantBillingDetails('frontier-lab', { billingAddress: 'x'.repeat(1_001) }, context)).rejects.toBeInstanceOf(ValidationError);
    expect(store.log).toHaveLength(1);
  });
});

describe('billing details schemas', () => {
  it('take a multi-line address and refuse unknown fields, control characters and too many lines', () => {
    expect(UpdateTenantBillingDetailsBody.parse({ billingAddress: '  1 Compute Way\nSan Francisco  ' })).toEqual({ billingAddress: '1 Compute Way\nSan Francisco' });
    expect(UpdateTenantBillingDetailsBody.safeParse({ vatNumber: 'x' }).success).toBe(false);
    expect(UpdateTenantBillingDetailsBody.safeParse({ billingAddress: 'a\r\nb' }).success).toBe(false);
    expect(UpdateTenantBillingDetailsBody.safeParse({ billingAddress: Array.from({ length: 11 }, () => 'line').join('\n') }).success).toBe(false);
    expect(UpdateTenantBillingDetailsBody.safeParse({ purchaseOrder: '' }).success).toBe(false);
    expect(RegisterTenantBody.safeParse({ ...workedExampleTenant, billingDetails: { legalName: 'Frontier Lab, Inc.' } }).success).toBe(true);
  });

  it('keep tenant events recorded before billing details existed valid', () => {
    expect(readLedgerEvent('TenantRegistered', 1, workedExampleTenant)).toEqual({ type: 'TenantRegistered', data: workedExampleTenant });
    expect(ledgerEventRegistry.currentVersion('TenantBillingDetailsUpdated')).toBe(1);
  });
});
