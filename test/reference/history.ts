import type {
  AllocateCapacityBody,
  AmendLeaseBody,
  CommissionSiteBody,
  CorrectUsageBody,
  IssueCreditNoteBody,
  RecordCreditGrantBody,
  RecordOutageBody,
  RecordPaymentBody,
  RegisterTenantBody,
  SignLeaseBody,
  TerminateLeaseBody,
  UsageRecordBody,
} from '@compute-ledger/contracts';

/**
 * A history: what the outside world tells the ledger, in the order it is told, each step at the
 * instant it is recorded (`at`, epoch ms, strictly increasing). Both models replay the same
 * steps; neither sees the other's answers.
 */
export type Step =
  | { kind: 'site'; body: CommissionSiteBody }
  | { kind: 'tenant'; body: RegisterTenantBody }
  | { kind: 'lease'; body: SignLeaseBody }
  | { kind: 'amend'; leaseId: string; body: AmendLeaseBody }
  | { kind: 'terminate'; leaseId: string; body: TerminateLeaseBody }
  | { kind: 'allocate'; body: AllocateCapacityBody }
  | { kind: 'release'; allocationId: string; endsAt: string }
  | { kind: 'usage'; records: UsageRecordBody[] }
  | { kind: 'correct'; body: CorrectUsageBody }
  | { kind: 'outage'; body: RecordOutageBody }
  | { kind: 'run'; billingDate: string }
  | { kind: 'close'; month: string }
  | { kind: 'pay'; body: RecordPaymentBody }
  | { kind: 'credit'; body: IssueCreditNoteBody }
  | { kind: 'grant'; body: RecordCreditGrantBody }
  /** Four eyes: `runner` is the actor every run is recorded by (refused: it may not approve its own run's draft), `approver` another key. */
  | { kind: 'approve'; draftId: string; actor: 'runner' | 'approver' }
  | { kind: 'void'; draftId: string; reason: string };

export interface TimedStep {
  at: number;
  step: Step;
}

/** The instants at which both models are asked every report. */
export interface Probe {
  asOf: number;
  knownAt: number;
}

export interface History {
  steps: TimedStep[];
  probes: Probe[];
  /** Service months every month report is asked for. */
  months: string[];
  /** LEDGER_APPROVAL_ABOVE for the whole history, or none (every document issued at once). */
  approvalAbove?: string;
}

export const iso = (ms: number): string => {
  const text = new Date(ms).toISOString();
  return text.endsWith('.000Z') ? `${text.slice(0, 19)}Z` : text;
};
