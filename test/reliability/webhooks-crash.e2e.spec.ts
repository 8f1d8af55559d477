import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../cli/support.js';
import { startReceiver, waitFor, type Receiver } from '../support/webhook-receiver.js';
import { Client } from './support/client.js';
import { readLog, tenantBody } from './support/fleet.js';
import { startServer, temporaryDirectory, type LedgerServer } from './support/ledger-server.js';

/**
 * `ledger serve` SIGKILLed while it delivers webhooks, then started again on the same files:
 * every event reaches the receiver, in log order, and after the receiver's dedup by webhook-id
 * exactly once; delivery resumes from the endpoint's checkpoint rather than from the start.
 */

const payments = 24;
/** The receiver takes this long to answer, so that a kill lands in the middle of a delivery. */
const answerDelayMs = 60;
const killRounds = 2;
const arrivalTimeoutMs = 30_000;

let directory: ReturnType<typeof temporaryDirectory>;
let server: LedgerServer;
let receiver: Receiver;
const env = { LEDGER_WEBHOOK_ALLOW: '127.0.0.1' };

beforeAll(async () => {
  buildOnce();
  directory = temporaryDirectory('webhooks');
  receiver = await startReceiver();
  receiver.answerDelayMs = answerDelayMs;
  server = await startServer({ directory: directory.path, env });
}, 120_000);

afterAll(async () => {
  await server?.kill();
  await receiver?.close();
  directory?.remove();
});

describe('webhook delivery across SIGKILL', () => {
  it('loses nothing, keeps the order, and resumes where it stopped', async () => {
    let client = new Client(server.url);
    await client.expect(201, 'POST', '/v1/webhooks', { as: 'admin', body: { endpointId: 'ledger-sink', url: `${receiver.url}/in`, events: ['payment.received'] } });
    await client.expect(201, 'POST', '/v1/tenants', { as: 'finance', body: tenantBody('tenant-001') });
    for (let index = 0; index < payments; index += 1) {
      await client.expect(201, 'POST', '/v1/payments', { as: 'finance', body: { paymentId: `P-${index + 1}`, tenantId: 'tenant-001', amount: '100.00', receivedAt: '2026-01-05T00:00:00Z' } });
    }
    const expected = (await readLog(client)).filter((event) => event.type === 'PaymentReceived').map((event) => event.eventId);
    expect(expected).toHaveLength(payments);

    for (let round = 1; round <= killRounds; round += 1) {
      const target = Math.floor((payments * round) / (killRounds + 1));
      await waitFor(() => receiver.acceptedOnce().length >= target, arrivalTimeoutMs, `${target} deliveries before kill ${round}`);
      expect((await server.kill()).signal).toBe('SIGKILL');
      server = await startServer({ directory: directory.path, env });
    }
    client = new Client(server.url);
    await waitFor(() => receiver.acceptedOnce().length >= payments, arrivalTimeoutMs, 'every payment after the restarts');

    expect(receiver.acceptedOnce()).toEqual(expected);
    // At least once, and resumed from the checkpoint: an event is sent again only when a kill
    // came between the receiver's answer and the checkpoint (at most once per kill), never the whole log again.
    const sent = receiver.received.filter((entry) => entry.accepted).length;
    expect(sent).toBeGreaterThanOrEqual(payments);
    expect(sent).toBeLessThanOrEqual(payments + killRounds);

    // The receiver has the last event before the server has its answer: wait for the server too.
    const deliveriesNow = async () => (await client.expect(200, 'GET', '/v1/webhooks/ledger-sink/deliveries')).body['deliveries'] as { deliveryId: string; status: string }[];
    await waitFor(async () => (await deliveriesNow()).every((delivery) => delivery.status === 'delivered'), arrivalTimeoutMs, 'every delivery recorded');
    const deliveries = await deliveriesNow();
    expect(new Set(deliveries.map((delivery) => delivery.deliveryId))).toEqual(new Set(expected));
    expect(deliveries.every((delivery) => delivery.status === 'delivered')).toBe(true);
  }, 120_000);
});
