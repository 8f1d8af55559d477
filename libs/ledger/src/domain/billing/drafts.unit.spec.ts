import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError } from '../errors.js';
import { Decimal } from '../../shared/decimal.js';
import { decideApproval, decideVoid, draftIdOf, draftStatus, needsApproval, type DraftFacts } from './drafts.js';

const created: DraftFacts['created'] = {
  draftId: 'DRAFT-000001',
  kind: 'invoice',
  tenantId: 'frontier-lab',
  billingDate: '2025-12-01T00:00:00Z',
  dueAt: '2025-12-31T00:00:00Z',
  currency: 'USD',
  lines: [{ leaseId: 'L-1001', serviceMonth: '2025-11', kind: 'commitment', description: 'Commitment 2025-11', quantity: '504000', unitPrice: '2.10', amount: '1058400.00', adjustment: false, sources: [] }],
  total: '1058400.00',
  createdBy: 'finance#aaaaaaaaaaaa',
};
const pending: DraftFacts = { created };
const now = '2025-12-02T09:00:00Z';

describe('which documents of a run are drafts', () => {
  it('needs approval strictly above the threshold, in absolute value; never without one', () => {
    const threshold = new Decimal('1000000.00');
    expect(needsApproval(new Decimal('1000000.01'), threshold)).toBe(true);
    expect(needsApproval(new Decimal('1000000.00'), threshold)).toBe(false);
    // A credit note of -1,000,000.01 is as large as an invoice of 1,000,000.01.
    expect(needsApproval(new Decimal('-1000000.01'), threshold)).toBe(true);
    expect(needsApproval(new Decimal('99999999999.99'), null)).toBe(false);
    // A threshold of 0: every document with a non-zero total waits for a second key.
    expect(needsApproval(new Decimal('0.01'), new Decimal(0))).toBe(true);
  });

  it('numbers drafts in order of creation', () => {
    expect([draftIdOf(1), draftIdOf(42)]).toEqual(['DRAFT-000001', 'DRAFT-000042']);
  });
});

describe('approving a draft', () => {
  it('refuses the actor who ran the run', () => {
    expect(() => decideApproval({ draft: pending, actor: created.createdBy, nextNumber: 'INV-000003', now })).toThrow(ForbiddenError);
  });

  it('issues it with the number given, dated as the run, and records who approved it when', () => {
    const decision = decideApproval({ draft: pending, actor: 'admin#bbbbbbbbbbbb', nextNumber: 'INV-000003', now });
    expect(decision.outcome).toBe('created');
    if (decision.outcome !== 'created') return;
    expect(decision.events.map((event) => [event.type, event.eventId])).toEqual([
      ['DraftApproved', 'draft-approved:DRAFT-000001'],
      ['InvoiceIssued', 'document:INV-000003'],
    ]);
    expect(decision.events[0].data).toEqual({ draftId: 'DRAFT-000001', invoiceId: 'INV-000003', approvedBy: 'admin#bbbbbbbbbbbb', approvedAt: now });
    expect(decision.events[1].data).toEqual({
      invoiceId: 'INV-000003',
      kind: 'invoice',
      tenantId: 'frontier-lab',
      billingDate: '2025-12-01T00:00:00Z',
      issuedAt: '2025-12-01T00:00:00Z',
      dueAt: '2025-12-31T00:00:00Z',
      currency: 'USD',
      lines: created.lines,
      total: '1058400.00',
    });
  });

  it('answers an approved draft unchanged, whoever asks, with the number it got; refuses a voided one', () => {
    const approved: DraftFacts = { created, approved: { draftId: 'DRAFT-000001', invoiceId: 'INV-000002', approvedBy: 'admin#b', approvedAt: now } };
    expect(decideApproval({ draft: approved, actor: created.createdBy, nextNumber: 'INV-000009', now })).toEqual({ outcome: 'unchanged', invoiceId: 'INV-000002' });
    expect(draftStatus(approved)).toBe('approved');
    const voided: DraftFacts = { created, voided: { draftId: 'DRAFT-000001', reason: 'wrong rate', voidedBy: 'admin#b', voidedAt: now } };
    expect(() => decideApproval({ draft: voided, actor: 'admin#b', nextNumber: 'INV-000009', now })).toThrow(ConflictError);
  });
});

describe('voiding a draft', () => {
  it('records the reason, who and when; the same void again is unchanged, another reason a conflict', () => {
    const decision = decideVoid({ draft: pending, actor: created.createdBy, reason: 'wrong rate', now });
    expect(decision).toEqual({ outcome: 'created', event: { type: 'DraftVoided', eventId: 'draft-voided:DRAFT-000001', data: { draftId: 'DRAFT-000001', reason: 'wrong rate', voidedBy: created.createdBy, voidedAt: now } } });
    const voided: DraftFacts = { created, voided: { draftId: 'DRAFT-000001', reason: 'wrong rate', voidedBy: 'admin#b', voidedAt: now } };
    expect(draftStatus(voided)).toBe('voided');
    expect(decideVoid({ draft: voided, actor: 'finance#c', reason: 'wrong rate', now: '2026-01-01T00:00:00Z' })).toEqual({ outcome: 'unchanged' });
    expect(() => decideVoid({ draft: voided, actor: 'admin#b', reason: 'another', now })).toThrow(ConflictError);
  });

  it('refuses an approved draft: it is an issued document', () => {
    const approved: DraftFacts = { created, approved: { draftId: 'DRAFT-000001', invoiceId: 'INV-000002', approvedBy: 'admin#b', approvedAt: now } };
    expect(() => decideVoid({ draft: approved, actor: 'admin#b', reason: 'late', now })).toThrow(/issued as INV-000002/);
  });
});
