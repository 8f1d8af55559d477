import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import { buildOnce, ledger } from '../cli/support.js';
import { flipDataByte, withRawConnection } from '../store/sqlite-fixtures.js';
import { Client, type Json } from './support/client.js';
import { allocationBody, leaseBody, siteBody, tenantBody, UsageSource, type FleetLease } from './support/fleet.js';
import { serverEnv, startRefused, startServer, storePath, temporaryDirectory } from './support/ledger-server.js';

/**
 * Someone with write access to the SQLite file changes the log while the server is down: one
 * byte of an event's data, a deleted row, two events swapped, or the whole history rewritten
 * with freshly computed hashes. `GET /v1/audit/verify` and `ledger verify` name the first bad
 * position; `ledger serve` checks the chain from the last verified position (kept in
 * chain.verified) and refuses to start on a mismatch, unless `--allow-unverified`.
 */

const lease: FleetLease = { leaseId: 'L-T1', tenantId: 'tamper-lab', siteId: 'site-t' };

let root: ReturnType<typeof temporaryDirectory>;
/** The ledger as the server left it: verified up to `anchorPosition`, then events up to `headPosition`. */
let base: string;
let anchorPosition: number;
let headPosition: number;

beforeAll(async () => {
  buildOnce();
  root = temporaryDirectory('tamper');
  base = join(root.path, 'base');
  // A first run records the contracts and stops cleanly: chain.verified then names its head.
  const first = await startServer({ directory: base });
  const client = new Client(first.url);
  await client.expect(201, 'POST', '/v1/sites', { as: 'operations', body: siteBody(lease.siteId, 100) });
  await client.expect(201, 'POST', '/v1/tenants', { as: 'finance', body: tenantBody(lease.tenantId) });
  await client.expect(201, 'POST', '/v1/leases', { as: 'finance', body: leaseBody(lease) });
  await client.expect(201, 'POST', '/v1/allocations', { as: 'operations', body: allocationBody(lease) });
  await first.stopCleanly();
  anchorPosition = verifiedRecord(base).position;
  // A second run records usage and dies: its events lie after the last verified position.
  const second = await startServer({ directory: base });
  const again = new Client(second.url);
  await again.expect(202, 'POST', '/v1/usage', { as: 'metering', body: { records: new UsageSource([lease]).batch('t', 30) } });
  await second.kill();
  headPosition = anchorPosition + 30;
  // Settles the WAL into the file, so that a copy of the directory is the whole ledger.
  withRawConnection(storePath(base), (db) => db.pragma('wal_checkpoint(TRUNCATE)'));
}, 120_000);

afterAll(() => {
  root?.remove();
});

function verifiedRecord(directory: string): { position: number; hash: string } {
  return JSON.parse(readFileSync(join(directory, 'chain.verified'), 'utf8')) as { position: number; hash: string };
}

/** A copy of the base ledger to tamper with. */
function copyOfBase(name: string): string {
  const directory = join(root.path, name);
  cpSync(base, directory, { recursive: true });
  return directory;
}

/** Swaps the events at two positions: the log holds the same events in another order. */
function swapEvents(directory: string, first: number, second: number): void {
  withRawConnection(storePath(directory), (db) => {
    const move = db.prepare('UPDATE events SET position = ? WHERE position = ?');
    db.transaction(() => {
      move.run(-1, first);
      move.run(first, second);
      move.run(second, -1);
    })();
  });
}

/**
 * Changes one digit of the first number in an event's data (a reading's 9 GPU-hours become 0):
 * the quiet edit of an amount that fraud would make, which leaves the event readable.
 */
function changeDigit(directory: string, position: number): void {
  withRawConnection(storePath(directory), (db) => {
    const data = db.prepare<[number], string>('SELECT data FROM events WHERE position = ?').pluck().get(position);
    const match = data === undefined ? null : /:"(\d)/.exec(data);
    if (data === undefined || match === null) throw new Error(`no digit to change in the event at ${position}`);
    const index = match.index + 2;
    const digit = String((Number(data[index]) + 1) % 10);
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(data.slice(0, index) + digit + data.slice(index + 1), position);
  });
}

function deleteEvent(directory: string, position: number): void {
  withRawConnection(storePath(directory), (db) => db.prepare('DELETE FROM events WHERE position = ?').run(position));
}

async function verifyCommand(directory: string): Promise<{ code: number | null; result: Json }> {
  const run = await ledger(['verify', '--json'], serverEnv(directory), directory);
  if (!run.stdout.startsWith('{')) throw new Error(`ledger verify answered no JSON (exit ${run.code}):\n${run.stdout}${run.stderr}`);
  return { code: run.code, result: JSON.parse(run.stdout) as Json };
}

/** Starts with --allow-unverified and asks the API to verify the chain. */
async function auditVerify(directory: string, args: string[] = ['--allow-unverified']): Promise<{ verify: Json; output: string; stopCode: number | null }> {
  const server = await startServer({ directory, args });
  const { body } = await new Client(server.url).expect<Json>(200, 'GET', '/v1/audit/verify', { as: 'auditor' });
  const stop = await server.stop();
  return { verify: body, output: server.output(), stopCode: stop.code };
}

// Each case works on its own copy of the ledger, so they run side by side.
describe.concurrent('a log changed behind the server’s back', () => {
  const cases = [
    { name: 'a byte of an event’s data edited', firstBad: () => anchorPosition + 5, tamper: (directory: string) => changeDigit(directory, anchorPosition + 5) },
    { name: 'an event row deleted', firstBad: () => anchorPosition + 7, tamper: (directory: string) => deleteEvent(directory, anchorPosition + 7) },
    { name: 'two events swapped', firstBad: () => anchorPosition + 3, tamper: (directory: string) => swapEvents(directory, anchorPosition + 3, anchorPosition + 9) },
  ];

  for (const tamperCase of cases) {
    it(`${tamperCase.name}: named by verify, refused at start, served only with --allow-unverified`, async ({ expect }) => {
      const directory = copyOfBase(tamperCase.name.replace(/\W+/g, '-'));
      tamperCase.tamper(directory);
      const firstBad = tamperCase.firstBad();
      expect(firstBad).toBeLessThanOrEqual(headPosition);

      const [refused, verified] = await Promise.all([startRefused({ directory }), verifyCommand(directory)]);
      expect(refused.listened).toBe(false);
      expect(refused.code, refused.output).toBe(1);
      expect(refused.output).toContain(`the first bad position is ${firstBad}:`);
      expect(refused.output).toContain('--allow-unverified');
      expect(refused.output).not.toMatch(/\bat .+\.js:\d+/);
      expect(verified.code).toBe(1);
      expect(verified.result['chain']).toMatchObject({ ok: false, firstInvalidPosition: firstBad });

      const anchorBefore = verifiedRecord(directory);
      const { verify, output, stopCode } = await auditVerify(directory);
      expect(stopCode).toBe(0);
      expect(verify).toMatchObject({ ok: false, firstInvalidPosition: firstBad });
      expect(output).toMatch(/"level":40.*first bad position is/);
      // Serving it anyway does not bless it: the last verified position stays, so the next start refuses again.
      expect(verifiedRecord(directory)).toEqual(anchorBefore);
    }, 60_000);
  }

  it('an event edited so that it no longer reads: with --allow-unverified still refused, naming the position, since no model can be built from it; verify names it too', async ({ expect }) => {
    const directory = copyOfBase('unreadable');
    const position = anchorPosition + 4;
    withRawConnection(storePath(directory), (db) => flipDataByte(db, position));
    const allowed = await startRefused({ directory, args: ['--allow-unverified'] });
    expect(allowed.listened).toBe(false);
    expect(allowed.code, allowed.output).toBe(1);
    expect(allowed.output).toContain(`the first bad position is ${position}:`);
    expect(allowed.output).toContain('The model cannot be built from this log either');
    // The chain is checked before any model folds the event, so verify names where the log was
    // changed rather than failing on what the change breaks, and does not rebuild from it.
    const verified = await verifyCommand(directory);
    expect(verified.code).toBe(1);
    expect(verified.result).toMatchObject({ ok: false, chain: { ok: false, firstInvalidPosition: position }, rebuild: { ok: false, skipped: expect.any(String) } });
    const verifiedText = await ledger(['verify'], serverEnv(directory), directory);
    expect(verifiedText.code, verifiedText.stderr).toBe(1);
    expect(verifiedText.stdout).toContain(`hash chain: BROKEN at position ${position}:`);
    expect(verifiedText.stderr).toContain(`the first bad position is ${position}:`);
    expect(verifiedText.stdout + verifiedText.stderr).not.toMatch(/BigInt|SyntaxError|\bat .+\.js:\d+/);
  }, 60_000);

  it('an event whose stored JSON no longer parses: verify names its position and the reason', async ({ expect }) => {
    const directory = copyOfBase('not-json');
    const position = anchorPosition + 6;
    withRawConnection(storePath(directory), (db) => {
      const data = db.prepare<[number], string>('SELECT data FROM events WHERE position = ?').pluck().get(position)!;
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(data.slice(0, -2), position);
    });
    const verified = await verifyCommand(directory);
    expect(verified.code).toBe(1);
    expect(verified.result).toMatchObject({ ok: false, chain: { ok: false, firstInvalidPosition: position, reason: expect.stringContaining('not JSON') }, rebuild: { ok: false } });
    const verifiedText = await ledger(['verify'], serverEnv(directory), directory);
    expect(verifiedText.code, verifiedText.stderr).toBe(1);
    expect(verifiedText.stderr).toContain(`the first bad position is ${position}: the row cannot be parsed`);
    expect(verifiedText.stdout + verifiedText.stderr).not.toMatch(/SyntaxError|\bat .+\.js:\d+/);
  }, 60_000);

  it('a history rewritten with freshly computed hashes: the chain holds together, the start refuses at the last verified position', async ({ expect }) => {
    const directory = copyOfBase('rewritten');
    // The forger replays every event into a new file, changing the tenant's name on the way:
    // every hash is right for the new content, so only the kept anchor can tell.
    const original = openSqliteEventStore({ path: storePath(base) });
    const events = await original.readAll({ limit: 10_000 });
    await original.close();
    expect(events.length).toBe(headPosition + 1);
    rmSync(storePath(directory), { force: true });
    const forged = openSqliteEventStore({ path: storePath(directory) });
    for (const event of events) {
      const data = event.type === 'TenantRegistered' ? { ...event.data, name: 'Someone Else' } : event.data;
      await forged.append(event.streamId, [{ eventId: event.eventId, type: event.type, schemaVersion: event.schemaVersion, data, metadata: event.metadata }], 'any');
    }
    await forged.close();
    rmSync(join(directory, 'model.checkpoint'), { force: true });

    const [verified, refused] = await Promise.all([verifyCommand(directory), startRefused({ directory })]);
    expect(verified.result['chain']).toMatchObject({ ok: true });
    expect(refused.code, refused.output).toBe(1);
    expect(refused.output).toContain(`the first bad position is ${anchorPosition}:`);
  }, 60_000);

  it('an edit before the last verified position: the start checks from there on, the full check names the edit; a start without chain.verified checks from the first event', async ({ expect }) => {
    const directory = copyOfBase('before-anchor');
    const edited = 1;
    expect(edited).toBeLessThan(anchorPosition);
    withRawConnection(storePath(directory), (db) => flipDataByte(db, edited));
    // The start checks from the anchor on (so that a start stays quick on a large log) and
    // finds the events after it sound; the edit behind it is for the full check, which the
    // API and the command both run.
    const [{ verify, stopCode }, verified] = await Promise.all([auditVerify(directory, []), verifyCommand(directory)]);
    expect(stopCode).toBe(0);
    expect(verify).toMatchObject({ ok: false, firstInvalidPosition: edited });
    expect(verified.result['chain']).toMatchObject({ ok: false, firstInvalidPosition: edited });
    // The clean stop checked what came after the anchor and moved it to the head.
    expect(verifiedRecord(directory).position).toBe(headPosition);
    rmSync(join(directory, 'chain.verified'));
    const refused = await startRefused({ directory });
    expect(refused.code, refused.output).toBe(1);
    expect(refused.output).toContain(`the first bad position is ${edited}:`);
    expect(refused.output).toContain('from the first event');
  }, 60_000);
});
