import { createHash } from 'node:crypto';
import type { LedgerEventOf, TenantBillingDetails } from '@compute-ledger/contracts';
import { unreachable } from './decider.js';
import { fingerprintJson } from './values.js';

/**
 * Stream names and event ids, in one place. Every event id is derived from the ids the client
 * chose (and, for releases, the instant), so a retried request produces the very same event ids
 * and the store recognizes it as a repeat even if the deciders did not.
 */

export const tenantStreamPrefix = 'tenant-';
export const siteStreamPrefix = 'site-';
export const leaseStreamPrefix = 'lease-';
export const usageStreamPrefix = 'usage-';

/**
 * The one billing stream holds every run, document, payment and credit note: its expected
 * revision makes document numbers gap-free and a run happen once per date.
 */
export const billingStreamId = 'billing';

/** The periods stream holds the closes of service months, in month order. */
export const periodsStreamId = 'periods';

export function tenantStream(tenantId: string): string {
  return `${tenantStreamPrefix}${tenantId}`;
}

/** A site's stream holds its commissioning and every allocation and release of its GPUs. */
export function siteStream(siteId: string): string {
  return `${siteStreamPrefix}${siteId}`;
}

/** A lease's stream holds its signing, amendments, termination and outages. */
export function leaseStream(leaseId: string): string {
  return `${leaseStreamPrefix}${leaseId}`;
}

/** A lease's usage stream holds its readings and their corrections. */
export function usageStream(leaseId: string): string {
  return `${usageStreamPrefix}${leaseId}`;
}

export function tenantRegisteredEventId(tenantId: string): string {
  return `tenant:${tenantId}`;
}

/** Hex digits of the details' sha256 kept in the event id: enough to tell two updates apart. */
const billingDetailsDigestHexDigits = 16;

/**
 * An update of billing details is named by the tenant stream revision it takes as well as by
 * its content. The content alone would not do: a change from A to B and back to A would give
 * the second A the id of the first, and the store would take it for a repeat and record
 * nothing. The revision alone would not do either: two different updates decided at once would
 * share an id, and the second would be refused as an id reused with other content instead of
 * being decided again on the new state.
 */
export function tenantBillingDetailsUpdatedEventId(tenantId: string, revision: number, billingDetails: TenantBillingDetails): string {
  const digest = createHash('sha256').update(fingerprintJson(billingDetails)).digest('hex').slice(0, billingDetailsDigestHexDigits);
  return `tenant-billing-details:${tenantId}:${revision}:${digest}`;
}

export function siteCommissionedEventId(siteId: string): string {
  return `site:${siteId}`;
}

export function leaseSignedEventId(leaseId: string): string {
  return `lease:${leaseId}`;
}

export function leaseAmendedEventId(leaseId: string, amendmentId: string): string {
  return `amendment:${leaseId}:${amendmentId}`;
}

export function leaseTerminatedEventId(leaseId: string): string {
  return `termination:${leaseId}`;
}

export function capacityAllocatedEventId(allocationId: string): string {
  return `allocation:${allocationId}`;
}

/**
 * A release's id names its instant as well as the allocation: a termination may cut short an
 * allocation that was already released at a later instant, and that second release is a
 * different fact that needs its own id.
 */
export function capacityReleasedEventId(allocationId: string, endsAt: string): string {
  return `release:${allocationId}:${endsAt}`;
}

const usageRecordedPrefix = 'reading:';

export function usageRecordedEventId(readingId: string): string {
  return `${usageRecordedPrefix}${readingId}`;
}

/** Whether `eventId` is `usageRecordedEventId(readingId)`, without building that string. */
export function isUsageRecordedEventId(eventId: string, readingId: string): boolean {
  return eventId.length === usageRecordedPrefix.length + readingId.length && eventId.startsWith(usageRecordedPrefix) && eventId.endsWith(readingId);
}

export function usageCorrectedEventId(correctionId: string): string {
  return `correction:${correctionId}`;
}

export function outageRecordedEventId(outageId: string): string {
  return `outage:${outageId}`;
}

export function invoiceIssuedEventId(invoiceId: string): string {
  return `document:${invoiceId}`;
}

export function billingRunCompletedEventId(billingDate: string): string {
  return `billing-run:${billingDate}`;
}

export function paymentReceivedEventId(paymentId: string): string {
  return `payment:${paymentId}`;
}

export function creditNoteIssuedEventId(creditNoteId: string): string {
  return `credit-note:${creditNoteId}`;
}

export function draftCreatedEventId(draftId: string): string {
  return `draft:${draftId}`;
}

export function draftApprovedEventId(draftId: string): string {
  return `draft-approved:${draftId}`;
}

export function draftVoidedEventId(draftId: string): string {
  return `draft-voided:${draftId}`;
}

export function creditGrantedEventId(grantId: string): string {
  return `credit-grant:${grantId}`;
}

export function periodClosedEventId(month: string): string {
  return `period-closed:${month}`;
}

/** The reading id an event id of `usageRecordedEventId` names, or null for other event ids. */
export function readingIdOfEventId(eventId: string): string | null {
  return eventId.startsWith(usageRecordedPrefix) ? eventId.slice(usageRecordedPrefix.length) : null;
}

/** The events commands record (the deciders of this folder's and a period close). */
export type ContractEvent = LedgerEventOf<
  | 'TenantRegistered'
  | 'TenantBillingDetailsUpdated'
  | 'SiteCommissioned'
  | 'LeaseSigned'
  | 'LeaseAmended'
  | 'LeaseTerminated'
  | 'CapacityAllocated'
  | 'CapacityReleased'
  | 'UsageRecorded'
  | 'UsageCorrected'
  | 'OutageRecorded'
  | 'InvoiceIssued'
  | 'BillingRunCompleted'
  | 'PaymentReceived'
  | 'CreditNoteIssued'
  | 'CreditGranted'
  | 'DraftCreated'
  | 'DraftApproved'
  | 'DraftVoided'
  | 'PeriodClosed'
>;

/**
 * The deterministic id of an event, from the client ids it carries and, for events that a
 * stream may take more than once with the same content, the stream revision the event takes.
 */
export function eventIdOf(event: ContractEvent, revision: number): string {
  switch (event.type) {
    case 'TenantRegistered':
      return tenantRegisteredEventId(event.data.tenantId);
    case 'TenantBillingDetailsUpdated':
      return tenantBillingDetailsUpdatedEventId(event.data.tenantId, revision, event.data.billingDetails);
    case 'SiteCommissioned':
      return siteCommissionedEventId(event.data.siteId);
    case 'LeaseSigned':
      return leaseSignedEventId(event.data.leaseId);
    case 'LeaseAmended':
      return leaseAmendedEventId(event.data.leaseId, event.data.amendmentId);
    case 'LeaseTerminated':
      return leaseTerminatedEventId(event.data.leaseId);
    case 'CapacityAllocated':
      return capacityAllocatedEventId(event.data.allocationId);
    case 'CapacityReleased':
      return capacityReleasedEventId(event.data.allocationId, event.data.endsAt);
    case 'UsageRecorded':
      return usageRecordedEventId(event.data.readingId);
    case 'UsageCorrected':
      return usageCorrectedEventId(event.data.correctionId);
    case 'OutageRecorded':
      return outageRecordedEventId(event.data.outageId);
    case 'InvoiceIssued':
      return invoiceIssuedEventId(event.data.invoiceId);
    case 'BillingRunCompleted':
      return billingRunCompletedEventId(event.data.billingDate);
    case 'PaymentReceived':
      return paymentReceivedEventId(event.data.paymentId);
    case 'CreditNoteIssued':
      return creditNoteIssuedEventId(event.data.creditNoteId);
    case 'CreditGranted':
      return creditGrantedEventId(event.data.grantId);
    case 'DraftCreated':
      return draftCreatedEventId(event.data.draftId);
    case 'DraftApproved':
      return draftApprovedEventId(event.data.draftId);
    case 'DraftVoided':
      return draftVoidedEventId(event.data.draftId);
    case 'PeriodClosed':
      return periodClosedEventId(event.data.month);
    default:
      return unreachable(event, 'event');
  }
}
