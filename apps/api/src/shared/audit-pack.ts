import { createHash } from 'node:crypto';
import {
  canonicalJson,
  ConflictError,
  dec,
  formatMoney,
  fromRecordedEvent,
  journalEntries,
  monthInterval,
  NotFoundError,
  reconciliationReport,
  revenueReport,
  toInstant,
  trialBalanceReport,
  verifyLog,
  type Ledger,
  type Decimal,
  type PeriodCloseRecord,
  type ReportScope,
  type VerifyResult,
} from '@compute-ledger/ledger';
import { assert, type InvoiceLine } from '@compute-ledger/contracts';
import { renderCsv } from '../cli/format.js';

/**
 * An auditor's evidence for a closed month: the populations sampled from, as the ledger held them
 * at the month's seal, so the pack is the same bytes whenever it is made, and `checkAuditPack`
 * can make it again and compare. Every file is derived from the log up to the seal only.
 */

/** Events read from the log per page while writing the events file. */
const eventsPageSize = 5_000;

export const auditPackManifestFile = 'manifest.json';

export interface AuditPackFile {
  name: string;
  bytes: Buffer;
  rows: number;
}

export interface AuditPackManifest {
  packVersion: number;
  ledgerVersion: string;
  month: string;
  closedAt: string;
  closedBy: string;
  seal: { position: number; hash: string };
  files: { name: string; sha256: string; bytes: number; rows: number }[];
}

export const auditPackVersion = 1;

export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function closeOf(ledger: Ledger, month: string): PeriodCloseRecord {
  const close = ledger.runner.model.closes.find((each) => each.data.month === month);
  if (close === undefined) throw new ConflictError(`${month} is not closed: an audit pack is made of a closed month only (ledger close --month ${month})`);
  return close;
}

function csvFile(name: string, rows: Record<string, unknown>[], columns: readonly string[]): AuditPackFile {
  return { name, bytes: Buffer.from(renderCsv(rows, columns), 'utf8'), rows: rows.length };
}

/** Builds every file of the pack of a closed month, in memory, in a fixed order. */
export async function buildAuditPack(ledger: Ledger, month: string, ledgerVersion: string): Promise<{ manifest: AuditPackManifest; files: AuditPackFile[] }> {
  await ledger.runner.catchUp();
  const close = closeOf(ledger, month);
  const cutoff = close.data.seal.position;
  const scope: ReportScope = { model: ledger.runner.model, cutoff, minorDigits: ledger.reports.minorDigits };
  const { startMs, endMs } = monthInterval(month);
  const money = (value: Decimal): string => formatMoney(value, scope.minorDigits);
  const files: AuditPackFile[] = [];

  // The events up to the seal, as the audit API shows them: nested data, so JSON lines.
  const eventLines: string[] = [];
  const issuedLines = new Map<number, readonly InvoiceLine[]>();
  for (let from = 0; from <= cutoff; ) {
    const page = await ledger.store.readAll({ fromPosition: from, limit: Math.min(eventsPageSize, cutoff - from + 1) });
    if (page.length === 0) break;
    for (const event of page) {
      if (event.position > cutoff) break;
      // The model keeps documents without their lines' sources; the pack lists them from the log.
      if (event.type === 'InvoiceIssued') {
        const issued = fromRecordedEvent(event);
        if (issued.type === 'InvoiceIssued') issuedLines.set(event.position, issued.data.lines);
      }
      eventLines.push(canonicalJson({ position: event.position, streamId: event.streamId, revision: event.revision, eventId: event.eventId, type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata: event.metadata, recordedAt: event.recordedAt, hash: event.hash }));
    }
    from = page.at(-1)!.position + 1;
  }
  files.push({ name: 'events.jsonl', bytes: Buffer.from(eventLines.map((line) => `${line}\n`).join(''), 'utf8'), rows: eventLines.length });

  // The month's documents: dated in it, or billing any of its service months, known at the seal.
  const documents = scope.model.documentsAt(cutoff).filter((document) => {
    const dateMs = Date.parse(document.data.billingDate);
    return (dateMs >= startMs && dateMs < endMs) || document.data.lines.some((line) => line.serviceMonth === month);
  });
  const documentRows = documents.map((document) => ({
    invoiceId: document.data.invoiceId, kind: document.data.kind, tenantId: document.data.tenantId, billingDate: document.data.billingDate, issuedAt: document.data.issuedAt, dueAt: document.data.dueAt, currency: document.data.currency, total: document.data.total, lines: document.data.lines.length, position: document.position, eventId: document.eventId,
  }));
  for (const note of [...scope.model.creditNotes.values()].sort((a, b) => a.position - b.position)) {
    const issuedMs = Date.parse(note.data.issuedAt);
    if (note.position > cutoff || issuedMs < startMs || issuedMs >= endMs) continue;
    documentRows.push({ invoiceId: note.data.documentId, kind: 'credit_note', tenantId: note.data.tenantId, billingDate: '', issuedAt: note.data.issuedAt, dueAt: '', currency: note.data.currency, total: money(dec(note.data.amount).negated()), lines: 0, position: note.position, eventId: note.eventId });
  }
  files.push(csvFile('documents.csv', documentRows, ['invoiceId', 'kind', 'tenantId', 'billingDate', 'issuedAt', 'dueAt', 'currency', 'total', 'lines', 'position', 'eventId']));
  const lineRows: Record<string, unknown>[] = [];
  const sourceRows: Record<string, unknown>[] = [];
  for (const document of documents) {
    const lines = issuedLines.get(document.position);
    assert(lines !== undefined, `document ${document.data.invoiceId} is in the log at position ${document.position}`);
    lines.forEach((line, index) => {
      lineRows.push({ invoiceId: document.data.invoiceId, line: index + 1, leaseId: line.leaseId ?? '', serviceMonth: line.serviceMonth, kind: line.kind, description: line.description, quantity: line.quantity, unitPrice: line.unitPrice, amount: line.amount, adjustment: String(line.adjustment), sources: line.sources.length, omittedSources: line.omittedSources ?? 0, grantId: line.grantId ?? '' });
      for (const source of line.sources) sourceRows.push({ invoiceId: document.data.invoiceId, line: index + 1, position: source.position, eventId: source.eventId, type: source.type });
    });
  }
  files.push(csvFile('lines.csv', lineRows, ['invoiceId', 'line', 'leaseId', 'serviceMonth', 'kind', 'description', 'quantity', 'unitPrice', 'amount', 'adjustment', 'sources', 'omittedSources', 'grantId']));
  files.push(csvFile('line-sources.csv', sourceRows, ['invoiceId', 'line', 'position', 'eventId', 'type']));

  // The month's books: entries effective in it (but earlier months' recognitions dated at its
  // first instant), and its own recognitions dated at its end. One row per posting.
  const journalRows: Record<string, unknown>[] = [];
  for (const entry of journalEntries(scope.model, endMs, cutoff, scope.minorDigits)) {
    const inMonth = entry.effectiveAtMs >= startMs && entry.effectiveAtMs < endMs && (entry.recognizedMonth === undefined || entry.recognizedMonth === month || entry.priorPeriod !== undefined);
    const ownRecognition = entry.effectiveAtMs === endMs && entry.recognizedMonth === month && entry.priorPeriod === undefined;
    if (!inMonth && !ownRecognition) continue;
    for (const posting of entry.postings) {
      journalRows.push({ entryId: entry.entryId, effectiveAt: toInstant(entry.effectiveAtMs), description: entry.description, account: posting.account, leaseId: posting.leaseId ?? '', debit: money(posting.debit), credit: money(posting.credit), priorPeriodMonth: entry.priorPeriod?.month ?? '', position: entry.position });
    }
  }
  files.push(csvFile('journal.csv', journalRows, ['entryId', 'effectiveAt', 'description', 'account', 'leaseId', 'debit', 'credit', 'priorPeriodMonth', 'position']));

  const balance = trialBalanceReport(scope, endMs);
  files.push(csvFile('trial-balance.csv', [...balance.accounts, { account: 'total', name: '', debit: balance.totalDebit, credit: balance.totalCredit }], ['account', 'name', 'debit', 'credit']));

  const revenue = revenueReport(scope, month);
  files.push(csvFile('prior-period-adjustments.csv', revenue.priorPeriodAdjustments, ['month', 'kind', 'amount']));

  // The three-way check of the month at its seal: metered usage, invoiced lines, journal entries.
  const reconciliation = reconciliationReport(scope, month);
  const threeWayRows = reconciliation.leases.map((row) => ({
    leaseId: row.leaseId, tenantId: row.tenantId, meteredGpuHours: row.meteredGpuHours, overageGpuHours: row.overageGpuHours, invoicedOverageGpuHours: row.invoicedOverageGpuHours, charges: row.charges, invoiced: row.invoiced, notYetInvoiced: row.notYetInvoiced, journalRecognized: row.journalRecognized, usageInvoiced: String(row.threeWay.usageInvoiced), invoicedInJournal: String(row.threeWay.invoicedInJournal), ok: String(row.threeWay.ok),
  }));
  files.push(csvFile('three-way.csv', threeWayRows, ['leaseId', 'tenantId', 'meteredGpuHours', 'overageGpuHours', 'invoicedOverageGpuHours', 'charges', 'invoiced', 'notYetInvoiced', 'journalRecognized', 'usageInvoiced', 'invoicedInJournal', 'ok']));

  const manifest: AuditPackManifest = {
    packVersion: auditPackVersion,
    ledgerVersion,
    month,
    closedAt: close.data.closedAt,
    closedBy: close.data.closedBy,
    seal: close.data.seal,
    files: files.map((file) => ({ name: file.name, sha256: sha256Of(file.bytes), bytes: file.bytes.length, rows: file.rows })),
  };
  return { manifest, files };
}

export function manifestBytes(manifest: AuditPackManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
}

export interface AuditPackProblem {
  file: string;
  /** 1-based line of the file (the header of a CSV is line 1), when the difference is in a row. */
  row?: number;
  message: string;
}

export interface AuditPackCheck {
  ok: boolean;
  month: string;
  seal: { position: number; hash: string };
  chain: VerifyResult;
  problems: AuditPackProblem[];
}

/** The first line at which two texts differ, 1-based, or null when they are equal. */
function firstDifferentRow(expected: Buffer, actual: Buffer): number | null {
  if (expected.equals(actual)) return null;
  const a = expected.toString('utf8').split('\n');
  const b = actual.toString('utf8').split('\n');
  for (let index = 0; index < Math.max(a.length, b.length); index += 1) if (a[index] !== b[index]) return index + 1;
  return Math.max(a.length, b.length);
}

/**
 * Re-derives the pack the manifest describes and compares it file by file with what is on disk
 * (and with the manifest's sha256), then checks that the log still holds the seal (a pinned
 * head): an edited store differs in a named file and row; a log cut back before the seal fails
 * the chain check even where the files still agree.
 */
export async function checkAuditPack(ledger: Ledger, manifest: AuditPackManifest, readFile: (name: string) => Promise<Buffer | null>, ledgerVersion: string): Promise<AuditPackCheck> {
  const problems: AuditPackProblem[] = [];
  const chain = await verifyLog(ledger.store, [manifest.seal]);
  if (!chain.ok) problems.push({ file: auditPackManifestFile, message: `the seal ${manifest.seal.position}:${manifest.seal.hash} is not in the chain: ${chain.reason}` });
  let rebuilt: { manifest: AuditPackManifest; files: AuditPackFile[] } | null = null;
  try {
    rebuilt = await buildAuditPack(ledger, manifest.month, ledgerVersion);
  } catch (error) {
    if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
    problems.push({ file: auditPackManifestFile, message: `the pack cannot be made again: ${error.message}` });
  }
  if (rebuilt !== null) {
    if (canonicalJson(rebuilt.manifest.seal) !== canonicalJson(manifest.seal)) problems.push({ file: auditPackManifestFile, message: `the ledger's seal of ${manifest.month} is ${rebuilt.manifest.seal.position}:${rebuilt.manifest.seal.hash}, not the manifest's` });
    for (const file of rebuilt.files) {
      const listed = manifest.files.find((each) => each.name === file.name);
      const onDisk = await readFile(file.name);
      if (listed === undefined || onDisk === null) {
        problems.push({ file: file.name, message: listed === undefined ? 'is not in the manifest' : 'is missing from the pack' });
        continue;
      }
      if (sha256Of(onDisk) !== listed.sha256) problems.push({ file: file.name, message: `its sha256 is not the manifest's ${listed.sha256}: the file was changed after the pack was made` });
      const row = firstDifferentRow(onDisk, file.bytes);
      if (row !== null) problems.push({ file: file.name, row, message: `row ${row} differs from the ledger's: ${JSON.stringify(onDisk.toString('utf8').split('\n')[row - 1] ?? '')} in the pack, ${JSON.stringify(file.bytes.toString('utf8').split('\n')[row - 1] ?? '')} re-derived` });
    }
    for (const listed of manifest.files) if (!rebuilt.files.some((file) => file.name === listed.name)) problems.push({ file: listed.name, message: 'is listed in the manifest but is no file of a pack' });
  }
  return { ok: problems.length === 0, month: manifest.month, seal: manifest.seal, chain, problems };
}
