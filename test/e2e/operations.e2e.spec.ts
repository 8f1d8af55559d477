import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type ApiHarness } from './support/api-harness.js';
import { recordContracts } from './support/worked-example.js';

/** Health, metrics, the API description and the docs page: what operators and client authors use. */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let api: ApiHarness;

beforeAll(async () => {
  api = await startHarness('2025-10-20T12:00:00Z');
  await recordContracts(api);
});

afterAll(async () => {
  await api.close();
});

describe('operations endpoints', () => {
  it('answers /healthz without a key, with how far the model has read', async () => {
    // The model follows the log by a subscription; on a cluster store it may be a moment behind the head.
    const deadline = Date.now() + 10_000;
    let answer = await api.get<Json>('/healthz', null);
    while (answer.body['modelPosition'] !== answer.body['headPosition'] && Date.now() < deadline) {
      expect(answer.body['modelPosition']).toBeLessThanOrEqual(answer.body['headPosition']);
      await new Promise((resolve) => setTimeout(resolve, 50));
      answer = await api.get<Json>('/healthz', null);
    }
    expect(answer.status).toBe(200);
    // demo: false: these books were not seeded by the demo (npm start's store says true).
    expect(answer.body).toEqual({ status: 'ok', headPosition: await api.head(), modelPosition: await api.head(), demo: false });
  });

  it('counts requests by route pattern and status, events appended and projection lag', async () => {
    await api.get('/v1/leases/L-1001', 'finance');
    await api.get('/v1/leases/L-9999', 'finance');
    await api.get('/v1/reports/mrr', null);
    await api.post('/v1/outages', 'operations', { outageId: 'O-metrics', leaseId: 'L-1001', startsAt: '2025-11-21T00:00:00Z', endsAt: '2025-11-21T01:00:00Z', affectedGpus: 1 });
    const { status, text, headers } = await api.get('/metrics', null);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toContain('text/plain');
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/v1\/leases\/:leaseId",status="200"\} 1/);
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/v1\/leases\/:leaseId",status="404"\} 1/);
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/v1\/reports\/mrr",status="401"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/v1\/leases\/:leaseId"\}/);
    // Events appended since the server started: the whole scenario so far.
    expect(text).toMatch(new RegExp(`ledger_events_appended_total ${(await api.head()) + 1}\\b`));
    expect(text).toMatch(/ledger_projection_lag_events 0/);
    expect(text).toMatch(new RegExp(`ledger_log_head_position ${await api.head()}\\b`));
  });

  it('echoes a client request id, and gives one to a request that has none', async () => {
    const given = await api.request('GET', '/healthz', { as: null, headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const generated = await api.get('/healthz', null);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const odd = await api.request('GET', '/healthz', { as: null, headers: { 'x-request-id': 'has spaces and <tags>' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const refused = await api.get('/v1/nothing', null);
    expect(refused.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('describes the API as OpenAPI 3.1 generated from the validating schemas', async () => {
    const { status, body } = await api.get<Json>('/v1/openapi.json', null);
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const registerTenant = body.paths['/v1/tenants'].post;
    const schema = registerTenant.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['tenantId', 'name', 'currency', 'paymentTermsDays']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.tenantId.pattern).toBe('^[A-Za-z0-9][A-Za-z0-9._:-]*$');
    expect(Object.keys(registerTenant.responses).sort()).toEqual(['200', '201', '400', '401', '403', '404', '409', '413', '422', 'default']);
    expect(registerTenant.description).toContain('Roles: admin, finance');
    const usage = body.paths['/v1/usage'].post;
    expect(Object.keys(usage.requestBody.content)).toEqual(['application/json', 'application/cloudevents-batch+json', 'application/cloudevents+json']);
    expect(usage.parameters).toContainEqual(expect.objectContaining({ name: 'ce-specversion', in: 'header', required: false }));
    expect(usage.requestBody.content['application/json'].schema.properties.records.maxItems).toBe(10000);
    expect(Object.keys(usage.responses)).toContain('202');
    const revenue = body.paths['/v1/reports/revenue'].get;
    expect(revenue.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'month', in: 'query', required: true }), expect.objectContaining({ name: 'knownAt', in: 'query', required: false })]));
    const lease = body.paths['/v1/leases/{leaseId}'].get;
    expect(lease.parameters).toContainEqual(expect.objectContaining({ name: 'leaseId', in: 'path', required: true }));
    expect(body.paths['/healthz'].get.security).toEqual([]);
  });

  it('serves interactive docs from local files', async () => {
    const page = await api.get('/docs', null);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('/docs/swagger-ui-bundle.js');
    expect(page.text).not.toMatch(/https?:\/\//);
    const init = await api.get('/docs/init.js', null);
    expect(init.text).toContain("url: '/v1/openapi.json'");
    const bundle = await api.get('/docs/swagger-ui-bundle.js', null);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    expect(bundle.text.length).toBeGreaterThan(100_000);
  });
});
