// The demo seed lives with the `ledger` command; these tests seed through it, in this process,
// so the ledger's clock can be set: the one other import of the application outside apps/api.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { demoStoryBegins, seedDemo } from '@compute-ledger/api';
import { startHarness, type ApiHarness } from '../../e2e/support/api-harness.js';

/**
 * The real API (Nest on Fastify, on a free loopback port) over a fresh SQLite file holding the
 * demo neocloud, as `npm start` serves it. The seed moves the test's clock through the demo's
 * story, as `npm start` moves the real one, so each demo fact is recorded at the instant the
 * story learns it; `seededAt` is the story's "now" (nothing after it is recorded) and where
 * the clock stands afterwards, so facts the test records later make "as known at" before and
 * after them differ.
 */
export async function startDemoLedger(seededAt: string): Promise<ApiHarness> {
  const harness = await startHarness(demoStoryBegins);
  try {
    await seedDemo(harness.ledger, {
      nowMs: () => Date.parse(seededAt),
      moveTo: (instantMs) => harness.at(new Date(instantMs).toISOString()),
      release: () => harness.at(seededAt),
    });
  } catch (error) {
    await harness.close();
    throw error;
  }
  return harness;
}
