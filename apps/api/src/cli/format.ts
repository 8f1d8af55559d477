/**
 * Output for people and for programs: aligned tables, RFC 4180 CSV, or JSON. Reports are
 * shaped as a few totals plus one list (tenants, leases, accounts, sites); the table shows the
 * totals above the list, the CSV (report-csv.ts) is the list with a closing total row.
 */

export type OutputFormat = 'table' | 'json' | 'csv';
export const outputFormats: readonly OutputFormat[] = ['table', 'json', 'csv'];

type Row = Record<string, unknown>;

export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A titled table per list in the answer, after its scalar fields. */
export function renderAnswerTable(answer: Row): string {
  const scalars = Object.entries(answer).filter(([, value]) => !isRowList(value) && !isPlainObject(value));
  const objects = Object.entries(answer).filter(([, value]) => isPlainObject(value)) as [string, Row][];
  const lists = Object.entries(answer).filter(([, value]) => isRowList(value)) as [string, Row[]][];
  const parts: string[] = [];
  if (scalars.length > 0) parts.push(renderKeyValues(scalars));
  for (const [name, value] of objects) parts.push(`${name}\n${renderKeyValues(Object.entries(flatten(value)))}`);
  for (const [name, rows] of lists) parts.push(`${name}\n${rows.length === 0 ? '  (none)\n' : renderTable(rows.map((row) => flatten(row)))}`);
  return parts.join('\n');
}

export function renderTable(rows: readonly Row[], columns: readonly string[] = columnsOf(rows)): string {
  const cells = rows.map((row) => columns.map((column) => cellText(row[column])));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((row) => row[index]!.length)));
  const numeric = columns.map((_, index) => cells.length > 0 && cells.every((row) => row[index] === '' || isNumberText(row[index]!)));
  const line = (values: readonly string[]) =>
    values
      .map((value, index) => (numeric[index] ? value.padStart(widths[index]!) : value.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  return `${[line(columns), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n')}\n`;
}

export function renderCsv(rows: readonly Row[], columns: readonly string[] = columnsOf(rows)): string {
  const lines = [columns.map(csvField).join(','), ...rows.map((row) => columns.map((column) => csvField(cellText(row[column]))).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function renderKeyValues(entries: readonly [string, unknown][]): string {
  const width = Math.max(...entries.map(([key]) => key.length));
  return `${entries.map(([key, value]) => `  ${key.padEnd(width)}  ${cellText(value)}`).join('\n')}\n`;
}

/** Nested objects become `parent.child` columns; lists of scalars are joined. */
export function flatten(row: Row, prefix = ''): Row {
  const flat: Row = {};
  for (const [key, value] of Object.entries(row)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (isPlainObject(value)) Object.assign(flat, flatten(value as Row, name));
    else flat[name] = value;
  }
  return flat;
}

function columnsOf(rows: readonly Row[]): string[] {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  return columns;
}

function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.every((item) => typeof item !== 'object' || item === null) ? value.join(' ') : `${value.length} items`;
  return JSON.stringify(value);
}

function isNumberText(value: string): boolean {
  return /^-?\d+(\.\d+)?$/.test(value);
}

function isRowList(value: unknown): value is Row[] {
  return Array.isArray(value) && value.every(isPlainObject);
}

function isPlainObject(value: unknown): value is Row {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
