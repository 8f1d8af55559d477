import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../cli/support.js';
import { Client } from './support/client.js';
import { siteBody } from './support/fleet.js';
import { startServer, storePath, temporaryDirectory } from './support/ledger-server.js';

/**
 * The store holds every tenant's contracts, usage and invoices, and the data directory the
 * admin key: `ledger serve` creates the directory for its owner only (0700) and every file in
 * it readable by its owner only (0600), whatever the umask lets through, and narrows a store
 * file that others could read.
 */

let root: ReturnType<typeof temporaryDirectory>;

beforeAll(() => {
  buildOnce();
  root = temporaryDirectory('modes');
});

afterAll(() => {
  root?.remove();
});

function modeOf(path: string): string {
  return (statSync(path).mode & 0o777).toString(8).padStart(4, '0');
}

describe('file modes of the data directory', () => {
  it('creates the directory 0700 and the store, its WAL and shared memory, the checkpoint, the anchor and the admin key 0600', async () => {
    const directory = join(root.path, 'fresh', 'data');
    // With the umask most systems use, files would otherwise be created readable by everyone.
    const server = await startServer({ directory, env: { LEDGER_API_KEYS: '', LEDGER_CHECKPOINT_EVENTS_MIN: '1' } });
    try {
      expect(modeOf(directory)).toBe('0700');
      expect(modeOf(join(root.path, 'fresh'))).toBe('0700');
      const adminKey = /admin key: (\S+)/.exec(server.output())?.[1];
      expect(adminKey).toBeDefined();
      const client = new Client(server.url);
      const answer = await fetch(`${client.url}/v1/sites`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify(siteBody('site-m', 10)) });
      expect(answer.status).toBe(201);
      for (const suffix of ['', '-wal', '-shm']) expect(modeOf(`${storePath(directory)}${suffix}`), suffix).toBe('0600');
    } finally {
      await server.stopCleanly();
    }
    expect(existsSync(join(directory, 'model.checkpoint'))).toBe(true);
    // Files 0600; the folders the ledger keeps in it (the webhooks' files, the demo's keys) 0700.
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      expect(modeOf(path), name).toBe(statSync(path).isDirectory() ? '0700' : '0600');
    }
  }, 60_000);

  it('narrows a store file that others can read to 0600 when it opens it', async () => {
    const directory = join(root.path, 'fresh', 'data');
    chmodSync(storePath(directory), 0o644);
    const server = await startServer({ directory });
    try {
      expect(modeOf(storePath(directory))).toBe('0600');
    } finally {
      await server.stop();
    }
  }, 60_000);
});
