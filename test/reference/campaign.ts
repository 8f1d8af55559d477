import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { buildHistory, planArbitrary } from './generator.js';
import { checkHistory, inProcessLedger } from './replay.js';

/**
 * A long campaign of the ledger against the reference model:
 *   npm run test:reference -- --runs 5000 [--seed 42]
 * Prints progress, then the number of histories that ran clean, or the failing seed, the shrunk
 * plan and the disagreement (exit code 1).
 */

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1000' }, seed: { type: 'string' } } });
const runs = Number(values.runs);
const seed = values.seed === undefined ? Date.now() % 2_147_483_647 : Number(values.seed);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs must be a positive integer, not ${values.runs}`);
  process.exit(2);
}

const startedMs = Date.now();
let done = 0;
let steps = 0;
const progressEvery = 100;
const result = await fc.check(
  fc.asyncProperty(planArbitrary, async (plan) => {
    const history = buildHistory(plan);
    steps += history.steps.length;
    await checkHistory(history, await inProcessLedger(history.approvalAbove));
    done += 1;
    if (done % progressEvery === 0) console.log(`${done} histories, ${steps} steps, ${Math.round((Date.now() - startedMs) / 1000)} s`);
  }),
  { numRuns: runs, seed },
);
const seconds = Math.round((Date.now() - startedMs) / 1000);
if (result.failed) {
  console.error(fc.defaultReportMessage(result));
  console.error(`seed ${seed}: replay with npm run test:reference -- --runs ${runs} --seed ${seed}`);
  process.exit(1);
}
console.log(`${result.numRuns} histories ran clean against the reference model (seed ${seed}, ${seconds} s)`);
