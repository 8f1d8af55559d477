import { Controller, Delete, Get, HttpCode, Inject, Post, ServiceUnavailableException } from '@nestjs/common';
import { Identifier, RegisterWebhookBody, ReplayWebhookBody, WebhookDeliveriesAnswer, WebhookDeliveryAnswer, WebhookEndpointAnswer, WebhookEndpointsAnswer } from '@compute-ledger/contracts';
import { z } from 'zod';
import { webhooksToken, type Webhooks } from '../../webhooks/webhooks.js';
import { Allow } from '../auth/permissions.js';
import { created } from '../common/answer.js';
import { Doc } from '../common/endpoint.js';
import { ValidBody, ValidParam } from '../common/validation.js';

/** A delivery is named by the id of the event it carries (the `webhook-id` header). */
const DeliveryId = z.string().min(1).max(256);

/** Webhook endpoints (admin only): registration, deliveries, and an operator's retry and replay. */
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(@Inject(webhooksToken) private readonly configured: Webhooks | null) {}

  /** A server built without a data directory for them (an in-process test server) has no webhooks. */
  private get webhooks(): Webhooks {
    if (this.configured === null) throw new ServiceUnavailableException('webhooks are not enabled on this server: `ledger serve` keeps them in its data directory');
    return this.configured;
  }

  @Post() @HttpCode(201) @Allow('webhooks.admin') @Doc({
    summary: 'Register a webhook endpoint; the answer shows its signing secret, once',
    description: 'Only https URLs, and http to hosts listed in LEDGER_WEBHOOK_ALLOW; private, loopback and link-local addresses are refused (422) unless allowed there. A repeat with the same content answers 200 without the secret.',
    answer: WebhookEndpointAnswer,
    tags: ['webhooks'],
    alsoAnswers: { 200: 'the same id with the same url and events again: the endpoint, without its secret' },
  })
  async register(@ValidBody(RegisterWebhookBody) body: RegisterWebhookBody) {
    const { outcome, answer } = await this.webhooks.register(body);
    return created(outcome, answer);
  }

  @Get() @Allow('webhooks.admin') @Doc({ summary: 'The registered webhook endpoints (without secrets)', answer: WebhookEndpointsAnswer, tags: ['webhooks'] })
  list() {
    return this.webhooks.list();
  }

  @Delete(':endpointId') @Allow('webhooks.admin') @Doc({ summary: 'Delete a webhook endpoint: nothing more is sent to it, its secret is erased', answer: WebhookEndpointAnswer, tags: ['webhooks'] })
  remove(@ValidParam('endpointId', Identifier) endpointId: string) {
    return this.webhooks.remove(endpointId);
  }

  @Post(':endpointId/secret') @HttpCode(201) @Allow('webhooks.admin') @Doc({
    summary: 'Rotate the signing secret: the new one is shown once, and the old one keeps signing beside it for 24 hours',
    answer: WebhookEndpointAnswer,
    tags: ['webhooks'],
  })
  rotateSecret(@ValidParam('endpointId', Identifier) endpointId: string) {
    return this.webhooks.rotateSecret(endpointId);
  }

  @Get(':endpointId/deliveries') @Allow('webhooks.admin') @Doc({ summary: 'The latest deliveries to an endpoint, newest first: status, attempts, last response code', answer: WebhookDeliveriesAnswer, tags: ['webhooks'] })
  deliveries(@ValidParam('endpointId', Identifier) endpointId: string) {
    return this.webhooks.deliveries(endpointId);
  }

  @Post(':endpointId/deliveries/:deliveryId/retry') @HttpCode(202) @Allow('webhooks.admin') @Doc({
    summary: 'Retry a delivery now',
    description: 'A pending or failed delivery is attempted now with a fresh retry window, and a failing endpoint resumes from it; a delivered one is sent once more.',
    answer: WebhookDeliveryAnswer,
    tags: ['webhooks'],
  })
  retry(@ValidParam('endpointId', Identifier) endpointId: string, @ValidParam('deliveryId', DeliveryId) deliveryId: string) {
    return this.webhooks.retry(endpointId, deliveryId);
  }

  @Post(':endpointId/replay') @HttpCode(202) @Allow('webhooks.admin') @Doc({ summary: 'Deliver again every subscribed event from a log position on, in order', answer: WebhookEndpointAnswer, tags: ['webhooks'] })
  replay(@ValidParam('endpointId', Identifier) endpointId: string, @ValidBody(ReplayWebhookBody) body: ReplayWebhookBody) {
    return this.webhooks.replay(endpointId, body.fromPosition);
  }
}
