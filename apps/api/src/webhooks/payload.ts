import { unreachable } from '@compute-ledger/contracts';
import { draftView, type Ledger, type RecordedEvent } from '@compute-ledger/ledger';
import type { WebhookMessage } from './webhooks.js';

/**
 * A webhook's body (Standard Webhooks' `{type, timestamp, data}`): `data` is the document as
 * GET /v1/invoices/{invoiceId} shows it at the time of delivery, the payment as recorded, or
 * the billing run's summary, or the closed period as GET /v1/periods/{month} showed it when it
 * closed (its seal, and no adjustment yet: the same body on every redelivery), or the draft as
 * GET /v1/drafts/{draftId} showed it when it was created, or a credit grant as of its expiry
 * (credit_grant.expired, once a billing run or its own recording made the expiry final). `position` is the
 * event's place in the log, for a replay.
 */
export async function webhookPayload(ledger: Ledger, event: RecordedEvent, message: WebhookMessage) {
  return { type: message.type, timestamp: event.recordedAt, position: event.position, data: await dataOf(ledger, event, message) };
}

async function dataOf(ledger: Ledger, event: RecordedEvent, { type, grantId }: WebhookMessage): Promise<unknown> {
  switch (type) {
    case 'invoice.issued':
    case 'credit_note.issued': {
      const documentId = event.type === 'CreditNoteIssued' ? event.data['documentId'] : event.data['invoiceId'];
      return ledger.reports.invoice(String(documentId));
    }
    case 'payment.received':
      return { ...event.data, currency: ledger.currency };
    case 'billing_run.completed':
      return event.data;
    case 'period.closed':
      return ledger.reports.period(String(event.data['month']), { knownAt: event.recordedAt });
    case 'draft.created':
      return draftAt(ledger, String(event.data['draftId']), event.position);
    case 'credit_grant.expired':
      return expiredGrant(ledger, event, grantId);
    default:
      return unreachable(type, 'webhook event type');
  }
}

/**
 * The grant as GET /v1/credit-grants/{grantId} shows it as of its expiry, as known when the event
 * that made the expiry final was recorded: what expired, and the draws before it.
 */
async function expiredGrant(ledger: Ledger, event: RecordedEvent, grantId: string | undefined) {
  const expiresAt = grantId === undefined ? undefined : ledger.runner.model.grants.get(grantId)?.data.expiresAt;
  if (grantId === undefined || expiresAt === undefined) throw new Error(`the credit expiry of event ${event.eventId} names no grant that expires`);
  return ledger.reports.creditGrant(grantId, { asOf: expiresAt, knownAt: event.recordedAt });
}

/** The draft as GET /v1/drafts/{draftId} showed it when it was created: the same body on every redelivery. */
async function draftAt(ledger: Ledger, draftId: string, position: number) {
  const { scope } = await ledger.reports.scope();
  const draft = scope.model.drafts.get(draftId);
  if (draft === undefined) throw new Error(`draft ${draftId} of the log is not in the model`);
  return draftView(draft, position);
}
