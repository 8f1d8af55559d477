import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce, ledger } from '../cli/support.js';
import { Client, type Answer, type Json } from './support/client.js';
import { documentProblems, readingGpuHours, readLog, readingsPerBatch, seedFleet, UsageSource, type Fleet, type LoggedEvent, type UsageRecord } from './support/fleet.js';
import { serverEnv, startServer, temporaryDirectory, type LedgerServer } from './support/ledger-server.js';

/**
 * `ledger serve` killed with SIGKILL at random moments, while metering clients send batches of
 * 1,000 to 3,000 readings over many leases, and right after a billing run was asked for. After
 * each kill the server is started again on the same file, and the log must hold every batch
 * that was acknowledged (202) exactly once, no batch in part, gap-free invoice numbers, a run
 * either whole or absent, an intact hash chain, and projections equal to a rebuild.
 */

const ingestRounds = 3;
const ingestWorkers = 2;
const batchRecordsMin = 1_000;
const batchRecordsMax = 3_000;
/** The kill comes this long after the first acknowledgement, plus a random part: anywhere in a batch. */
const killAfterFirstAckMs = 300;
const killSpreadMs = 1_200;
/** Rounds after the first also ask for a billing run and are killed right after asking. */
const billingDates = ['2026-09-01T00:00:00Z', '2026-10-01T00:00:00Z'];
/** The kill after a billing run was sent lands before, during or after its append. */
const billingKillSpreadMs = 400;

let directory: ReturnType<typeof temporaryDirectory>;
let server: LedgerServer;
let client: Client;
let fleet: Fleet;
let source: UsageSource;
/** Every reading in the log so far, by lease and month, for the comparison with the projection. */
const loggedReadings = new Map<string, Set<string>>();
let logPosition = 0;

beforeAll(async () => {
  buildOnce();
  directory = temporaryDirectory('crash');
  server = await startServer({ directory: directory.path });
  client = new Client(server.url);
  fleet = await seedFleet(client, { tenants: 12, leasesPerTenant: 5 });
  source = new UsageSource(fleet.leases);
  await absorbLog();
}, 120_000);

afterAll(async () => {
  await server?.kill();
  directory?.remove();
});

async function restart(): Promise<void> {
  server = await startServer({ directory: directory.path });
  client = new Client(server.url);
}

/** Reads the log from where the last call stopped and files its readings by lease and month. */
async function absorbLog(): Promise<LoggedEvent[]> {
  const events = await readLog(client, logPosition);
  for (const event of events) {
    if (event.type === 'UsageRecorded') {
      const key = `${String(event.data['leaseId'])} ${String(event.data['periodStart']).slice(0, 7)}`;
      const readings = loggedReadings.get(key) ?? new Set<string>();
      readings.add(event.eventId);
      loggedReadings.set(key, readings);
    }
    logPosition = event.position + 1;
  }
  return events;
}

interface Round {
  sent: Map<string, UsageRecord[]>;
  acknowledged: Set<string>;
  refusals: string[];
  /** The answer to the billing run asked for right before the kill: null when none came. */
  billing: Answer | null;
}

/**
 * Metering clients send batches until the server dies under them. The kill comes at a random
 * moment; with `billingDate`, a billing run is asked for first and the kill follows right after.
 */
async function ingestUntilKilled(round: number, billingDate: string | undefined): Promise<Round> {
  const sent = new Map<string, UsageRecord[]>();
  const acknowledged = new Set<string>();
  const refusals: string[] = [];
  let billing: Promise<Answer | null> = Promise.resolve(null);
  let killed = false;
  let killing: Promise<unknown> | null = null;
  let batchNumber = 0;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const kill = async () => {
    await pause(killAfterFirstAckMs + Math.random() * killSpreadMs);
    if (billingDate !== undefined) {
      billing = client.post('/v1/billing-runs', 'billing', { billingDate }).catch(() => null);
      await pause(Math.random() * billingKillSpreadMs);
    }
    killed = true;
    return server.kill();
  };
  const worker = async () => {
    while (!killed) {
      const batchId = `r${round}-b${batchNumber}`;
      batchNumber += 1;
      const size = batchRecordsMin + Math.floor(Math.random() * (batchRecordsMax - batchRecordsMin + 1));
      const records = source.batch(batchId, size);
      sent.set(batchId, records);
      let answer;
      try {
        answer = await client.post('/v1/usage', 'metering', { records });
      } catch {
        // The connection died with the server: this batch has no answer.
        return;
      }
      if (answer.status !== 202 || answer.body['accepted'] !== size) refusals.push(`${batchId}: ${answer.status} ${answer.text.slice(0, 300)}`);
      else acknowledged.add(batchId);
      killing ??= kill();
    }
  };
  await Promise.all(Array.from({ length: ingestWorkers }, worker));
  await killing;
  return { sent, acknowledged, refusals, billing: await billing };
}

describe('ledger serve killed with SIGKILL', () => {
  it(`keeps every acknowledged usage batch exactly once, no batch in part, and a billing run whole or absent, over ${ingestRounds} kills`, async () => {
    for (let round = 1; round <= ingestRounds; round += 1) {
      const billingDate = billingDates[round - 2];
      const runsBefore = (await client.expect<Json>(200, 'GET', '/v1/billing-runs', { as: 'finance' })).body['runs'] as Json[];
      const { sent, acknowledged, refusals, billing } = await ingestUntilKilled(round, billingDate);
      expect(refusals).toEqual([]);
      expect(acknowledged.size).toBeGreaterThan(0);
      await restart();
      const counts = readingsPerBatch(await absorbLog());
      const unacknowledged = [...sent.keys()].filter((batchId) => !acknowledged.has(batchId));
      for (const batchId of acknowledged) expect(counts.get(batchId), `acknowledged batch ${batchId}`).toBe(sent.get(batchId)!.length);
      // A batch without an answer is all there (committed just before the kill) or not at all.
      for (const batchId of unacknowledged) expect([0, sent.get(batchId)!.length], `unacknowledged batch ${batchId}`).toContain(counts.get(batchId) ?? 0);
      for (const batchId of counts.keys()) expect(sent.has(batchId), `batch ${batchId} in the log was sent`).toBe(true);
      expect((await client.get('/v1/audit/verify', 'auditor')).body).toMatchObject({ ok: true });

      // The metering pipeline sends what it has no answer for again: the rest is recorded, nothing twice.
      for (const batchId of unacknowledged) {
        const records = sent.get(batchId)!;
        const before = counts.get(batchId) ?? 0;
        const answer = await client.expect(202, 'POST', '/v1/usage', { as: 'metering', body: { records } });
        expect(answer.body).toEqual({ accepted: records.length - before, duplicates: before });
      }
      // A batch answered before the kill and sent again (its answer was lost on the way) counts once.
      const repeated = [...acknowledged].at(-1)!;
      const repeat = await client.expect(202, 'POST', '/v1/usage', { as: 'metering', body: { records: sent.get(repeated) } });
      expect(repeat.body).toEqual({ accepted: 0, duplicates: sent.get(repeated)!.length });
      const resent = readingsPerBatch(await absorbLog());
      expect(resent.has(repeated)).toBe(false);
      for (const batchId of unacknowledged) expect((counts.get(batchId) ?? 0) + (resent.get(batchId) ?? 0)).toBe(sent.get(batchId)!.length);
      const committedUnanswered = unacknowledged.filter((batchId) => (counts.get(batchId) ?? 0) > 0).length;
      let billed = '';
      if (billingDate !== undefined) billed = `; billing run ${billingDate} ${await checkBillingRun(billingDate, runsBefore.length, billing)}`;
      console.info(`crash round ${round}: ${acknowledged.size} batches acknowledged, ${unacknowledged.length} without an answer (${committedUnanswered} of them committed)${billed}`);
    }
  }, 120_000);

  it('answers the usage of every lease as the log has it after the kills', async () => {
    const mismatches: string[] = [];
    const months = new Set([...loggedReadings.keys()].map((key) => key.split(' ')[1]!));
    for (const lease of fleet.leases) {
      for (const month of months) {
        const { body } = await client.expect<Json>(200, 'GET', `/v1/leases/${lease.leaseId}/usage?month=${month}`, { as: 'finance' });
        const served = new Set((body['readings'] as { eventId: string }[]).map((reading) => reading.eventId));
        const logged = loggedReadings.get(`${lease.leaseId} ${month}`) ?? new Set<string>();
        if (served.size !== logged.size || [...logged].some((eventId) => !served.has(eventId))) mismatches.push(`${lease.leaseId} ${month}: ${served.size} served, ${logged.size} logged`);
        if (body['meteredGpuHours'] !== String(logged.size * Number(readingGpuHours))) mismatches.push(`${lease.leaseId} ${month}: metered ${body['meteredGpuHours']} for ${logged.size} readings`);
      }
    }
    expect(mismatches).toEqual([]);
  }, 60_000);

  it('rebuilds from the log exactly what the restarted server holds (ledger verify)', async () => {
    await server.stopCleanly();
    const verify = await ledger(['verify', '--json'], serverEnv(directory.path), directory.path);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, chain: { ok: true }, rebuild: { ok: true } });
  }, 60_000);
});

/**
 * After a kill right after a billing run was asked for: the run is there with all its documents
 * or not at all, numbers have no gap, and asking again completes it. Answers what happened.
 */
async function checkBillingRun(billingDate: string, runsBefore: number, answered: Answer | null): Promise<string> {
  const runs = (await client.expect<Json>(200, 'GET', '/v1/billing-runs', { as: 'finance' })).body['runs'] as Json[];
  const present = runs.some((run) => run['billingDate'] === billingDate);
  // An answered run is durable; an unanswered one may or may not have committed.
  if (answered?.status === 201) expect(present).toBe(true);
  expect(runs.length).toBe(runsBefore + (present ? 1 : 0));
  expect(await documentProblems(client)).toEqual([]);
  const again = await client.expect<Json>(present ? 200 : 201, 'POST', '/v1/billing-runs', { as: 'billing', body: { billingDate } });
  expect((again.body['documents'] as Json[]).length).toBe(fleet.tenantIds.length);
  expect(await documentProblems(client)).toEqual([]);
  return present ? 'committed before the kill' : 'not committed, and complete when asked again';
}
