import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { UsageRecordBody } from '@compute-ledger/contracts';
import type { FieldError } from '@compute-ledger/ledger';

/**
 * Usage readings from a file: CSV with a header row (readingId,leaseId,periodStart,periodEnd,
 * gpuHours[,source]) or JSON lines, one reading object per line. The whole file is checked
 * before anything is recorded, so a malformed row refuses the import with nothing written.
 */

export type UsageFileFormat = 'csv' | 'jsonl';
export const usageCsvColumns = ['readingId', 'leaseId', 'periodStart', 'periodEnd', 'gpuHours', 'source'] as const;
const requiredCsvColumns = usageCsvColumns.slice(0, 5);
/** Problems listed before the rest are only counted: enough to fix a file, not a flood. */
export const rowProblemsShownMax = 20;
/** A line longer than this is not a reading; refusing it bounds memory on a wrong file. */
export const usageLineLengthMax = 64 * 1024;

export interface UsageRow {
  /** 1-based line of the file, for messages. */
  line: number;
  record: UsageRecordBody;
}

export interface RowProblem {
  line: number;
  message: string;
}

export interface ParsedUsageFile {
  rows: UsageRow[];
  problems: RowProblem[];
}

export function usageFileFormatOf(path: string, firstLine: string): UsageFileFormat {
  if (/\.(jsonl|ndjson|json)$/i.test(path)) return 'jsonl';
  if (/\.csv$/i.test(path)) return 'csv';
  return firstLine.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

export async function readUsageFile(path: string, format?: UsageFileFormat): Promise<ParsedUsageFile> {
  const rows: UsageRow[] = [];
  const problems: RowProblem[] = [];
  let header: string[] | null = null;
  let chosen = format;
  let lineNumber = 0;
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const raw of lines) {
    lineNumber += 1;
    const line = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    chosen ??= usageFileFormatOf(path, line);
    if (line.trim() === '') continue;
    if (line.length > usageLineLengthMax) {
      problems.push({ line: lineNumber, message: `the line is longer than ${usageLineLengthMax} characters` });
      continue;
    }
    if (chosen === 'csv' && header === null) {
      header = parseCsvLine(line).map((cell) => cell.trim());
      const missing = requiredCsvColumns.filter((column) => !header!.includes(column));
      const unknown = header.filter((column) => !(usageCsvColumns as readonly string[]).includes(column));
      if (missing.length > 0 || unknown.length > 0) {
        const parts = [missing.length > 0 ? `missing ${missing.join(', ')}` : '', unknown.length > 0 ? `unknown ${unknown.join(', ')}` : ''].filter((part) => part !== '');
        problems.push({ line: lineNumber, message: `the header must name ${usageCsvColumns.join(',')} (source optional): ${parts.join('; ')}` });
        return { rows, problems };
      }
      continue;
    }
    const candidate = chosen === 'csv' ? csvRecord(header!, line) : jsonRecord(line);
    if (typeof candidate === 'string') {
      problems.push({ line: lineNumber, message: candidate });
      continue;
    }
    const parsed = UsageRecordBody.safeParse(candidate);
    if (parsed.success) rows.push({ line: lineNumber, record: parsed.data });
    else problems.push({ line: lineNumber, message: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(row)'}: ${issue.message}`).join('; ') });
  }
  if (rows.length === 0 && problems.length === 0) problems.push({ line: lineNumber, message: 'the file holds no readings' });
  return { rows, problems };
}

export function fieldErrorsOf(problems: readonly RowProblem[]): FieldError[] {
  return problems.map((problem) => ({ path: `line ${problem.line}`, message: problem.message }));
}

function csvRecord(header: readonly string[], line: string): Record<string, string> | string {
  const cells = parseCsvLine(line);
  if (cells.length !== header.length) return `expected ${header.length} fields, found ${cells.length}`;
  const record: Record<string, string> = {};
  header.forEach((column, index) => {
    const cell = cells[index]!;
    // An empty optional cell means "not given", not an empty source.
    if (!(column === 'source' && cell === '')) record[column] = cell;
  });
  return record;
}

function jsonRecord(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return 'the line is not valid JSON';
  }
}

/** One CSV record on one line (RFC 4180 quoting; readings have no line breaks in fields). */
export function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index]!;
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"' && cell === '') quoted = true;
    else if (char === ',') {
      cells.push(cell);
      cell = '';
    } else cell += char;
  }
  cells.push(cell);
  return cells;
}
