import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce, ledger, type Run } from '../cli/support.js';
import { Client, type Answer } from './support/client.js';
import { allocationBody, inParallel, leaseBody, siteBody, tenantBody, UsageSource, type FleetLease } from './support/fleet.js';
import { authorizationHeader, contentTypes, deeplyNestedJson, junkQuery, leaks, LogWatch, mutate, mutation, refusalProblems } from './support/hostile.js';
import { keys, serverEnv, startServer, temporaryDirectory, type KeyName, type LedgerServer } from './support/ledger-server.js';

/**
 * Hostile input against every write endpoint of a real server: valid bodies mutated at random
 * (fields dropped, wrong types, numbers for decimals, huge strings, unicode, nested junk,
 * prototype-pollution keys, deep nesting), with random content types, authorization headers,
 * query strings and path ids. Whatever comes in: never a 5xx, every refusal a problem+json
 * answer that leaks nothing, and a refused request leaves the log exactly as it was. Then the
 * same for `ledger import usage` with broken files.
 */

/** Runs per endpoint (about 1 s each on a 2-core machine) and mutated files to import (a process each). */
const runsPerEndpoint = 50;
const importRuns = 2;
const lease: FleetLease = { leaseId: 'fz-lease', tenantId: 'fz-tenant', siteId: 'fz-site' };

let directory: ReturnType<typeof temporaryDirectory>;
let server: LedgerServer;
let client: Client;
let watch: LogWatch;
let readingId: string;
const tally = { requests: 0, accepted: 0, refused: new Map<number, number>() };

beforeAll(async () => {
  buildOnce();
  directory = temporaryDirectory('fuzz');
  server = await startServer({ directory: directory.path, logLevel: 'info' });
  client = new Client(server.url);
  await client.expect(201, 'POST', '/v1/sites', { as: 'operations', body: siteBody(lease.siteId, 1_000) });
  await client.expect(201, 'POST', '/v1/tenants', { as: 'finance', body: tenantBody(lease.tenantId) });
  await client.expect(201, 'POST', '/v1/leases', { as: 'finance', body: leaseBody(lease) });
  await client.expect(201, 'POST', '/v1/allocations', { as: 'operations', body: allocationBody(lease) });
  await client.expect(201, 'POST', '/v1/allocations', { as: 'operations', body: { ...allocationBody(lease, 2), allocationId: 'fz-released' } });
  const records = new UsageSource([lease]).batch('fz-seed', 48);
  readingId = records[0]!.readingId;
  await client.expect(202, 'POST', '/v1/usage', { as: 'metering', body: { records } });
  await client.expect(201, 'POST', '/v1/billing-runs', { as: 'billing', body: { billingDate: '2025-02-01T00:00:00Z' } });
  watch = new LogWatch(client);
  await watch.moved();
}, 120_000);

afterAll(async () => {
  await server?.kill();
  directory?.remove();
});

interface WriteEndpoint {
  route: string;
  /** The path with its ids filled in; a random id replaces `{id}` sometimes. */
  path: string;
  role: KeyName;
  contentType: string;
  body: unknown;
}

/** One valid request per write endpoint (API.md), each a starting point for mutations. */
function writeEndpoints(): WriteEndpoint[] {
  const json = 'application/json';
  const [reading] = new UsageSource([lease], 24 * 40).batch('fz-valid', 1);
  const cloudEvent = { specversion: '1.0', id: 'fz-ce-1', source: 'meter-fz', type: 'gpu.usage.v1', subject: lease.leaseId, datacontenttype: 'application/json', data: { periodStart: '2025-03-01T00:00:00Z', periodEnd: '2025-03-01T01:00:00Z', gpuHours: '4.5' } };
  return [
    { route: 'POST /v1/tenants', path: '/v1/tenants', role: 'finance', contentType: json, body: tenantBody('fz-tenant-2') },
    { route: 'POST /v1/sites', path: '/v1/sites', role: 'operations', contentType: json, body: { ...siteBody('fz-site-2', 64), powerMw: '12.5' } },
    { route: 'POST /v1/leases', path: '/v1/leases', role: 'finance', contentType: json, body: { ...leaseBody({ ...lease, leaseId: 'fz-lease-2' }), commitmentBilling: 'arrears', sla: [{ availabilityBelowPct: '99.9', creditPct: '10' }] } },
    { route: 'POST /v1/leases/{leaseId}/amendments', path: `/v1/leases/${lease.leaseId}/amendments`, role: 'finance', contentType: json, body: { amendmentId: 'fz-am', effectiveAt: '2026-03-01T00:00:00Z', commitment: [{ effectiveFrom: '2026-03-01T00:00:00Z', gpuCount: 9, ratePerGpuHour: '2.10' }], overageRatePerGpuHour: '3.10' } },
    { route: 'POST /v1/leases/{leaseId}/termination', path: `/v1/leases/${lease.leaseId}/termination`, role: 'finance', contentType: json, body: { effectiveAt: '2026-12-15T00:00:00Z', terminationFee: '1000.00' } },
    { route: 'POST /v1/allocations', path: '/v1/allocations', role: 'operations', contentType: json, body: { ...allocationBody(lease, 3), allocationId: 'fz-alloc-2', startsAt: '2025-06-01T00:00:00Z' } },
    { route: 'POST /v1/allocations/{allocationId}/release', path: '/v1/allocations/fz-released/release', role: 'operations', contentType: json, body: { endsAt: '2026-06-01T00:00:00Z' } },
    { route: 'POST /v1/outages', path: '/v1/outages', role: 'operations', contentType: json, body: { outageId: 'fz-out', leaseId: lease.leaseId, startsAt: '2025-03-01T00:00:00Z', endsAt: '2025-03-01T02:00:00Z', affectedGpus: 2 } },
    { route: 'POST /v1/usage', path: '/v1/usage', role: 'metering', contentType: json, body: { records: [reading] } },
    { route: 'POST /v1/usage (CloudEvents)', path: '/v1/usage', role: 'metering', contentType: 'application/cloudevents-batch+json', body: [cloudEvent] },
    { route: 'POST /v1/usage/corrections', path: '/v1/usage/corrections', role: 'metering', contentType: json, body: { correctionId: 'fz-cor', readingId, gpuHours: '5' } },
    { route: 'POST /v1/billing-runs', path: '/v1/billing-runs', role: 'billing', contentType: json, body: { billingDate: '2025-03-01T00:00:00Z' } },
    { route: 'POST /v1/payments', path: '/v1/payments', role: 'finance', contentType: json, body: { paymentId: 'fz-pay', tenantId: lease.tenantId, amount: '10.00', receivedAt: '2025-03-01T00:00:00Z', invoiceId: 'INV-000001' } },
    { route: 'POST /v1/credit-notes', path: '/v1/credit-notes', role: 'finance', contentType: json, body: { creditNoteId: 'fz-cn', tenantId: lease.tenantId, amount: '5.00', reason: 'goodwill' } },
  ];
}

/**
 * Path ids to put in place of a valid one: unknown, malformed, encoded, long. Fastify's router
 * refuses two of them itself, before any hook: a percent-escape that does not decode (400) and
 * an id over 512 characters (414); those answers are problem details too.
 */
const junkId = fc.oneof(
  fc.constantFrom('unknown-id', '..', '.', '%2e%2e%2f', 'a%2Fb', '%00', '%E2%80%AE', '%E0%A4%A', '%', encodeURIComponent('é'), '-dash', 'a%20b', encodeURIComponent('<x>'), 'x'.repeat(129), 'y'.repeat(500), 'z'.repeat(513), '__proto__', 'constructor'),
  fc.string({ minLength: 1, maxLength: 20 }).map(encodeURIComponent),
);

interface Sent {
  endpoint: WriteEndpoint;
  answer: Answer;
  moved: boolean;
}

async function send(endpoint: WriteEndpoint, request: { body: unknown; rawPrefix: string | null; contentType: string | null; authorization: string | null; query: string; pathId: string | null; requestId: string | null }): Promise<Sent> {
  const headers: Record<string, string> = {};
  if (request.contentType !== null) headers['content-type'] = request.contentType;
  if (request.authorization !== null) headers['authorization'] = request.authorization;
  if (request.requestId !== null) headers['x-request-id'] = request.requestId;
  let path = endpoint.path;
  if (request.pathId !== null) path = path.replace(/^(\/v1\/(?:leases|allocations)\/)[^/]+/, `$1${request.pathId}`);
  let raw = request.body === undefined ? '' : JSON.stringify(request.body);
  // Keys that JSON.stringify would drop or that must sit first: written into the text itself.
  if (request.rawPrefix !== null && raw.startsWith('{')) raw = `{${request.rawPrefix}${raw.length > 2 ? ',' : ''}${raw.slice(1)}`;
  const answer = await client.request('POST', `${path}${request.query}`, { as: null, raw, headers });
  tally.requests += 1;
  if (answer.status < 300) tally.accepted += 1;
  else tally.refused.set(answer.status, (tally.refused.get(answer.status) ?? 0) + 1);
  return { endpoint, answer, moved: await watch.moved() };
}

/** What is wrong with one answer, given whether the log moved. */
function problemsOf({ answer, moved }: Sent): string[] {
  const problems = refusalProblems(answer);
  if (answer.status >= 400 && moved) problems.push('the log moved for a refused request');
  if (answer.status >= 300 && answer.status < 400) problems.push(`a redirect ${answer.status}`);
  return problems;
}

describe('hostile input to every write endpoint of ledger serve', () => {
  for (const endpoint of writeEndpoints()) {
    it(`${endpoint.route}: never a 5xx, every refusal problem+json that leaks nothing and changes nothing`, async () => {
      const rawPrefixes = fc.constantFrom('"__proto__":{"isAdmin":true}', '"constructor":{"prototype":{"isAdmin":true}}', '"__proto__":null', '"a":1,"a":2', '"\\u0000":0');
      const request = fc.record({
        body: fc.array(mutation, { minLength: 0, maxLength: 3 }).map((mutations) => mutate(endpoint.body, mutations)),
        rawPrefix: fc.option(rawPrefixes, { freq: 5 }),
        contentType: fc.oneof({ weight: 6, arbitrary: fc.constant(endpoint.contentType) }, { weight: 2, arbitrary: fc.constantFrom(...contentTypes) }, { weight: 1, arbitrary: fc.constant(null) }),
        authorization: authorizationHeader(keys[endpoint.role]),
        query: junkQuery,
        pathId: endpoint.path.split('/').length > 3 ? fc.option(junkId, { freq: 3 }) : fc.constant(null),
        requestId: fc.option(fc.oneof(fc.string({ maxLength: 200 }).map((text) => text.replace(/[^\x20-\x7e]/g, '')), fc.constant('r'.repeat(129))), { freq: 4 }),
      });
      await fc.assert(
        fc.asyncProperty(request, async (generated) => {
          const sent = await send(endpoint, generated);
          const problems = problemsOf(sent);
          if (problems.length > 0) throw new Error(`${endpoint.route} answered ${sent.answer.status}: ${problems.join('; ')}\n${sent.answer.text.slice(0, 500)}`);
        }),
        { numRuns: runsPerEndpoint, endOnFailure: true },
      );
    }, 60_000);
  }

  it('refuses bodies no mutation produces: deep nesting, invalid UTF-8, a BOM, huge numbers, too many records', async () => {
    const problems: string[] = [];
    const bodies: { raw: string | Uint8Array; contentType?: string }[] = [
      { raw: deeplyNestedJson(50_000) },
      { raw: `{"tenantId":"fz-deep","name":${deeplyNestedJson(20_000)},"currency":"USD","paymentTermsDays":30}` },
      { raw: '['.repeat(200_000) },
      { raw: Buffer.concat([Buffer.from('{"tenantId":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('","name":"x","currency":"USD","paymentTermsDays":30}')]) },
      { raw: `\uFEFF${JSON.stringify(tenantBody('fz-bom'))}` },
      { raw: '{"tenantId":"fz-num","name":"x","currency":"USD","paymentTermsDays":1e400}' },
      { raw: '{"tenantId":"fz-dup","tenantId":"fz-dup-2","name":"x","currency":"USD","paymentTermsDays":30}' },
      { raw: `{"records":[${'{},'.repeat(10_500)}{}]}` },
      { raw: 'null' },
      { raw: '"just a string"' },
      { raw: '' },
      { raw: '{"tenantId": "fz-x", ' },
      { raw: JSON.stringify(tenantBody('fz-ce')), contentType: 'application/cloudevents-batch+json' },
    ];
    for (const endpoint of writeEndpoints().filter((candidate) => ['/v1/tenants', '/v1/usage', '/v1/billing-runs'].includes(candidate.path) && !candidate.route.includes('CloudEvents'))) {
      for (const { raw, contentType } of bodies) {
        const answer = await client.request('POST', endpoint.path, { as: 'admin', raw, headers: { 'content-type': contentType ?? 'application/json' } });
        tally.requests += 1;
        const found = problemsOf({ endpoint, answer, moved: await watch.moved() });
        if (found.length > 0) problems.push(`${endpoint.path} with ${typeof raw === 'string' ? raw.slice(0, 40) : 'bytes'}: ${answer.status} ${found.join('; ')}`);
      }
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it('answers junk query strings on the read endpoints without a 5xx', async () => {
    const readPaths = ['/v1/reports/mrr', '/v1/reports/revenue', '/v1/reports/trial-balance', '/v1/reports/capacity', '/v1/invoices', '/v1/audit/events', `/v1/leases/${lease.leaseId}/usage`, '/v1/billing-runs'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...readPaths), junkQuery, async (path, query) => {
        const answer = await client.request('GET', `${path}${query}`, { as: 'admin' });
        const problems = refusalProblems(answer);
        if (problems.length > 0) throw new Error(`GET ${path}${query}: ${answer.status} ${problems.join('; ')}`);
      }),
      { numRuns: 60, endOnFailure: true },
    );
  }, 60_000);

  it('logged no server fault and no key during the whole run', () => {
    const output = server.output();
    expect(output).not.toMatch(/"level":50/);
    expect(leaks(output).filter((leak) => leak.startsWith('shows'))).toEqual([]);
    console.info(`fuzz: ${tally.requests} requests, ${tally.accepted} accepted, refused ${[...tally.refused].sort().map(([status, count]) => `${status}x${count}`).join(' ')}`);
  });
});

describe('ledger import usage with broken files', () => {
  const header = 'readingId,leaseId,periodStart,periodEnd,gpuHours';
  const validRows = new UsageSource([lease], 24 * 100).batch('fz-import', 20).map((record) => [record.readingId, record.leaseId, record.periodStart, record.periodEnd, record.gpuHours].join(','));
  const validCsv = `${header}\n${validRows.join('\n')}\n`;

  async function importFile(name: string, content: string | Uint8Array): Promise<Run> {
    const file = join(directory.path, name);
    writeFileSync(file, content);
    return ledger(['import', 'usage', file], serverEnv(directory.path), directory.path);
  }

  function importProblems(name: string, run: Run, moved: boolean, brokenForSure: boolean): string[] {
    const problems: string[] = [];
    const refused = run.code === 1 || run.code === 2;
    if (brokenForSure && !refused) problems.push(`${name}: exit ${run.code}, expected 1 or 2`);
    if (!refused && run.code !== 0) problems.push(`${name}: exit ${run.code}`);
    if (refused && run.stderr.trim() === '' && run.stdout.trim() === '') problems.push(`${name}: refused without a message`);
    if (refused && moved) problems.push(`${name}: refused, yet the log moved`);
    problems.push(...leaks(run.stdout + run.stderr).map((leak) => `${name}: ${leak}`));
    return problems;
  }

  it('refuses truncated, mis-columned, binary, non-UTF-8 and over-long files with a message, recording nothing', async () => {
    const random = Buffer.from(Array.from({ length: 4_096 }, (_, index) => (index * 7919 + 13) % 256));
    const files: [string, string | Uint8Array][] = [
      ['truncated.csv', validCsv.slice(0, Math.floor(validCsv.length * 0.6))],
      ['wrong-columns.csv', `readingId,lease,start,end,hours\n${validRows.join('\n')}\n`],
      ['binary.csv', random],
      ['invalid-utf8.csv', Buffer.concat([Buffer.from(`${header}\n${validRows[0]}\n`), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(`,${lease.leaseId},2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,1\n`)])],
      ['huge-line.csv', `${header}\n${validRows[0]}\n${'x'.repeat(200_000)}\n`],
      ['nul.csv', `${header}\n${validRows[0]!.replace(',', '\u0000,')}\n`],
      ['junk.jsonl', '{"readingId": "fz-j-1"\n[1,2,3]\nnot json\n'],
      ['proto.jsonl', `${JSON.stringify({ ...Object.fromEntries(validRows[0]!.split(',').map((value, index) => [header.split(',')[index], value])), __proto__: null })}\n{"__proto__":{"polluted":true},"readingId":"fz-p"}\n`],
      ['unknown-lease.csv', `${header}\n${validRows[1]}\nfz-unknown-lease.0,no-such-lease,2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,1\n`],
    ];
    const runs = await inParallel(files, 4, async ([name, content]) => ({ name, run: await importFile(name, content) }));
    // A directory where a file is expected, and a file that is not there.
    mkdirSync(join(directory.path, 'a-directory.csv'), { recursive: true });
    runs.push({ name: 'a directory', run: await ledger(['import', 'usage', join(directory.path, 'a-directory.csv')], serverEnv(directory.path), directory.path) });

    const moved = await watch.moved();
    const problems = runs.flatMap(({ name, run }) => importProblems(name, run, moved, true));
    expect(problems).toEqual([]);
  }, 60_000);

  it('answers any mutation of a valid file with exit 0, 1 or 2, and records nothing when it refuses', async () => {
    const change = fc.oneof(
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(',', '"', '\n', '\r\n', '\u0000', ',,,,')) }),
    );
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(change, { minLength: 1, maxLength: 4 }), async (changes) => {
        let bytes = Buffer.from(validCsv.replaceAll('fz-import', `fz-mut${round}`));
        round += 1;
        for (const edit of changes) {
          const at = edit.at % (bytes.length + 1);
          if (edit.kind === 'cut') bytes = bytes.subarray(0, at);
          else if (edit.kind === 'byte' && bytes.length > 0) bytes[at % bytes.length] = edit.value;
          else if (edit.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(edit.text), bytes.subarray(at)]);
        }
        const run = await importFile(`mutated-${round}.csv`, bytes);
        const problems = importProblems(`mutated-${round}.csv`, run, await watch.moved(), false);
        if (problems.length > 0) throw new Error(`${problems.join('; ')}\n${run.stdout}${run.stderr}`);
      }),
      { numRuns: importRuns, endOnFailure: true },
    );
  }, 60_000);
});
