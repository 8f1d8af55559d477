import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { foldLease, loadCheckpoint, modelDigest, ModelRunner, openLedger, openSqliteEventStore } from '@compute-ledger/ledger';
import { workedExampleLease, workedExampleSite, workedExampleTenant } from '../support/worked-example.js';

const actor = { actor: 'test' };

describe('model checkpoint', () => {
  const directories: string[] = [];
  afterEach(() => {
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  async function seeded(): Promise<string> {
    const directory = mkdtempSync(join(tmpdir(), 'ledger-checkpoint-'));
    directories.push(directory);
    const ledger = await openLedger({ store: `sqlite:${join(directory, 'ledger.db')}`, dataDir: directory });
    await ledger.commands.commissionSite(workedExampleSite, actor);
    await ledger.commands.registerTenant(workedExampleTenant, actor);
    await ledger.commands.signLease(workedExampleLease, actor);
    await ledger.close();
    return directory;
  }

  it('restores the model at its position without replaying the log, equal to a rebuild', async () => {
    const directory = await seeded();
    const store = openSqliteEventStore({ path: join(directory, 'ledger.db') });
    try {
      const restored = await loadCheckpoint(join(directory, 'model.checkpoint'), store, foldLease);
      expect(restored).not.toBeNull();
      expect(restored!.position).toBe(await store.headPosition());
      const rebuilt = new ModelRunner(store, foldLease);
      await rebuilt.catchUp();
      expect(modelDigest(restored!)).toBe(modelDigest(rebuilt.model));
    } finally {
      await store.close();
    }
  });

  it('ignores a checkpoint that does not match the log and rebuilds instead', async () => {
    const directory = await seeded();
    writeFileSync(join(directory, 'model.checkpoint'), '{"position":2,"eventHash":"not-the-hash"}\n{}');
    const store = openSqliteEventStore({ path: join(directory, 'ledger.db') });
    try {
      expect(await loadCheckpoint(join(directory, 'model.checkpoint'), store, foldLease)).toBeNull();
    } finally {
      await store.close();
    }
    const ledger = await openLedger({ store: `sqlite:${join(directory, 'ledger.db')}`, dataDir: directory });
    expect((await ledger.reports.lease('L-1001')).leaseId).toBe('L-1001');
    await ledger.close();
  });
});
