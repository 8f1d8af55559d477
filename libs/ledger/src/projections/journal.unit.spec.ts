import { describe, expect, it } from 'vitest';
import { InvariantError } from '@compute-ledger/contracts';
import { dec, ZERO } from '../shared/decimal.js';
import { accountBalances, type JournalEntry } from './journal.js';
import { ModelMemos } from './memos.js';
import { trialBalanceOf } from './reports.js';

const entry = (entryId: string, debit: string, credit: string): JournalEntry => ({
  entryId,
  effectiveAtMs: Date.parse('2025-11-30T00:00:00Z'),
  description: `forged entry ${entryId}`,
  position: 1,
  postings: [
    { account: '1100', debit: dec(debit), credit: ZERO },
    { account: '1200', leaseId: 'L-1001', debit: ZERO, credit: dec(credit) },
  ],
});

describe('the journal invariants', () => {
  it('sums a balanced entry per account and per lease', () => {
    const { accounts, leases } = accountBalances([entry('INV-000001', '2412000.00', '2412000.00')], new ModelMemos());
    expect(accounts.get('1100')?.toFixed(2)).toBe('2412000.00');
    expect(accounts.get('1200')?.toFixed(2)).toBe('-2412000.00');
    expect(leases.get('L-1001')?.toFixed(2)).toBe('-2412000.00');
  });

  it('stops at an unbalanced entry: debits 100.00, credits 99.99', () => {
    expect(() => accountBalances([entry('INV-forged', '100.00', '99.99')], new ModelMemos())).toThrow(InvariantError);
    expect(() => accountBalances([entry('INV-forged', '100.00', '99.99')], new ModelMemos())).toThrow('journal entry INV-forged is balanced (debits minus credits is 0.01)');
  });

  it('answers a balanced trial balance with equal totals', () => {
    // 1000 Cash 150.00 debit, 1100 receivable 50.00 debit, 4000 revenue 200.00 credit: 200.00 = 200.00.
    const balances = new Map([['1000', dec('150.00')], ['1100', dec('50.00')], ['4000', dec('-200.00')]] as const);
    const answer = trialBalanceOf(balances, 2);
    expect(answer).toMatchObject({ totalDebit: '200.00', totalCredit: '200.00' });
  });

  it('stops at a trial balance whose totals differ', () => {
    // Forged: debits 150.00 + 50.00 = 200.00, credits 199.99.
    const balances = new Map([['1000', dec('150.00')], ['1100', dec('50.00')], ['4000', dec('-199.99')]] as const);
    expect(() => trialBalanceOf(balances, 2)).toThrow(InvariantError);
    expect(() => trialBalanceOf(balances, 2)).toThrow('the trial balance is balanced (debits 200, credits 199.99)');
  });
});
