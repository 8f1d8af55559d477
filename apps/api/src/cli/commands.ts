import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AsOfQuery, DocumentNumber, MonthQuery, RequestBillingDate, RequestInstant, usageBatchRecordsMax } from '@compute-ledger/contracts';
import { countOf, parsePinnedHead, pinnedHeadFormat, UsageBatchRefusedError, verifyLog, type Ledger, type CheckpointState, type LedgerVerifyResult, type PinnedHead, type VerifyResult } from '@compute-ledger/ledger';
import { z } from 'zod';
import { readIssuer } from '../config.js';
import { documentFormats, InvoiceDocuments, type DocumentFormat, type RenderedDocument } from '../shared/invoice-documents.js';
import { monthReports, reportByName, reportNames, type ReportName } from '../shared/report-names.js';
import { cliActor, formatOption, instantOption, parseOptions, withLedger, type CliContext } from './context.js';
import { demoHorizon, seedDemo } from './demo/seed.js';
import { StoryClock } from './demo/story-clock.js';
import { CliRefusedError, CliUsageError, exitOk, exitRefused, messageOf } from './errors.js';
import { renderAnswerTable, renderCsv, renderJson, renderTable, type OutputFormat } from './format.js';
import { renderReportCsv } from './report-csv.js';
import { progressBar } from './progress.js';
import { chainFailureMessage, withBareStore } from './startup-verification.js';
import { readUsageFile, rowProblemsShownMax, type UsageFileFormat } from './usage-file.js';

/** The one-shot commands of `ledger`. Each answers its exit code; errors are thrown (see errors.ts). */

export async function demoCommand(context: CliContext): Promise<number> {
  const storyClock = new StoryClock(context.clock);
  return withLedger({ ...context, clock: storyClock.clock }, async (ledger) => {
    const startedMs = Date.now();
    const progress = progressBar('seeding', 100, context.io.stderr, !context.json && context.io.stderr.isTTY === true);
    const summary = await seedDemo(ledger, storyClock, (done, steps) => progress.update(Math.floor((done / steps) * 100)));
    progress.finish();
    const seconds = (Date.now() - startedMs) / 1000;
    const invoices = await invoiceRows(ledger);
    const movements = [];
    for (const month of summary.months) {
      const { startingMrr, new: added, reactivation, expansion, contraction, churn, endingMrr } = await ledger.reports.mrrMovements({ month });
      movements.push({ month, startingMrr, new: added, reactivation, expansion, contraction, churn, endingMrr });
    }
    const trialBalance = await ledger.reports.trialBalance({ asOf: demoHorizon });
    const out = context.io.stdout;
    if (context.json) {
      out.write(renderJson({ summary, invoices, mrrMovements: movements, trialBalance }));
      return exitOk;
    }
    out.write(
      `Seeded a neocloud in ${seconds.toFixed(1)} s: ${summary.events.toLocaleString('en-US')} events, ${summary.readings.toLocaleString('en-US')} hourly readings, ` +
        `${summary.billingRuns} billing runs, ${summary.documents} documents, ${summary.payments} payments.\n\n`,
    );
    out.write(`Invoices and credit notes\n${renderTable(invoices)}\n`);
    out.write(`MRR movements\n${renderTable(movements)}\n`);
    out.write(`Trial balance as of ${trialBalance.asOf}\n${renderTable(trialBalance.accounts)}`);
    out.write(`  total debit ${trialBalance.totalDebit} = total credit ${trialBalance.totalCredit}\n`);
    return exitOk;
  });
}

/** The documents billing runs issued, in order of issue: one read of the documents, not one per document. */
async function invoiceRows(ledger: Ledger) {
  const { invoices } = await ledger.reports.invoices({});
  return invoices
    .filter((invoice) => invoice.creditNoteId === undefined)
    .map((invoice) => ({ invoiceId: invoice.invoiceId, kind: invoice.kind, tenantId: invoice.tenantId, billingDate: (invoice.billingDate ?? invoice.issuedAt).slice(0, 10), dueAt: invoice.dueAt?.slice(0, 10) ?? '', lines: invoice.lines.length, total: invoice.total, amountPaid: invoice.amountPaid, status: invoice.status }));
}

export async function billCommand(context: CliContext, options: { date: string; documents?: string; preview?: boolean }): Promise<number> {
  const billingDate = billingDateOption(options.date);
  if (options.preview === true) {
    if (options.documents !== undefined) throw new CliUsageError('--preview writes no documents: leave out --documents');
    return previewBillCommand(context, billingDate);
  }
  if (options.documents !== undefined && options.documents.trim() === '') throw new CliUsageError('--documents must name a directory');
  const target = options.documents === undefined ? null : { directory: options.documents, issuer: readIssuer(context.io.env) };
  return withLedger(context, async (ledger) => {
    const { outcome, result } = await ledger.billing.runBilling(billingDate, cliActor('bill'));
    // As issued, so that writing the documents of a run again (a repeat of the date) gives the
    // very files of the first time, whatever was paid in between.
    const files = [];
    if (target !== null) {
      const documents = new InvoiceDocuments(ledger, target.issuer);
      for (const { invoiceId } of result.documents) {
        const rendered = await documents.render(await ledger.reports.invoice(invoiceId), { format: 'pdf', asIssued: true });
        files.push(await writeDocument(join(target.directory, rendered.fileName), rendered));
      }
    }
    const out = context.io.stdout;
    if (context.json) {
      out.write(renderJson({ outcome, ...result, ...(target === null ? {} : { files }) }));
      return exitOk;
    }
    out.write(outcome === 'created' ? `Billing run ${result.billingDate} done` : `Billing run ${result.billingDate} was already done; nothing issued`);
    out.write(` (cut-off position ${result.cutoffPosition}).\n`);
    const drafts = result.drafts ?? [];
    if (result.documents.length > 0) out.write(renderTable(result.documents));
    else if (drafts.length === 0) out.write('No documents: nothing was due.\n');
    if (drafts.length > 0) out.write(`${countOf(drafts.length, 'draft')} above ${result.approvalAbove ?? ''}, awaiting approval by another key than this run's:\n${renderTable(drafts)}`);
    if (target !== null) out.write(files.length === 0 ? 'No document files written.\n' : `Wrote ${countOf(files.length, 'document')} as issued:\n${renderTable(files)}`);
    return exitOk;
  });
}

/** `ledger bill --date ... --preview`: what the run would issue now, credits applied; records nothing. */
async function previewBillCommand(context: CliContext, billingDate: string): Promise<number> {
  return withLedger(context, async (ledger) => {
    const preview = await ledger.billing.previewBilling(billingDate);
    const out = context.io.stdout;
    if (context.json) {
      out.write(renderJson(preview));
      return exitOk;
    }
    out.write(`Preview of the billing run ${billingDate} (cut-off position ${preview.cutoffPosition}); nothing recorded.\n`);
    if (preview.documents.length === 0) {
      out.write('No documents: nothing would be due.\n');
      return exitOk;
    }
    out.write(renderTable(preview.documents.map((document) => ({ kind: document.kind, tenantId: document.tenantId, lines: document.lines.length, total: document.total }))));
    for (const document of preview.documents) {
      out.write(`\n${document.tenantId} (${document.kind}):\n`);
      out.write(renderTable(document.lines.map((line) => ({ leaseId: line.leaseId ?? line.grantId ?? '', serviceMonth: line.serviceMonth, kind: line.kind, amount: line.amount }))));
    }
    return exitOk;
  });
}

/**
 * `--date YYYY-MM-01`: the first day of a month, taken as its first instant (a full instant such
 * as 2026-12-01T00:00:00Z is taken too). Anything else is a misuse, told in the option's own form.
 */
export function billingDateOption(value: string): string {
  const instant = /^\d{4}-(0[1-9]|1[0-2])-01$/.test(value) ? `${value}T00:00:00Z` : value;
  if (!RequestBillingDate.safeParse(instant).success) throw new CliUsageError(`--date must be the first day of a month as YYYY-MM-01 (such as 2026-12-01), not ${JSON.stringify(value)}`);
  return instant;
}

export interface InvoiceRenderOptions {
  format?: string;
  out: string;
  asIssued?: boolean;
  knownAt?: string;
}

/** `ledger invoice render`: one billing document as the customer receives it, to a file. */
export async function invoiceRenderCommand(context: CliContext, invoiceId: string, options: InvoiceRenderOptions): Promise<number> {
  if (options.format !== undefined && !(documentFormats as readonly string[]).includes(options.format)) throw new CliUsageError(`--format must be one of ${documentFormats.join(', ')}`);
  const format = (options.format ?? 'pdf') as DocumentFormat;
  if (options.out.trim() === '') throw new CliUsageError('--out must name a file');
  const query = parseOptions(z.strictObject({ invoiceId: DocumentNumber, knownAt: RequestInstant.optional() }), { invoiceId, knownAt: instantOption(options.knownAt) }, { invoiceId: '<invoiceId>', knownAt: '--known-at' });
  const issuer = readIssuer(context.io.env);
  return withLedger(context, async (ledger) => {
    const view = await ledger.reports.invoice(query.invoiceId, query.knownAt);
    const rendered = await new InvoiceDocuments(ledger, issuer).render(view, { format, asIssued: options.asIssued === true });
    const file = await writeDocument(options.out, rendered);
    const summary = { ...file, format, asIssued: options.asIssued === true };
    context.io.stdout.write(context.json ? renderJson(summary) : `Wrote ${file.invoiceId} (${format}, ${file.bytes.toLocaleString('en-US')} bytes, sha256 ${file.sha256}) to ${file.file}.\n`);
    return exitOk;
  });
}

/** Writes a rendered document, creating its directory; answers what a job needs to check it later. */
async function writeDocument(file: string, rendered: RenderedDocument): Promise<{ invoiceId: string; file: string; bytes: number; sha256: string }> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, rendered.bytes);
  return { invoiceId: rendered.invoiceId, file, bytes: rendered.bytes.length, sha256: rendered.sha256 };
}

export interface ReportOptions {
  asOf?: string;
  month?: string;
  knownAt?: string;
  format?: string;
}

export async function reportCommand(context: CliContext, name: string, options: ReportOptions): Promise<number> {
  if (!(reportNames as readonly string[]).includes(name)) throw new CliUsageError(`no report ${name}: one of ${reportNames.join(', ')}`);
  const report = name as ReportName;
  const format = formatOption(options.format, context.json, ['table', 'json', 'csv'], 'table');
  const names = { asOf: '--as-of', month: '--month', knownAt: '--known-at' };
  const knownAt = instantOption(options.knownAt);
  const query = monthReports.includes(report)
    ? parseOptions(MonthQuery, { month: options.month, knownAt, ...(options.asOf === undefined ? {} : { asOf: options.asOf }) }, names)
    : parseOptions(AsOfQuery, { asOf: instantOption(options.asOf), knownAt, ...(options.month === undefined ? {} : { month: options.month }) }, names);
  return withLedger(context, async (ledger) => {
    const answer = await reportByName(ledger.reports, report, query);
    context.io.stdout.write(render(report, answer as Record<string, unknown>, format));
    return exitOk;
  });
}

function render(report: ReportName, answer: Record<string, unknown>, format: OutputFormat): string {
  if (format === 'json') return renderJson(answer);
  if (format === 'csv') return renderReportCsv(report, answer);
  return renderAnswerTable(answer);
}

export const journalCsvColumns = ['entryId', 'effectiveAt', 'description', 'account', 'leaseId', 'debit', 'credit'] as const;

export async function exportJournalCommand(context: CliContext, options: { from?: string; to?: string; knownAt?: string; format?: string }): Promise<number> {
  const format = formatOption(options.format, context.json, ['csv', 'json'], 'csv');
  const query = parseOptions(
    z.strictObject({ from: RequestInstant.optional(), to: RequestInstant.optional(), knownAt: RequestInstant.optional() }),
    { from: instantOption(options.from), to: instantOption(options.to), knownAt: instantOption(options.knownAt) },
    { from: '--from', to: '--to', knownAt: '--known-at' },
  );
  if (query.from !== undefined && query.to !== undefined && Date.parse(query.from) >= Date.parse(query.to)) throw new CliUsageError('--from must be before --to');
  return withLedger(context, async (ledger) => {
    const journal = await ledger.reports.journal(query);
    if (format === 'json') {
      context.io.stdout.write(renderJson(journal));
      return exitOk;
    }
    // One row per posting; the rows of an entry share its entryId and balance among themselves.
    const rows = journal.entries.flatMap((entry) =>
      entry.postings.map((posting) => ({ entryId: entry.entryId, effectiveAt: entry.effectiveAt, description: entry.description, account: posting.account, leaseId: posting.leaseId ?? '', debit: posting.debit, credit: posting.credit })),
    );
    context.io.stdout.write(renderCsv(rows, journalCsvColumns));
    return exitOk;
  });
}

export async function importUsageCommand(context: CliContext, file: string, options: { format?: string; batchSize?: string }): Promise<number> {
  if (options.format !== undefined && !['csv', 'jsonl'].includes(options.format)) throw new CliUsageError('--format must be csv or jsonl');
  const batchSize = options.batchSize === undefined ? usageBatchRecordsMax : Number(options.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > usageBatchRecordsMax) throw new CliUsageError(`--batch-size must be a whole number from 1 to ${usageBatchRecordsMax}`);
  const parsed = await readUsageFile(file, options.format as UsageFileFormat | undefined).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CliUsageError(`no file ${file}`);
    throw error;
  });
  const out = context.io.stdout;
  if (parsed.problems.length > 0) {
    reportRefusal(context, file, parsed.problems.map((problem) => ({ line: problem.line, message: problem.message })), 'nothing was recorded');
    return exitRefused;
  }
  return withLedger(context, async (ledger) => {
    const rows = parsed.rows;
    const progress = progressBar('importing', rows.length, context.io.stderr, !context.json && context.io.stderr.isTTY === true);
    let accepted = 0;
    let duplicates = 0;
    let batches = 0;
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch = rows.slice(start, start + batchSize);
      try {
        const result = await ledger.commands.recordUsage({ records: batch.map((row) => row.record) }, cliActor('import-usage'));
        accepted += result.accepted;
        duplicates += result.duplicates;
        batches += 1;
        progress.update(start + batch.length);
      } catch (error) {
        if (!(error instanceof UsageBatchRefusedError)) throw error;
        progress.finish();
        const problems = error.recordErrors.map((refused) => ({ line: batch[refused.index]?.line ?? 0, message: `${refused.readingId}: ${refused.message}` }));
        const recorded = batches === 0 ? 'nothing was recorded' : `${batches === 1 ? 'the batch before it was' : `the ${batches} batches before it were`} recorded (${countOf(accepted, 'reading')}); sending the file again records the rest, the recorded readings counting as duplicates`;
        reportRefusal(context, file, problems, `batch ${batches + 1} (lines ${batch[0]!.line}-${batch.at(-1)!.line}) was refused whole; ${recorded}`);
        return exitRefused;
      }
    }
    progress.finish();
    const summary = { file, readings: rows.length, accepted, duplicates, batches };
    out.write(context.json ? renderJson(summary) : `Imported ${file}: ${countOf(rows.length, 'reading')} in ${countOf(batches, 'batch', 'batches')}, ${accepted} recorded, ${duplicates} already known.\n`);
    return exitOk;
  });
}

function reportRefusal(context: CliContext, file: string, problems: readonly { line: number; message: string }[], outcome: string): void {
  if (context.json) {
    context.io.stdout.write(renderJson({ file, refused: true, outcome, errors: problems }));
    return;
  }
  const shown = problems.slice(0, rowProblemsShownMax).map((problem) => `  line ${problem.line}: ${problem.message}`);
  const more = problems.length > rowProblemsShownMax ? [`  ... and ${problems.length - rowProblemsShownMax} more`] : [];
  context.io.stderr.write(`${file} was refused: ${outcome}.\n${[...shown, ...more].join('\n')}\n`);
}

/** The rebuild half of `ledger verify`: compared with the live model, skipped, or failed, and why. */
type RebuildOutcome = LedgerVerifyResult['rebuild'] | { ok: false; skipped: string } | { ok: false; error: string };

/**
 * `ledger verify`: the hash chain from the first event, on the bare store, then a rebuild of
 * the model compared with the live one. The chain comes first and alone: a model folds every
 * event, so an event altered until it no longer reads would otherwise surface as a parse error
 * of the fold instead of as the position where the log was changed. A log whose chain does not
 * verify is not rebuilt: what it would be compared with may itself be altered.
 */
export async function verifyCommand(context: CliContext, options: { expectHead?: readonly string[] } = {}): Promise<number> {
  const { storeUrl } = context.config;
  const heads = pinnedHeadsOption(options.expectHead ?? []);
  const progress = progressBar('verifying', 2, context.io.stderr, !context.json && context.io.stderr.isTTY === true);
  const firstCheck = await withBareStore(storeUrl, (store) => verifyLog(store, heads));
  progress.update(1);
  const notChecked: CheckpointState = { checkpointPosition: null, digest: null, matchesLog: null, reason: 'not checked: the log does not verify' };
  if (!firstCheck.ok) {
    progress.finish();
    return reportVerification(context, firstCheck, { ok: false, skipped: 'no model is built from a log whose hash chain does not verify' }, notChecked, chainFailureMessage(firstCheck, storeUrl, null));
  }
  // The ledger checks the chain again, up to its head at the time of the rebuild: so every event
  // the rebuild folds, including any appended since the first check, is covered by a check.
  const verified = await withLedger(context, (ledger) => ledger.verify(), false, true).catch((error: unknown) => ({ error }));
  progress.finish();
  if ('error' in verified) {
    const error = `the model cannot be built from the log: ${messageOf(verified.error)}`;
    return reportVerification(context, firstCheck, { ok: false, error }, notChecked, `the hash chain verifies, but ${error}`);
  }
  const failure = !verified.chain.ok
    ? chainFailureMessage(verified.chain, storeUrl, null)
    : !verified.rebuild.ok
      ? 'the model rebuilt from the log differs from the live one'
      : `the model checkpoint does not match the log: ${verified.model.reason ?? ''}`;
  return reportVerification(context, verified.chain, verified.rebuild, verified.model, failure);
}

/** `--expect-head P:H`, repeatable: a malformed one is a misuse (exit 2). */
function pinnedHeadsOption(values: readonly string[]): PinnedHead[] {
  return values.map((value) => {
    const head = parsePinnedHead(value);
    if (head === null) throw new CliUsageError(`--expect-head ${value}: must be ${pinnedHeadFormat}`);
    return head;
  });
}

/** Prints both halves of a verification; any failure is exit 1, explained by `failure` on a terminal. */
function reportVerification(context: CliContext, chain: VerifyResult, rebuild: RebuildOutcome, model: CheckpointState, failure: string): number {
  const ok = chain.ok && rebuild.ok && model.matchesLog !== false;
  const out = context.io.stdout;
  if (context.json) {
    out.write(renderJson({ ok, chain, rebuild, model }));
    return ok ? exitOk : exitRefused;
  }
  if (chain.ok) out.write(`hash chain: ok, ${countOf(chain.eventsChecked, 'event')}, head ${chain.headPosition} ${chain.headHash}\n`);
  else out.write(`hash chain: BROKEN at position ${chain.firstInvalidPosition}: ${chain.reason}\n`);
  if ('skipped' in rebuild) out.write(`rebuild:    NOT RUN: ${rebuild.skipped}\n`);
  else if ('error' in rebuild) out.write(`rebuild:    FAILED: ${rebuild.error}\n`);
  else if (rebuild.ok) out.write(`rebuild:    ok, the model rebuilt from the log equals the live one at position ${rebuild.position} (${rebuild.rebuiltDigest})\n`);
  else out.write(`rebuild:    DIFFERS at position ${rebuild.position}: live ${rebuild.liveDigest}, rebuilt ${rebuild.rebuiltDigest}\n`);
  if (model.matchesLog === true) out.write(`checkpoint: ok, the model checkpoint at position ${model.checkpointPosition} is the one the log records and a rebuild gives (${model.digest})\n`);
  else if (model.matchesLog === false) out.write(`checkpoint: DOES NOT MATCH the log${model.checkpointPosition === null ? '' : ` at position ${model.checkpointPosition}`}: ${model.reason ?? ''}\n`);
  else out.write(`checkpoint: none${model.reason === undefined ? '' : ` (${model.reason})`}\n`);
  if (!ok) throw new CliRefusedError(`verification failed: ${failure}`);
  return exitOk;
}
