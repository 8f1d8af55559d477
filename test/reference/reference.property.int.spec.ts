import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildHistory, planArbitrary } from './generator.js';
import { checkHistory, inProcessLedger } from './replay.js';

/**
 * The ledger against the reference model (test/reference/reference-model.ts) on random whole
 * histories: every acceptance, every document and every report at several asOf and knownAt
 * instants must agree. Seeded and reproducible: a failure prints the seed, the shrunk plan and
 * the history it makes, and `REFERENCE_SEED=<seed> npx vitest run <this file>` replays it.
 */

/** Histories a plain `npm test` checks: enough to catch a broken rule, small enough for a minute on a shared machine. */
export const referenceRunsDefault = 200;
const runs = Number(process.env['REFERENCE_RUNS'] ?? referenceRunsDefault);
const seed = process.env['REFERENCE_SEED'] === undefined ? 20261201 : Number(process.env['REFERENCE_SEED']);

describe('the ledger and the reference model', () => {
  it(`agree on ${runs} random histories`, async () => {
    await fc.assert(
      fc.asyncProperty(planArbitrary, async (plan) => {
        const history = buildHistory(plan);
        await checkHistory(history, await inProcessLedger(history.approvalAbove));
      }),
      { numRuns: runs, seed },
    );
    expect(runs).toBeGreaterThan(0);
  }, 120_000);
});
