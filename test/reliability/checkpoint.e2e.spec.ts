import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce, ledger } from '../cli/support.js';
import { Client, type Json } from './support/client.js';
import { headPosition, readLog, seedFleet, UsageSource } from './support/fleet.js';
import { serverEnv, startServer, temporaryDirectory, type LedgerServer } from './support/ledger-server.js';

/**
 * `ledger serve` writes the model checkpoint while it runs, not only at a clean stop: killed
 * with SIGKILL, it restarts from the last periodic checkpoint and replays only the events
 * after it, and the model it ends up with still equals a rebuild from the first event.
 */

/** A short interval and a small threshold, so that a checkpoint follows the first batch within seconds. */
const checkpointEventsMin = 500;
const checkpointEnv = { LEDGER_CHECKPOINT_INTERVAL_SECONDS: '1', LEDGER_CHECKPOINT_EVENTS_MIN: String(checkpointEventsMin) };
/** Readings recorded after the checkpoint: fewer than the threshold, so no later checkpoint takes them in. */
const tailReadings = 100;
const checkpointWaitMs = 30_000;

let directory: ReturnType<typeof temporaryDirectory>;
let server: LedgerServer | undefined;

beforeAll(() => {
  buildOnce();
  directory = temporaryDirectory('checkpoint');
});

afterAll(async () => {
  await server?.kill();
  directory?.remove();
});

/** The JSON log lines of a server whose message matches `pattern`. */
function logLines(output: string, pattern: RegExp): Json[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{') && pattern.test(line))
    .map((line) => JSON.parse(line) as Json);
}

/** Waits until the server logs a checkpoint written at `position` or later; answers that position. */
async function checkpointWritten(running: LedgerServer, position: number): Promise<number> {
  const deadlineMs = Date.now() + checkpointWaitMs;
  while (Date.now() < deadlineMs) {
    const written = logLines(running.output(), /model checkpoint written/).map((line) => Number(line['position']));
    const reached = written.find((writtenPosition) => writtenPosition >= position);
    if (reached !== undefined) return reached;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no model checkpoint at position ${position} or later was written in ${checkpointWaitMs} ms:\n${running.output()}`);
}

describe('ledger serve killed with SIGKILL after a periodic checkpoint', () => {
  it('restarts from the checkpoint, replaying only the events after it, to a model that equals a rebuild', async () => {
    server = await startServer({ directory: directory.path, env: checkpointEnv, logLevel: 'info' });
    expect(logLines(server.output(), /model built from the first event/)).toHaveLength(1);
    const client = new Client(server.url);
    const fleet = await seedFleet(client, { tenants: 2, leasesPerTenant: 2 });
    const source = new UsageSource(fleet.leases);
    await client.expect(202, 'POST', '/v1/usage', { as: 'metering', body: { records: source.batch('cp-1', 1_000) } });
    // The last fact of the batch: a checkpoint may already have followed it, with its digest.
    const ingested = Math.max(...(await readLog(client)).filter((event) => event.type !== 'ModelCheckpointed').map((event) => event.position));
    const checkpointed = await checkpointWritten(server, ingested);

    // Recorded after the checkpoint, then the server dies without a chance to write another.
    await client.expect(202, 'POST', '/v1/usage', { as: 'metering', body: { records: source.batch('cp-2', tailReadings) } });
    const head = await headPosition(client, ingested);
    // The checkpoint's digest, recorded in the log right after the position it covers, then the tail.
    expect(head).toBe(checkpointed + 1 + tailReadings);
    expect((await server.kill()).signal).toBe('SIGKILL');

    server = await startServer({ directory: directory.path, env: checkpointEnv, logLevel: 'info' });
    const [resumed] = logLines(server.output(), /model resumed from the checkpoint/);
    expect(resumed, server.output()).toMatchObject({ resumedFrom: checkpointed, position: head, eventsReplayed: 1 + tailReadings });
    expect(logLines(server.output(), /model built from the first event/)).toEqual([]);
    const restarted = new Client(server.url);
    const { body: usage } = await restarted.expect<Json>(200, 'GET', `/v1/leases/${fleet.leases[0]!.leaseId}/usage?month=2025-01`, { as: 'finance' });
    expect(usage['readings']).toHaveLength((1_000 + tailReadings) / fleet.leases.length);

    // A clean stop ends the periodic checkpoints and writes the last one; the model it holds
    // (the periodic checkpoint plus the replayed events) equals a rebuild from the first event.
    await server.stopCleanly();
    server = undefined;
    const verify = await ledger(['verify', '--json'], serverEnv(directory.path), directory.path);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, chain: { ok: true, headPosition: head }, rebuild: { ok: true, position: head } });
  }, 120_000);
});
