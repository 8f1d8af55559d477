import { useState } from 'react';
import { ApiError } from '../api/client.js';
import type { DraftAnswer, DraftListAnswer } from '../api/types.js';
import { Badge, Loaded } from '../components/status.js';
import { formatInstant, formatMoney } from '../format.js';
import { useLedger, useLoad } from '../ledger-context.js';
import type { Route } from '../routing.js';

/**
 * Four-eyes approval: the billing runs' documents above the approval threshold, waiting for a
 * second key. Approve issues a draft with the next number of its series; void drops it with a
 * reason, and the next run bills its lines again. The API decides who may (never the key that
 * ran the run): the page offers the buttons and shows the API's answer, refusals included.
 */

const statusTone = { draft: 'warn', approved: 'good', voided: 'muted' } as const;

export function DraftsPage({ route }: { route: Route }) {
  const { api, currency } = useLedger();
  const knownAt = route.params.get('knownAt') ?? undefined;
  const [reloads, setReloads] = useState(0);
  const [outcome, setOutcome] = useState<{ tone: 'good' | 'bad'; text: string } | null>(null);
  const loaded = useLoad(JSON.stringify(['drafts', knownAt, reloads]), () => api.get<DraftListAnswer>('/drafts', { knownAt }));

  const act = async (draft: DraftAnswer, action: 'approve' | 'void', reason?: string) => {
    try {
      if (action === 'approve') {
        const issued = await api.post<{ invoiceId: string }>(`/drafts/${encodeURIComponent(draft.draftId)}/approve`, {});
        setOutcome({ tone: 'good', text: `${draft.draftId} approved: issued as ${issued.invoiceId}.` });
      } else {
        await api.post(`/drafts/${encodeURIComponent(draft.draftId)}/void`, { reason });
        setOutcome({ tone: 'good', text: `${draft.draftId} voided: the next billing run bills its lines again.` });
      }
      setReloads((count) => count + 1);
    } catch (error) {
      setOutcome({ tone: 'bad', text: error instanceof ApiError ? `The ledger refused: ${error.detail === '' ? error.title : error.detail}` : String(error) });
    }
  };

  return (
    <Loaded value={loaded}>
      {(answer) => (
        <>
          {outcome === null ? null : (
            <p className={outcome.tone === 'bad' ? 'status error' : 'status'} role={outcome.tone === 'bad' ? 'alert' : 'status'} data-outcome={outcome.tone}>
              {outcome.text}
            </p>
          )}
          {answer.drafts.length === 0 ? <p>No billing run has left a document for approval.</p> : null}
          <table className="data-table" data-table="drafts">
            <thead>
              <tr>
                <th>Draft</th>
                <th>Status</th>
                <th>Tenant</th>
                <th>Billing date</th>
                <th className="number">Total</th>
                <th>Audit trail</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {answer.drafts.map((draft) => (
                <tr key={draft.draftId} data-draft={draft.draftId}>
                  <td>{draft.draftId}</td>
                  <td>
                    <Badge tone={statusTone[draft.status]}>{draft.status}</Badge>
                  </td>
                  <td>{draft.tenantId}</td>
                  <td>{formatInstant(draft.billingDate)}</td>
                  <td className="number">{formatMoney(draft.total, currency)}</td>
                  <td>{auditTrail(draft)}</td>
                  <td>{draft.status === 'draft' && knownAt === undefined ? <DraftActions draft={draft} onAct={act} /> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Loaded>
  );
}

function auditTrail(draft: DraftAnswer): string {
  const steps = [`run by ${draft.createdBy}`];
  if (draft.approvedBy !== undefined) steps.push(`approved by ${draft.approvedBy} on ${formatInstant(draft.approvedAt ?? '')} as ${draft.invoiceId ?? ''}`);
  if (draft.voidedBy !== undefined) steps.push(`voided by ${draft.voidedBy} on ${formatInstant(draft.voidedAt ?? '')}: ${draft.reason ?? ''}`);
  return steps.join('; ');
}

function DraftActions({ draft, onAct }: { draft: DraftAnswer; onAct: (draft: DraftAnswer, action: 'approve' | 'void', reason?: string) => Promise<void> }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const run = (action: 'approve' | 'void') => {
    setBusy(true);
    void onAct(draft, action, action === 'void' ? reason.trim() : undefined).finally(() => setBusy(false));
  };
  return (
    <div className="draft-actions">
      <button type="button" disabled={busy} onClick={() => run('approve')} data-action="approve">
        Approve
      </button>
      <input aria-label={`Reason to void ${draft.draftId}`} placeholder="Reason to void" value={reason} onChange={(event) => setReason(event.target.value)} maxLength={1000} />
      <button type="button" className="secondary" disabled={busy || reason.trim() === ''} onClick={() => run('void')} data-action="void">
        Void
      </button>
    </div>
  );
}
