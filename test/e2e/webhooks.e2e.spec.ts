import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { Webhooks, WebhookUrlPolicy, parseWebhookAllowList } from '@compute-ledger/api';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, type ApiHarness } from './support/api-harness.js';
import { recordContracts, tenant } from './support/worked-example.js';
import { startReceiver, verifySignature, waitFor, type Receiver } from '../support/webhook-receiver.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Short limits so that retries take milliseconds, not hours. */
const testLimits = { deliveryTimeoutMs: 300, retryDelayBaseMs: 20, retryDelayMaxMs: 120, retryWindowMs: 60_000, idlePollMs: 50 };
const arrivalTimeoutMs = 15_000;

/**
 * A ledger whose webhooks may reach the hosts `allow` names, with a receiver on loopback; both
 * started before the describe's tests and closed after them.
 */
function withReceiver(allow: (receiver: Receiver) => string, limits: typeof testLimits): { api: ApiHarness; receiver: Receiver } {
  const fixture = {} as { api: ApiHarness; receiver: Receiver };
  beforeAll(async () => {
    const receiver = await startReceiver();
    fixture.receiver = receiver;
    fixture.api = await startHarness('2025-10-20T12:00:00Z', {
      webhooks: (ledger, directory) => new Webhooks({ ledger, dataDir: directory, policy: new WebhookUrlPolicy(parseWebhookAllowList(allow(receiver))), limits }),
    });
  });
  afterAll(async () => {
    await fixture.api?.close();
    await fixture.receiver?.close();
  });
  return fixture;
}

describe('webhooks: signed, in order, at least once', () => {
  let api: ApiHarness;
  let receiver: Receiver;
  let secret: string;
  let dataDir: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    api = await startHarness('2025-10-20T12:00:00Z', {
      webhooks: (ledger, directory) => {
        dataDir = directory;
        return new Webhooks({ ledger, dataDir: directory, policy: new WebhookUrlPolicy(parseWebhookAllowList('127.0.0.1')), limits: testLimits });
      },
    });
  });
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
  });

  it('registers an endpoint for admin keys only, showing the secret once', async () => {
    const body = { endpointId: 'erp', url: `${receiver.url}/hooks`, events: ['invoice.issued', 'credit_note.issued', 'billing_run.completed', 'payment.received'] };
    expect((await api.post('/v1/webhooks', 'finance', body)).status).toBe(403);
    const first = await api.post<Json>('/v1/webhooks', 'admin', body);
    expect(first.status).toBe(201);
    secret = first.body['secret'];
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(first.body).toMatchObject({ endpointId: 'erp', url: `${receiver.url}/hooks`, status: 'active' });

    const again = await api.post<Json>('/v1/webhooks', 'admin', body);
    expect(again.status).toBe(200);
    expect(again.body['secret']).toBeUndefined();
    expect((await api.post('/v1/webhooks', 'admin', { ...body, events: [...body.events].reverse() })).status).toBe(200); // the same set of events
    expect((await api.post('/v1/webhooks', 'admin', { ...body, events: ['invoice.issued'] })).status).toBe(409);
    expect((await api.post('/v1/webhooks', 'admin', { ...body, url: `${receiver.url}/other` })).status).toBe(409);
    const listed = await api.get<Json>('/v1/webhooks', 'admin');
    expect(listed.body['webhooks']).toHaveLength(1);
    expect(listed.text).not.toContain(secret.slice(6));

    // The secret is in the data directory, readable by the owner only, and never in the log.
    expect(statSync(join(dataDir, 'webhooks')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'webhooks', 'endpoints.json')).mode & 0o777).toBe(0o600);
    const log = await api.get<Json>('/v1/audit/events?limit=10000', 'auditor');
    expect(log.text).not.toContain(secret.slice(6));
  });

  it("delivers a billing run's documents signed, as GET /v1/invoices shows them", async () => {
    await recordContracts(api);
    api.at('2025-12-01T06:00:00Z');
    const run = await api.post<Json>('/v1/billing-runs', 'billing', { billingDate: '2025-12-01T00:00:00Z' });
    expect(run.status).toBe(201);
    const documents: Json[] = run.body['documents'];
    expect(documents.length).toBeGreaterThan(0);
    await waitFor(() => receiver.acceptedOnce().length >= documents.length + 1, arrivalTimeoutMs, 'the documents and the run');

    const log: Json[] = (await api.get<Json>('/v1/audit/events?limit=10000', 'auditor')).body['events'];
    const issued = log.filter((event) => event['type'] === 'InvoiceIssued' || event['type'] === 'BillingRunCompleted');
    expect(receiver.acceptedOnce()).toEqual(issued.map((event) => event['eventId']));
    for (const entry of receiver.received) {
      expect(verifySignature(secret, entry)).toBe(true);
      expect(verifySignature('whsec_' + Buffer.alloc(32, 1).toString('base64'), entry)).toBe(false);
      expect(Math.abs(Number(entry.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    }
    const bodies = receiver.received.map((entry) => JSON.parse(entry.body) as Json);
    for (const document of documents) {
      const delivered = bodies.find((body) => body['data']['invoiceId'] === document['invoiceId']);
      expect(delivered?.['type']).toBe(document['kind'] === 'credit_note' ? 'credit_note.issued' : 'invoice.issued');
      const shown = await api.get<Json>(`/v1/invoices/${document['invoiceId']}`, 'finance');
      expect(delivered?.['data']).toEqual(shown.body);
    }
    expect(bodies.at(-1)).toMatchObject({ type: 'billing_run.completed', data: { billingDate: '2025-12-01T00:00:00Z', documents } });
  });

  it('survives a receiver that is down, answers 500, is slow, then comes back: every event once after dedup, in order', async () => {
    const startAt = receiver.received.length;
    const invoiceId = (await api.get<Json>('/v1/invoices', 'finance')).body['invoices'][0]['invoiceId'];
    const payments = Array.from({ length: 6 }, (_, index) => ({ paymentId: `P-${index + 1}`, tenantId: tenant.tenantId, amount: '1000.00', receivedAt: '2025-12-02T10:00:00Z', invoiceId }));
    api.at('2025-12-02T10:00:00Z');
    receiver.mode = 'down';
    for (const payment of payments.slice(0, 2)) expect((await api.post('/v1/payments', 'finance', payment)).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 300));
    receiver.mode = 'error';
    for (const payment of payments.slice(2, 4)) expect((await api.post('/v1/payments', 'finance', payment)).status).toBe(201);
    await waitFor(() => receiver.received.length > startAt + 1, arrivalTimeoutMs, 'attempts answered 500');
    receiver.mode = 'slow';
    receiver.slowMs = 600;
    await waitFor(() => receiver.received.filter((entry) => !entry.accepted).length > startAt + 3, arrivalTimeoutMs, 'slow attempts');
    expect((await api.post('/v1/payments', 'finance', payments[4])).status).toBe(201);
    receiver.mode = 'ok';
    expect((await api.post('/v1/payments', 'finance', payments[5])).status).toBe(201);

    const log: Json[] = (await api.get<Json>('/v1/audit/events?limit=10000', 'auditor')).body['events'];
    const expected = log.filter((event) => ['InvoiceIssued', 'BillingRunCompleted', 'PaymentReceived'].includes(event['type'])).map((event) => event['eventId']);
    await waitFor(() => receiver.acceptedOnce().length >= expected.length, arrivalTimeoutMs, 'every payment');
    expect(receiver.acceptedOnce()).toEqual(expected);
    const paymentBodies = receiver.received.filter((entry) => entry.accepted).map((entry) => JSON.parse(entry.body) as Json).filter((body) => body['type'] === 'payment.received');
    expect(paymentBodies.map((body) => body['data']['paymentId'])).toEqual(payments.map((payment) => payment.paymentId));
    expect(paymentBodies[0]?.['data']).toMatchObject({ amount: '1000.00', currency: 'USD' });

    // The receiver has the last event before the server has its answer: wait for the server too.
    const deliveriesNow = async (): Promise<Json[]> => (await api.get<Json>('/v1/webhooks/erp/deliveries', 'admin')).body['deliveries'];
    await waitFor(async () => (await deliveriesNow()).every((delivery) => delivery['status'] === 'delivered'), arrivalTimeoutMs, 'every delivery recorded');
    const deliveries = await deliveriesNow();
    const first = deliveries.find((delivery) => delivery['deliveryId'] === expected[expected.length - payments.length]);
    expect(first).toMatchObject({ status: 'delivered', lastResponseCode: 204 });
    expect(first?.['attempts']).toBeGreaterThan(2);
    expect(deliveries.every((delivery) => delivery['status'] === 'delivered')).toBe(true);

    const metrics = await api.get('/metrics', null);
    expect(metrics.text).toContain(`ledger_webhook_deliveries_total{endpoint="erp"} ${expected.length}`);
    expect(metrics.text).toMatch(/ledger_webhook_failed_attempts_total\{endpoint="erp"\} [1-9]/);
    expect(metrics.text).toContain('ledger_webhook_endpoint_failing{endpoint="erp"} 0');
    await waitFor(async () => (await api.get('/metrics', null)).text.includes('ledger_webhook_lag_events{endpoint="erp"} 0'), arrivalTimeoutMs, 'no lag');
  });

  it('delivers a credit note by hand as the document GET /v1/invoices shows', async () => {
    api.at('2025-12-03T09:00:00Z');
    const note = await api.post<Json>('/v1/credit-notes', 'finance', { creditNoteId: 'CN-goodwill-1', tenantId: tenant.tenantId, amount: '250.00', reason: 'goodwill after the outage' });
    expect(note.status).toBe(201);
    // The answer is the credit note document itself (API.md), numbered in the CN- series.
    const documentId = note.body['invoiceId'];
    expect(documentId).toMatch(/^CN-/);
    await waitFor(() => receiver.received.some((entry) => entry.accepted && (JSON.parse(entry.body) as Json)['data']['invoiceId'] === documentId), arrivalTimeoutMs, 'the credit note');
    const delivered = receiver.received.map((entry) => JSON.parse(entry.body) as Json).find((body) => body['data']['invoiceId'] === documentId)!;
    expect(delivered['type']).toBe('credit_note.issued');
    expect(delivered['data']).toEqual((await api.get<Json>(`/v1/invoices/${documentId}`, 'finance')).body);
  });

  it('rotates the secret: both sign for a while, then a replay verifies with either', async () => {
    const rotated = await api.post<Json>('/v1/webhooks/erp/secret', 'admin', {});
    expect(rotated.status).toBe(201);
    expect(rotated.body['secret']).toMatch(/^whsec_/);
    expect(rotated.body['secret']).not.toBe(secret);
    expect(Date.parse(rotated.body['previousSecretExpiresAt']) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    const log: Json[] = (await api.get<Json>('/v1/audit/events?limit=10000', 'auditor')).body['events'];
    const before = receiver.received.length;
    // The credit note is the last event of the log: the replay sends it alone.
    const creditNote = log.at(-1)!;
    expect(creditNote['type']).toBe('CreditNoteIssued');
    expect((await api.post('/v1/webhooks/erp/replay', 'admin', { fromPosition: creditNote['position'] })).status).toBe(202);
    await waitFor(() => receiver.received.length > before, arrivalTimeoutMs, 'a delivery after the rotation');
    const entry = receiver.received.at(-1)!;
    expect(entry.id).toBe(creditNote['eventId']);
    expect(entry.signature.split(' ')).toHaveLength(2);
    expect(verifySignature(rotated.body['secret'], entry)).toBe(true);
    expect(verifySignature(secret, entry)).toBe(true);
    expect((await api.get<Json>('/v1/webhooks', 'admin')).text).not.toContain(rotated.body['secret'].slice(6));
    secret = rotated.body['secret'];
  });

  it('replays from a position, and deletes an endpoint with its secret', async () => {
    const log: Json[] = (await api.get<Json>('/v1/audit/events?limit=10000', 'auditor')).body['events'];
    const lastPayment = log.filter((event) => event['type'] === 'PaymentReceived').at(-1)!;
    const before = receiver.received.length;
    const beyond = await api.post<Json>('/v1/webhooks/erp/replay', 'admin', { fromPosition: log.at(-1)!['position'] + 2 });
    expect(beyond.status).toBe(422); // it would skip the next event to be appended
    expect(beyond.body['detail']).toMatch(/head is at position/);
    expect((await api.post('/v1/webhooks/erp/replay', 'admin', { fromPosition: lastPayment['position'] })).status).toBe(202);
    await waitFor(() => receiver.received.length >= before + 2, arrivalTimeoutMs, 'the replayed events');
    // From the last payment on: the payment, then the credit note after it, in log order.
    const creditNote = log.find((event) => event['type'] === 'CreditNoteIssued')!;
    expect(receiver.received.slice(before).map((entry) => entry.id)).toEqual([lastPayment['eventId'], creditNote['eventId']]);
    expect((await api.request('DELETE', '/v1/webhooks/erp', { as: 'admin' })).status).toBe(200);
    expect((await api.get<Json>('/v1/webhooks', 'admin')).body['webhooks']).toEqual([]);
    expect((await api.get('/v1/webhooks/erp/deliveries', 'admin')).status).toBe(404);
  });
});

describe('webhooks: retries run out, then an operator retries', () => {
  const fixture = withReceiver((receiver) => `127.0.0.1:${receiver.port}`, { ...testLimits, retryWindowMs: 250 });

  it('marks the endpoint failing, then delivers on retry', async () => {
    const { api, receiver } = fixture;
    expect((await api.post('/v1/webhooks', 'admin', { endpointId: 'crm', url: `${receiver.url}/in`, events: ['billing_run.completed'] })).status).toBe(201);
    receiver.mode = 'error';
    await recordContracts(api);
    api.at('2025-12-01T06:00:00Z');
    expect((await api.post('/v1/billing-runs', 'billing', { billingDate: '2025-12-01T00:00:00Z' })).status).toBe(201);
    await waitFor(async () => (await api.get<Json>('/v1/webhooks', 'admin')).body['webhooks'][0]['status'] === 'failing', arrivalTimeoutMs, 'the endpoint failing');
    const [delivery] = (await api.get<Json>('/v1/webhooks/crm/deliveries', 'admin')).body['deliveries'] as Json[];
    expect(delivery).toMatchObject({ status: 'failed', lastResponseCode: 500 });
    expect((await api.get('/metrics', null)).text).toContain('ledger_webhook_endpoint_failing{endpoint="crm"} 1');
    const attempts = receiver.received.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.received.length).toBe(attempts); // nothing is sent while failing

    receiver.mode = 'ok';
    expect((await api.post(`/v1/webhooks/crm/deliveries/${delivery!['deliveryId']}/retry`, 'admin', {})).status).toBe(202);
    await waitFor(() => receiver.acceptedOnce().length === 1, arrivalTimeoutMs, 'the retried delivery');
    await waitFor(async () => (await api.get<Json>('/v1/webhooks/crm/deliveries', 'admin')).body['deliveries'][0]['status'] === 'delivered', arrivalTimeoutMs, 'the delivery recorded');
    expect(receiver.acceptedOnce()).toEqual([delivery!['deliveryId']]);
    expect((await api.get<Json>('/v1/webhooks', 'admin')).body['webhooks'][0]['status']).toBe('active');
    expect((await api.post('/v1/webhooks/crm/deliveries/no-such-delivery/retry', 'admin', {})).status).toBe(404);
  });
});

describe('webhooks: a closed period', () => {
  const fixture = withReceiver(() => '127.0.0.1', testLimits);

  it('delivers period.closed with the seal, the same body as GET /v1/periods/{month} at the close', async () => {
    const { api, receiver } = fixture;
    const registered = await api.post<Json>('/v1/webhooks', 'admin', { endpointId: 'books', url: `${receiver.url}/books`, events: ['period.closed'] });
    expect(registered.status).toBe(201);
    await recordContracts(api);
    api.at('2025-12-01T06:00:00Z');
    expect((await api.post('/v1/billing-runs', 'billing', { billingDate: '2025-12-01T00:00:00Z' })).status).toBe(201);
    api.at('2025-12-02T09:00:00Z');
    const closed = await api.post<Json>('/v1/periods/2025-11/close', 'finance', {});
    expect(closed.status).toBe(201);
    const shown = await api.get<Json>('/v1/periods/2025-11', 'auditor');

    await waitFor(() => receiver.acceptedOnce().length === 1, arrivalTimeoutMs, 'the period.closed delivery');
    const [entry] = receiver.received.filter((each) => each.accepted);
    expect(verifySignature(registered.body['secret'], entry!)).toBe(true);
    const body = JSON.parse(entry!.body) as Json;
    expect(body['type']).toBe('period.closed');
    expect(body['data']['seal']).toEqual(closed.body['seal']);
    const { knownAt: _knownAt, ...period } = shown.body;
    const { knownAt: _deliveredKnownAt, ...delivered } = body['data'];
    expect(delivered).toEqual(period);
    // Nothing else of the log is delivered to an endpoint that asked for closes only.
    const log: Json[] = (await api.get<Json>('/v1/audit/events?limit=10000', 'auditor')).body['events'];
    expect(receiver.acceptedOnce()).toEqual(log.filter((event) => event['type'] === 'PeriodClosed').map((event) => event['eventId']));
  });
});

describe('webhooks: credit expiries, once a billing run makes them final', () => {
  const fixture = withReceiver(() => '127.0.0.1', testLimits);

  it('delivers credit_grant.expired for what a run left of a grant, and for a grant recorded already expired', async () => {
    const { api, receiver } = fixture;
    const registered = await api.post<Json>('/v1/webhooks', 'admin', { endpointId: 'crm', url: `${receiver.url}/credits`, events: ['credit_grant.expired', 'billing_run.completed'] });
    expect(registered.status).toBe(201);
    const secret: string = registered.body['secret'];
    await recordContracts(api);
    // Promotional credit for termination fees only: the worked example has none, so none is drawn.
    const unused = { grantId: 'P-UNUSED', tenantId: tenant.tenantId, kind: 'promotional', amount: '100.00', effectiveAt: '2025-11-01T00:00:00Z', expiresAt: '2025-11-15T00:00:00Z', appliesTo: ['termination_fee'] };
    expect((await api.post('/v1/credit-grants', 'finance', unused)).status).toBe(201);
    api.at('2025-12-01T06:00:00Z');
    expect((await api.post('/v1/billing-runs', 'billing', { billingDate: '2025-12-01T00:00:00Z' })).status).toBe(201);
    // Recorded after the run of 2025-12-01, expired on 2025-11-20: final as soon as it is recorded.
    api.at('2025-12-02T09:00:00Z');
    const late = { ...unused, grantId: 'P-LATE', amount: '25.00', expiresAt: '2025-11-20T00:00:00Z' };
    expect((await api.post('/v1/credit-grants', 'finance', late)).status).toBe(201);

    await waitFor(() => receiver.acceptedOnce().length === 3, arrivalTimeoutMs, 'the run and two expiries');
    const log: Json[] = (await api.get<Json>('/v1/audit/events?limit=10000', 'auditor')).body['events'];
    const runEvent = log.find((event) => event['type'] === 'BillingRunCompleted')!;
    const lateEvent = log.find((event) => event['type'] === 'CreditGranted' && event['data']['grantId'] === 'P-LATE')!;
    // The run's own message first, then the expiry it made final; each with an id of its own.
    expect(receiver.acceptedOnce()).toEqual([runEvent['eventId'], `${runEvent['eventId']}:expired:P-UNUSED`, `${lateEvent['eventId']}:expired:P-LATE`]);
    for (const entry of receiver.received) expect(verifySignature(secret, entry)).toBe(true);
    const bodies = receiver.received.filter((entry) => entry.accepted).map((entry) => JSON.parse(entry.body) as Json);
    expect(bodies[1]).toMatchObject({ type: 'credit_grant.expired', data: { grantId: 'P-UNUSED', amount: '100.00', drawn: '0.00', expired: '100.00', remaining: '0.00' } });
    expect(bodies[2]).toMatchObject({ type: 'credit_grant.expired', data: { grantId: 'P-LATE', expired: '25.00' } });
    const shown = await api.get<Json>('/v1/credit-grants/P-UNUSED?asOf=2025-11-15T00:00:00Z', 'finance');
    expect(bodies[1]!['data']).toEqual(shown.body);
  });
});

describe('webhooks: where they may not go', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startHarness('2025-10-20T12:00:00Z', {
      webhooks: (ledger, directory) => new Webhooks({ ledger, dataDir: directory, policy: new WebhookUrlPolicy([]), limits: testLimits }),
    });
  });
  afterAll(async () => api?.close());

  it.each([
    ['http to loopback without the allow-list', 'http://127.0.0.1:9/hooks', /LEDGER_WEBHOOK_ALLOW/],
    ['http to a public host without the allow-list', 'http://example.com/hooks', /only to hosts listed in LEDGER_WEBHOOK_ALLOW/],
    ['https to a name that resolves to loopback', 'https://localhost/hooks', /resolves to (127\.0\.0\.1|::1), a private, loopback or link-local address/],
    ['https to a private address', 'https://10.1.2.3/hooks', /private, loopback or link-local/],
    ['https to a link-local address', 'https://169.254.169.254/latest/meta-data', /private, loopback or link-local/],
    ['https to IPv6 loopback', 'https://[::1]/hooks', /private, loopback or link-local/],
    ['another scheme', 'ftp://example.com/hooks', /only https/],
    ['credentials in the url', 'https://user:pw@example.com/hooks', /no user name or password/],
    ['not a url', 'hooks', /not an absolute URL/],
  ])('refuses %s with 422 and records nothing', async (_what, url, detail) => {
    const answer = await api.post<Json>('/v1/webhooks', 'admin', { endpointId: 'bad', url, events: ['invoice.issued'] });
    expect(answer.status).toBe(422);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.body['detail']).toMatch(detail);
    expect((await api.get<Json>('/v1/webhooks', 'admin')).body['webhooks']).toEqual([]);
  });

  it.each([
    ['an unknown event type', { endpointId: 'bad', url: 'https://example.com/h', events: ['invoice.paid'] }],
    ['no events', { endpointId: 'bad', url: 'https://example.com/h', events: [] }],
    ['an event type twice', { endpointId: 'bad', url: 'https://example.com/h', events: ['invoice.issued', 'invoice.issued'] }],
    ['a malformed id', { endpointId: '../x', url: 'https://example.com/h', events: ['invoice.issued'] }],
    ['an unknown field', { endpointId: 'bad', url: 'https://example.com/h', events: ['invoice.issued'], secret: 'mine' }],
  ])('refuses %s with 400', async (_what, body) => {
    const answer = await api.post<Json>('/v1/webhooks', 'admin', body);
    expect(answer.status).toBe(400);
    expect(answer.body['errors']?.length).toBeGreaterThan(0);
    expect((await api.get<Json>('/v1/webhooks', 'admin')).body['webhooks']).toEqual([]);
  });
});
