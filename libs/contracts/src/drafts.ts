import type { DraftStatus } from './commands.js';
import type { EventDataOf } from './events.js';

/**
 * A draft of a billing run and what became of it, as the log knows it: the vocabulary the
 * billing decider (which approves and voids drafts) and the projections (which show them) share.
 */
export interface DraftFacts {
  created: EventDataOf<'DraftCreated'>;
  approved?: EventDataOf<'DraftApproved'>;
  voided?: EventDataOf<'DraftVoided'>;
}

export function draftStatus(draft: DraftFacts): DraftStatus {
  if (draft.approved !== undefined) return 'approved';
  if (draft.voided !== undefined) return 'voided';
  return 'draft';
}
