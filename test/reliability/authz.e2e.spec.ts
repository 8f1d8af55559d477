import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../cli/support.js';
import { Client, type Answer, type Json } from './support/client.js';
import { allocationBody, leaseBody, siteBody, tenantBody, UsageSource, type FleetLease } from './support/fleet.js';
import { leaks, LogWatch, refusalProblems } from './support/hostile.js';
import { keys, startServer, temporaryDirectory, type KeyName, type LedgerServer } from './support/ledger-server.js';

/**
 * The tenant boundary and the keys, against a real `ledger serve` process. What
 * test/e2e/permissions.e2e.spec.ts states (the permission table, one tenant's view of the
 * other's lease, usage and invoice) is not repeated; this adds the rest of the matrix: every
 * endpoint the server describes, with every key, for ids that belong to the caller's tenant, to
 * the other tenant, and to nothing. A tenant key must not tell the other tenant's ids from ids
 * that do not exist, in either direction; a key without the right must get the same 403 for
 * every id; and no answer to a tenant key may name the other tenant's resources. The server's
 * own output over the whole run, at its most verbose, must hold no key.
 */

type Role = KeyName;
const roles: readonly Role[] = ['admin', 'finance', 'operations', 'metering', 'billing', 'auditor', 'tenant', 'otherTenant'];

const frontier: FleetLease = { leaseId: 'L-F1', tenantId: 'frontier-lab', siteId: 'site-az' };
const other: FleetLease = { leaseId: 'L-O1', tenantId: 'other-lab', siteId: 'site-az' };

/** Ids per owner, filled in once the seed has issued the documents. */
interface Ids {
  leaseId: string;
  allocationId: string;
  invoiceId: string;
  creditNoteId: string;
  streamId: string;
  tenantId: string;
}
const ids: Record<'frontier' | 'other' | 'missing', Ids> = {
  frontier: { leaseId: frontier.leaseId, allocationId: `alloc-${frontier.leaseId}`, invoiceId: '', creditNoteId: '', streamId: `lease-${frontier.leaseId}`, tenantId: frontier.tenantId },
  other: { leaseId: other.leaseId, allocationId: `alloc-${other.leaseId}`, invoiceId: '', creditNoteId: '', streamId: `lease-${other.leaseId}`, tenantId: other.tenantId },
  missing: { leaseId: 'L-X9', allocationId: 'alloc-L-X9', invoiceId: 'INV-000099', creditNoteId: 'CN-000099', streamId: 'lease-L-X9', tenantId: 'missing-lab' },
};

let directory: ReturnType<typeof temporaryDirectory>;
let server: LedgerServer;
let client: Client;
const answersSeen: { request: string; as: Role | null; answer: Answer }[] = [];

beforeAll(async () => {
  buildOnce();
  directory = temporaryDirectory('authz');
  // The most verbose level: whatever the server could write about a request, it writes here.
  server = await startServer({ directory: directory.path, logLevel: 'trace' });
  client = new Client(server.url);
  await client.expect(201, 'POST', '/v1/sites', { as: 'operations', body: siteBody(frontier.siteId, 1_000) });
  for (const lease of [frontier, other]) {
    await client.expect(201, 'POST', '/v1/tenants', { as: 'finance', body: tenantBody(lease.tenantId) });
    await client.expect(201, 'POST', '/v1/leases', { as: 'finance', body: leaseBody(lease) });
    await client.expect(201, 'POST', '/v1/allocations', { as: 'operations', body: allocationBody(lease) });
    await client.expect(202, 'POST', '/v1/usage', { as: 'metering', body: { records: new UsageSource([lease]).batch(`${lease.leaseId}-usage`, 24) } });
  }
  const run = await client.expect<Json>(201, 'POST', '/v1/billing-runs', { as: 'billing', body: { billingDate: '2025-02-01T00:00:00Z' } });
  const invoiceOf = (tenantId: string) => (run.body['documents'] as Json[]).find((document) => document['tenantId'] === tenantId)!['invoiceId'] as string;
  ids.frontier.invoiceId = invoiceOf(frontier.tenantId);
  ids.other.invoiceId = invoiceOf(other.tenantId);
  for (const owner of ['other', 'frontier'] as const) {
    const note = await client.expect<Json>(201, 'POST', '/v1/credit-notes', { as: 'finance', body: { creditNoteId: `cn-${owner}`, tenantId: ids[owner].tenantId, amount: '10.00', reason: 'goodwill' } });
    ids[owner].creditNoteId = String(note.body['invoiceId'] ?? note.body['documentId']);
    await client.expect(201, 'POST', '/v1/payments', { as: 'finance', body: { paymentId: `pay-${owner}`, tenantId: ids[owner].tenantId, amount: '100.00', receivedAt: '2025-02-10T00:00:00Z' } });
  }
}, 120_000);

afterAll(async () => {
  await server?.kill();
  directory?.remove();
});

async function call(method: string, path: string, as: Role | null): Promise<Answer> {
  const answer = await client.request(method, path, { as, ...(method === 'POST' ? { body: {} } : {}) });
  answersSeen.push({ request: `${method} ${path}`, as, answer });
  return answer;
}

/** The path of a route template for one owner's ids; undefined when the route takes no id of a tenant's. */
function pathFor(template: string, owner: Ids, kind: 'invoice' | 'credit_note'): string {
  return template
    .replace('{leaseId}', owner.leaseId)
    .replace('{allocationId}', owner.allocationId)
    .replace('{invoiceId}', kind === 'invoice' ? owner.invoiceId : owner.creditNoteId)
    .replace('{streamId}', owner.streamId);
}

/** Reads need their own query parameters; these are valid for every id. */
function withQuery(method: string, template: string, path: string): string {
  if (method !== 'GET') return path;
  if (template.endsWith('/usage')) return `${path}?month=2025-01`;
  return path;
}

/** The same answer, but for the id that was asked about. */
function sameAnswer(left: Answer, leftId: string, right: Answer, rightId: string): boolean {
  return left.status === right.status && left.text.replaceAll(leftId, 'ID') === right.text.replaceAll(rightId, 'ID');
}

describe('every endpoint x every key x ids of the caller, of another tenant, of nothing', () => {
  it('lets no key tell another tenant’s ids from ids that do not exist, and gives a key without the right the same 403 for every id', async () => {
    const watch = new LogWatch(client);
    await watch.moved();
    const { body: openapi } = await client.expect<Json>(200, 'GET', '/v1/openapi.json', { as: null });
    const routes = Object.entries(openapi['paths'] as Record<string, Json>).flatMap(([template, operations]) => Object.keys(operations).map((method) => ({ method: method.toUpperCase(), template })));
    const withIds = routes.filter((route) => /\{(leaseId|allocationId|invoiceId|streamId)\}/.test(route.template));
    expect(withIds.length).toBeGreaterThanOrEqual(7);
    const failures: string[] = [];
    for (const { method, template } of withIds) {
      for (const kind of template.includes('{invoiceId}') ? (['invoice', 'credit_note'] as const) : (['invoice'] as const)) {
        for (const as of roles) {
          const own = as === 'otherTenant' ? ids.other : ids.frontier;
          const foreign = as === 'otherTenant' ? ids.frontier : ids.other;
          const idOf = (owner: Ids) => pathFor(template, owner, kind).split('/').find((_, index) => template.split('/')[index]?.startsWith('{')) ?? '';
          const [ownAnswer, foreignAnswer, missingAnswer] = await Promise.all(
            [own, foreign, ids.missing].map((owner) => call(method, withQuery(method, template, pathFor(template, owner, kind)), as)),
          );
          const route = `${method} ${template} (${kind}) as ${as}`;
          const tenantKey = as === 'tenant' || as === 'otherTenant';
          if (tenantKey || ownAnswer!.status === 403) {
            if (!sameAnswer(foreignAnswer!, idOf(foreign), missingAnswer!, idOf(ids.missing))) {
              failures.push(`${route}: another tenant's id answers ${foreignAnswer!.status} ${foreignAnswer!.text.slice(0, 200)}, a missing one ${missingAnswer!.status} ${missingAnswer!.text.slice(0, 200)}`);
            }
          }
          if (ownAnswer!.status === 403 && (foreignAnswer!.status !== 403 || missingAnswer!.status !== 403)) failures.push(`${route}: 403 for its own id only`);
          if (tenantKey && method === 'GET' && foreignAnswer!.status !== 404 && foreignAnswer!.status !== 403) failures.push(`${route}: another tenant's id answers ${foreignAnswer!.status}`);
          if (tenantKey && method === 'POST' && ownAnswer!.status !== 403) failures.push(`${route}: a tenant key may write (${ownAnswer!.status})`);
        }
      }
    }
    expect(failures).toEqual([]);
    // The walk sent empty bodies to every write route: refused one and all, nothing recorded.
    expect(await watch.moved()).toBe(false);
  }, 60_000);

  it('shows a tenant key its own leases, usage and documents, so the walk above is not vacuous', async () => {
    for (const [as, owner] of [['tenant', ids.frontier], ['otherTenant', ids.other]] as const) {
      expect((await call('GET', `/v1/leases/${owner.leaseId}`, as)).status).toBe(200);
      expect((await call('GET', `/v1/leases/${owner.leaseId}/usage?month=2025-01`, as)).status).toBe(200);
      expect((await call('GET', `/v1/invoices/${owner.invoiceId}`, as)).status).toBe(200);
      expect((await call('GET', `/v1/invoices/${owner.creditNoteId}`, as)).status).toBe(200);
    }
  });

  it('filters GET /v1/invoices to the caller’s tenant whatever the query names', async () => {
    const failures: string[] = [];
    for (const [as, own, foreign] of [['tenant', ids.frontier, ids.other], ['otherTenant', ids.other, ids.frontier]] as const) {
      const queries = ['', `?tenantId=${foreign.tenantId}`, `?tenantId=${foreign.tenantId}&billingDate=2025-02-01T00:00:00Z`, `?billingDate=2025-02-01T00:00:00Z`, `?tenantId=${own.tenantId}`, `?tenantId=${ids.missing.tenantId}`, `?knownAt=2030-01-01T00:00:00Z&tenantId=${foreign.tenantId}`];
      for (const query of queries) {
        const answer = await call('GET', `/v1/invoices${query}`, as);
        if (answer.status !== 200) {
          failures.push(`${as} ${query}: ${answer.status}`);
          continue;
        }
        const tenants = new Set((answer.body['invoices'] as Json[]).map((invoice) => invoice['tenantId']));
        if ([...tenants].some((tenantId) => tenantId !== own.tenantId)) failures.push(`${as} ${query}: sees ${[...tenants].join(', ')}`);
        if (query.includes(`tenantId=${foreign.tenantId}`) && tenants.size > 0) failures.push(`${as} ${query}: answers documents for another tenant's filter`);
      }
      // Staff see both tenants through the same filter, so the filter itself works.
      const staff = await call('GET', `/v1/invoices?tenantId=${foreign.tenantId}`, 'finance');
      expect((staff.body['invoices'] as Json[]).length).toBeGreaterThan(0);
    }
    expect(failures).toEqual([]);
  });

  it('never names another tenant’s resources in an answer to a tenant key', () => {
    const failures: string[] = [];
    for (const { request, as, answer } of answersSeen) {
      if (as !== 'tenant' && as !== 'otherTenant') continue;
      const foreign = as === 'tenant' ? ids.other : ids.frontier;
      // An id the caller sent itself may come back in the answer (a 404 names what was asked for).
      const named = [foreign.leaseId, foreign.allocationId, foreign.invoiceId, foreign.creditNoteId, foreign.tenantId].filter((id) => !request.includes(id) && answer.text.includes(id));
      if (named.length > 0) failures.push(`${request} as ${as}: names ${named.join(', ')}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('refusals and logs', () => {
  it('answers every refusal of the run as problem details without a stack trace, a path or a key', () => {
    const failures = answersSeen.filter(({ answer }) => answer.status >= 400).flatMap(({ request, as, answer }) => refusalProblems(answer).map((problem) => `${request} as ${as}: ${problem}`));
    expect(failures).toEqual([]);
    expect(answersSeen.filter(({ answer }) => answer.status >= 400).length).toBeGreaterThan(100);
  });

  it('writes no key to its output, at the most verbose log level, for good, wrong and malformed keys', async () => {
    const bogus = 'bogus-key-that-must-not-be-logged-7f3a';
    const refused = [`Bearer ${bogus}`, `Basic ${keys.admin}`, `Bearer  ${keys.auditor} trailing`, keys.metering, `Token ${keys.billing}`, `Bearer ${keys.operations},${bogus}`];
    for (const authorization of refused) {
      const answer = await client.request('GET', '/v1/reports/mrr', { as: null, headers: { authorization } });
      expect(answer.status, authorization).toBe(401);
      expect(leaks(answer.text)).toEqual([]);
      expect(answer.text).not.toContain(bogus);
    }
    // A failed write as every role, so each key goes through the error path too.
    for (const as of roles) await client.request('POST', '/v1/billing-runs', { as, body: { billingDate: 'not a date' } });
    await server.stopCleanly();
    const output = server.output();
    expect(output.length).toBeGreaterThan(10_000);
    const found = Object.entries({ ...keys, bogus }).filter(([, key]) => output.includes(key)).map(([name]) => name);
    expect(found).toEqual([]);
    expect(leaks(output).filter((leak) => leak.startsWith('shows'))).toEqual([]);
  }, 30_000);
});
