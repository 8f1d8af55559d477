import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChargeKind, InvoiceLine } from '@compute-ledger/contracts';
import { Decimal, ZERO, sum } from '../shared/decimal.js';
import { drawDown, grantBalanceAt, type GrantTerms, type GrantWithDraws } from './credits.js';

/** The drawdown and expiry rules of DOMAIN.md ("Credit grants") as pure functions. */

const billingDateMs = Date.UTC(2026, 1, 1);
const chargeKinds: ChargeKind[] = ['commitment', 'overage', 'sla_credit', 'termination_fee'];

function line(leaseId: string, kind: ChargeKind, amount: string): InvoiceLine {
  return { leaseId, serviceMonth: '2026-01', kind, description: kind, quantity: '1', unitPrice: amount, amount, adjustment: false, sources: [{ position: 1, eventId: `lease:${leaseId}`, type: 'LeaseSigned' }] };
}

function grant(grantId: string, amount: string, terms: Partial<GrantTerms> = {}, drawn: string[] = []): GrantWithDraws {
  return {
    terms: {
      grantId, kind: 'prepaid', amount: new Decimal(amount), effectiveAtMs: Date.UTC(2026, 0, 1), expiresAtMs: null, priority: 50,
      appliesTo: ['commitment', 'overage', 'termination_fee'], leaseIds: null, source: { position: 2, eventId: `credit-grant:${grantId}`, type: 'CreditGranted' }, ...terms,
    },
    draws: drawn.map((value, index) => ({ invoiceId: `INV-${index}`, billingDateMs: Date.UTC(2026, 0, 1), amount: new Decimal(value), position: 3 + index })),
  };
}

describe('drawing grants down on a document', () => {
  it('draws the worked example: P-1 on the overage, G-1 on the rest, down to zero', () => {
    const lines = [line('L-1001', 'overage', '196000.00'), line('L-1001', 'commitment', '2688000.00')];
    const grants = [
      grant('G-1', '3000000.00', { priority: 10, expiresAtMs: Date.UTC(2026, 2, 1) }),
      grant('P-1', '50000.00', { kind: 'promotional', priority: 1, appliesTo: ['overage'], expiresAtMs: Date.UTC(2026, 11, 31) }),
    ];
    const { creditLines } = drawDown(lines, grants, billingDateMs, 2);
    expect(creditLines.map((credit) => [credit.grantId, credit.amount])).toEqual([
      ['P-1', '-50000.00'],
      ['G-1', '-2834000.00'], // min(3,000,000 remaining, 146,000 + 2,688,000 eligible, 2,884,000 - 50,000 cap)
    ]);
  });

  it('caps a draw at what keeps the document at zero: an SLA credit line is paid for by no grant', () => {
    const lines = [line('L-1', 'commitment', '1000.00'), line('L-1', 'sla_credit', '-400.00')];
    const { creditLines } = drawDown(lines, [grant('G', '5000.00')], billingDateMs, 2);
    expect(creditLines.map((credit) => credit.amount)).toEqual(['-600.00']); // cap 1,000 - 400
  });

  it('takes no grant not yet in effect, expired on the billing date, used up, or restricted to other kinds and leases', () => {
    const lines = [line('L-1', 'commitment', '1000.00')];
    const grants = [
      grant('late', '10.00', { effectiveAtMs: billingDateMs + 1 }),
      grant('expired', '10.00', { expiresAtMs: billingDateMs }),
      grant('used', '10.00', {}, ['10.00']),
      grant('overage-only', '10.00', { appliesTo: ['overage'] }),
      grant('other-lease', '10.00', { leaseIds: ['L-2'] }),
    ];
    expect(drawDown(lines, grants, billingDateMs, 2).creditLines).toEqual([]);
  });

  it('orders by priority, then expiry (none last), then effective date, then id', () => {
    const lines = [line('L-1', 'commitment', '100.00')];
    const grants = [
      grant('d', '1.00', { priority: 5 }),
      grant('c', '1.00', { priority: 5, expiresAtMs: Date.UTC(2026, 5, 1) }),
      grant('b', '1.00', { priority: 5, expiresAtMs: Date.UTC(2026, 5, 1), effectiveAtMs: Date.UTC(2025, 0, 1) }),
      grant('a', '1.00', { priority: 6 }),
      grant('e', '1.00', { priority: 5 }),
    ];
    expect(drawDown(lines, grants, billingDateMs, 2).creditLines.map((credit) => credit.grantId)).toEqual(['b', 'c', 'd', 'e', 'a']);
  });

  it('never draws more than a grant holds, a line holds, or the document total allows', () => {
    const lineArbitrary = fc.record({ lease: fc.constantFrom('L-1', 'L-2'), kind: fc.constantFrom(...chargeKinds), cents: fc.integer({ min: -50_000, max: 100_000 }) });
    const grantArbitrary = fc.record({
      cents: fc.integer({ min: 1, max: 120_000 }),
      drawnCents: fc.integer({ min: 0, max: 120_000 }),
      priority: fc.nat(3),
      appliesTo: fc.subarray(chargeKinds, { minLength: 1 }),
      lease: fc.option(fc.constantFrom('L-1', 'L-2'), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(lineArbitrary, { minLength: 1, maxLength: 6 }), fc.array(grantArbitrary, { maxLength: 5 }), (lineSpecs, grantSpecs) => {
        const lines = lineSpecs.filter((spec) => spec.cents !== 0).map((spec) => line(spec.lease, spec.kind, (spec.cents / 100).toFixed(2)));
        const grants = grantSpecs.map((spec, index) =>
          grant(`G-${index}`, (spec.cents / 100).toFixed(2), { priority: spec.priority, appliesTo: spec.appliesTo, leaseIds: spec.lease === undefined ? null : [spec.lease] }, [(Math.min(spec.drawnCents, spec.cents) / 100).toFixed(2)]),
        );
        const { creditLines } = drawDown(lines, grants, billingDateMs, 2);
        const before = sum(lines.map((each) => new Decimal(each.amount)));
        const after = before.plus(sum(creditLines.map((each) => new Decimal(each.amount))));
        // No document goes negative because of a credit: it ends at or above min(before, 0).
        expect(after.greaterThanOrEqualTo(Decimal.min(before, ZERO))).toBe(true);
        for (const credit of creditLines) {
          const source = grants.find((each) => each.terms.grantId === credit.grantId)!;
          const drawn = new Decimal(credit.amount).negated();
          expect(drawn.greaterThan(0)).toBe(true);
          expect(drawn.lessThanOrEqualTo(source.terms.amount.minus(source.draws[0]!.amount))).toBe(true);
          expect(sum(credit.drawnFrom!.map((part) => new Decimal(part.amount))).equals(drawn)).toBe(true);
        }
        // What the credits took from each line is at most the line.
        for (const charge of lines) {
          const taken = sum(creditLines.flatMap((credit) => credit.drawnFrom!.filter((part) => part.leaseId === charge.leaseId && part.kind === charge.kind).map((part) => new Decimal(part.amount))));
          const positive = sum(lines.filter((each) => each.leaseId === charge.leaseId && each.kind === charge.kind && new Decimal(each.amount).greaterThan(0)).map((each) => new Decimal(each.amount)));
          expect(taken.lessThanOrEqualTo(positive)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('a grant as of an instant', () => {
  it('keeps drawn + expired + remaining = amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.array(fc.record({ cents: fc.integer({ min: 1, max: 100_000 }), month: fc.nat(6) }), { maxLength: 5 }), fc.nat(8), fc.option(fc.nat(8), { nil: undefined }), (cents, drawSpecs, asOfMonth, expiryMonth) => {
        let left = cents;
        const expiresAtMs = expiryMonth === undefined ? null : Date.UTC(2026, expiryMonth, 15);
        // Runs draw only while the grant is usable: billed before it expires.
        const usable = drawSpecs.filter((spec) => expiresAtMs === null || Date.UTC(2026, spec.month, 1) < expiresAtMs);
        const draws = usable.flatMap((spec, index) => {
          const amount = Math.min(left, spec.cents);
          left -= amount;
          return amount === 0 ? [] : [{ invoiceId: `INV-${index}`, billingDateMs: Date.UTC(2026, spec.month, 1), amount: new Decimal(amount).dividedBy(100), position: index }];
        });
        const withDraws = { ...grant('G', (cents / 100).toFixed(2), { expiresAtMs }), draws };
        const balance = grantBalanceAt(withDraws, Date.UTC(2026, asOfMonth, 2));
        for (const part of [balance.drawn, balance.expired, balance.remaining]) expect(part.isNegative()).toBe(false);
        expect(balance.drawn.plus(balance.expired).plus(balance.remaining).equals(withDraws.terms.amount)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
