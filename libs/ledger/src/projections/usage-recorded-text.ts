import { ledgerEventRegistry } from '@compute-ledger/contracts';
import type { FoldRow } from '../store/event-store.js';

/**
 * The fields of a UsageRecorded event that the model folds, cut straight from the JSON text of
 * its data: a replay folds millions of readings, and JSON.parse would build an object and six
 * strings for each, to read four of them.
 *
 * Only the layout the store writes is read: the current schema version in canonical JSON (keys
 * sorted, no white space), every value a string, no escape anywhere. Any other row answers
 * false and is parsed as usual, so the fields read here are always the ones JSON.parse gives.
 */
export interface UsageRecordedFields {
  readingId: string;
  leaseId: string;
  /** The month of periodStart, as monthOfInstant cuts it. */
  month: string;
  gpuHours: string;
}

const usageRecordedVersion = ledgerEventRegistry.currentVersion('UsageRecorded');

// The keys in canonical order; `source` is optional and the fold does not read it.
const opening = '{"gpuHours":"';
const beforeLeaseId = '","leaseId":"';
const beforePeriodEnd = '","periodEnd":"';
const beforePeriodStart = '","periodStart":"';
const beforeReadingId = '","readingId":"';
const beforeSource = '","source":"';
const closing = '"}';
const monthLength = 'YYYY-MM'.length;

/** Reads the fields of `row` into `into` when it is a UsageRecorded event in the store's layout; answers whether it was. */
export function readUsageRecordedRow(row: FoldRow, into: UsageRecordedFields): boolean {
  if (row[4] !== 'UsageRecorded' || row[5] !== usageRecordedVersion) return false;
  const json = row[6];
  // Without a backslash, every quote ends a value: the layout below cannot be misread.
  if (!json.startsWith(opening) || json.includes('\\')) return false;
  const gpuHoursEnd = json.indexOf('"', opening.length);
  const leaseIdStart = after(json, beforeLeaseId, gpuHoursEnd);
  const leaseIdEnd = valueEnd(json, leaseIdStart);
  const periodStartStart = after(json, beforePeriodStart, valueEnd(json, after(json, beforePeriodEnd, leaseIdEnd)));
  const periodStartEnd = valueEnd(json, periodStartStart);
  const readingIdStart = after(json, beforeReadingId, periodStartEnd);
  const readingIdEnd = valueEnd(json, readingIdStart);
  if (readingIdEnd < 0) return false;
  const closingAt = json.length - closing.length;
  if (readingIdEnd !== closingAt && valueEnd(json, after(json, beforeSource, readingIdEnd)) !== closingAt) return false;
  if (!json.endsWith(closing)) return false;
  into.gpuHours = json.slice(opening.length, gpuHoursEnd);
  into.leaseId = json.slice(leaseIdStart, leaseIdEnd);
  into.month = json.slice(periodStartStart, Math.min(periodStartStart + monthLength, periodStartEnd));
  into.readingId = json.slice(readingIdStart, readingIdEnd);
  return true;
}

/** Where the value after `literal` starts, when `literal` stands at `at`; else -1. */
function after(json: string, literal: string, at: number): number {
  return at >= 0 && json.startsWith(literal, at) ? at + literal.length : -1;
}

/** The quote that ends the string value starting at `start`, or -1. */
function valueEnd(json: string, start: number): number {
  return start < 0 ? -1 : json.indexOf('"', start);
}
