import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, RuleViolationError, ValidationError, decideCreditGrant, type CreditGrantFacts, type RecordCreditGrant } from '@compute-ledger/ledger';
import type { RecordCreditGrantBody } from '@compute-ledger/contracts';

/** The decision on a credit grant: given the facts it reads, when a grant is asked, then its events or a refusal. */

const prepaid: RecordCreditGrantBody = { grantId: 'G-1', tenantId: 'frontier-lab', kind: 'prepaid', amount: '3000000', effectiveAt: '2026-01-15T00:00:00Z', expiresAt: '2026-03-01T00:00:00Z', priority: 10 };

function command(body: RecordCreditGrantBody): RecordCreditGrant {
  return { body, recordedAt: '2026-01-15T09:00:00Z', nextInvoiceId: 'INV-000003', currency: 'USD', minorDigits: 2 };
}

const facts: CreditGrantFacts = {
  tenant: { tenantId: 'frontier-lab', paymentTermsDays: 30 },
  leaseTenants: new Map([['L-1001', 'frontier-lab'], ['L-2001', 'other-lab']]),
  existing: undefined,
};

describe('deciding a credit grant', () => {
  it('records a prepaid grant with its invoice: next INV number, dated effectiveAt, one prepayment line', () => {
    const [granted, invoice] = decideCreditGrant(command(prepaid), facts);
    expect(granted).toEqual({
      type: 'CreditGranted',
      data: { grantId: 'G-1', tenantId: 'frontier-lab', kind: 'prepaid', amount: '3000000.00', effectiveAt: '2026-01-15T00:00:00Z', expiresAt: '2026-03-01T00:00:00Z', priority: 10, appliesTo: ['commitment', 'overage', 'termination_fee'], invoiceId: 'INV-000003', recordedAt: '2026-01-15T09:00:00Z' },
    });
    expect(invoice).toMatchObject({ type: 'InvoiceIssued', data: { invoiceId: 'INV-000003', billingDate: '2026-01-15T00:00:00Z', issuedAt: '2026-01-15T09:00:00Z', dueAt: '2026-02-14T00:00:00Z', total: '3000000.00' } }); // due effectiveAt + 30 days
    expect(invoice!.type === 'InvoiceIssued' && invoice!.data.lines).toEqual([expect.objectContaining({ leaseId: null, serviceMonth: '2026-01', kind: 'prepayment', amount: '3000000.00', grantId: 'G-1' })]);
  });

  it('records a promotional grant alone, with priority 50 by default', () => {
    const decision = decideCreditGrant(command({ grantId: 'P-1', tenantId: 'frontier-lab', kind: 'promotional', amount: '50000.00', effectiveAt: '2026-01-15T00:00:00Z', leaseIds: ['L-1001'] }), facts);
    expect(decision.map((event) => [event.type, (event.data as { priority?: number }).priority])).toEqual([['CreditGranted', 50]]);
  });

  it('answers a repeat unchanged and the same id with other content as a conflict', () => {
    const [first] = decideCreditGrant(command(prepaid), facts);
    const stored = first!.data as Parameters<typeof decideCreditGrant>[1]['existing'];
    expect(decideCreditGrant(command({ ...prepaid, amount: '3000000.00' }), { ...facts, existing: stored })).toEqual([]); // a repeat records nothing
    expect(() => decideCreditGrant(command({ ...prepaid, priority: 11 }), { ...facts, existing: stored })).toThrow(ConflictError);
  });

  it('refuses an unknown tenant, a lease unknown or of another tenant, a bad expiry, a non-positive amount and too many decimals', () => {
    expect(() => decideCreditGrant(command(prepaid), { ...facts, tenant: undefined })).toThrow(NotFoundError);
    expect(() => decideCreditGrant(command({ ...prepaid, leaseIds: ['L-9'] }), facts)).toThrow(NotFoundError);
    expect(() => decideCreditGrant(command({ ...prepaid, leaseIds: ['L-2001'] }), facts)).toThrow(RuleViolationError);
    expect(() => decideCreditGrant(command({ ...prepaid, expiresAt: prepaid.effectiveAt }), facts)).toThrow(ValidationError);
    expect(() => decideCreditGrant(command({ ...prepaid, expiresAt: '2026-01-01T00:00:00Z' }), facts)).toThrow(ValidationError);
    expect(() => decideCreditGrant(command({ ...prepaid, amount: '0' }), facts)).toThrow(ValidationError);
    expect(() => decideCreditGrant(command({ ...prepaid, amount: '1.001' }), facts)).toThrow(/more decimals than USD/);
  });
});
