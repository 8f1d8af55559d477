import { reportAnswers } from '@compute-ledger/contracts';
import { z } from 'zod';
import type { ReportName } from '../shared/report-names.js';
import { flatten, renderCsv } from './format.js';

/**
 * A report as CSV: its one list, a row per tenant, lease, account or site, with the report's
 * context (asOf or month, knownAt) as leading columns, then a `total` row with every total the
 * report has. The columns come from the report's answer schema (libs/contracts), so they are the
 * same whatever the data: an empty month has the header of a busy one, and a total with no
 * per-row counterpart (revenue's `creditNotes` and `total`) has a column of its own, empty on
 * the rows.
 */

interface CsvLayout {
  /** The answer's list. */
  list: string;
  /** Column of the total row -> where its value is in the answer (`totals.current`). */
  totals: Record<string, string>;
}

const sameNames = (...names: string[]) => Object.fromEntries(names.map((name) => [name, name]));
const agingColumns = ['current', 'days1to30', 'days31to60', 'days61to90', 'over90', 'total'];

export const reportCsvLayouts: Record<ReportName, CsvLayout> = {
  mrr: { list: 'tenants', totals: sameNames('mrr', 'arr') },
  'mrr-movements': { list: 'tenants', totals: sameNames('startingMrr', 'endingMrr', 'new', 'reactivation', 'expansion', 'contraction', 'churn') },
  revenue: { list: 'leases', totals: sameNames('commitment', 'usage', 'terminationFees', 'slaCredits', 'creditNotes', 'promotionalCredits', 'expiredCredits', 'total') },
  backlog: { list: 'leases', totals: { remaining: 'total' } },
  'trial-balance': { list: 'accounts', totals: { debit: 'totalDebit', credit: 'totalCredit' } },
  'contract-balances': { list: 'leases', totals: sameNames('deferredRevenue', 'unbilledReceivables', 'customerCredits') },
  'ar-aging': { list: 'tenants', totals: Object.fromEntries(agingColumns.map((column) => [column, `totals.${column}`])) },
  reconciliation: { list: 'leases', totals: sameNames('ok') },
  // Sites have no totals of their own: no total row.
  capacity: { list: 'sites', totals: {} },
  credits: { list: 'grants', totals: { amount: 'totals.amount', drawn: 'totals.drawn', expired: 'totals.expired', remaining: 'totals.remaining' } },
  rpo: { list: 'leases', totals: { within12Months: 'bands.within12Months', months13to24: 'bands.months13to24', months25to36: 'bands.months25to36', beyond36Months: 'bands.beyond36Months', total: 'total' } },
};

const contextKeys = ['asOf', 'month', 'knownAt'];

/** The CSV columns of a report: context, the list's fields (flattened `a.b`), then totals without a row field. */
export function reportCsvColumns(name: ReportName): string[] {
  const layout = reportCsvLayouts[name];
  const shape = reportAnswers[name].shape as Record<string, z.ZodType>;
  const list = shape[layout.list];
  if (!(list instanceof z.ZodArray)) throw new Error(`report ${name} has no list ${layout.list}`);
  const rowColumns = leafColumns(list.element as z.ZodType, '');
  const context = contextKeys.filter((key) => key in shape);
  return [...context, ...rowColumns, ...Object.keys(layout.totals).filter((column) => !rowColumns.includes(column))];
}

export function renderReportCsv(name: ReportName, answer: Record<string, unknown>): string {
  const layout = reportCsvLayouts[name];
  const columns = reportCsvColumns(name);
  const context = Object.fromEntries(contextKeys.filter((key) => answer[key] !== undefined).map((key) => [key, answer[key]]));
  const rows = (answer[layout.list] as Record<string, unknown>[]).map((row) => ({ ...context, ...flatten(row) }));
  const totalColumns = Object.entries(layout.totals);
  if (totalColumns.length === 0) return renderCsv(rows, columns);
  const labelColumn = columns.find((column) => !contextKeys.includes(column));
  const total: Record<string, unknown> = { ...context, ...(labelColumn === undefined ? {} : { [labelColumn]: 'total' }) };
  for (const [column, path] of totalColumns) total[column] = valueAt(answer, path);
  return renderCsv([...rows, total], columns);
}

/** The leaf fields of a row schema, nested objects and records of known keys as `parent.child`. */
function leafColumns(schema: z.ZodType, prefix: string): string[] {
  const inner = schema instanceof z.ZodOptional || schema instanceof z.ZodNullable ? (schema.unwrap() as z.ZodType) : schema;
  const name = (key: string) => (prefix === '' ? key : `${prefix}.${key}`);
  if (inner instanceof z.ZodObject) return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, field]) => leafColumns(field, name(key)));
  if (inner instanceof z.ZodRecord && inner.keyType instanceof z.ZodEnum) return (inner.keyType.options as string[]).flatMap((key) => leafColumns(inner.valueType as z.ZodType, name(key)));
  return [prefix];
}

function valueAt(answer: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), answer);
}
