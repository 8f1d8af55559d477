import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce, ledger } from '../cli/support.js';
import { Client, type Json } from './support/client.js';
import { documentProblems, readLog, seedFleet, UsageSource, type Fleet } from './support/fleet.js';
import { serverEnv, startServer, temporaryDirectory, type Exit, type LedgerServer } from './support/ledger-server.js';

/**
 * The moment a kill at random almost never hits (crash.e2e.spec.ts): the store has committed,
 * and the answer has not left. `ledger serve` is made to SIGKILL itself right there
 * (apps/api/src/cli/fault-injection.ts) after a usage batch, a billing run and a checkpoint's
 * digest; the restart must hold the write once, answer its retry as a repeat, and number
 * documents without a gap.
 */

const faultVariable = 'LEDGER_FAULT_INJECTION_KILL_AFTER_COMMIT';
const billingDate = '2025-03-01T00:00:00Z';

let directory: ReturnType<typeof temporaryDirectory>;
let server: LedgerServer | undefined;
let fleet: Fleet;

beforeAll(async () => {
  buildOnce();
  directory = temporaryDirectory('commit-crash');
  server = await startServer({ directory: directory.path });
  fleet = await seedFleet(new Client(server.url), { tenants: 3, leasesPerTenant: 2 });
  await server.stopCleanly();
  server = undefined;
}, 120_000);

afterAll(async () => {
  await server?.kill();
  directory?.remove();
});

/** Starts the server with the fault armed, sends the request, and answers how the process ended and what the client saw. */
async function killedAfterCommit(kind: string, send: (client: Client) => Promise<unknown>, env: Record<string, string> = {}): Promise<{ exit: Exit; answered: unknown }> {
  const armed = await startServer({ directory: directory.path, env: { [faultVariable]: kind, ...env } });
  const answered = await send(new Client(armed.url)).catch((error: unknown) => error);
  const exit = await Promise.race([armed.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the server did not die after the ${kind} commit:\n${armed.output()}`)), 20_000))]);
  return { exit, answered };
}

async function restart(env: Record<string, string> = {}): Promise<Client> {
  server = await startServer({ directory: directory.path, env, logLevel: 'info' });
  return new Client(server.url);
}

/** Log lines may reach the pipe after the banner: waits a moment for one. */
async function logged(text: string): Promise<void> {
  const deadlineMs = Date.now() + 10_000;
  while (!server!.output().includes(text) && Date.now() < deadlineMs) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(server!.output()).toContain(text);
}

async function stop(): Promise<void> {
  await server!.stopCleanly();
  server = undefined;
}

describe('killed right after the store committed, before the answer', () => {
  it('a usage batch: in the log once after the restart, its retry answered as a repeat', async () => {
    const records = new UsageSource(fleet.leases).batch('killed', 600);
    const { exit, answered } = await killedAfterCommit('usage-batch', (client) => client.request('POST', '/v1/usage', { as: 'metering', body: { records } }));
    expect(exit.signal).toBe('SIGKILL');
    // No answer left the process: the connection broke.
    expect(answered).toBeInstanceOf(Error);

    const client = await restart();
    const readings = (await readLog(client)).filter((event) => event.type === 'UsageRecorded').map((event) => event.data['readingId'] as string);
    expect(new Set(readings).size).toBe(readings.length);
    expect(readings.filter((id) => records.some((record) => record.readingId === id))).toHaveLength(records.length);
    const retry = await client.expect<Json>(202, 'POST', '/v1/usage', { as: 'metering', body: { records } });
    expect(retry.body).toEqual({ accepted: 0, duplicates: records.length });
    await stop();
  }, 90_000);

  it('a billing run: there once with all its documents, its retry answered 200 with the same documents, numbers gap-free', async () => {
    const { exit, answered } = await killedAfterCommit('billing-run', (client) => client.request('POST', '/v1/billing-runs', { as: 'billing', body: { billingDate } }));
    expect(exit.signal).toBe('SIGKILL');
    expect(answered).toBeInstanceOf(Error);

    const client = await restart();
    const runs = (await client.expect<Json>(200, 'GET', '/v1/billing-runs', { as: 'finance' })).body['runs'] as Json[];
    expect(runs.filter((run) => run['billingDate'] === billingDate)).toHaveLength(1);
    expect(await documentProblems(client)).toEqual([]);
    const { body: listed } = await client.expect<Json>(200, 'GET', '/v1/invoices', { as: 'finance' });
    const numbers = (listed['invoices'] as Json[]).map((invoice) => invoice['invoiceId'] as string).sort();
    expect(numbers).toEqual(fleet.tenantIds.map((_, index) => `INV-${String(index + 1).padStart(6, '0')}`));
    const retry = await client.expect<Json>(200, 'POST', '/v1/billing-runs', { as: 'billing', body: { billingDate } });
    expect((retry.body['documents'] as Json[]).map((document) => document['invoiceId']).sort()).toEqual(numbers);
    await stop();
  }, 90_000);

  it('a checkpoint: its digest committed, the file never named; the restart rebuilds and verifies, and the next checkpoint is used', async () => {
    const checkpointEnv = { LEDGER_CHECKPOINT_INTERVAL_SECONDS: '1', LEDGER_CHECKPOINT_EVENTS_MIN: '1' };
    const { exit } = await killedAfterCommit('checkpoint', async () => undefined, checkpointEnv);
    expect(exit.signal).toBe('SIGKILL');
    expect(existsSync(join(directory.path, 'model.checkpoint'))).toBe(false);
    expect(readdirSync(directory.path).some((name) => name.startsWith('model.checkpoint.') && name.endsWith('.tmp'))).toBe(true);

    // No periodic checkpoint now: the clean stop writes the next one.
    const atStop = { LEDGER_CHECKPOINT_INTERVAL_SECONDS: '0', LEDGER_CHECKPOINT_EVENTS_MIN: '1' };
    const client = await restart(atStop);
    await logged('model built from the first event');
    const facts = (await readLog(client)).filter((event) => event.type === 'ModelCheckpointed');
    expect(facts).toHaveLength(1);
    expect((await client.expect<Json>(200, 'GET', '/v1/audit/verify', { as: 'auditor' })).body).toMatchObject({ ok: true, model: { checkpointPosition: null, matchesLog: null } });
    await stop();
    const verify = await ledger(['verify', '--json'], serverEnv(directory.path), directory.path);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, model: { matchesLog: true } });
    await restart(atStop);
    await logged('model resumed from the checkpoint');
    await stop();
  }, 90_000);
});
