import { describe, expect, it } from 'vitest';
import { ledgerEventRegistry } from '@compute-ledger/contracts';
import { foldLease, modelDigest, ModelRunner, openLedger, type EventStore } from '@compute-ledger/ledger';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import {
  recordWorkedExampleContracts,
  workedExampleDecemberReadings,
  workedExampleLateReading,
  workedExampleNovemberReadings,
} from '../support/worked-example.js';

const actor = { actor: 'test' };

/** The same store without its rows: a rebuild through it folds parsed events, as from a store that hands out objects. */
function parsedEventsOnly(store: EventStore): EventStore {
  return new Proxy(store, { get: (target, key) => (key === 'readFoldRows' ? undefined : Reflect.get(target, key, target) as unknown) });
}

describe('rebuilding the model from a SQLite log', () => {
  it('folds readings from the text of their rows into the same model as parsed events and as the live model', async () => {
    const store = openSqliteEventStore({ path: ':memory:', clock: () => new Date('2026-01-02T00:00:00Z') });
    const ledger = await openLedger({ store, clock: () => new Date('2026-01-02T00:00:00Z') });
    try {
      await recordWorkedExampleContracts(ledger.commands, actor);
      const november = workedExampleNovemberReadings();
      // Sources the text reader leaves to JSON.parse (an escape) and ones it reads (any other text), and none.
      const sources = ['meter "7"', 'C:\\meters\\7', 'compteur é 🛰', 'meter-7', undefined];
      await ledger.commands.recordUsage({ records: november.map((record, index) => ({ ...record, source: sources[index % sources.length] })) }, actor);
      await ledger.commands.recordUsage({ records: workedExampleDecemberReadings().slice(0, 100) }, actor);
      await ledger.commands.correctUsage({ correctionId: 'C-1', readingId: november[5]!.readingId, gpuHours: '1000.5' }, actor);
      // A reading written by another tool under an id that is not `reading:<readingId>`.
      await store.append('usage-L-1001', [{ eventId: 'import-7', type: 'UsageRecorded', schemaVersion: ledgerEventRegistry.currentVersion('UsageRecorded'), data: { ...workedExampleLateReading }, metadata: { actor: 'import' } }], 'any');
      await ledger.billing.runBilling('2026-01-01T00:00:00Z', actor);
      await ledger.runner.catchUp();

      const fromRows = new ModelRunner(store, foldLease);
      await fromRows.catchUp();
      const fromEvents = new ModelRunner(parsedEventsOnly(store), foldLease);
      await fromEvents.catchUp();
      expect(fromRows.model.position).toBe(await store.headPosition());
      expect(fromRows.model.readingsRecorded).toBe(november.length + 100 + 1);
      expect(modelDigest(fromRows.model)).toBe(modelDigest(fromEvents.model));
      expect(modelDigest(fromRows.model)).toBe(modelDigest(ledger.runner.model));
      // 504 readings of 1,050 GPU-hours, one corrected down by 49.5, plus the late 600: 529,200 - 49.5 + 600 = 529,750.5
      expect(fromRows.model.meteredAt('L-1001', '2025-11', fromRows.model.position).toString()).toBe('529750.5');
      const cutoff = fromRows.model.usage.get('L-1001')!.get('2025-11')!.positions.at(99);
      expect(fromRows.model.meteredAt('L-1001', '2025-11', cutoff).toString()).toBe('105000');
      expect(fromRows.model.usageSourcesAt('L-1001', '2025-11', fromRows.model.position, 2).sources.map((source) => source.eventId)).toEqual(['correction:C-1', 'import-7']);
    } finally {
      await ledger.close();
    }
  });
});
