import { ApiError, type ApiClient } from './client.js';
import type { CapacityAnswer, DraftListAnswer, InvoiceListAnswer, MrrAnswer } from './types.js';

/**
 * What the key may read, asked of the API itself: the dashboard has no list of roles of its own
 * to drift from the server's. A 403 hides a page; a 401 means the key is not one the ledger
 * knows. A tenant key (role tenant:<id>) passes only the invoices probe.
 */

export interface Capabilities {
  reports: boolean;
  capacity: boolean;
  invoices: boolean;
  audit: boolean;
  /**
   * The key may read drafts, and the ledger has some: a ledger without an approval threshold
   * (LEDGER_APPROVAL_ABOVE) never makes one, and its dashboard shows no Drafts page.
   */
  drafts: boolean;
}

export interface ProbeResult {
  capabilities: Capabilities;
  /** The ledger's own "now" (its reports default to it), when a probe answered with it. */
  serverNow: string | null;
}

export class KeyRefusedError extends Error {
  override readonly name = 'KeyRefusedError';
}

/** An instant before any ledger existed: the invoices probe then reads nothing and costs nothing. */
const beforeAnyLedger = '1970-01-01T00:00:00Z';

export async function probeCapabilities(api: ApiClient): Promise<ProbeResult> {
  const [mrr, capacity, invoices, audit, drafts] = await Promise.all([
    allowed(api.get<MrrAnswer>('/reports/mrr')),
    allowed(api.get<CapacityAnswer>('/reports/capacity')),
    allowed(api.get<InvoiceListAnswer>('/invoices', { knownAt: beforeAnyLedger })),
    allowed(api.get<unknown>('/audit/events', { limit: 1 })),
    allowed(api.get<DraftListAnswer>('/drafts')),
  ]);
  const serverNow = mrr?.asOf ?? capacity?.asOf ?? null;
  return { capabilities: { reports: mrr !== null, capacity: capacity !== null, invoices: invoices !== null, audit: audit !== null, drafts: drafts !== null && drafts.drafts.length > 0 }, serverNow };
}

/** The answer, or null for a 403; a 401 refuses the key; anything else is a real failure. */
async function allowed<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return null;
    if (error instanceof ApiError && error.status === 401) throw new KeyRefusedError('The ledger does not accept this key.');
    throw error;
  }
}
