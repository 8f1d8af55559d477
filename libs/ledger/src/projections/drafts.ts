import { draftStatus, type DraftFacts, type DraftStatus } from '@compute-ledger/contracts';
import type { DraftRecord, LedgerModel } from './ledger-model.js';

/**
 * Drafts of billing runs as known at a cut-off, and as the API shows them: the draft with its
 * audit trail (who ran the run, who approved or voided it, when, why).
 */

/** What the log knows of a draft at `cutoff`: an approval or voiding recorded later is not known yet. */
export function draftFacts(draft: DraftRecord, cutoff = Number.POSITIVE_INFINITY): DraftFacts {
  return {
    created: draft.data,
    ...(draft.approved !== undefined && draft.approved.position <= cutoff ? { approved: draft.approved.data } : {}),
    ...(draft.voided !== undefined && draft.voided.position <= cutoff ? { voided: draft.voided.data } : {}),
  };
}

export function draftView(draft: DraftRecord, cutoff: number) {
  const facts = draftFacts(draft, cutoff);
  const { createdBy, ...created } = facts.created;
  return {
    ...created,
    status: draftStatus(facts),
    createdBy,
    ...(facts.approved === undefined ? {} : { invoiceId: facts.approved.invoiceId, approvedBy: facts.approved.approvedBy, approvedAt: facts.approved.approvedAt }),
    ...(facts.voided === undefined ? {} : { voidedBy: facts.voided.voidedBy, voidedAt: facts.voided.voidedAt, reason: facts.voided.reason }),
  };
}
export type DraftView = ReturnType<typeof draftView>;

/** Drafts created by `cutoff`, in order of creation, optionally only those of one status then. */
export function draftsAt(model: LedgerModel, cutoff: number, status?: DraftStatus): DraftView[] {
  const views: DraftView[] = [];
  for (const id of model.draftOrder) {
    const draft = model.drafts.get(id)!;
    if (draft.position > cutoff) break;
    const view = draftView(draft, cutoff);
    if (status === undefined || view.status === status) views.push(view);
  }
  return views;
}

/** Drafts still pending at `cutoff` of runs dated at or before `untilMs` (a month cannot close over them). */
export function pendingDraftsUntil(model: LedgerModel, cutoff: number, untilMs: number): DraftView[] {
  return draftsAt(model, cutoff, 'draft').filter((draft) => Date.parse(draft.billingDate) <= untilMs);
}
