// The demo seed lives with the `ledger` command; these tests seed through it, in this process,
// so the ledger's clock can be set: the one other import of the application outside apps/api.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { seedDemo } from '@compute-ledger/api';
import { startHarness, type ApiHarness } from '../../e2e/support/api-harness.js';

/**
 * The real API (Nest on Fastify, on a free loopback port) over a fresh SQLite file holding the
 * demo neocloud, as `npm start` serves it. The ledger's clock stands at `seededAt` while the
 * demo is recorded, so every demo fact is known from that instant on; facts recorded later (a
 * correction the test sends) make "as known at" before and after them differ.
 */
export async function startDemoLedger(seededAt: string): Promise<ApiHarness> {
  const harness = await startHarness(seededAt);
  try {
    await seedDemo(harness.ledger);
  } catch (error) {
    await harness.close();
    throw error;
  }
  return harness;
}
