import type { DocumentKind, DraftFacts, EventDataOf } from '@compute-ledger/contracts';
import { formatMoney, type Decimal } from '../../shared/decimal.js';
import { ConflictError, ForbiddenError } from '../errors.js';
import { draftApprovedEventId, draftVoidedEventId, invoiceIssuedEventId } from '../streams.js';

/**
 * Four-eyes approval of billing documents (API.md, "Approval and webhooks"), as pure decisions.
 * A run's document whose absolute total is above the threshold becomes a draft: no number, not
 * in receivables or the journal, but counted as invoiced for the line differences of later runs.
 * Another key than the one that ran the run approves it (the document is issued with the next
 * number of its series, dated as the run) or voids it with a reason (its lines come back in the
 * next run). What happened to a draft is decided here; the billing service only appends.
 */

export type DraftCreatedData = EventDataOf<'DraftCreated'>;
export type DraftApprovedData = EventDataOf<'DraftApproved'>;
export type DraftVoidedData = EventDataOf<'DraftVoided'>;

export { draftStatus, type DraftFacts, type DraftStatus } from '@compute-ledger/contracts';

/** Whether a run's document needs a second pair of eyes: its absolute total is above the threshold (none set: never). */
export function needsApproval(total: Decimal, approvalAbove: Decimal | null): boolean {
  return approvalAbove !== null && total.abs().greaterThan(approvalAbove);
}

/** Drafts are numbered in order of creation (DRAFT-000001, ...): an id for the API, not a document number. */
export function draftIdOf(sequence: number): string {
  return `DRAFT-${String(sequence).padStart(6, '0')}`;
}


export interface ApproveInput {
  draft: DraftFacts;
  actor: string;
  /** The number the document gets if issued now: the next of its series at approval time. */
  nextNumber: string;
  now: string;
}

type ApprovalEvents = [{ type: 'DraftApproved'; eventId: string; data: DraftApprovedData }, { type: 'InvoiceIssued'; eventId: string; data: EventDataOf<'InvoiceIssued'> }];

export type ApproveDecision = { outcome: 'unchanged'; invoiceId: string } | { outcome: 'created'; invoiceId: string; events: ApprovalEvents };

/**
 * Approving a draft: the actor who ran the run may not (403); an approved draft approved again
 * answers the document it became (whoever asks: approving twice is a repeat, not a second
 * issue); a voided draft cannot be approved (409). Otherwise the draft is approved and the
 * document issued with `nextNumber`, dated as the run: billing date, issued at the billing date,
 * the run's due date.
 */
export function decideApproval({ draft, actor, nextNumber, now }: ApproveInput): ApproveDecision {
  const { created } = draft;
  if (draft.approved !== undefined) return { outcome: 'unchanged', invoiceId: draft.approved.invoiceId };
  if (draft.voided !== undefined) {
    throw new ConflictError(`draft ${created.draftId} was voided by ${draft.voided.voidedBy} on ${draft.voided.voidedAt}; a voided draft cannot be approved`);
  }
  if (actor === created.createdBy) {
    throw new ForbiddenError(`draft ${created.draftId} was created by the billing run of ${created.billingDate} under this API key (${actor}); another finance or admin key must approve it`);
  }
  const approved: DraftApprovedData = { draftId: created.draftId, invoiceId: nextNumber, approvedBy: actor, approvedAt: now };
  const issued: EventDataOf<'InvoiceIssued'> = {
    invoiceId: nextNumber,
    kind: created.kind,
    tenantId: created.tenantId,
    billingDate: created.billingDate,
    issuedAt: created.billingDate,
    dueAt: created.dueAt,
    currency: created.currency,
    lines: created.lines,
    total: created.total,
  };
  return {
    outcome: 'created',
    invoiceId: nextNumber,
    events: [
      { type: 'DraftApproved', eventId: draftApprovedEventId(created.draftId), data: approved },
      { type: 'InvoiceIssued', eventId: invoiceIssuedEventId(nextNumber), data: issued },
    ],
  };
}

export interface VoidInput {
  draft: DraftFacts;
  actor: string;
  reason: string;
  now: string;
}

export type VoidDecision = { outcome: 'unchanged' } | { outcome: 'created'; event: { type: 'DraftVoided'; eventId: string; data: DraftVoidedData } };

/**
 * Voiding a draft: a voided draft voided again with the same reason answers it unchanged, with
 * another reason 409; an approved draft is an issued document, corrected only by a credit note
 * or the next run's differences (409).
 */
export function decideVoid({ draft, actor, reason, now }: VoidInput): VoidDecision {
  const { created } = draft;
  if (draft.approved !== undefined) {
    throw new ConflictError(`draft ${created.draftId} was approved and issued as ${draft.approved.invoiceId}; an issued document is not voided (a credit note corrects it)`);
  }
  if (draft.voided !== undefined) {
    if (draft.voided.reason === reason) return { outcome: 'unchanged' };
    throw new ConflictError(`draft ${created.draftId} is already voided, with another reason`);
  }
  return { outcome: 'created', event: { type: 'DraftVoided', eventId: draftVoidedEventId(created.draftId), data: { draftId: created.draftId, reason, voidedBy: actor, voidedAt: now } } };
}

/** A draft as a billing run lists it. */
export function runDraftOf(draft: DraftCreatedData): { draftId: string; kind: DocumentKind; tenantId: string; total: string } {
  return { draftId: draft.draftId, kind: draft.kind, tenantId: draft.tenantId, total: draft.total };
}

/** A document a run planned: what a draft records of it. */
export interface PlannedDraftDocument {
  tenantId: string;
  kind: DocumentKind;
  lines: DraftCreatedData['lines'];
  total: Decimal;
  dueAt: string;
}

/** The draft a run records for a planned document above the threshold: no number, created by the run's actor. */
export function draftOf(
  document: PlannedDraftDocument,
  run: { draftId: string; billingDate: string; currency: DraftCreatedData['currency']; createdBy: string; minorDigits: number },
): DraftCreatedData {
  return {
    draftId: run.draftId,
    kind: document.kind,
    tenantId: document.tenantId,
    billingDate: run.billingDate,
    dueAt: document.dueAt,
    currency: run.currency,
    lines: document.lines,
    total: formatMoney(document.total, run.minorDigits),
    createdBy: run.createdBy,
  };
}
