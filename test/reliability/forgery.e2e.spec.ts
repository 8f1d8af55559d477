import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import { buildOnce, ledger } from '../cli/support.js';
import { withRawConnection } from '../store/sqlite-fixtures.js';
import { Client, type Json } from './support/client.js';
import { allocationBody, leaseBody, siteBody, tenantBody, UsageSource, type FleetLease } from './support/fleet.js';
import { serverEnv, startServer, storePath, temporaryDirectory } from './support/ledger-server.js';

/**
 * Someone with write access to the data directory edits what the chain check alone cannot see:
 * an amount inside the model checkpoint (the header left alone), or the last events of the log
 * (the rest still chains, and chain.verified removed with them). The checkpoint's digest is a
 * fact of the log, so an edited file is told apart and never served; a head written down
 * earlier and pinned in the check proves the log was cut back.
 */

const lease: FleetLease = { leaseId: 'L-F1', tenantId: 'forgery-lab', siteId: 'site-f' };
/** Every clean stop writes a checkpoint (and records its digest), however little changed. */
const env = { LEDGER_CHECKPOINT_EVENTS_MIN: '1' };
const forgedTotal = '9999999.00';

let root: ReturnType<typeof temporaryDirectory>;
let base: string;
/** What INV-000001 really totals. */
let total: string;
/** The head a careful auditor wrote down before the end of the log was cut. */
let pinned: { position: number; hash: string };

beforeAll(async () => {
  buildOnce();
  root = temporaryDirectory('forgery');
  base = join(root.path, 'base');
  const server = await startServer({ directory: base, env });
  const client = new Client(server.url);
  await client.expect(201, 'POST', '/v1/sites', { as: 'operations', body: siteBody(lease.siteId, 100) });
  await client.expect(201, 'POST', '/v1/tenants', { as: 'finance', body: tenantBody(lease.tenantId) });
  await client.expect(201, 'POST', '/v1/leases', { as: 'finance', body: leaseBody(lease) });
  await client.expect(201, 'POST', '/v1/allocations', { as: 'operations', body: allocationBody(lease) });
  await client.expect(202, 'POST', '/v1/usage', { as: 'metering', body: { records: new UsageSource([lease]).batch('f', 30) } });
  await client.expect(201, 'POST', '/v1/billing-runs', { as: 'billing', body: { billingDate: '2025-02-01T00:00:00Z' } });
  total = (await client.expect<Json>(200, 'GET', '/v1/invoices/INV-000001', { as: 'finance' })).body['total'] as string;
  await server.stopCleanly();
  const { body } = await auditVerify(base, []);
  expect(body).toMatchObject({ ok: true, model: { matchesLog: true } });
  pinned = { position: body['headPosition'] as number, hash: body['headHash'] as string };
  withRawConnection(storePath(base), (db) => db.pragma('wal_checkpoint(TRUNCATE)'));
}, 120_000);

afterAll(() => {
  root?.remove();
});

function copyOfBase(name: string): string {
  const directory = join(root.path, name);
  cpSync(base, directory, { recursive: true });
  return directory;
}

/** The invoice's total replaced inside the checkpoint's snapshot; the header still names the right event. */
function forgeCheckpoint(directory: string): void {
  const path = join(directory, 'model.checkpoint');
  const text = readFileSync(path, 'utf8');
  expect(text).toContain(`"total":"${total}"`);
  writeFileSync(path, text.replaceAll(`"total":"${total}"`, `"total":"${forgedTotal}"`));
}

/** Deletes every event after `position`, and fixes up the tables that index them, so the rest reads and chains as a whole log. */
function cutLogAfter(directory: string, position: number): void {
  withRawConnection(storePath(directory), (db) =>
    db.transaction(() => {
      db.prepare('DELETE FROM event_keys WHERE event_key IN (SELECT event_key FROM events WHERE position > ?)').run(position);
      db.prepare('DELETE FROM event_key_collisions WHERE position > ?').run(position);
      db.prepare('DELETE FROM stream_marks WHERE position > ?').run(position);
      db.prepare('DELETE FROM events WHERE position > ?').run(position);
      db.prepare('DELETE FROM streams WHERE stream_key NOT IN (SELECT stream_key FROM events)').run();
      db.prepare(
        'UPDATE streams SET head_position = (SELECT max(position) FROM events e WHERE e.stream_key = streams.stream_key), head_revision = (SELECT max(revision) FROM events e WHERE e.stream_key = streams.stream_key)',
      ).run();
    })(),
  );
}

async function logged(output: () => string, text: string): Promise<void> {
  const deadlineMs = Date.now() + 10_000;
  while (!output().includes(text) && Date.now() < deadlineMs) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(output()).toContain(text);
}

async function verifyCommand(directory: string, args: string[] = []): Promise<{ code: number | null; result: Json }> {
  const run = await ledger(['verify', '--json', ...args], serverEnv(directory, env), directory);
  if (!run.stdout.startsWith('{')) throw new Error(`ledger verify answered no JSON (exit ${run.code}):\n${run.stdout}${run.stderr}`);
  return { code: run.code, result: JSON.parse(run.stdout) as Json };
}

async function auditVerify(directory: string, expectHeads: string[]): Promise<{ body: Json; output: string }> {
  const server = await startServer({ directory, env, logLevel: 'info' });
  try {
    const query = expectHeads.map((head) => `expectHead=${head}`).join('&');
    const { body } = await new Client(server.url).expect<Json>(200, 'GET', `/v1/audit/verify${query === '' ? '' : `?${query}`}`, { as: 'auditor' });
    return { body, output: server.output() };
  } finally {
    await server.stop();
  }
}

describe('a model checkpoint edited on disk', () => {
  it('is never served: the start logs the mismatch, rebuilds from the log and replaces the file; ledger verify fails on it', async () => {
    const directory = copyOfBase('checkpoint-stopped');
    forgeCheckpoint(directory);
    const verified = await verifyCommand(directory);
    expect(verified.code).toBe(1);
    expect(verified.result).toMatchObject({ ok: false, chain: { ok: true }, model: { matchesLog: false } });
    expect(verified.result['model']['reason']).toContain('the file was changed after it was written');

    const server = await startServer({ directory, env, logLevel: 'info' });
    try {
      // Log lines may reach the pipe after the banner: wait a moment for them.
      await logged(() => server.output(), 'model built from the first event');
      expect(server.output()).toContain('the model checkpoint does not match the log');
      const client = new Client(server.url);
      const { body: invoice } = await client.expect<Json>(200, 'GET', '/v1/invoices/INV-000001', { as: 'finance' });
      expect(invoice['total']).toBe(total);
      // The forged file was replaced by a checkpoint of the rebuilt model, its digest recorded.
      const { body: verify } = await client.expect<Json>(200, 'GET', '/v1/audit/verify', { as: 'auditor' });
      expect(verify).toMatchObject({ ok: true, model: { matchesLog: true } });
      expect(readFileSync(join(directory, 'model.checkpoint'), 'utf8')).not.toContain(forgedTotal);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('under a running server: GET /v1/audit/verify answers not ok and names the checkpoint', async () => {
    const directory = copyOfBase('checkpoint-running');
    const server = await startServer({ directory, env });
    try {
      const client = new Client(server.url);
      expect((await client.expect<Json>(200, 'GET', '/v1/audit/verify', { as: 'auditor' })).body).toMatchObject({ ok: true, model: { matchesLog: true } });
      forgeCheckpoint(directory);
      const { body } = await client.expect<Json>(200, 'GET', '/v1/audit/verify', { as: 'auditor' });
      expect(body).toMatchObject({ ok: false, headPosition: pinned.position, model: { checkpointPosition: pinned.position - 1, matchesLog: false } });
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe('a log cut at its end', () => {
  it('holds together on its own, and fails against a head pinned before the cut, in GET /v1/audit/verify and ledger verify', async () => {
    const directory = copyOfBase('cut');
    const kept = pinned.position - 3;
    cutLogAfter(directory, kept);
    // The forger removes the anchor too: the start checks the shortened log from its first event.
    rmSync(join(directory, 'chain.verified'));
    rmSync(join(directory, 'model.checkpoint'));
    const head = `${pinned.position}:${pinned.hash}`;
    const unpinned = await verifyCommand(directory);
    expect(unpinned.result['chain']).toMatchObject({ ok: true, headPosition: kept });

    const pinnedCheck = await verifyCommand(directory, ['--expect-head', head]);
    expect(pinnedCheck.code).toBe(1);
    expect(pinnedCheck.result['chain']).toMatchObject({ ok: false, firstInvalidPosition: kept + 1 });
    expect(pinnedCheck.result['chain']['reason']).toContain(`the log ends at position ${kept} but a pinned head is at position ${pinned.position}`);

    const { body } = await auditVerify(directory, [head]);
    expect(body).toMatchObject({ ok: false, firstInvalidPosition: kept + 1 });
  }, 60_000);

  it('passes with every pinned head it still holds, and fails on a head whose hash differs', async () => {
    const directory = copyOfBase('pinned');
    const store = openSqliteEventStore({ path: storePath(directory) });
    const [earlier] = await store.readAll({ fromPosition: 2, limit: 1 });
    await store.close();
    const heads = [`${pinned.position}:${pinned.hash}`, `2:${earlier!.hash}`];
    const { body } = await auditVerify(directory, heads);
    expect(body).toMatchObject({ ok: true, headPosition: pinned.position });
    const passes = await verifyCommand(directory, heads.flatMap((head) => ['--expect-head', head]));
    expect(passes.code).toBe(0);

    const wrongHash = `2:${'0'.repeat(64)}`;
    const { body: refused } = await auditVerify(directory, [wrongHash]);
    expect(refused).toMatchObject({ ok: false, firstInvalidPosition: 2 });
    expect(refused['reason']).toContain('not the pinned');
    const malformed = await new Promise<number>((resolve) => {
      void ledger(['verify', '--expect-head', '12:nothex'], serverEnv(directory, env), directory).then((run) => resolve(run.code ?? -1));
    });
    expect(malformed).toBe(2);
  }, 60_000);
});
