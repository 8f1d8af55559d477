import { z } from 'zod';
import { Identifier } from './primitives.js';

/**
 * Webhook registrations (API.md "Approval and webhooks"): what an admin sends to have the
 * ledger's documents and payments pushed to an endpoint as they are recorded.
 */

/** The event types a webhook endpoint can subscribe to, as API.md names them. */
export const WebhookEventType = z.enum([
  'invoice.issued',
  'credit_note.issued',
  'draft.created',
  'payment.received',
  'billing_run.completed',
  'period.closed',
  'credit_grant.expired',
]);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

/** A URL longer than this is no endpoint anyone configures by hand; it is refused rather than stored. */
export const webhookUrlLengthMax = 2_048;

export const RegisterWebhookBody = z.strictObject({
  endpointId: Identifier,
  url: z.string().min(1).max(webhookUrlLengthMax),
  /** Each type at most once; at least one. */
  events: z
    .array(WebhookEventType)
    .min(1)
    .max(WebhookEventType.options.length)
    .refine((events) => new Set(events).size === events.length, { message: 'each event type at most once' }),
});
export type RegisterWebhookBody = z.infer<typeof RegisterWebhookBody>;

/** An operator's replay: deliver again every subscribed event from this global position on. */
export const ReplayWebhookBody = z.strictObject({ fromPosition: z.int().min(0) });
export type ReplayWebhookBody = z.infer<typeof ReplayWebhookBody>;
