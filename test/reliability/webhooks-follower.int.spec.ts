import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The follower is tested over a store that fails on purpose: it needs the application's class.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { Webhooks, WebhookUrlPolicy, parseWebhookAllowList } from '@compute-ledger/api';
import type { Ledger, RecordedEvent, SubscribeOptions } from '@compute-ledger/ledger';
import { startReceiver, waitFor, type Receiver } from '../support/webhook-receiver.js';

/**
 * A webhook follower over a log whose reads fail now and then (a lost store connection): it
 * pauses and reads again from its checkpoint, so every event still arrives once, in order.
 */

function payment(position: number): RecordedEvent {
  return {
    position,
    streamId: `payment-P-${position}`,
    revision: 0,
    eventId: `payment:P-${position}`,
    type: 'PaymentReceived',
    schemaVersion: 1,
    data: { paymentId: `P-${position}`, tenantId: 'tenant-1', amount: '10.00', receivedAt: '2026-01-01T00:00:00Z' },
    metadata: {},
    recordedAt: '2026-01-01T00:00:00.000Z',
    hash: '',
  };
}

/** Just what the follower reads of a ledger: the log, its head and the currency. */
function flakyLedger(events: RecordedEvent[], failures: { remaining: number }): Ledger {
  const store = {
    async readAll({ fromPosition = 0, limit }: { fromPosition?: number; limit: number }) {
      if (failures.remaining > 0) {
        failures.remaining -= 1;
        throw new Error('the store connection was lost');
      }
      return events.filter((event) => event.position >= fromPosition).slice(0, limit);
    },
    async headPosition() {
      return events.length - 1;
    },
    subscribe(_options: SubscribeOptions) {
      return { caughtUp: Promise.resolve(), close: async () => undefined };
    },
  };
  return { store, currency: 'USD' } as unknown as Ledger;
}

describe('webhook follower over a failing store', () => {
  let receiver: Receiver;
  let directory: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    directory = mkdtempSync(join(tmpdir(), 'ledger-webhook-follower-'));
  });
  afterAll(async () => {
    await receiver?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('reads again after a failed read and delivers every event once, in order', async () => {
    const events: RecordedEvent[] = [];
    const failures = { remaining: 0 };
    const ledger = flakyLedger(events, failures);
    const webhooks = new Webhooks({ ledger, dataDir: directory, policy: new WebhookUrlPolicy(parseWebhookAllowList('127.0.0.1')), limits: { idlePollMs: 20, retryDelayBaseMs: 10, retryDelayMaxMs: 50 } });
    await webhooks.register({ endpointId: 'sink', url: `${receiver.url}/in`, events: ['payment.received'] });
    await webhooks.start();
    for (let position = 0; position < 5; position += 1) events.push(payment(position));
    failures.remaining = 3;
    await waitFor(() => receiver.acceptedOnce().length === 5, 10_000, 'five payments');
    expect(failures.remaining).toBe(0);
    expect(receiver.acceptedOnce()).toEqual(events.map((event) => event.eventId));
    expect(receiver.received).toHaveLength(5);
    // The receiver has the fifth before the follower has its answer: wait for the follower too.
    await waitFor(() => webhooks.deliveries('sink').deliveries.filter((delivery) => delivery.status === 'delivered').length === 5, 10_000, 'five deliveries recorded');
    await webhooks.stop();

    // Started again on the same directory: it resumes after the last delivered event.
    const again = new Webhooks({ ledger, dataDir: directory, policy: new WebhookUrlPolicy(parseWebhookAllowList('127.0.0.1')), limits: { idlePollMs: 20 } });
    await again.start();
    events.push(payment(5));
    await waitFor(() => receiver.acceptedOnce().length === 6, 10_000, 'the sixth payment');
    expect(receiver.received).toHaveLength(6);
    await again.stop();
  });
});
