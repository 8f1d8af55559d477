import { unreachable } from '@compute-ledger/contracts';
import { useMemo, useState, type ReactNode } from 'react';
import { compareDecimal, formatCount, formatDate, formatInstant, formatMoney, formatQuantity, isNegative } from '../format.js';
import { useLedger } from '../ledger-context.js';

/**
 * A table whose every column sorts (click the header; again to reverse). Money and quantity
 * cells keep the ledger's exact string in `data-value` beside the formatted text, and sort by
 * it exactly, so a reader (or a test) can always get back to what the API said.
 */

export type ColumnKind = 'text' | 'money' | 'quantity' | 'count' | 'date' | 'instant' | 'boolean';

export interface Column<Row> {
  key: string;
  header: string;
  kind: ColumnKind;
  value: (row: Row) => string | number | boolean;
  /** Replaces the formatted value (a link, a badge); sorting still uses `value`. */
  render?: (row: Row) => ReactNode;
}

export interface TableFooter {
  label: string;
  /** Column key -> the ledger's total for that column, as sent. */
  values: Record<string, string>;
}

export type SortDirection = 'ascending' | 'descending';

interface Props<Row> {
  name: string;
  caption?: string;
  rows: readonly Row[];
  rowKey: (row: Row) => string;
  columns: readonly Column<Row>[];
  initialSort?: { key: string; direction: SortDirection };
  footer?: TableFooter;
  rowClassName?: (row: Row) => string | undefined;
  /** Extra content shown under a row, spanning the table (line sources, an event's data). */
  expanded?: (row: Row) => ReactNode;
  empty?: string;
}

export function DataTable<Row>({ name, caption, rows, rowKey, columns, initialSort, footer, rowClassName, expanded, empty = 'Nothing to show.' }: Props<Row>) {
  const { currency } = useLedger();
  const [sort, setSort] = useState<{ key: string; direction: SortDirection } | null>(initialSort ?? null);
  const sorted = useMemo(() => {
    const column = sort === null ? undefined : columns.find((candidate) => candidate.key === sort.key);
    if (column === undefined || sort === null) return rows;
    const factor = sort.direction === 'ascending' ? 1 : -1;
    // Array.prototype.sort is stable: equal cells keep the ledger's own order.
    return [...rows].sort((a, b) => factor * compareCells(column.kind, column.value(a), column.value(b)));
  }, [rows, columns, sort]);

  const toggle = (key: string) => setSort((current) => ({ key, direction: current?.key === key && current.direction === 'ascending' ? 'descending' : 'ascending' }));

  return (
    <table className="data-table" data-table={name}>
      {caption === undefined ? null : <caption>{caption}</caption>}
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column.key} scope="col" data-col={column.key} className={alignment(column.kind)} aria-sort={sort?.key === column.key ? sort.direction : 'none'}>
              <button type="button" onClick={() => toggle(column.key)} title={`Sort by ${column.header.toLowerCase()}`}>
                {column.header}
                <span className="sort-mark" aria-hidden="true">
                  {sort?.key === column.key ? (sort.direction === 'ascending' ? '▲' : '▼') : '↕'}
                </span>
              </button>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {sorted.length === 0 ? (
          <tr className="empty">
            <td colSpan={columns.length}>{empty}</td>
          </tr>
        ) : (
          sorted.map((row) => {
            const key = rowKey(row);
            const more = expanded?.(row);
            return [
              <tr key={key} data-key={key} className={rowClassName?.(row)}>
                {columns.map((column) => (
                  <Cell key={column.key} column={column} row={row} currency={currency} />
                ))}
              </tr>,
              more === undefined || more === null ? null : (
                <tr key={`${key}:more`} className="expansion" data-expansion-of={key}>
                  <td colSpan={columns.length}>{more}</td>
                </tr>
              ),
            ];
          })
        )}
      </tbody>
      {footer === undefined ? null : (
        <tfoot>
          <tr data-key="total">
            {columns.map((column, index) => {
              const value = footer.values[column.key];
              if (value !== undefined) return <ValueCell key={column.key} columnKey={column.key} kind={column.kind} value={value} currency={currency} />;
              return (
                <th key={column.key} scope="row" data-col={column.key}>
                  {index === 0 ? footer.label : ''}
                </th>
              );
            })}
          </tr>
        </tfoot>
      )}
    </table>
  );
}

function Cell<Row>({ column, row, currency }: { column: Column<Row>; row: Row; currency: string }) {
  const value = column.value(row);
  if (column.render !== undefined) {
    return (
      <td data-col={column.key} data-value={String(value)} className={alignment(column.kind)}>
        {column.render(row)}
      </td>
    );
  }
  return <ValueCell columnKey={column.key} kind={column.kind} value={value} currency={currency} />;
}

function ValueCell({ columnKey, kind, value, currency }: { columnKey: string; kind: ColumnKind; value: string | number | boolean; currency: string }) {
  const negative = (kind === 'money' || kind === 'quantity') && typeof value === 'string' && isNegative(value);
  const classes = [alignment(kind), negative ? 'negative' : ''].filter((name) => name !== '').join(' ');
  return (
    <td data-col={columnKey} data-value={String(value)} className={classes === '' ? undefined : classes}>
      {formatCell(kind, value, currency)}
    </td>
  );
}

export function formatCell(kind: ColumnKind, value: string | number | boolean, currency: string): string {
  switch (kind) {
    case 'money':
      return formatMoney(String(value), currency);
    case 'quantity':
      return formatQuantity(String(value));
    case 'count':
      return typeof value === 'number' ? formatCount(value) : String(value);
    case 'date':
      return formatDate(String(value));
    case 'instant':
      return formatInstant(String(value));
    case 'boolean':
      return value === true ? 'yes' : 'no';
    case 'text':
      return String(value);
    default:
      return unreachable(kind, 'column kind');
  }
}

function compareCells(kind: ColumnKind, a: string | number | boolean, b: string | number | boolean): number {
  switch (kind) {
    case 'money':
    case 'quantity':
      return compareDecimal(String(a), String(b));
    case 'count':
      return Number(a) - Number(b);
    case 'boolean':
      return Number(a === true) - Number(b === true);
    case 'date':
    case 'instant':
    case 'text':
      // Ids such as INV-000010 and L-1001 sort as people read them: digits by value.
      return String(a).localeCompare(String(b), 'en', { numeric: true });
    default:
      return unreachable(kind, 'column kind');
  }
}

function alignment(kind: ColumnKind): string {
  return kind === 'money' || kind === 'quantity' || kind === 'count' ? 'number' : '';
}
