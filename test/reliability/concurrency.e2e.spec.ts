import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce, ledger } from '../cli/support.js';
import { Client, type Answer, type Json } from './support/client.js';
import { allocationBody, documentProblems, leaseBody, readLog, readingsPerBatch, seedFleet, siteBody, tenantBody, UsageSource, type Fleet, type FleetLease } from './support/fleet.js';
import { serverEnv, startServer, temporaryDirectory, type LedgerServer } from './support/ledger-server.js';

/**
 * Several `ledger serve` processes on one SQLite file at once, each with its own cache of
 * streams and its own model, plus `ledger` commands beside them: racing allocations for the last
 * GPUs of a site, the same usage batches sent to every process at once, and billing runs for
 * one date started everywhere at once. SQLite lets one of them write at a time; everything
 * else (a stream moved by another process, a model behind the log) is the application's job.
 */

const processCount = 3;
/** The contested site: what is left of it after the first allocation is fought over. */
const lastSiteGpus = 64;
const firstAllocationGpus = 40;
const racingAllocations = 30;
const duplicateBatches = 3;
const duplicateBatchRecords = 1_000;
/** Copies of each duplicate batch, sent at once, spread over the processes. */
const copiesPerBatch = 6;

let directory: ReturnType<typeof temporaryDirectory>;
let servers: LedgerServer[] = [];
let clients: Client[] = [];
let fleet: Fleet;

/** The client of the process a request number is sent to: round robin. */
const clientFor = (index: number): Client => clients[index % clients.length]!;

beforeAll(async () => {
  buildOnce();
  directory = temporaryDirectory('concurrency');
  // All processes start at once on a file that does not exist yet: creating it is a race too.
  const starts = await Promise.allSettled(Array.from({ length: processCount }, () => startServer({ directory: directory.path })));
  servers = starts.flatMap((start) => (start.status === 'fulfilled' ? [start.value] : []));
  // One that failed to start fails the file; afterAll then stops the ones that did start.
  const failed = starts.find((start) => start.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  clients = servers.map((server) => new Client(server.url));
  fleet = await seedFleet(clients[0]!, { tenants: 6, leasesPerTenant: 2 });
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.kill()));
  directory?.remove();
});

describe(`${processCount} ledger serve processes on one SQLite file`, () => {
  it('never over-allocates a site when allocations race for its last GPUs on every process', async () => {
    const siteId = 'site-last';
    const leases: FleetLease[] = fleet.tenantIds.map((tenantId) => ({ leaseId: `${tenantId}-last`, tenantId, siteId }));
    await clientFor(1).expect(201, 'POST', '/v1/sites', { as: 'operations', body: siteBody(siteId, lastSiteGpus) });
    // Each lease is signed on another process than the site was commissioned on.
    for (const [index, lease] of leases.entries()) await clientFor(index + 2).expect(201, 'POST', '/v1/leases', { as: 'finance', body: leaseBody(lease) });
    await clientFor(0).expect(201, 'POST', '/v1/allocations', { as: 'operations', body: allocationBody(leases[0]!, firstAllocationGpus) });

    const requests = Array.from({ length: racingAllocations }, (_, index) => {
      const lease = leases[index % leases.length]!;
      return { allocationId: `race-${index}`, leaseId: lease.leaseId, siteId, gpuCount: 1 + (index % 4), startsAt: '2025-06-01T00:00:00Z' };
    });
    const answers = await Promise.all(requests.map((body, index) => clientFor(index).post('/v1/allocations', 'operations', body)));
    const unexpected = answers.filter((answer) => ![201, 409, 422].includes(answer.status)).map((answer) => `${answer.status} ${answer.text}`);
    expect(unexpected).toEqual([]);
    const granted = requests.filter((_, index) => answers[index]!.status === 201);
    const grantedGpus = granted.reduce((sum, request) => sum + request.gpuCount, 0);
    const free = lastSiteGpus - firstAllocationGpus - grantedGpus;
    expect(free).toBeGreaterThanOrEqual(0);
    // Free GPUs only shrink here, so whatever was refused for capacity did not fit in what is left.
    for (const [index, request] of requests.entries()) {
      if (answers[index]!.status === 422) expect(request.gpuCount, answers[index]!.text).toBeGreaterThan(free);
    }
    for (const client of clients) {
      const { body } = await client.expect<Json>(200, 'GET', '/v1/reports/capacity?asOf=2025-07-01T00:00:00Z', { as: 'operations' });
      expect((body['sites'] as Json[]).find((site) => site['siteId'] === siteId)).toMatchObject({ gpuCount: lastSiteGpus, allocated: lastSiteGpus - free, free });
    }
    const stream = await clientFor(0).expect<Json>(200, 'GET', `/v1/audit/streams/site-${siteId}`, { as: 'auditor' });
    const allocated = (stream.body['events'] as Json[]).filter((event) => event['type'] === 'CapacityAllocated');
    expect(allocated.map((event) => event['data']['allocationId']).sort()).toEqual(['alloc-' + leases[0]!.leaseId, ...granted.map((request) => request.allocationId)].sort());
    console.info(`allocation race: ${granted.length} of ${racingAllocations} granted (${grantedGpus} GPUs), ${answers.filter((a) => a.status === 422).length} refused for capacity, ${answers.filter((a) => a.status === 409).length} conflicts; ${free} GPUs free`);
  });

  it('records each reading once when the same batches reach every process at once', async () => {
    const source = new UsageSource(fleet.leases, 24 * 30);
    const headBefore = (await readLog(clientFor(0))).at(-1)!.position;
    const batches = Array.from({ length: duplicateBatches }, (_, index) => source.batch(`dup-${index}`, duplicateBatchRecords));
    const sends = batches.flatMap((records, batch) => Array.from({ length: copiesPerBatch }, (_, copy) => ({ batch, records, client: clientFor(batch + copy) })));
    const answers = await Promise.all(sends.map((send) => send.client.post<{ accepted: number; duplicates: number }>('/v1/usage', 'metering', { records: send.records })));
    expect(answers.filter((answer) => answer.status !== 202).map((answer) => `${answer.status} ${answer.text}`)).toEqual([]);
    for (let batch = 0; batch < duplicateBatches; batch += 1) {
      const copies = answers.filter((_, index) => sends[index]!.batch === batch);
      expect(copies.reduce((sum, answer) => sum + answer.body.accepted, 0)).toBe(duplicateBatchRecords);
      expect(copies.reduce((sum, answer) => sum + answer.body.duplicates, 0)).toBe(duplicateBatchRecords * (copiesPerBatch - 1));
    }
    const counts = readingsPerBatch(await readLog(clientFor(1), headBefore + 1));
    expect([...counts.entries()].sort()).toEqual(batches.map((_, index) => [`dup-${index}`, duplicateBatchRecords]));
    // Every process answers the same usage, whichever wrote the readings.
    const lease = fleet.leases[0]!.leaseId;
    const usage = await Promise.all(clients.map((client) => client.expect<Json>(200, 'GET', `/v1/leases/${lease}/usage?month=2025-02`, { as: 'finance' })));
    for (const answer of usage) expect(answer.body['meteredGpuHours']).toBe(usage[0]!.body['meteredGpuHours']);
  });

  it('finds on one process what another just recorded: a correction, a release, a repeated id', async () => {
    const [first, second, third] = clients as [Client, Client, Client];
    const [record] = new UsageSource(fleet.leases, 24 * 200).batch('cross', 1);
    await first.expect(202, 'POST', '/v1/usage', { as: 'metering', body: { records: [record] } });
    await second.expect(201, 'POST', '/v1/usage/corrections', { as: 'metering', body: { correctionId: 'cross-fix', readingId: record!.readingId, gpuHours: '7' } });
    const lease = fleet.leases[1]!;
    await first.expect(201, 'POST', '/v1/allocations', { as: 'operations', body: { ...allocationBody(lease, 1), allocationId: 'cross-alloc' } });
    await third.expect(201, 'POST', '/v1/allocations/cross-alloc/release', { as: 'operations', body: { endsAt: '2026-06-01T00:00:00Z' } });
    // The same new tenant at once everywhere: one is created, the rest see it; other content conflicts.
    const same = await Promise.all(clients.map((client) => client.post('/v1/tenants', 'finance', tenantBody('tenant-raced'))));
    expect(same.map((answer) => answer.status).sort()).toEqual([200, 200, 201]);
    const other = await Promise.all(clients.map((client, index) => client.post('/v1/tenants', 'finance', { ...tenantBody('tenant-contested'), name: `Name ${index}` })));
    expect(other.map((answer) => answer.status).sort()).toEqual([201, 409, 409]);
  });

  it('issues one set of documents when billing runs for one date start on every process and a ledger command at once, while usage arrives', async () => {
    const source = new UsageSource(fleet.leases, 24 * 250);
    for (const billingDate of ['2025-02-01T00:00:00Z', '2025-03-01T00:00:00Z']) {
      // A command starts slower than a request arrives: it races the first date only, mostly as the one that finds the run done.
      const command = billingDate.startsWith('2025-02') ? ledger(['bill', '--date', billingDate.slice(0, 10), '--json'], serverEnv(directory.path), directory.path) : null;
      // Usage recorded while the runs are decided moves the log, so each process plans on another cut-off.
      const usage = Promise.all(clients.map((client, index) => client.expect(202, 'POST', '/v1/usage', { as: 'metering', body: { records: source.batch(`${billingDate.slice(0, 7)}-during-${index}`, 500) } })));
      const answers: Answer[] = await Promise.all(clients.map((client) => client.post('/v1/billing-runs', 'billing', { billingDate })));
      await usage;
      const cli = await command;
      if (cli !== null) expect(cli.code, cli.stderr).toBe(0);
      const fromCli = cli === null ? null : (JSON.parse(cli.stdout) as Json);
      const statuses = answers.map((answer) => answer.status);
      const created = statuses.filter((status) => status === 201).length + (fromCli?.['outcome'] === 'created' ? 1 : 0);
      expect(created, `statuses ${statuses.join(',')}, command ${String(fromCli?.['outcome'])}`).toBe(1);
      expect(statuses.every((status) => status === 200 || status === 201)).toBe(true);
      for (const answer of answers) expect(answer.body).toEqual(answers[0]!.body);
      if (fromCli !== null) {
        const { outcome: _outcome, ...cliRun } = fromCli;
        expect(cliRun).toEqual(answers[0]!.body);
      }
      expect((answers[0]!.body['documents'] as Json[]).length).toBe(fleet.tenantIds.length);
    }
    for (const client of clients) expect(await documentProblems(client)).toEqual([]);
    const runs = (await clientFor(2).expect<Json>(200, 'GET', '/v1/billing-runs', { as: 'finance' })).body['runs'] as Json[];
    expect(runs.map((run) => run['billingDate'])).toEqual(['2025-02-01T00:00:00Z', '2025-03-01T00:00:00Z']);
  }, 60_000);

  it('answers the same reports on every process, and a rebuild equals them (ledger verify)', async () => {
    const knownAt = new Date(Date.now() + 1_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    for (const path of [`/v1/reports/trial-balance?asOf=2025-04-01T00:00:00Z&knownAt=${knownAt}`, `/v1/reports/revenue?month=2025-02&knownAt=${knownAt}`, `/v1/invoices?knownAt=${knownAt}`]) {
      const answers = await Promise.all(clients.map((client) => client.expect<Json>(200, 'GET', path, { as: 'finance' })));
      for (const answer of answers) expect(answer.text, path).toBe(answers[0]!.text);
    }
    const exits = await Promise.all(servers.map((server) => server.stop()));
    expect(exits.map((exit) => exit.code)).toEqual(servers.map(() => 0));
    const verify = await ledger(['verify', '--json'], serverEnv(directory.path), directory.path);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 60_000);
});
