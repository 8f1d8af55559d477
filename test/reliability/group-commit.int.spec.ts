import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SignLeaseBody } from '@compute-ledger/contracts';
import { usageStream, type Ledger } from '@compute-ledger/ledger';
import { allocationBody, leaseBody, siteBody, tenantBody, UsageSource, type FleetLease } from './support/fleet.js';
import { temporaryDirectory } from './support/ledger-server.js';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { openLedgerAt } from '@compute-ledger/api';

/**
 * Group commit on a real SQLite file: usage batches sent to one process at the same moment are
 * written by one transaction, one write per usage stream holding every batch's readings of that
 * lease in arrival order, which separate transactions could never leave in the log.
 */

const actor = { actor: 'test' };
const leases: FleetLease[] = [
  { leaseId: 'L-G1', tenantId: 'group-lab', siteId: 'site-g' },
  { leaseId: 'L-G2', tenantId: 'group-lab', siteId: 'site-g' },
];

let directory: ReturnType<typeof temporaryDirectory>;
let ledger: Ledger;

beforeEach(async () => {
  directory = temporaryDirectory('group-commit');
  ledger = await openLedgerAt(`sqlite:${join(directory.path, 'ledger.db')}`);
  await ledger.commands.commissionSite(siteBody('site-g', 100), actor);
  await ledger.commands.registerTenant(tenantBody('group-lab'), actor);
  for (const lease of leases) {
    await ledger.commands.signLease(SignLeaseBody.parse(leaseBody(lease)), actor);
    await ledger.commands.allocateCapacity(allocationBody(lease), actor);
  }
});

afterEach(async () => {
  await ledger.close();
  directory.remove();
});

describe('group commit on SQLite', () => {
  it('writes batches sent at the same moment in one transaction, lease by lease, each batch counted on its own', async () => {
    const source = new UsageSource(leases);
    const first = source.batch('first', 10);
    const second = source.batch('second', 10);
    const head = await ledger.store.headPosition();
    const answers = await Promise.all([ledger.commands.recordUsage({ records: first }, actor), ledger.commands.recordUsage({ records: second }, actor)]);
    expect(answers).toEqual([
      { outcome: 'created', accepted: 10, duplicates: 0 },
      { outcome: 'created', accepted: 10, duplicates: 0 },
    ]);
    const log = await ledger.store.readAll({ fromPosition: head + 1, limit: 100 });
    const ofLease = (records: typeof first, leaseId: string): string[] => records.filter((record) => record.leaseId === leaseId).map((record) => record.readingId);
    // Two transactions would have left first's readings of both leases, then second's.
    expect(log.map((event) => event.data['readingId'])).toEqual([...ofLease(first, 'L-G1'), ...ofLease(second, 'L-G1'), ...ofLease(first, 'L-G2'), ...ofLease(second, 'L-G2')]);
    expect(new Set(log.map((event) => event.recordedAt)).size).toBe(1);
    expect(log.filter((event) => event.streamId === usageStream('L-G1')).map((event) => event.revision)).toEqual(Array.from({ length: 10 }, (_, index) => index));
    expect((await ledger.store.verify()).ok).toBe(true);
  });
});
