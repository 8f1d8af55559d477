import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs the built `ledger` command as a process, as a shell or a job would. */

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ledgerBin = join(root, 'apps', 'api', 'bin', 'ledger.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Brings the build up to date once per test file; the runs below then skip the staleness check. */
export function buildOnce(): void {
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--soft'], { cwd: root, encoding: 'utf8' });
  if (!existsSync(join(root, 'apps', 'api', 'dist', 'cli', 'bin.js'))) throw new Error(`the build produced no ledger command:\n${result.stdout}${result.stderr}`);
}

export function ledger(args: readonly string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ledgerBin, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', LEDGER_SKIP_BUILD: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
