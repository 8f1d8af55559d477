import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  Decimal,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  billingDecider,
  type BillingEvent,
  type PlannedDocument,
  type RunBilling,
} from '@compute-ledger/ledger';
import type { InvoiceLine } from '@compute-ledger/contracts';
import { deciderSpec } from '../support/given-when-then.js';

const spec = deciderSpec(billingDecider);
const ms = (instant: string): number => Date.parse(instant);
const now = ms('2026-01-15T00:00:00Z');

function line(leaseId: string, amount: string): InvoiceLine {
  return { leaseId, serviceMonth: '2025-12', kind: 'commitment', description: 'Commitment 2025-12', quantity: '1', unitPrice: amount, amount, adjustment: false, sources: [] };
}

function planned(tenantId: string, amount: string): PlannedDocument {
  const total = new Decimal(amount);
  return { tenantId, kind: total.isNegative() ? 'credit_note' : 'invoice', lines: [line(`${tenantId}-lease`, amount)], total, dueAt: '2026-01-31T00:00:00Z' };
}

function run(billingDate: string, plan: PlannedDocument[], overrides: Partial<RunBilling> = {}): RunBilling {
  return { type: 'RunBilling', billingDate, nowMs: now, cutoff: 42, plan: () => plan, currency: 'USD', actor: 'billing#runner', approvalAbove: null, ...overrides };
}

function issued(invoiceId: string, document: PlannedDocument, billingDate: string, total: string): BillingEvent {
  return {
    type: 'InvoiceIssued',
    data: { invoiceId, kind: document.kind, tenantId: document.tenantId, billingDate, issuedAt: billingDate, dueAt: document.dueAt, currency: 'USD', lines: document.lines, total },
  };
}

const alpha = planned('alpha', '1000');
const beta = planned('beta', '-250.5');
const december: BillingEvent[] = [
  issued('INV-000001', alpha, '2026-01-01T00:00:00Z', '1000.00'),
  issued('CN-000001', beta, '2026-01-01T00:00:00Z', '-250.50'),
  {
    type: 'BillingRunCompleted',
    data: {
      billingDate: '2026-01-01T00:00:00Z',
      cutoffPosition: 42,
      documents: [
        { invoiceId: 'INV-000001', kind: 'invoice', tenantId: 'alpha', total: '1000.00' },
        { invoiceId: 'CN-000001', kind: 'credit_note', tenantId: 'beta', total: '-250.50' },
      ],
    },
  },
];

describe('a billing run', () => {
  it("issues the plan's documents numbered per series in plan order, then records the run", () => {
    spec.given([]).when(run('2026-01-01T00:00:00Z', [alpha, beta])).then(december);
  });

  it('numbers on from the documents already issued, gap-free per series', () => {
    const gamma = planned('gamma', '20');
    const delta = planned('delta', '-5');
    spec
      .given(december)
      .when(run('2026-02-01T00:00:00Z', [alpha, gamma, delta], { nowMs: ms('2026-02-01T00:00:00Z') }))
      .then([
        issued('INV-000002', alpha, '2026-02-01T00:00:00Z', '1000.00'),
        issued('INV-000003', gamma, '2026-02-01T00:00:00Z', '20.00'),
        issued('CN-000002', delta, '2026-02-01T00:00:00Z', '-5.00'),
        {
          type: 'BillingRunCompleted',
          data: {
            billingDate: '2026-02-01T00:00:00Z',
            cutoffPosition: 42,
            documents: [
              { invoiceId: 'INV-000002', kind: 'invoice', tenantId: 'alpha', total: '1000.00' },
              { invoiceId: 'INV-000003', kind: 'invoice', tenantId: 'gamma', total: '20.00' },
              { invoiceId: 'CN-000002', kind: 'credit_note', tenantId: 'delta', total: '-5.00' },
            ],
          },
        },
      ]);
  });

  it('records a run with no documents when nothing is owed', () => {
    spec.given([]).when(run('2026-01-01T00:00:00Z', [])).then([{ type: 'BillingRunCompleted', data: { billingDate: '2026-01-01T00:00:00Z', cutoffPosition: 42, documents: [] } }]);
  });

  it('is done once: the same date again, in any spelling of the instant, issues nothing and plans nothing', () => {
    let planned = 0;
    const again = run('2026-01-01T00:00:00.000Z', [alpha], { plan: () => ((planned += 1), [alpha]) });
    spec.given(december).when(again).thenNothing();
    expect(planned).toBe(0);
  });

  it('refuses a date earlier than the latest completed run', () => {
    spec
      .given(december)
      .when(run('2025-12-01T00:00:00Z', [alpha]))
      .thenThrows(ConflictError, 'a billing run for 2025-12-01T00:00:00Z is earlier than the latest completed run, 2026-01-01T00:00:00Z');
  });

  it('refuses a billing date after now', () => {
    spec
      .given([])
      .when(run('2026-02-01T00:00:00Z', [alpha]))
      .thenThrows(RuleViolationError, 'billing date 2026-02-01T00:00:00Z is in the future: the months it bills in arrears are not over');
  });
});

describe('a payment', () => {
  const payment = { paymentId: 'P-1', tenantId: 'alpha', amount: '500', receivedAt: '2026-01-10T00:00:00Z', invoiceId: 'INV-000001' };
  const record = (data: Partial<typeof payment> = {}, tenantExists = true) => ({ type: 'RecordPayment' as const, data: { ...payment, ...data }, nowMs: now, tenantExists, currency: 'USD' as const });
  const received: BillingEvent = { type: 'PaymentReceived', data: { ...payment, amount: '500.00' } };

  it('is recorded with its amount in minor digits', () => {
    spec.given(december).when(record()).then([received]);
  });

  it('is recorded once: the same payment again records nothing, other content is a conflict', () => {
    spec.given([...december, received]).when(record({ amount: '500.00' })).thenNothing();
    spec.given([...december, received]).when(record({ amount: '501' })).thenThrows(ConflictError, 'payment P-1 already exists with other content');
  });

  it('is refused when dated in the future, for an unknown tenant, an unknown invoice, or another tenant\'s invoice', () => {
    spec.given(december).when(record({ receivedAt: '2026-01-16T00:00:00Z' })).thenThrows(RuleViolationError, 'payment P-1 is dated 2026-01-16T00:00:00Z, in the future');
    spec.given(december).when(record({}, false)).thenThrows(NotFoundError, 'tenant alpha does not exist');
    spec.given(december).when(record({ invoiceId: 'INV-000009' })).thenThrows(NotFoundError, 'invoice INV-000009 does not exist');
    spec.given(december).when(record({ invoiceId: 'CN-000001' })).thenThrows(NotFoundError, 'invoice CN-000001 does not exist');
    spec.given(december).when(record({ tenantId: 'beta' })).thenThrows(RuleViolationError, 'invoice INV-000001 belongs to another tenant than beta');
  });

  it('is refused for a zero amount or finer digits than the currency has', () => {
    spec.given(december).when(record({ amount: '0' })).thenThrows(ValidationError, 'amount must be greater than zero');
    spec.given(december).when(record({ amount: '1.005' })).thenThrows(ValidationError, 'amount 1.005 has more decimals than USD allows (2)');
  });
});

describe('a credit note', () => {
  const body = { creditNoteId: 'GW-1', tenantId: 'alpha', amount: '50', reason: 'Goodwill', invoiceId: 'INV-000001' };
  const issue = (data: Partial<typeof body> & { issuedAt?: string } = {}, nowMs = now) => ({
    type: 'IssueCreditNote' as const,
    data: { ...body, ...data },
    nowMs,
    tenantExists: true,
    currency: 'USD' as const,
  });
  const note: BillingEvent = {
    type: 'CreditNoteIssued',
    data: { creditNoteId: 'GW-1', documentId: 'CN-000002', tenantId: 'alpha', amount: '50.00', currency: 'USD', reason: 'Goodwill', invoiceId: 'INV-000001', issuedAt: '2026-01-15T00:00:00Z' },
  };

  it('takes the next number of the credit note series, issued now when the body names no instant', () => {
    spec.given(december).when(issue()).then([note]);
  });

  it('is issued once: the same note again (decided later) records nothing, other content is a conflict', () => {
    spec.given([...december, note]).when(issue({}, now + 86_400_000)).thenNothing();
    spec.given([...december, note]).when(issue({ amount: '60' })).thenThrows(ConflictError, 'credit note GW-1 already exists with other content');
    spec.given([...december, note]).when(issue({ issuedAt: '2026-01-14T00:00:00Z' })).thenThrows(ConflictError, 'credit note GW-1 already exists with other content');
  });

  it('moves the series on for the next run', () => {
    const epsilon = planned('epsilon', '-1');
    spec
      .given([...december, note])
      .when(run('2026-01-02T00:00:00Z', [epsilon]))
      .then([
        issued('CN-000003', epsilon, '2026-01-02T00:00:00Z', '-1.00'),
        {
          type: 'BillingRunCompleted',
          data: { billingDate: '2026-01-02T00:00:00Z', cutoffPosition: 42, documents: [{ invoiceId: 'CN-000003', kind: 'credit_note', tenantId: 'epsilon', total: '-1.00' }] },
        },
      ]);
  });
});
