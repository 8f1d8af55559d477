import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger, type EventStore, type Ledger } from '@compute-ledger/ledger';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import { allocationBody, leaseBody, siteBody, tenantBody, UsageSource, type FleetLease } from './support/fleet.js';
import { temporaryDirectory } from './support/ledger-server.js';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { openLedgerAt } from '@compute-ledger/api';

/**
 * The races concurrency.e2e.spec.ts provokes between processes, made to happen every time: two
 * ledgers on one SQLite file stand for two processes (or two API instances), and the second
 * one's store lets the first one record the same request at the worst moment, after the second
 * has decided and right before it appends.
 */

const actor = { actor: 'test' };
const lease: FleetLease = { leaseId: 'L-R1', tenantId: 'race-lab', siteId: 'site-r' };

let directory: ReturnType<typeof temporaryDirectory>;
let first: Ledger;
let second: Ledger;
/** Runs once, inside the second ledger's next append, before the append reaches the file. */
let beforeSecondAppends: (() => Promise<unknown>) | null = null;

/** The store of the second ledger: the file's store, with a hook in front of its appends. */
function hookedStore(store: EventStore): EventStore {
  const runHook = async () => {
    const hook = beforeSecondAppends;
    beforeSecondAppends = null;
    if (hook !== null) await hook();
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'append') return async (...args: Parameters<EventStore['append']>) => (await runHook(), target.append(...args));
      if (property === 'appendMany') return async (...args: Parameters<NonNullable<EventStore['appendMany']>>) => (await runHook(), target.appendMany!(...args));
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

beforeEach(async () => {
  directory = temporaryDirectory('races');
  const path = join(directory.path, 'ledger.db');
  first = await openLedgerAt(`sqlite:${path}`);
  second = await openLedger({ store: hookedStore(openSqliteEventStore({ path })) });
  await first.commands.commissionSite(siteBody(lease.siteId, 100), actor);
  await first.commands.registerTenant(tenantBody(lease.tenantId), actor);
  await first.commands.signLease({ ...leaseBody(lease), commitmentBilling: 'advance', sla: [] }, actor);
  await first.commands.allocateCapacity(allocationBody(lease), actor);
});

afterEach(async () => {
  beforeSecondAppends = null;
  await first.close();
  await second.close();
  directory.remove();
});

describe('the same request decided by two processes at once', () => {
  it('answers created to one and unchanged to the other when both register the same tenant', async () => {
    const body = tenantBody('raced-lab');
    beforeSecondAppends = () => first.commands.registerTenant(body, actor);
    const raced = await second.commands.registerTenant(body, actor);
    expect(raced.outcome).toBe('unchanged');
    expect((await first.store.readStream('tenant-raced-lab')).length).toBe(1);
  });

  it('counts a usage batch as accepted once when the same batch lands through both', async () => {
    const records = new UsageSource([lease]).batch('raced', 50);
    let firstAnswer: { accepted: number; duplicates: number } | undefined;
    beforeSecondAppends = async () => (firstAnswer = await first.commands.recordUsage({ records }, actor));
    const secondAnswer = await second.commands.recordUsage({ records }, actor);
    expect(firstAnswer).toMatchObject({ accepted: 50, duplicates: 0 });
    expect(secondAnswer).toMatchObject({ outcome: 'unchanged', accepted: 0, duplicates: 50 });
  });

  it('answers the winner’s run to the loser of a billing race, even when the log moved between their cut-offs', async () => {
    const billingDate = '2025-02-01T00:00:00Z';
    await second.runner.catchUp();
    // The first process records usage, then runs billing on the later cut-off, while the second
    // has already planned its run on the earlier one: the same invoice ids with other content.
    beforeSecondAppends = async () => {
      await first.commands.recordUsage({ records: new UsageSource([lease], 24 * 3).batch('late', 5) }, actor);
      return first.billing.runBilling(billingDate, actor);
    };
    const lost = await second.billing.runBilling(billingDate, actor);
    const won = await first.billing.runBilling(billingDate, actor);
    expect(lost.outcome).toBe('unchanged');
    expect(won.outcome).toBe('unchanged');
    expect(lost.result).toEqual(won.result);
    expect(lost.result.documents.map((document) => document.invoiceId)).toEqual(['INV-000001']);
  });

  it('answers unchanged to the second of two identical billing runs decided on the same cut-off', async () => {
    const billingDate = '2025-02-01T00:00:00Z';
    await second.runner.catchUp();
    let won: Awaited<ReturnType<Ledger['billing']['runBilling']>> | undefined;
    beforeSecondAppends = async () => (won = await first.billing.runBilling(billingDate, actor));
    const lost = await second.billing.runBilling(billingDate, actor);
    expect(won?.outcome).toBe('created');
    expect(lost.outcome).toBe('unchanged');
    expect(lost.result).toEqual(won?.result);
  });
});
