import { startHarness } from '../e2e/support/api-harness.js';
import { iso, type Step, type TimedStep } from './history.js';
import type { LedgerUnderTest } from './replay.js';

/**
 * The ledger under test over HTTP: the real server of the e2e suite, every step a request with
 * the role that makes it, every report a GET. A 4xx answer is a refusal; anything else that is
 * not a success is a failure of the test.
 */

function request(step: Step): { path: string; body: unknown } {
  switch (step.kind) {
    case 'site':
      return { path: '/v1/sites', body: step.body };
    case 'tenant':
      return { path: '/v1/tenants', body: step.body };
    case 'lease':
      return { path: '/v1/leases', body: step.body };
    case 'amend':
      return { path: `/v1/leases/${step.leaseId}/amendments`, body: step.body };
    case 'terminate':
      return { path: `/v1/leases/${step.leaseId}/termination`, body: step.body };
    case 'allocate':
      return { path: '/v1/allocations', body: step.body };
    case 'release':
      return { path: `/v1/allocations/${step.allocationId}/release`, body: { endsAt: step.endsAt } };
    case 'usage':
      return { path: '/v1/usage', body: { records: step.records } };
    case 'correct':
      return { path: '/v1/usage/corrections', body: step.body };
    case 'outage':
      return { path: '/v1/outages', body: step.body };
    case 'run':
      return { path: '/v1/billing-runs', body: { billingDate: step.billingDate } };
    case 'close':
      return { path: `/v1/periods/${step.month}/close`, body: {} };
    case 'pay':
      return { path: '/v1/payments', body: step.body };
    case 'credit':
      return { path: '/v1/credit-notes', body: step.body };
    case 'grant':
      return { path: '/v1/credit-grants', body: step.body };
    case 'approve':
      return { path: `/v1/drafts/${step.draftId}/approve`, body: {} };
    case 'void':
      return { path: `/v1/drafts/${step.draftId}/void`, body: { reason: step.reason } };
  }
}

export async function httpLedger(startMs: number, approvalAbove?: string): Promise<LedgerUnderTest> {
  const harness = await startHarness(iso(startMs), approvalAbove === undefined ? {} : { approvalAbove });
  return {
    async record(timed: TimedStep) {
      harness.at(iso(timed.at));
      const { path, body } = request(timed.step);
      // Every step is the admin key's, but an approval by another key than the one that ran the runs: finance's.
      const as = timed.step.kind === 'approve' && timed.step.actor === 'approver' ? 'finance' : 'admin';
      const answer = await harness.post(path, as, body);
      if (answer.status >= 200 && answer.status < 300) return true;
      if (answer.status >= 400 && answer.status < 500) return false;
      throw new Error(`${path} answered ${answer.status}: ${answer.text}`);
    },
    async invoices(knownAt: string) {
      const answer = await harness.get<{ invoices: unknown[] }>(`/v1/invoices?knownAt=${encodeURIComponent(knownAt)}`, 'admin');
      if (answer.status !== 200) throw new Error(`invoices answered ${answer.status}: ${answer.text}`);
      return answer.body.invoices;
    },
    async usage(leaseId, month, knownAt) {
      const answer = await harness.get(`/v1/leases/${leaseId}/usage?${new URLSearchParams({ month, knownAt }).toString()}`, 'admin');
      if (answer.status === 404) return null;
      if (answer.status !== 200) throw new Error(`usage answered ${answer.status}: ${answer.text}`);
      return answer.body;
    },
    async report(name, query) {
      const answer = await harness.get(`/v1/reports/${name}?${new URLSearchParams(query).toString()}`, 'admin');
      if (answer.status !== 200) throw new Error(`${name} answered ${answer.status}: ${answer.text}`);
      return answer.body;
    },
    close: () => harness.close(),
  };
}
