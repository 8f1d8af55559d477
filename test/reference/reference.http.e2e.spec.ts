import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildHistory, planArbitrary } from './generator.js';
import { httpLedger } from './http-ledger.js';
import { checkHistory } from './replay.js';

/**
 * The same comparison as reference.property.int.spec.ts, over HTTP: the real server, each step a
 * request, each report a GET with its query string. Fewer histories: every answer crosses the
 * network stack and the API's validation and serialization.
 */

const httpRuns = Number(process.env['REFERENCE_HTTP_RUNS'] ?? 4);

describe('the HTTP API and the reference model', () => {
  it(`agree on ${httpRuns} random histories`, async () => {
    await fc.assert(
      fc.asyncProperty(planArbitrary, async (plan) => {
        const history = buildHistory(plan);
        await checkHistory(history, await httpLedger(history.steps[0]!.at, history.approvalAbove));
      }),
      { numRuns: httpRuns, seed: 20261202 },
    );
    expect(httpRuns).toBeGreaterThan(0);
  }, 120_000);
});
