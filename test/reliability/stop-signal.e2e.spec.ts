import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../cli/support.js';
import { startServer, temporaryDirectory } from './support/ledger-server.js';

/**
 * A supervisor (systemd, Kubernetes, a test harness) may send SIGTERM the moment `ledger serve`
 * says it listens. The stop must be the graceful one every time: exit code 0, the last
 * checkpoint written. Before the ledger listened for the signal from its first moment, about
 * half such stops died of the signal's default action.
 */

const stops = 8;
let directory: ReturnType<typeof temporaryDirectory>;

beforeAll(() => {
  buildOnce();
  directory = temporaryDirectory('stop-signal');
});

afterAll(() => {
  directory?.remove();
});

describe('SIGTERM right after the banner', () => {
  it(`stops gracefully, ${stops} times out of ${stops}`, async () => {
    for (let stop = 0; stop < stops; stop += 1) {
      const server = await startServer({ directory: directory.path, logLevel: 'info' });
      await server.stopCleanly();
      expect(server.output()).toContain('"msg":"stopping"');
    }
  }, 120_000);
});
