import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { foldLease, modelDigest, restoreModel, writeModelSnapshot, type Ledger } from '@compute-ledger/ledger';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { openLedgerAt } from '@compute-ledger/api';
import {
  workedExampleAllocation,
  workedExampleDecemberReadings,
  workedExampleLease,
  workedExampleNovemberReadings,
  workedExampleOutage,
  workedExampleSite,
  workedExampleTenant,
} from '../support/worked-example.js';

/**
 * Four-eyes approval in the ledger itself, on the worked example with LEDGER_APPROVAL_ABOVE =
 * 2,000,000.00: a draft is counted as invoiced while pending, its snapshot and checkpoint keep it,
 * and numbers stay gap-free in order of issue.
 *
 *   run of 2025-12-01: November 1,040,760.00 + December in advance 1,562,400.00 = 2,603,160.00 (a draft)
 *   run of 2026-01-01 with the draft pending: January in advance 1,562,400.00 only (below: issued as INV-000001)
 */

const runner = { actor: 'finance#runner' };
const approver = { actor: 'admin#approver' };
let directory: string;
let ledger: Ledger;
let now = new Date('2025-10-20T12:00:00Z');

async function open(): Promise<Ledger> {
  return openLedgerAt(`sqlite:${join(directory, 'ledger.db')}`, { clock: () => now, dataDir: directory, approvalAbove: '2000000.00' });
}

async function recordWorkedExample(): Promise<void> {
  directory = mkdtempSync(join(tmpdir(), 'ledger-approval-'));
  ledger = await open();
  const { commands } = ledger;
  await commands.commissionSite(workedExampleSite, runner);
  await commands.registerTenant(workedExampleTenant, runner);
  await commands.signLease(workedExampleLease, runner);
  now = new Date('2025-11-09T18:00:00Z');
  await commands.allocateCapacity(workedExampleAllocation, runner);
  now = new Date('2025-11-20T07:00:00Z');
  await commands.recordOutage(workedExampleOutage, runner);
  now = new Date('2025-12-01T00:30:00Z');
  await commands.recordUsage({ records: workedExampleNovemberReadings() }, runner);
}

afterEach(async () => {
  await ledger.close();
  rmSync(directory, { recursive: true, force: true });
  now = new Date('2025-10-20T12:00:00Z');
});

describe('drafts in the ledger', () => {
  it('counts a pending draft as invoiced: the next run bills only what is new, and the approval numbers after it in order of issue', async () => {
    await recordWorkedExample();
    const first = await ledger.billing.runBilling('2025-12-01T00:00:00Z', runner);
    expect(first.result).toMatchObject({ documents: [], approvalAbove: '2000000.00', drafts: [{ draftId: 'DRAFT-000001', total: '2603160.00' }] });
    now = new Date('2026-01-01T00:30:00Z');
    await ledger.commands.recordUsage({ records: workedExampleDecemberReadings() }, runner);
    const second = await ledger.billing.runBilling('2026-01-01T00:00:00Z', runner);
    // Only January's commitment in advance, 1,562,400.00: November and December are in the pending draft.
    expect(second.result).toMatchObject({ documents: [{ invoiceId: 'INV-000001', total: '1562400.00' }], drafts: [] });
    now = new Date('2026-01-02T00:00:00Z');
    const approved = await ledger.billing.approveDraft('DRAFT-000001', approver);
    // Issued second, so numbered second, though its run came first.
    expect(approved).toEqual({ outcome: 'created', result: { invoiceId: 'INV-000002' } });
    const invoices = await ledger.reports.invoices({});
    expect(invoices.invoices.map((invoice) => [invoice.invoiceId, invoice.billingDate, invoice.total])).toEqual([
      ['INV-000001', '2026-01-01T00:00:00Z', '1562400.00'],
      ['INV-000002', '2025-12-01T00:00:00Z', '2603160.00'],
    ]);
    // The next run counts the approved draft once, through its document: nothing more is owed.
    now = new Date('2026-02-01T00:30:00Z');
    const third = await ledger.billing.runBilling('2026-02-01T00:00:00Z', runner);
    // February in advance after the lease's ramp, 2,688,000.00: above the threshold, a draft again.
    expect(third.result).toMatchObject({ documents: [], drafts: [{ draftId: 'DRAFT-000002', total: '2688000.00' }] });
    const lines = (await ledger.reports.draft('DRAFT-000002')).lines;
    expect(lines.map((line) => line.serviceMonth)).toEqual(['2026-02']);
  });

  it('keeps drafts, approvals and voids in the snapshot: a restored model has the digest of the live one, and so has a restart from the checkpoint', async () => {
    await recordWorkedExample();
    await ledger.billing.runBilling('2025-12-01T00:00:00Z', runner);
    await ledger.billing.voidDraft('DRAFT-000001', 'SLA credit under dispute', approver);
    now = new Date('2026-01-01T00:30:00Z');
    await ledger.billing.runBilling('2026-01-01T00:00:00Z', runner);
    const lines: string[] = [];
    writeModelSnapshot(ledger.runner.model, (line) => lines.push(line));
    const restored = restoreModel(lines.values(), foldLease);
    expect(modelDigest(restored)).toBe(modelDigest(ledger.runner.model));
    // Restored, it still bills as the live model: the voided draft's lines are owed, the pending one's are not.
    expect(restored.invoicedAt('L-1001', '2025-11', 'commitment', restored.position).amount.toFixed(2)).toBe('1058400.00');
    expect(restored.drafts.get('DRAFT-000001')?.voided?.data.reason).toBe('SLA credit under dispute');
    await ledger.checkpoint();
    await ledger.close();
    ledger = await open();
    // Restarted from the checkpoint (which records itself in the log), it equals a rebuild from the first event.
    expect(ledger.restoredFrom).not.toBeNull();
    expect(ledger.runner.model.drafts.get('DRAFT-000001')?.voided?.data.voidedBy).toBe(approver.actor);
    const verified = await ledger.verify();
    expect([verified.rebuild.ok, verified.model.matchesLog]).toEqual([true, true]);
  });
});
