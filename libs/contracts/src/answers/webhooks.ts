import { z } from 'zod';
import { Identifier, Instant } from '../primitives.js';
import { WebhookEventType } from '../webhooks.js';

/** Webhook endpoints and their deliveries, as the admin endpoints answer them. */

export const WebhookEndpointAnswer = z.strictObject({
  endpointId: Identifier,
  url: z.string(),
  events: z.array(WebhookEventType),
  createdAt: Instant,
  status: z.enum(['active', 'failing', 'deleted']).describe('failing: the retries of a delivery ran out, nothing more is sent until an operator retries or replays'),
  failingSince: Instant.nullable(),
  checkpointPosition: z.int().min(-1).describe('the last log position done with for this endpoint'),
  secret: z.string().optional().describe('the signing secret (whsec_...): only in the answer that created or rotated it'),
  previousSecretExpiresAt: Instant.optional().describe('after a rotation: until when the old secret also signs'),
});
export type WebhookEndpointAnswer = z.infer<typeof WebhookEndpointAnswer>;

export const WebhookEndpointsAnswer = z.strictObject({ webhooks: z.array(WebhookEndpointAnswer) });
export type WebhookEndpointsAnswer = z.infer<typeof WebhookEndpointsAnswer>;

export const WebhookDeliveryAnswer = z.strictObject({
  deliveryId: z.string().describe('the event id, also the webhook-id header'),
  position: z.int().min(0),
  type: WebhookEventType,
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.int().min(0),
  firstAttemptAt: Instant.nullable(),
  lastAttemptAt: Instant.nullable(),
  nextAttemptAt: Instant.nullable(),
  lastResponseCode: z.int().nullable(),
  lastError: z.string().nullable(),
});
export type WebhookDeliveryAnswer = z.infer<typeof WebhookDeliveryAnswer>;

export const WebhookDeliveriesAnswer = z.strictObject({ endpointId: Identifier, deliveries: z.array(WebhookDeliveryAnswer) });
export type WebhookDeliveriesAnswer = z.infer<typeof WebhookDeliveriesAnswer>;
