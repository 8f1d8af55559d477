import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { foldLease, LedgerModel, loadCheckpoint, loadVerifiedCheckpoint, modelCheckpointedEvent, modelCheckpointStream, modelDigest, ModelRunner, saveCheckpoint, type EventStore } from '@compute-ledger/ledger';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import { ledgerEventRegistry } from '@compute-ledger/contracts';
import {
  workedExampleAllocation,
  workedExampleLateReading,
  workedExampleLease,
  workedExampleNovemberReadings,
  workedExampleSite,
  workedExampleTenant,
} from '../support/worked-example.js';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { openLedgerAt } from '@compute-ledger/api';

const actor = { actor: 'test' };

describe('model checkpoint', () => {
  const directories: string[] = [];
  afterEach(() => {
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  async function seeded(): Promise<string> {
    const directory = mkdtempSync(join(tmpdir(), 'ledger-checkpoint-'));
    directories.push(directory);
    const ledger = await openLedgerAt(`sqlite:${join(directory, 'ledger.db')}`, { dataDir: directory });
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
      // The checkpoint holds the three facts; its digest, recorded after it, is the head.
      const [digestFact] = await store.readStream(modelCheckpointStream);
      expect(restored!.position).toBe(2);
      expect(digestFact).toMatchObject({ position: 3, type: 'ModelCheckpointed', data: { checkpointPosition: 2, digest: modelDigest(restored!) } });
      expect(await store.headPosition()).toBe(3);
      const rebuilt = new ModelRunner(store, foldLease);
      await rebuilt.catchUpTo(2);
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
    const ledger = await openLedgerAt(`sqlite:${join(directory, 'ledger.db')}`, { dataDir: directory });
    expect((await ledger.reports.lease('L-1001')).leaseId).toBe('L-1001');
    await ledger.close();
  });

  it('keeps usage, corrections and readings recorded under a foreign event id across a restore, and folds on from there like a rebuild', async () => {
    const directory = await seeded();
    const path = join(directory, 'ledger.db');
    const ledger = await openLedgerAt(`sqlite:${path}`, { dataDir: directory });
    await ledger.commands.allocateCapacity(workedExampleAllocation, actor);
    const november = workedExampleNovemberReadings();
    await ledger.commands.recordUsage({ records: november.slice(0, 300) }, actor);
    await ledger.commands.correctUsage({ correctionId: 'C-1', readingId: november[5]!.readingId, gpuHours: '1000.5' }, actor);
    // A reading written by another tool under an id that is not `reading:<readingId>`.
    await ledger.store.append('usage-L-1001', [{ eventId: 'import-7', type: 'UsageRecorded', schemaVersion: ledgerEventRegistry.currentVersion('UsageRecorded'), data: { ...workedExampleLateReading }, metadata: { actor: 'import' } }], 'any');
    await ledger.close();

    const reopened = await openLedgerAt(`sqlite:${path}`, { dataDir: directory });
    const before = await reopened.reports.usage('L-1001', { month: '2025-11' });
    // 300 readings of 1,050 GPU-hours, one corrected down by 49.5, plus 600 late: 315,000 - 49.5 + 600 = 315,550.5
    expect(before.meteredGpuHours).toBe('315550.5');
    expect(before.readings.at(-2)).toMatchObject({ type: 'UsageCorrected', eventId: 'correction:C-1' });
    expect(before.readings.at(-1)).toMatchObject({ type: 'UsageRecorded', eventId: 'import-7' });
    expect(before.readings[0]).toMatchObject({ type: 'UsageRecorded', eventId: `reading:${november[0]!.readingId}` });
    // More facts after the restore: new readings, and a correction of a reading from before it.
    await reopened.commands.recordUsage({ records: november.slice(300) }, actor);
    await reopened.commands.correctUsage({ correctionId: 'C-2', readingId: november[6]!.readingId, gpuHours: '0' }, actor);
    const after = await reopened.reports.usage('L-1001', { month: '2025-11' });
    // 315,550.5 + 204 x 1,050 - 1,050 = 528,700.5
    expect(after.meteredGpuHours).toBe('528700.5');
    const verified = await reopened.verify();
    expect(verified.rebuild.ok).toBe(true);
    await reopened.close();
  });

  it('ignores a checkpoint cut short and rebuilds instead', async () => {
    const directory = await seeded();
    const checkpoint = join(directory, 'model.checkpoint');
    const text = readFileSync(checkpoint, 'utf8');
    writeFileSync(checkpoint, text.slice(0, text.length - 10));
    const store = openSqliteEventStore({ path: join(directory, 'ledger.db') });
    try {
      expect(await loadCheckpoint(checkpoint, store, foldLease)).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('ignores a checkpoint whose snapshot was edited after it was written: its digest is not the one the log records', async () => {
    const directory = await seeded();
    const path = join(directory, 'model.checkpoint');
    // The lease's rate, changed in the file only: the header still names the right event.
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('"ratePerGpuHour":"2.10"');
    writeFileSync(path, text.replace('"ratePerGpuHour":"2.10"', '"ratePerGpuHour":"9.10"'));
    const store = openSqliteEventStore({ path: join(directory, 'ledger.db') });
    try {
      const { model, state } = await loadVerifiedCheckpoint(path, store, foldLease);
      expect(model).toBeNull();
      expect(state).toMatchObject({ checkpointPosition: 2, matchesLog: false });
      expect(state.reason).toContain('the file was changed after it was written');
    } finally {
      await store.close();
    }
    const ledger = await openLedgerAt(`sqlite:${join(directory, 'ledger.db')}`, { dataDir: directory });
    expect(ledger.restoredFrom).toBeNull();
    expect(ledger.opening.checkpointAtOpen.matchesLog).toBe(false);
    expect((await ledger.reports.lease('L-1001')).commitment[0]).toMatchObject({ ratePerGpuHour: '2.10' });
    const verified = await ledger.verify();
    expect(verified.model).toMatchObject({ checkpointPosition: 2, matchesLog: false });
    await ledger.close();
  });

  it('ignores a checkpoint file written without its digest in the log', async () => {
    const directory = await seeded();
    const path = join(directory, 'model.checkpoint');
    const store = openSqliteEventStore({ path: join(directory, 'ledger.db') });
    try {
      const restored = await loadCheckpoint(path, store, foldLease);
      const [head] = await store.readAll({ fromPosition: 3, limit: 1 });
      // The model folded the digest fact too: a checkpoint of it at position 3 has a digest no fact records.
      const runner = new ModelRunner(store, foldLease, restored!);
      await runner.catchUp();
      saveCheckpoint(path, runner.model, head!.hash);
      expect(await loadVerifiedCheckpoint(path, store, foldLease)).toMatchObject({ model: null, state: { checkpointPosition: 3, matchesLog: false, reason: 'the log records no digest of a checkpoint at position 3' } });
    } finally {
      await store.close();
    }
  });

  it('records no second digest for a model that folded only its own digest since the checkpoint', async () => {
    const directory = await seeded();
    const ledger = await openLedgerAt(`sqlite:${join(directory, 'ledger.db')}`, { dataDir: directory });
    expect(ledger.restoredFrom).toBe(2);
    await ledger.checkpoint();
    await ledger.close();
    const store = openSqliteEventStore({ path: join(directory, 'ledger.db') });
    try {
      expect(await store.headPosition()).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('writes and reads back a checkpoint of many megabytes, its lines crossing the chunks it is read in', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'ledger-checkpoint-'));
    directories.push(directory);
    const model = new LedgerModel(foldLease);
    const readings = 120_000;
    for (let position = 0; position < readings; position += 1) {
      const lease = `L-${position % 7}`;
      const data = { readingId: `R-${position}-${'x'.repeat(position % 50)}`, leaseId: lease, periodStart: '2026-01-01T00:00:00Z', periodEnd: '2026-01-01T01:00:00Z', gpuHours: `${position % 1000}.5` };
      // Under an event id of another writer, so that the model knows each reading by its id (KnownReading), and the file grows with them.
      const recorded = { position, streamId: `usage-${lease}`, revision: position, eventId: `imported:${data.readingId}`, type: 'UsageRecorded', schemaVersion: 1, data };
      model.apply(recorded, { type: 'UsageRecorded', data } as never);
    }
    const path = join(directory, 'model.checkpoint');
    const headHash = 'a'.repeat(64);
    const digest = saveCheckpoint(path, model, headHash);
    expect(statSync(path).size).toBeGreaterThan(4 * 2 ** 20);
    const fact = modelCheckpointedEvent(readings - 1, headHash, digest);
    const store = {
      readAll: async () => [{ position: readings - 1, hash: headHash }],
      readStream: async () => [{ ...fact, position: readings, revision: 0 }],
    } as unknown as EventStore;
    const restored = await loadCheckpoint(path, store, foldLease);
    expect(restored).not.toBeNull();
    expect(modelDigest(restored!)).toBe(modelDigest(model));
    expect(restored!.knownReadings.get('R-119999-' + 'x'.repeat(119_999 % 50))?.positions).toEqual([119_999]);
  });
});
