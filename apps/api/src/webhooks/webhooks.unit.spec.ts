import { describe, expect, it } from 'vitest';
import { defaultWebhookLimits, retryDelayMs, webhookTypeOf } from './webhooks.js';

describe('webhook retries', () => {
  it('back off exponentially from the base, with jitter between half and all of each step, capped', () => {
    const limits = { retryDelayBaseMs: 1_000, retryDelayMaxMs: 60_000 };
    for (let sample = 0; sample < 200; sample += 1) {
      for (const [attempts, ceilingMs] of [[1, 1_000], [2, 2_000], [3, 4_000], [6, 32_000], [7, 60_000], [40, 60_000]] as const) {
        const delayMs = retryDelayMs(limits, attempts);
        expect(delayMs, `attempt ${attempts}`).toBeGreaterThanOrEqual(ceilingMs / 2);
        expect(delayMs, `attempt ${attempts}`).toBeLessThanOrEqual(ceilingMs);
      }
    }
    const draws = new Set(Array.from({ length: 50 }, () => retryDelayMs(limits, 5)));
    expect(draws.size).toBeGreaterThan(10); // jitter: not one fixed delay
  });

  it('by default retry for 24 hours, with no wait longer than an hour and a deadline on each attempt', () => {
    expect(defaultWebhookLimits.retryWindowMs).toBe(24 * 3_600_000);
    expect(defaultWebhookLimits.retryDelayMaxMs).toBe(3_600_000);
    expect(defaultWebhookLimits.deliveryTimeoutMs).toBe(15_000);
    // From 5 s doubling to the hour's cap, the 24 hours hold at least 30 attempts: 5 s x (2^10 - 1) is about 85 min, then hourly.
    let elapsedMs = 0;
    let attempts = 0;
    while (elapsedMs < defaultWebhookLimits.retryWindowMs) {
      attempts += 1;
      elapsedMs += Math.min(defaultWebhookLimits.retryDelayMaxMs, defaultWebhookLimits.retryDelayBaseMs * 2 ** (attempts - 1));
    }
    expect(attempts).toBeGreaterThanOrEqual(30);
  });
});

describe('webhook event types', () => {
  it('map from the events of the log', () => {
    expect(webhookTypeOf({ type: 'InvoiceIssued', data: { kind: 'invoice' } })).toBe('invoice.issued');
    expect(webhookTypeOf({ type: 'InvoiceIssued', data: { kind: 'credit_note' } })).toBe('credit_note.issued');
    expect(webhookTypeOf({ type: 'CreditNoteIssued', data: {} })).toBe('credit_note.issued');
    expect(webhookTypeOf({ type: 'PaymentReceived', data: {} })).toBe('payment.received');
    expect(webhookTypeOf({ type: 'BillingRunCompleted', data: {} })).toBe('billing_run.completed');
    expect(webhookTypeOf({ type: 'PeriodClosed', data: {} })).toBe('period.closed');
    expect(webhookTypeOf({ type: 'UsageRecorded', data: {} })).toBeNull();
  });
});
