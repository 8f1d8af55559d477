import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The command line is run in this process, so its clock can be the scenario's.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { runCli, openLedgerAt } from '@compute-ledger/api';
import {
  workedExampleKnownAt,
  workedExampleLateReading,
  workedExampleNovemberReadings,
  recordWorkedExampleContracts,
} from '../support/worked-example.js';
import { withRawConnection } from '../store/sqlite-fixtures.js';

/** `ledger close`, `ledger audit pack` and `ledger audit check` on the worked example with 2025-11 closed. */

const actor = { actor: 'test' };
let root: string;
let now = new Date(workedExampleKnownAt.contracts);
const clock = (): Date => now;

/** A copy of the ledger's files in its own directory, for a test that edits them. */
function copyOfLedger(name: string): string {
  const directory = join(root, name);
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory);
  for (const file of readdirSync(join(root, 'ledger'))) copyFileSync(join(root, 'ledger', file), join(directory, file));
  return directory;
}

async function cli(args: string[], directory = join(root, 'ledger')): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough() as unknown as NodeJS.WriteStream;
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  (stderr as unknown as PassThrough).on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const env = { LEDGER_STORE: `sqlite:${join(directory, 'ledger.db')}`, LEDGER_DATA_DIR: directory, LEDGER_CHECKPOINT_EVENTS_MIN: '1000000' };
  const code = await runCli(args, { stdout, stderr, env }, { clock });
  return { code, stdout: out, stderr: err };
}

function filesOf(directory: string): Record<string, string> {
  return Object.fromEntries(readdirSync(directory).sort().map((name) => [name, readFileSync(join(directory, name)).toString('base64')]));
}

let seal: { position: number; hash: string };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ledger-audit-'));
  const directory = join(root, 'ledger');
  mkdirSync(directory);
  const ledger = await openLedgerAt(`sqlite:${join(directory, 'ledger.db')}`, { clock });
  const { commands, billing } = ledger;
  await recordWorkedExampleContracts(commands, actor);
  now = new Date(workedExampleKnownAt.firstBillingRun);
  await commands.recordUsage({ records: workedExampleNovemberReadings() }, actor);
  await billing.runBilling('2025-12-01T00:00:00Z', actor);
  await ledger.close();
  now = new Date('2025-12-02T00:00:00Z');
}, 60_000);

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('ledger close and ledger audit', () => {
  it('refuses a pack of an open month, then closes the month', async () => {
    const open = await cli(['audit', 'pack', '--month', '2025-11', '--out', join(root, 'never')]);
    expect(open.code).toBe(1);
    expect(open.stderr).toContain('2025-11 is not closed');
    const closed = await cli(['--json', 'close', '--month', '2025-11']);
    expect(closed.code).toBe(0);
    seal = (JSON.parse(closed.stdout) as { seal: typeof seal }).seal;
    const again = await cli(['close', '--month', '2025-11']);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('2025-11 is already closed')]);
  });

  it('writes the same bytes twice, and again after a late reading recorded after the close', async () => {
    expect((await cli(['audit', 'pack', '--month', '2025-11', '--out', join(root, 'pack-a')])).code).toBe(0);
    expect((await cli(['audit', 'pack', '--month', '2025-11', '--out', join(root, 'pack-b')])).code).toBe(0);
    expect(filesOf(join(root, 'pack-b'))).toEqual(filesOf(join(root, 'pack-a')));
    now = new Date(workedExampleKnownAt.lateReading);
    const ledger = await openLedgerAt(`sqlite:${join(root, 'ledger', 'ledger.db')}`, { clock });
    await ledger.commands.recordUsage({ records: [workedExampleLateReading] }, actor);
    await ledger.close();
    now = new Date('2025-12-05T00:00:00Z');
    expect((await cli(['audit', 'pack', '--month', '2025-11', '--out', join(root, 'pack-c')])).code).toBe(0);
    expect(filesOf(join(root, 'pack-c'))).toEqual(filesOf(join(root, 'pack-a')));
    const manifest = JSON.parse(readFileSync(join(root, 'pack-a', 'manifest.json'), 'utf8')) as { seal: typeof seal; files: { name: string; rows: number }[]; ledgerVersion: string };
    expect(manifest.seal).toEqual(seal);
    expect(manifest.ledgerVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(Object.fromEntries(manifest.files.map((file) => [file.name, file.rows]))).toEqual({
      'events.jsonl': seal.position + 1, // every event up to the seal
      'documents.csv': 1, // INV-000001 bills November
      'lines.csv': 4,
      'line-sources.csv': expect.any(Number),
      'journal.csv': 6, // November's commitment, overage and SLA credit recognized at its end: two postings each
      'trial-balance.csv': 12, // eleven accounts and the totals
      'prior-period-adjustments.csv': 0,
      'three-way.csv': 1,
    });
    // November at its seal: 25,200 overage hours metered, invoiced and recognized, 1,040,760.00 in the journal.
    expect(readFileSync(join(root, 'pack-a', 'three-way.csv'), 'utf8').split('\r\n')[1]).toBe('L-1001,frontier-lab,529200,25200,25200,1040760.00,1040760.00,0.00,1040760.00,true,true,true');
    const trialBalance = readFileSync(join(root, 'pack-a', 'trial-balance.csv'), 'utf8');
    expect(trialBalance).toContain('4010,Revenue: usage,0.00,88200.00'); // (529,200 - 504,000) x 3.50, the late reading not in November's books
  });

  it('checks an untouched ledger against its pack', async () => {
    const checked = await cli(['audit', 'check', join(root, 'pack-a')]);
    expect(checked.stdout).toContain('holds');
    expect(checked.code).toBe(0);
  });

  it('names the file and row after an edit of the store', async () => {
    const copy = copyOfLedger('edited');
    // The first reading of November quietly becomes 1,051 GPU-hours instead of 1,050.
    const position = withRawConnection(join(copy, 'ledger.db'), (db) => {
      const row = db.prepare<[], { position: number; data: string }>("SELECT position, data FROM events WHERE type = 'UsageRecorded' ORDER BY position LIMIT 1").get()!;
      expect(row.data).toContain('"gpuHours":"1050"');
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(row.data.replace('"gpuHours":"1050"', '"gpuHours":"1051"'), row.position);
      return row.position;
    });
    const checked = await cli(['--json', 'audit', 'check', join(root, 'pack-a')], copy);
    expect(checked.stderr).toBe('');
    expect(checked.code).toBe(1);
    const result = JSON.parse(checked.stdout) as { ok: boolean; problems: { file: string; row?: number }[] };
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual(expect.objectContaining({ file: 'events.jsonl', row: position + 1 }));
    const text = await cli(['audit', 'check', join(root, 'pack-a')], copy);
    expect(text.stdout).toContain(`events.jsonl row ${position + 1}:`);
  });

  it('fails when the log was cut back before the seal', async () => {
    const copy = copyOfLedger('cut');
    withRawConnection(join(copy, 'ledger.db'), (db) => db.prepare('DELETE FROM events WHERE position >= ?').run(seal.position));
    const checked = await cli(['--json', 'audit', 'check', join(root, 'pack-a')], copy);
    expect(checked.code).toBe(1);
    const result = JSON.parse(checked.stdout) as { problems: { file: string; row?: number; message: string }[] };
    expect(result.problems[0]!.message).toMatch(/^the seal \d+:[0-9a-f]{64} is not in the chain: /);
    expect(result.problems.some((problem) => problem.file === 'events.jsonl' || problem.file === 'manifest.json')).toBe(true);
  });

  it('fails naming the file and row when a file of the pack was edited', async () => {
    const edited = join(root, 'pack-edited');
    rmSync(edited, { recursive: true, force: true });
    expect((await cli(['audit', 'pack', '--month', '2025-11', '--out', edited])).code).toBe(0);
    const lines = readFileSync(join(edited, 'lines.csv'), 'utf8').replace('88200.00', '88100.00');
    writeFileSync(join(edited, 'lines.csv'), lines);
    const checked = await cli(['audit', 'check', edited]);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(/lines\.csv row 3: row 3 differs/);
  });
});
