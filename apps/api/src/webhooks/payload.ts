import { unreachable, type WebhookEventType } from '@compute-ledger/contracts';
import { draftView, type Ledger, type RecordedEvent } from '@compute-ledger/ledger';

/**
 * A webhook's body (Standard Webhooks' `{type, timestamp, data}`): `data` is the document as
 * GET /v1/invoices/{invoiceId} shows it at the time of delivery, the payment as recorded, or
 * the billing run's summary, or the closed period as GET /v1/periods/{month} showed it when it
 * closed (its seal, and no adjustment yet: the same body on every redelivery), or the draft as
 * GET /v1/drafts/{draftId} showed it when it was created. `position` is the
 * event's place in the log, for a replay.
 */
export async function webhookPayload(ledger: Ledger, event: RecordedEvent, type: WebhookEventType) {
  return { type, timestamp: event.recordedAt, position: event.position, data: await dataOf(ledger, event, type) };
}

async function dataOf(ledger: Ledger, event: RecordedEvent, type: WebhookEventType): Promise<unknown> {
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
      // No event of the log carries these yet (webhookTypeOf never answers them).
      throw new Error(`no event of the log is delivered as ${type}`);
    default:
      return unreachable(type, 'webhook event type');
  }
}

/** The draft as GET /v1/drafts/{draftId} showed it when it was created: the same body on every redelivery. */
async function draftAt(ledger: Ledger, draftId: string, position: number) {
  const { scope } = await ledger.reports.scope();
  const draft = scope.model.drafts.get(draftId);
  if (draft === undefined) throw new Error(`draft ${draftId} of the log is not in the model`);
  return draftView(draft, position);
}
