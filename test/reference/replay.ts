// eslint-disable-next-line @nx/enforce-module-boundaries
import { reportByName } from '@compute-ledger/api';
import { DomainError, openLedger, type Ledger, type MonthTimeQuery, type TimeQuery } from '@compute-ledger/ledger';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import { iso, type History, type Step, type TimedStep } from './history.js';
import { ReferenceModel, type RefDocument } from './reference-model.js';

/**
 * Replays one history through the ledger (in process, on an in-memory SQLite store whose clock
 * is the history's recording time) and through the reference model, and lists every place where
 * they disagree: which steps were accepted, every document, and every report at every probe.
 */

/** Every step is recorded by one actor; an approval by `approver` is another key's (four eyes). */
const actor = { actor: 'reference' };
const approver = { actor: 'reference-approver' };

/** What a ledger is asked; the in-process ledger and the HTTP API both answer it. */
export interface LedgerUnderTest {
  /** Records one step at its recording instant; false when the ledger refused it. */
  record(timed: TimedStep): Promise<boolean>;
  invoices(knownAt: string): Promise<unknown[]>;
  /** A lease's usage of a month (GET /v1/leases/{id}/usage), or null when the lease is unknown. */
  usage(leaseId: string, month: string, knownAt: string): Promise<unknown>;
  report(name: ReportName, query: Record<string, string>): Promise<unknown>;
  close(): Promise<void>;
}

export type ReportName = 'revenue' | 'backlog' | 'rpo' | 'mrr' | 'mrr-movements' | 'trial-balance' | 'contract-balances' | 'ar-aging' | 'reconciliation' | 'credits';

export async function inProcessLedger(approvalAbove?: string): Promise<LedgerUnderTest> {
  let nowMs = 0;
  const clock = (): Date => new Date(nowMs);
  const ledger = await openLedger({ store: openSqliteEventStore({ path: ':memory:', clock }), clock, ...(approvalAbove === undefined ? {} : { approvalAbove }) });
  return {
    async record(timed) {
      nowMs = timed.at;
      try {
        await send(ledger, timed.step);
        return true;
      } catch (error) {
        if (error instanceof DomainError) return false;
        throw error;
      }
    },
    async invoices(knownAt) {
      return (await ledger.reports.invoices({ knownAt })).invoices;
    },
    async usage(leaseId, month, knownAt) {
      try {
        return await ledger.reports.usage(leaseId, { month, knownAt });
      } catch (error) {
        if (error instanceof DomainError) return null;
        throw error;
      }
    },
    async report(name, query) {
      return reportByName(ledger.reports, name, query as TimeQuery | MonthTimeQuery);
    },
    close: () => ledger.close(),
  };
}

async function send(ledger: Ledger, step: Step): Promise<void> {
  const { commands, billing } = ledger;
  switch (step.kind) {
    case 'site':
      return void (await commands.commissionSite(step.body, actor));
    case 'tenant':
      return void (await commands.registerTenant(step.body, actor));
    case 'lease':
      return void (await commands.signLease(step.body, actor));
    case 'amend':
      return void (await commands.amendLease(step.leaseId, step.body, actor));
    case 'terminate':
      return void (await commands.terminateLease(step.leaseId, step.body, actor));
    case 'allocate':
      return void (await commands.allocateCapacity(step.body, actor));
    case 'release':
      return void (await commands.releaseCapacity(step.allocationId, { endsAt: step.endsAt }, actor));
    case 'usage':
      return void (await commands.recordUsage({ records: step.records }, actor));
    case 'correct':
      return void (await commands.correctUsage(step.body, actor));
    case 'outage':
      return void (await commands.recordOutage(step.body, actor));
    case 'close':
      return void (await ledger.periods.close(step.month, actor));
    case 'run':
      return void (await billing.runBilling(step.billingDate, actor));
    case 'pay':
      return void (await billing.recordPayment(step.body, actor));
    case 'credit':
      return void (await billing.issueCreditNote(step.body, actor));
    case 'grant':
      return void (await billing.recordCreditGrant(step.body, actor));
    case 'approve':
      return void (await billing.approveDraft(step.draftId, step.actor === 'runner' ? actor : approver));
    case 'void':
      return void (await billing.voidDraft(step.draftId, step.reason, approver));
  }
}

export interface Mismatch {
  what: string;
  ledger: unknown;
  reference: unknown;
}

/** `actual` cut down to the fields `expected` has (arrays element by element), so extra fields of the ledger's answers do not count. */
function project(actual: unknown, expected: unknown): unknown {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return actual;
    return actual.map((item, index) => (index < expected.length ? project(item, expected[index]) : item));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return actual;
    const record = actual as Record<string, unknown>;
    return Object.fromEntries(Object.keys(expected).map((key) => [key, project(record[key], (expected as Record<string, unknown>)[key])]));
  }
  return actual;
}

/** A GPU-hour quantity, rate or amount written with more than 6 fractional digits, anywhere in a text. */
const tooManyDigits = /\d\.\d{7,}/;

/** Every string of an answer that shows a number with more than 6 fractional digits. */
function overlongNumbers(answer: unknown, found: string[] = []): string[] {
  if (typeof answer === 'string' && tooManyDigits.test(answer)) found.push(answer);
  else if (Array.isArray(answer)) for (const item of answer) overlongNumbers(item, found);
  else if (answer !== null && typeof answer === 'object') for (const value of Object.values(answer)) overlongNumbers(value, found);
  return found;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function documentView(document: RefDocument) {
  return {
    invoiceId: document.invoiceId,
    kind: document.kind,
    tenantId: document.tenantId,
    billingDate: document.billingDate === null ? null : iso(document.billingDate),
    // A credit note is owed to the tenant: the API shows it no due date.
    dueAt: document.kind === 'credit_note' ? null : iso(document.dueAt),
    total: document.total.fixed(2),
    lines: document.lines.map((line) => ({
      leaseId: line.leaseId,
      serviceMonth: line.serviceMonth,
      kind: line.kind,
      amount: line.amount.fixed(2),
      adjustment: line.adjustment,
      ...(line.grantId === undefined ? {} : { grantId: line.grantId }),
      // The shown quantity of a charge's first line; adjustment lines show a difference.
      ...(line.quantity === null ? {} : { quantity: line.quantity.plain() }),
    })),
  };
}

/** Replays the history through both models and answers every disagreement (none: they agree). */
export async function compare(history: History, ledger: LedgerUnderTest, mismatchesMax = 5): Promise<Mismatch[]> {
  const reference = new ReferenceModel(history.approvalAbove);
  const mismatches: Mismatch[] = [];
  const note = (what: string, actual: unknown, expected: unknown): void => {
    if (!same(actual, expected)) mismatches.push({ what, ledger: actual, reference: expected });
  };
  // No answer shows a number with more than 6 fractional digits (DOMAIN.md, "Charges").
  const digits = (what: string, answer: unknown): unknown => {
    const overlong = overlongNumbers(answer);
    if (overlong.length > 0) mismatches.push({ what: `${what}: more than 6 fractional digits`, ledger: overlong.slice(0, 3), reference: [] });
    return answer;
  };
  for (const [index, timed] of history.steps.entries()) {
    const expected = reference.record(timed);
    const actual = await ledger.record(timed);
    note(`step ${index} (${timed.step.kind} at ${iso(timed.at)}) accepted`, actual, expected);
    if (mismatches.length > 0) return mismatches;
  }
  const knownAts = [...new Set(history.probes.map((probe) => probe.knownAt))].sort((a, b) => a - b);
  const leaseIds = [...new Set(history.steps.flatMap((timed) => (timed.step.kind === 'lease' ? [timed.step.body.leaseId] : [])))];
  // Month reports at the first, the middle and the last knowledge instant: a month report is a
  // dozen answers, and the as-of reports below take every probe.
  const monthKnownAts = new Set([knownAts[0], knownAts[Math.floor(knownAts.length / 2)], knownAts.at(-1)]);
  for (const knownAt of knownAts) {
    const expected = reference.documents(knownAt).map(documentView).sort((a, b) => (a.invoiceId < b.invoiceId ? -1 : 1));
    const actual = (digits(`documents known at ${iso(knownAt)}`, await ledger.invoices(iso(knownAt))) as { invoiceId: string }[]).sort((a, b) => (a.invoiceId < b.invoiceId ? -1 : 1));
    note(`documents known at ${iso(knownAt)}`, project(actual, expected), expected);
    if (!monthKnownAts.has(knownAt)) continue;
    for (const month of history.months) {
      const query = { month, knownAt: iso(knownAt) };
      note(`revenue ${month} known at ${query.knownAt}`, project(await ledger.report('revenue', query), reference.revenue(month, knownAt)), reference.revenue(month, knownAt));
      const movements = reference.mrrMovements(month, knownAt);
      note(`mrr-movements ${month} known at ${query.knownAt}`, project(await ledger.report('mrr-movements', query), movements), movements);
      // Usage and reconciliation per lease: as known at the end (quantities, not knowledge, are their point).
      if (knownAt !== knownAts.at(-1)) continue;
      for (const leaseId of leaseIds) {
        const usage = reference.usage(leaseId, month, knownAt);
        const { overageGpuHours: _overage, ...shown } = usage ?? { overageGpuHours: null };
        note(`usage of ${leaseId} ${month} known at ${query.knownAt}`, project(digits(`usage of ${leaseId}`, await ledger.usage(leaseId, month, query.knownAt)), usage === null ? null : shown), usage === null ? null : shown);
      }
      // Reconciliation: each lease it lists shows the usage quantities, and settles (ok).
      const reconciliation = digits(`reconciliation ${month}`, await ledger.report('reconciliation', query)) as { leases: { leaseId: string; ok: boolean }[] };
      for (const row of reconciliation.leases) {
        const { month: _month, ...quantities } = reference.usage(row.leaseId, month, knownAt) ?? { month };
        const expected = { ...quantities, ok: true };
        note(`reconciliation of ${row.leaseId} ${month} known at ${query.knownAt}`, project(row, expected), expected);
      }
    }
    if (mismatches.length >= mismatchesMax) return mismatches;
  }
  for (const probe of history.probes) {
    const query = { asOf: iso(probe.asOf), knownAt: iso(probe.knownAt) };
    const at = `as of ${query.asOf} known at ${query.knownAt}`;
    const expectations: [ReportName, unknown][] = [
      ['backlog', reference.backlog(probe.asOf, probe.knownAt)],
      ['rpo', reference.rpo(probe.asOf, probe.knownAt)],
      ['mrr', reference.mrr(probe.asOf, probe.knownAt)],
      ['trial-balance', reference.trialBalance(probe.asOf, probe.knownAt)],
      ['contract-balances', reference.contractBalances(probe.asOf, probe.knownAt)],
      ['ar-aging', reference.arAging(probe.asOf, probe.knownAt)],
      ['credits', reference.credits(probe.asOf, probe.knownAt)],
    ];
    for (const [name, expected] of expectations) note(`${name} ${at}`, project(digits(`${name} ${at}`, await ledger.report(name, query)), expected), expected);
    if (mismatches.length >= mismatchesMax) return mismatches;
  }
  return mismatches;
}

/** A history as lines a person can read, for a failure message. */
export function describeHistory(history: History): string {
  return history.steps.map((timed, index) => `${String(index).padStart(3)} ${iso(timed.at)} ${timed.step.kind} ${JSON.stringify(timed.step).slice(0, 400)}`).join('\n');
}

/** Replays a history through both models, closes the ledger, and throws with every disagreement and the history. */
export async function checkHistory(history: History, ledger: LedgerUnderTest): Promise<void> {
  let mismatches: Mismatch[];
  try {
    mismatches = await compare(history, ledger);
  } finally {
    await ledger.close();
  }
  if (mismatches.length > 0) {
    const found = mismatches.map((each) => `${each.what}\n  ledger:    ${JSON.stringify(each.ledger)}\n  reference: ${JSON.stringify(each.reference)}`);
    throw new Error(`the ledger and the reference model disagree:\n${found.join('\n')}\nhistory:\n${describeHistory(history)}`);
  }
}
