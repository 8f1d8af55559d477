import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hourlyReadings, keys, startHarness, type Answer, type ApiHarness } from './support/api-harness.js';
import { lease, recordContracts, tenant } from './support/worked-example.js';

/**
 * Bad input of every kind: each answered with its 4xx, as problem details that say what is
 * wrong, never a 5xx or a stack trace, and the log exactly as it was before.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let api: ApiHarness;

beforeAll(async () => {
  api = await startHarness('2025-10-20T12:00:00Z');
  await recordContracts(api);
});

afterAll(async () => {
  await api.close();
});

/** Sends a request that must be refused, and checks the refusal and that nothing was recorded. */
async function refused(status: number, send: () => Promise<Answer<Json>>): Promise<Json> {
  const headBefore = await api.head();
  const answer = await send();
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status, detail: expect.any(String) });
  expect(answer.text).not.toMatch(/\bat .+\.(js|ts):\d+/);
  expect(answer.text).not.toContain('stack');
  expect(await api.head()).toBe(headBefore);
  return answer.body;
}

const paths = (body: Json) => (body.errors as Json[]).map((error) => error.path);

describe('malformed and schema-invalid input: 400', () => {
  it('refuses malformed JSON', async () => {
    const body = await refused(400, () => api.request('POST', '/v1/tenants', { as: 'finance', raw: '{"tenantId": "t-1", ' }));
    expect(body.detail).toContain('not valid JSON');
  });

  it('refuses an empty body and a missing body', async () => {
    await refused(400, () => api.request('POST', '/v1/tenants', { as: 'finance', raw: '' }));
    const missing = await refused(400, () => api.request('POST', '/v1/tenants', { as: 'finance' }));
    expect(missing.errors).toBeDefined();
  });

  it('refuses prototype pollution attempts', async () => {
    await refused(400, () => api.request('POST', '/v1/tenants', { as: 'finance', raw: '{"__proto__": {"admin": true}, "tenantId": "t-1"}' }));
  });

  it('names every wrong field: types, missing fields, unknown fields', async () => {
    const body = await refused(400, () => api.post('/v1/tenants', 'finance', { tenantId: 't-2', name: 42, currency: 'USD', paymentTermsDays: '30', discountPct: 5 }));
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { path: 'name', message: expect.stringContaining('string') },
        { path: 'paymentTermsDays', message: expect.stringContaining('number') },
        { path: 'discountPct', message: 'is not a known field' },
      ]),
    );
    const missing = await refused(400, () => api.post('/v1/sites', 'operations', { siteId: 's-1', name: 'S' }));
    expect(missing.errors).toEqual(expect.arrayContaining([{ path: 'gpuSku', message: 'is required' }, { path: 'gpuCount', message: 'is required' }]));
  });

  it('refuses JSON numbers where decimals belong', async () => {
    const rate = await refused(400, () => api.post('/v1/leases', 'finance', { ...lease, leaseId: 'L-float', overageRatePerGpuHour: 3.5 }));
    expect(rate.errors).toEqual([{ path: 'overageRatePerGpuHour', message: expect.stringContaining('decimals travel as strings') }]);
    const usage = await refused(400, () => api.post('/v1/usage', 'metering', { records: [{ readingId: 'r-1', leaseId: 'L-1001', periodStart: '2025-11-11T00:00:00Z', periodEnd: '2025-11-11T01:00:00Z', gpuHours: 1050.5 }] }));
    expect(paths(usage)).toEqual(['records.0.gpuHours']);
    const precise = await refused(400, () => api.post('/v1/usage', 'metering', { records: [{ readingId: 'r-1', leaseId: 'L-1001', periodStart: '2025-11-11T00:00:00Z', periodEnd: '2025-11-11T01:00:00Z', gpuHours: '1.1234567' }] }));
    expect(paths(precise)).toEqual(['records.0.gpuHours']);
    const money = await refused(400, () => api.post('/v1/payments', 'finance', { paymentId: 'P-1', tenantId: 'frontier-lab', amount: '10.005', receivedAt: '2025-11-30T00:00:00Z' }));
    expect(money.errors).toEqual([expect.objectContaining({ path: 'amount' })]);
  });

  it('refuses ids out of pattern, in bodies and in paths', async () => {
    const body = await refused(400, () => api.post('/v1/tenants', 'finance', { ...tenant, tenantId: '-starts-with-dash' }));
    expect(paths(body)).toEqual(['tenantId']);
    await refused(400, () => api.post('/v1/tenants', 'finance', { ...tenant, tenantId: 'has space' }));
    await refused(400, () => api.post('/v1/tenants', 'finance', { ...tenant, tenantId: 'x'.repeat(129) }));
    const path = await refused(400, () => api.get('/v1/leases/bad%20id', 'finance'));
    expect(paths(path)).toEqual(['leaseId']);
    await refused(400, () => api.post(`/v1/leases/${'L'.repeat(129)}/amendments`, 'finance', { amendmentId: 'AM-1', effectiveAt: '2026-01-01T00:00:00Z', endsAt: '2026-12-01T00:00:00Z' }));
  });

  it('refuses instants that are not UTC with Z, or not real dates', async () => {
    for (const startsAt of ['2025-11-10T00:00:00+02:00', '2025-11-10', '2025-02-30T00:00:00Z', '2025-11-10T00:00:00.1234Z', '2025-11-10 00:00:00Z']) {
      const body = await refused(400, () => api.post('/v1/allocations', 'operations', { allocationId: 'A-x', leaseId: 'L-1001', siteId: 'colossus-1', gpuCount: 1, startsAt }));
      expect(body.errors).toEqual([{ path: 'startsAt', message: expect.stringContaining('UTC') }]);
    }
    const query = await refused(400, () => api.get('/v1/reports/mrr?asOf=2025-12-15T00:00:00%2B01:00', 'auditor'));
    expect(paths(query)).toEqual(['query.asOf']);
  });

  it('refuses bad query parameters', async () => {
    expect(paths(await refused(400, () => api.get('/v1/reports/revenue?month=2025-13', 'auditor')))).toEqual(['query.month']);
    expect(paths(await refused(400, () => api.get('/v1/reports/revenue', 'auditor')))).toEqual(['query.month']);
    expect(paths(await refused(400, () => api.get('/v1/reports/mrr?as_of=2025-12-15T00:00:00Z', 'auditor')))).toEqual(['query.as_of']);
    expect(paths(await refused(400, () => api.get('/v1/audit/events?limit=10001', 'auditor')))).toEqual(['query.limit']);
    expect(paths(await refused(400, () => api.get('/v1/audit/events?fromPosition=-1', 'auditor')))).toEqual(['query.fromPosition']);
    await refused(400, () => api.get('/v1/reports/mrr?asOf=2025-12-15T00:00:00Z&asOf=2025-12-16T00:00:00Z', 'auditor'));
  });

  it('refuses a malformed document number (400), unlike an unknown one (404)', async () => {
    expect(paths(await refused(400, () => api.get('/v1/invoices/INV-1', 'finance')))).toEqual(['invoiceId']);
    await refused(400, () => api.get('/v1/invoices/XYZ-000001/document', 'finance'));
    await refused(404, () => api.get('/v1/invoices/INV-999999', 'finance'));
  });

  it('refuses a billing date that is not the first instant of a month', async () => {
    const body = await refused(400, () => api.post('/v1/billing-runs', 'billing', { billingDate: '2025-12-15T00:00:00Z' }));
    expect(paths(body)).toEqual(['billingDate']);
  });

  it('refuses a malformed CloudEvents batch with the event and field named', async () => {
    const events = [{ specversion: '1.0', id: 'ce-1', source: 'meter', type: 'gpu.usage.v2', subject: 'L-1001', data: { periodStart: '2025-11-11T00:00:00Z', periodEnd: '2025-11-11T01:00:00Z', gpuHours: '10' } }];
    const body = await refused(400, () => api.request('POST', '/v1/usage', { as: 'metering', raw: JSON.stringify(events), headers: { 'content-type': 'application/cloudevents-batch+json' } }));
    expect(paths(body)).toEqual(['0.type']);
  });
});

describe('too large: 413', () => {
  it('refuses a body over 16 MiB', async () => {
    const raw = `{"records":[{"readingId":"${'x'.repeat(17 * 1024 * 1024)}"}]}`;
    const body = await refused(413, () => api.request('POST', '/v1/usage', { as: 'metering', raw }));
    expect(body.detail).toContain('16 MiB');
  });

  it('refuses a usage batch over 10,000 records, as JSON and as CloudEvents', async () => {
    const records = hourlyReadings('L-1001', '2025-11-10T00:00:00Z', '2027-01-01T00:00:00Z', '1').slice(0, 10_001);
    const body = await refused(413, () => api.post('/v1/usage', 'metering', { records }));
    expect(body.detail).toContain('10,000');
    const events = records.map((record) => ({ specversion: '1.0', id: record.readingId, source: 'meter', type: 'gpu.usage.v1', subject: record.leaseId, data: { periodStart: record.periodStart, periodEnd: record.periodEnd, gpuHours: record.gpuHours } }));
    await refused(413, () => api.request('POST', '/v1/usage', { as: 'metering', raw: JSON.stringify(events), headers: { 'content-type': 'application/cloudevents-batch+json' } }));
  });
});

describe('routes and media types', () => {
  it('answers an unknown route and an unknown method with 404', async () => {
    await refused(404, () => api.get('/v1/nothing-here', 'admin'));
    await refused(404, () => api.request('DELETE', '/v1/tenants', { as: 'admin' }));
    await refused(404, () => api.get('/docs/../../package.json', null));
    await refused(404, () => api.get('/docs/constructor', null));
  });

  it('refuses a body that is not JSON with 415', async () => {
    await refused(415, () => api.request('POST', '/v1/tenants', { as: 'finance', raw: 'tenantId=t-1', headers: { 'content-type': 'text/plain' } }));
    await refused(415, () => api.request('POST', '/v1/tenants', { as: 'finance', raw: 'tenantId=t-1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
  });
});

/**
 * Sends `request` as it is over a new connection and reads the answer until the server closes
 * it: for what fetch would not send (headers over the limit, bytes that are not HTTP).
 */
function rawExchange(request: string): Promise<Answer<Json>> {
  const url = new URL(api.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may close while the request is still being written: the answer came first.
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    socket.on('close', () => resolve(parseAnswer(Buffer.concat(chunks).toString('utf8'))));
  });
}

/** One HTTP/1.1 answer as read off the wire (its body in full, up to the end of the text). */
function parseAnswer(text: string): Answer<Json> {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = new Headers(headerLines.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()] as [string, string]));
  const body = rest.join('\r\n\r\n');
  let parsed: unknown = body;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Not JSON: the check of the content type says so.
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: parsed as Json, text };
}

/** Resolves once the server at `url` takes no new connection. */
async function untilRefusingConnections(url: URL, timeoutMs = 10_000): Promise<void> {
  const deadlineMs = Date.now() + timeoutMs;
  while (Date.now() < deadlineMs) {
    const refused = await new Promise<boolean>((resolve) => {
      const probe = connect(Number(url.port), url.hostname, () => {
        probe.destroy();
        resolve(false);
      });
      probe.on('error', () => resolve(true));
    });
    if (refused) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${url.href} still takes connections after ${timeoutMs} ms`);
}

describe('refused by the HTTP layer before the API sees the request: still problem details', () => {
  it('answers a path id over 512 characters with 414', async () => {
    const longId = 'L'.repeat(513);
    const read = await refused(414, () => api.get(`/v1/leases/${longId}`, 'finance'));
    expect(read.detail).toContain('512 characters');
    await refused(414, () => api.post(`/v1/leases/${longId}/amendments`, 'finance', { amendmentId: 'A-1', effectiveAt: '2026-01-01T00:00:00Z' }));
    // Up to the limit the id reaches validation, which says what is wrong with it.
    await refused(400, () => api.get(`/v1/leases/${'L'.repeat(512)}`, 'finance'));
  });

  it('answers a percent-escape that does not decode with 400, with the request id', async () => {
    const answer = await api.request('GET', '/v1/leases/%E0%A4%A', { as: 'finance', headers: { 'x-request-id': 'bad-url-1' } });
    expect(answer.headers.get('x-request-id')).toBe('bad-url-1');
    const body = await refused(400, async () => answer);
    expect(body.detail).toContain('percent-escape');
  });

  it('answers headers over 16 KiB with 431, and a URL over 16 KiB too', async () => {
    const bigHeader = await refused(431, () => rawExchange(`GET /v1/reports/capacity HTTP/1.1\r\nHost: ledger\r\nX-Padding: ${'p'.repeat(17 * 1024)}\r\n\r\n`));
    expect(bigHeader.detail).toContain('16 KiB');
    await refused(431, () => rawExchange(`GET /v1/reports/capacity?asOf=${'9'.repeat(17 * 1024)} HTTP/1.1\r\nHost: ledger\r\n\r\n`));
  });

  it('answers bytes that are not HTTP, and a body framed two ways, with 400', async () => {
    await refused(400, () => rawExchange('HELLO ledger\r\n\r\n'));
    await refused(400, () => rawExchange('POST /v1/tenants HTTP/1.1\r\nHost: ledger\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'));
  });

  it('answers a request that arrives on an open connection while the server stops with 503', async () => {
    const stopping = await startHarness('2025-10-20T12:00:00Z');
    const url = new URL(stopping.url);
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    const socketClosed = new Promise((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.on('connect', resolve));
    // A request still arriving keeps its connection open while the server stops.
    const body = JSON.stringify(tenant);
    socket.write(`POST /v1/tenants HTTP/1.1\r\nHost: ledger\r\nAuthorization: Bearer ${keys.finance}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 5)}`);
    // Answered after the first connection's bytes were read: that request is under way.
    expect((await stopping.get('/healthz', null)).status).toBe(200);
    const closed = stopping.close();
    await untilRefusingConnections(url);
    socket.write(`${body.slice(5)}GET /v1/reports/capacity HTTP/1.1\r\nHost: ledger\r\nAuthorization: Bearer ${keys.operations}\r\n\r\n`);
    await socketClosed;
    await closed;
    const second = received.indexOf('HTTP/1.1 ', 1);
    expect(parseAnswer(received.slice(0, second)).status, received).toBe(201);
    const late = parseAnswer(received.slice(second));
    expect(late.status, received).toBe(503);
    expect(late.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(late.headers.get('connection')).toBe('close');
    expect(late.body).toMatchObject({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status: 503, detail: expect.any(String) });
  });
});

describe('business rules: 404, 409, 422, nothing recorded', () => {
  it('refuses an allocation beyond the site capacity (422) and one for an unknown lease (404)', async () => {
    const body = await refused(422, () => api.post('/v1/allocations', 'operations', { allocationId: 'A-big', leaseId: 'L-1001', siteId: 'colossus-1', gpuCount: 99_000, startsAt: '2025-12-01T00:00:00Z' }));
    expect(body.detail).toMatch(/capacity|allocat/i);
    await refused(404, () => api.post('/v1/allocations', 'operations', { allocationId: 'A-none', leaseId: 'L-none', siteId: 'colossus-1', gpuCount: 1, startsAt: '2025-12-01T00:00:00Z' }));
  });

  it('refuses a whole usage batch when one record breaks a rule, naming each refused record', async () => {
    const good = hourlyReadings('L-1001', '2025-11-12T00:00:00Z', '2025-11-12T03:00:00Z', '100', 'batch');
    const outsideTerm = { readingId: 'batch:before-term', leaseId: 'L-1001', periodStart: '2025-11-01T00:00:00Z', periodEnd: '2025-11-01T01:00:00Z', gpuHours: '10' };
    const aboveAllocation = { readingId: 'batch:too-much', leaseId: 'L-1001', periodStart: '2025-11-13T00:00:00Z', periodEnd: '2025-11-13T01:00:00Z', gpuHours: '1201' };
    const body = await refused(422, () => api.post('/v1/usage', 'metering', { records: [good[0], outsideTerm, good[1], aboveAllocation, good[2]] }));
    expect(body.errors).toEqual([
      { index: 1, readingId: 'batch:before-term', message: expect.any(String), kind: 'rule' },
      { index: 3, readingId: 'batch:too-much', message: expect.any(String), kind: 'rule' },
    ]);
    const usage = await api.get<Json>('/v1/leases/L-1001/usage?month=2025-11', 'finance');
    expect(usage.body.readings.map((reading: Json) => reading.eventId)).not.toContain('reading:batch:2025-11-12T00');
  });

  it('refuses a known reading id with other content as a conflict (409), also beside a rule refusal, naming each record', async () => {
    const [known] = hourlyReadings('L-1001', '2025-11-14T00:00:00Z', '2025-11-14T01:00:00Z', '100', 'conflict');
    expect((await api.post('/v1/usage', 'metering', { records: [known] })).status).toBe(202);
    const changed = { ...known!, gpuHours: '99' };
    const alone = await refused(409, () => api.post('/v1/usage', 'metering', { records: [changed] }));
    expect(alone.errors).toEqual([{ index: 0, readingId: known!.readingId, message: `reading ${known!.readingId} is already recorded with other content`, kind: 'conflict' }]);
    const outsideTerm = { readingId: 'conflict:before-term', leaseId: 'L-1001', periodStart: '2025-11-01T00:00:00Z', periodEnd: '2025-11-01T01:00:00Z', gpuHours: '10' };
    const mixed = await refused(409, () => api.post('/v1/usage', 'metering', { records: [outsideTerm, changed] }));
    expect(mixed.errors).toEqual([
      { index: 0, readingId: 'conflict:before-term', message: expect.any(String), kind: 'rule' },
      { index: 1, readingId: known!.readingId, message: expect.any(String), kind: 'conflict' },
    ]);
    // The same id twice in one batch with different content is an id reused too.
    const twice = hourlyReadings('L-1001', '2025-11-15T00:00:00Z', '2025-11-15T01:00:00Z', '100', 'twice');
    await refused(409, () => api.post('/v1/usage', 'metering', { records: [twice[0], { ...twice[0]!, gpuHours: '7' }] }));
  });

  it('refuses a usage page with a bad limit or cursor (400)', async () => {
    for (const query of ['limit=0', 'limit=10001', 'limit=ten', 'limit=-5', 'cursor=abc', 'cursor=-1', 'cursor=1.5']) {
      const body = await refused(400, () => api.get<Json>(`/v1/leases/L-1001/usage?month=2025-11&${query}`, 'finance'));
      expect(body.detail).toMatch(/limit|cursor/);
    }
  });

  it('refuses a billing run in the future (422) and one earlier than the latest (409)', async () => {
    await refused(422, () => api.post('/v1/billing-runs', 'billing', { billingDate: '2026-01-01T00:00:00Z' }));
    api.at('2025-12-01T06:00:00Z');
    expect((await api.post('/v1/billing-runs', 'billing', { billingDate: '2025-12-01T00:00:00Z' })).status).toBe(201);
    await refused(409, () => api.post('/v1/billing-runs', 'billing', { billingDate: '2025-11-01T00:00:00Z' }));
  });

  it('refuses an id reused with other content (409) and a reference to nothing (404)', async () => {
    await refused(409, () => api.post('/v1/leases', 'finance', { ...lease, overageRatePerGpuHour: '4.00' }));
    await refused(404, () => api.post('/v1/allocations/A-unknown/release', 'operations', { endsAt: '2026-01-01T00:00:00Z' }));
    await refused(404, () => api.post('/v1/usage/corrections', 'metering', { correctionId: 'C-1', readingId: 'no-such-reading', gpuHours: '1' }));
    await refused(404, () => api.post('/v1/payments', 'finance', { paymentId: 'P-2', tenantId: 'nobody', amount: '1.00', receivedAt: '2025-11-30T00:00:00Z' }));
  });

  it('refuses a termination outside the term (422)', async () => {
    await refused(422, () => api.post('/v1/leases/L-1001/termination', 'finance', { effectiveAt: '2027-01-01T00:00:00Z', terminationFee: '0' }));
  });
});
