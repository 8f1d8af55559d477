import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteEventStore } from '@compute-ledger/store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineWith, pdfToText } from '../documents/pdf-text.js';
import { buildOnce, ledger, type Run } from './support.js';

/**
 * The `ledger` command as a process on a real SQLite file: the demo, billing, invoice
 * documents, reports, the journal export, usage imports and verification, with their exit codes
 * (0 ok, 1 refused, 2 misuse).
 */

let directory: string;
let env: Record<string, string>;
const run = (...args: string[]): Promise<Run> => ledger(args, env, directory);

/** Events in the log, read from the store file between two runs of the command. */
async function eventCount(): Promise<number> {
  const store = openSqliteEventStore({ path: join(directory, 'data', 'ledger.db') });
  try {
    return (await store.headPosition()) + 1;
  } finally {
    await store.close();
  }
}

beforeAll(() => {
  buildOnce();
  directory = mkdtempSync(join(tmpdir(), 'ledger-cli-'));
  env = { LEDGER_STORE: `sqlite:${join(directory, 'data', 'ledger.db')}` };
}, 120_000);

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe('ledger', () => {
  it('seeds the demo into an empty store and prints invoices, MRR movements and the trial balance', async () => {
    const startedMs = Date.now();
    const demo = await run('demo');
    expect(demo.code, demo.stderr).toBe(0);
    expect(Date.now() - startedMs).toBeLessThan(20_000);
    expect(demo.stdout).toMatch(/INV-000001\s+invoice\s+frontier-lab\s+2025-12-01\s+2025-12-31\s+4\s+2603160\.00/);
    expect(demo.stdout).toMatch(/INV-000002\s+invoice\s+frontier-lab\s+2026-01-01\s+2026-01-31\s+2\s+1564500\.00/);
    expect(demo.stdout).toMatch(/2026-02\s+14673000\.00\s+0\.00\s+0\.00\s+1387000\.00/);
    const [, debit, credit] = /total debit (\S+) = total credit (\S+)/.exec(demo.stdout) ?? [];
    expect(debit).toBeDefined();
    expect(debit).toBe(credit);
    // Progress bars are for terminals: nothing on stderr in a pipe.
    expect(demo.stderr).toBe('');
  });

  it('refuses to seed the demo into a store that is not empty (exit 1)', async () => {
    const again = await run('demo');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already holds');
  });

  it('runs billing once per date: a repeat answers the same run', async () => {
    const bill = await run('bill', '--date', '2026-11-01', '--json');
    expect(bill.code, bill.stderr).toBe(0);
    const result = JSON.parse(bill.stdout) as { outcome: string; billingDate: string; documents: { invoiceId: string }[] };
    expect(result.outcome).toBe('unchanged');
    expect(result.billingDate).toBe('2026-11-01T00:00:00Z');
    expect(result.documents.map((document) => document.invoiceId)).toEqual(['INV-000037', 'INV-000038', 'INV-000039']);
    const table = await run('bill', '--date', '2026-11-01');
    expect(table.stdout).toContain('already done');
  });

  it('renders an invoice to a PDF whose text holds its total, and to HTML', async () => {
    const pdf = join(directory, 'documents', 'INV-000001.pdf');
    const rendered = await run('invoice', 'render', 'INV-000001', '--format', 'pdf', '--out', pdf);
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(rendered.stdout).toContain('Wrote INV-000001');
    lineWith(pdfToText(readFileSync(pdf)), 'Total (USD)', '$2,603,160.00'); // the worked example's first invoice
    const html = join(directory, 'documents', 'INV-000002.html');
    expect((await run('invoice', 'render', 'INV-000002', '--format', 'html', '--out', html)).code).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('$1,564,500.00');
  });

  it('refuses an unknown invoice (exit 1) and a misused render (exit 2)', async () => {
    const out = join(directory, 'documents', 'none.pdf');
    // Only the first opens the ledger; the others are refused before, so they run side by side.
    const [unknown, badFormat, noOut, badId, shortId, otherSeries] = await Promise.all([
      run('invoice', 'render', 'INV-999999', '--out', out),
      run('invoice', 'render', 'INV-000001', '--format', 'docx', '--out', out),
      run('invoice', 'render', 'INV-000001'),
      run('invoice', 'render', 'not a number', '--out', out),
      run('invoice', 'render', 'INV-1', '--out', out),
      run('invoice', 'render', 'XYZ-000001', '--out', out),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('invoice INV-999999 does not exist');
    expect(badFormat.code).toBe(2);
    expect(noOut.code).toBe(2);
    // A malformed number is a misuse, like a bad option: not a number the ledger does not know.
    for (const malformed of [badId, shortId, otherSeries]) {
      expect(malformed.code, malformed.stderr).toBe(2);
      expect(malformed.stderr).toContain('<invoiceId>: must be a document number');
    }
  });

  it('writes the documents of a billing run as issued, the same bytes again for a run already done', async () => {
    const documents = join(directory, 'run-2026-11');
    const bill = await run('bill', '--date', '2026-11-01', '--documents', documents, '--json');
    expect(bill.code, bill.stderr).toBe(0);
    const answer = JSON.parse(bill.stdout) as { files: { invoiceId: string; sha256: string }[] };
    expect(readdirSync(documents).sort()).toEqual(['INV-000037.pdf', 'INV-000038.pdf', 'INV-000039.pdf']);
    for (const file of answer.files) expect(createHash('sha256').update(readFileSync(join(documents, `${file.invoiceId}.pdf`))).digest('hex')).toBe(file.sha256);
    expect(pdfToText(readFileSync(join(documents, 'INV-000037.pdf')))).not.toContain('Amount due');
    const asIssued = join(directory, 'documents', 'INV-000037.pdf');
    expect((await run('invoice', 'render', 'INV-000037', '--as-issued', '--out', asIssued)).code).toBe(0);
    expect(readFileSync(asIssued).equals(readFileSync(join(documents, 'INV-000037.pdf')))).toBe(true);
  });

  it('refuses a billing date in the future (exit 1) and a malformed one (exit 2)', async () => {
    // Only the first opens the ledger; the others are refused before, so they run side by side.
    const [future, midMonth, missing] = await Promise.all([run('bill', '--date', '2099-01-01'), run('bill', '--date', '2026-11-15'), run('bill')]);
    expect(future.code).toBe(1);
    expect(future.stderr).toContain('in the future');
    expect(midMonth.code).toBe(2);
    expect(midMonth.stderr).toContain('--date');
    expect(missing.code).toBe(2);
  });

  it('previews a billing run, a future one too, and records nothing', async () => {
    const before = await eventCount();
    const preview = await run('bill', '--date', '2099-01-01', '--preview', '--json');
    expect(preview.code, preview.stderr).toBe(0);
    const answer = JSON.parse(preview.stdout) as { billingDate: string; documents: { number: null; tenantId: string; total: string }[] };
    expect(answer.billingDate).toBe('2099-01-01T00:00:00Z');
    expect(answer.documents.length).toBeGreaterThan(0);
    for (const document of answer.documents) expect(document.number).toBeNull();
    const table = await run('bill', '--date', '2099-01-01', '--preview');
    expect(table.stdout).toContain('nothing recorded');
    expect(await eventCount()).toBe(before);
    const misused = await run('bill', '--date', '2099-01-01', '--preview', '--documents', directory);
    expect(misused.code).toBe(2);
  });

  it('prints the credits report: every grant with drawn, expired and remaining', async () => {
    const credits = await run('report', 'credits', '--as-of', '2026-06-01', '--json');
    expect(credits.code, credits.stderr).toBe(0);
    expect(JSON.parse(credits.stdout)).toMatchObject({ asOf: '2026-06-01T00:00:00Z', grants: [], totals: { amount: '0.00', drawn: '0.00', expired: '0.00', remaining: '0.00' } });
  });

  it('tells a malformed --date in the option’s own YYYY-MM-01 form', async () => {
    const [month13, instantLike] = await Promise.all([run('bill', '--date', '2026-13-01'), run('bill', '--date', '2026-12-01T00:00:00')]);
    for (const refused of [month13, instantLike]) {
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('--date must be the first day of a month as YYYY-MM-01 (such as 2026-12-01)');
      expect(refused.stderr).not.toContain('ISO-8601');
    }
  });

  it('prints errors as JSON under --json: misuse, refusal and Commander’s own', async () => {
    const [badDate, unknownInvoice, unknownOption, unknownReport] = await Promise.all([
      run('bill', '--date', '2026-13-01', '--json'),
      run('--json', 'invoice', 'render', 'INV-999999', '--out', join(directory, 'documents', 'none.pdf')),
      run('--json', 'report', 'revenue', '--nonsense'),
      run('report', 'nope', '--json'),
    ]);
    const errorOf = (result: Run) => {
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      return JSON.parse(result.stderr) as Record<string, unknown>;
    };
    expect(badDate.code).toBe(2);
    expect(errorOf(badDate)).toEqual({ type: 'misuse', title: 'The command was used wrongly', exitCode: 2, detail: expect.stringContaining('YYYY-MM-01') });
    expect(unknownInvoice.code).toBe(1);
    expect(errorOf(unknownInvoice)).toEqual({ type: 'refused', title: expect.any(String), exitCode: 1, detail: 'invoice INV-999999 does not exist' });
    expect(unknownOption.code).toBe(2);
    expect(errorOf(unknownOption)).toMatchObject({ type: 'misuse', exitCode: 2, detail: expect.stringContaining('--nonsense') });
    expect(unknownReport.code).toBe(2);
    expect(errorOf(unknownReport)).toMatchObject({ type: 'misuse', detail: expect.stringContaining('no report nope') });
  });

  it('prints November 2025 revenue as CSV with a total row', async () => {
    const csv = await run('report', 'revenue', '--month', '2025-11', '--format', 'csv');
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe('month,knownAt,leaseId,tenantId,commitment,usage,terminationFees,slaCredits,creditNotes,promotionalCredits,expiredCredits,total');
    expect(lines[1]).toMatch(/^2025-11,[^,]+,L-1001,frontier-lab,1058400\.00,90300\.00,0\.00,-105840\.00,,,,$/);
    // The total row has every total: 1,058,400.00 + 90,300.00 + 0.00 - 105,840.00 + 0.00 (no credit notes, no grants) = 1,042,860.00.
    expect(lines.at(-1)).toMatch(/^2025-11,[^,]+,total,,1058400\.00,90300\.00,0\.00,-105840\.00,0\.00,0\.00,0\.00,1042860\.00$/);
  });

  it('prints a month without revenue with the same columns, and a complete total row', async () => {
    const csv = await run('report', 'revenue', '--month', '2024-01', '--format', 'csv');
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.trimEnd().split('\r\n')).toEqual([
      'month,knownAt,leaseId,tenantId,commitment,usage,terminationFees,slaCredits,creditNotes,promotionalCredits,expiredCredits,total',
      expect.stringMatching(/^2024-01,[^,]+,total,,0\.00,0\.00,0\.00,0\.00,0\.00,0\.00,0\.00,0\.00$/),
    ]);
  });

  it('prints any report as a table or JSON, as of and as known at a given time', async () => {
    const table = await run('report', 'trial-balance', '--as-of', '2026-11-01');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/asOf\s+2026-11-01T00:00:00Z/);
    expect(table.stdout).toMatch(/1100\s+Accounts receivable/);
    const json = await run('report', 'mrr', '--as-of', '2025-12-15T00:00:00Z', '--json');
    const mrr = JSON.parse(json.stdout) as { asOf: string; tenants: { tenantId: string; mrr: string }[] };
    expect(mrr.asOf).toBe('2025-12-15T00:00:00Z');
    expect(mrr.tenants).toContainEqual({ tenantId: 'frontier-lab', mrr: '1533000.00', arr: '18396000.00' });
    const nothingKnown = await run('report', 'revenue', '--month', '2025-11', '--known-at', '2020-01-01', '--format', 'json');
    expect(JSON.parse(nothingKnown.stdout)).toMatchObject({ knownAt: '2020-01-01T00:00:00Z', total: '0.00' });
  });

  it("answers the README's knowledge-time example on the demo: November as known on 2025-12-02, and as known now", async () => {
    // The demo records each fact when its story learns it: the late reading of 2025-12-03
    // (600 GPU-hours of 2025-11-30) is not known on 2025-12-02.
    const usageOfL1001 = (csv: string) => {
      const [header, ...rows] = csv.trim().split('\n').map((line) => line.split(','));
      const row = rows.find((cells) => cells[header!.indexOf('leaseId')] === 'L-1001');
      return row?.[header!.indexOf('usage')];
    };
    const then = await run('report', 'revenue', '--month', '2025-11', '--known-at', '2025-12-02', '--format', 'csv');
    expect(then.code, then.stderr).toBe(0);
    expect(usageOfL1001(then.stdout)).toBe('88200.00'); // (529,200 - 504,000) x 3.50
    const now = await run('report', 'revenue', '--month', '2025-11', '--format', 'csv');
    expect(usageOfL1001(now.stdout)).toBe('90300.00'); // (529,800 - 504,000) x 3.50
  });

  it('treats an unknown report, a missing month and a malformed instant as misuse (exit 2)', async () => {
    // Each is refused before the ledger is opened, so they can run side by side.
    const [profit, noMonth, badInstant, xml, unknownCommand, nothing, help] = await Promise.all([
      run('report', 'profit'),
      run('report', 'revenue'),
      run('report', 'mrr', '--as-of', 'yesterday'),
      run('report', 'mrr', '--format', 'xml'),
      run('no-such-command'),
      run(),
      run('--help'),
    ]);
    expect(profit.code).toBe(2);
    expect(noMonth.code).toBe(2);
    expect(noMonth.stderr).toContain('--month');
    expect(badInstant.code).toBe(2);
    expect(badInstant.stderr).toContain('--as-of');
    expect(xml.code).toBe(2);
    expect(unknownCommand.code).toBe(2);
    expect(nothing.code).toBe(2);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('import');
  });

  it('exports the journal as CSV, every entry balanced', async () => {
    const exported = await run('export', 'journal', '--to', '2026-02-01', '--format', 'csv');
    expect(exported.code, exported.stderr).toBe(0);
    const [header, ...rows] = exported.stdout.trimEnd().split('\r\n');
    expect(header).toBe('entryId,effectiveAt,description,account,leaseId,debit,credit');
    expect(rows.length).toBeGreaterThan(10);
    const cents = new Map<string, bigint>();
    for (const row of rows) {
      const fields = row.split(',');
      const [entryId, debit, credit] = [fields[0]!, fields.at(-2)!, fields.at(-1)!];
      const amount = (value: string) => BigInt(value.replace('.', ''));
      cents.set(entryId, (cents.get(entryId) ?? 0n) + amount(debit) - amount(credit));
      expect(Date.parse(fields[1]!)).toBeLessThan(Date.parse('2026-02-01T00:00:00Z'));
    }
    for (const [entryId, balance] of cents) expect(balance, entryId).toBe(0n);
  });

  it('imports usage from CSV and JSON lines in batches; the same file again counts duplicates', async () => {
    const csv = join(directory, 'usage.csv');
    writeFileSync(csv, 'readingId,leaseId,periodStart,periodEnd,gpuHours,source\nimp-1,L-4001,2026-11-01T00:00:00Z,2026-11-01T01:00:00Z,500,meter-a\nimp-2,L-4001,2026-11-01T01:00:00Z,2026-11-01T02:00:00Z,512.5,\n"imp-3",L-4001,2026-11-01T02:00:00Z,2026-11-01T03:00:00Z,499,"meter, b"\n');
    const before = await eventCount();
    const imported = await run('import', 'usage', csv, '--batch-size', '2', '--json');
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toEqual({ file: csv, readings: 3, accepted: 3, duplicates: 0, batches: 2 });
    expect(await eventCount()).toBe(before + 3);
    const again = await run('import', 'usage', csv);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 recorded, 3 already known');
    expect(again.stdout).toContain('3 readings in 1 batch,'); // one batch of the default size, in the singular
    const jsonl = join(directory, 'usage.jsonl');
    writeFileSync(jsonl, `${JSON.stringify({ readingId: 'imp-4', leaseId: 'L-4001', periodStart: '2026-11-01T03:00:00Z', periodEnd: '2026-11-01T04:00:00Z', gpuHours: '450' })}\n`);
    const lines = await run('import', 'usage', jsonl, '--json');
    expect(JSON.parse(lines.stdout)).toMatchObject({ accepted: 1 });
  });

  it('refuses a file with a malformed row whole: exit 1, nothing recorded', async () => {
    const csv = join(directory, 'bad.csv');
    writeFileSync(csv, 'readingId,leaseId,periodStart,periodEnd,gpuHours\nbad-1,L-4001,2026-11-02T00:00:00Z,2026-11-02T01:00:00Z,100\nbad-2,L-4001,2026-11-02T01:00:00Z,2026-11-02T02:00:00+01:00,1.5e3\n');
    const before = await eventCount();
    const refused = await run('import', 'usage', csv);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('nothing was recorded');
    expect(refused.stderr).toMatch(/line 3: .*periodEnd/);
    expect(refused.stderr).toMatch(/line 3: .*gpuHours/);
    expect(await eventCount()).toBe(before);
  });

  it('refuses a batch with a reading the ledger refuses: exit 1, nothing of it recorded', async () => {
    const csv = join(directory, 'refused.csv');
    // L-3001 was terminated on 2026-07-15: an August reading is outside its term.
    writeFileSync(csv, 'readingId,leaseId,periodStart,periodEnd,gpuHours\nok-1,L-4001,2026-11-03T00:00:00Z,2026-11-03T01:00:00Z,100\nlate-1,L-3001,2026-08-01T00:00:00Z,2026-08-01T01:00:00Z,100\n');
    const before = await eventCount();
    const refused = await run('import', 'usage', csv, '--json');
    expect(refused.code).toBe(1);
    const answer = JSON.parse(refused.stdout) as { refused: boolean; errors: { line: number; message: string }[] };
    expect(answer.refused).toBe(true);
    expect(answer.errors).toEqual([{ line: 3, message: expect.stringContaining('late-1') }]);
    expect(await eventCount()).toBe(before);
    expect((await run('import', 'usage', join(directory, 'missing.csv'))).code).toBe(2);
  });

  it('verifies the hash chain and a full rebuild against the live model', async () => {
    const verify = await run('verify');
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/^hash chain: ok, \d+ events/m);
    expect(verify.stdout).toMatch(/^rebuild:\s+ok/m);
  });
});
