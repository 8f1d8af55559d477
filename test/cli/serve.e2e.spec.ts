import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce, ledger, ledgerBin, root } from './support.js';

/**
 * `ledger serve` as a process without LEDGER_API_KEYS: it creates an admin key on the first
 * start, keeps it readable by its owner only, shows it once, and stops cleanly on SIGTERM. A
 * configuration it cannot use stops it before it listens.
 */

let directory: string;

beforeAll(() => {
  buildOnce();
  directory = mkdtempSync(join(tmpdir(), 'ledger-serve-'));
}, 120_000);

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

interface Served {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stdout: () => string;
  exited: Promise<number | null>;
}

async function serve(args: string[] = [], entry: string[] = [ledgerBin, 'serve'], cwd = directory): Promise<Served> {
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', LEDGER_SKIP_BUILD: '1', PORT: '0', LOG_LEVEL: 'warn', LEDGER_STORE: `sqlite:${join(cwd, 'data', 'ledger.db')}` },
  });
  let stdout = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner: ${stdout}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match !== null && stdout.includes('Try:')) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('close', (code) => reject(new Error(`exited with ${code}: ${stdout}`)));
  });
  return { child, url, stdout: () => stdout, exited };
}

describe('ledger serve', () => {
  it('creates, keeps and shows an admin key; serves the API with it; stops on SIGTERM', async () => {
    const first = await serve();
    const key = /admin key: (\S+)/.exec(first.stdout())?.[1];
    expect(key).toMatch(/^cl_[A-Za-z0-9_-]{40,}$/);
    expect(statSync(join(directory, 'data', 'admin.key')).mode & 0o777).toBe(0o600);
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${first.url}/v1/reports/mrr`)).status).toBe(401);
    const mrr = await fetch(`${first.url}/v1/reports/mrr`, { headers: { authorization: `Bearer ${key}` } });
    expect(mrr.status).toBe(200);
    expect(first.stdout()).not.toContain('"authorization"');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await serve();
    expect(second.stdout()).toMatch(/admin key: in \S+admin\.key/);
    expect(second.stdout()).not.toContain(key!);
    const again = await fetch(`${second.url}/v1/audit/verify`, { headers: { authorization: `Bearer ${key}` } });
    expect(again.status).toBe(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('npm start: seeds the demo into an empty store, serves it and prints the key and requests to try', async () => {
    const fresh = join(directory, 'first-start');
    mkdirSync(fresh);
    const started = await serve([], [join(root, 'scripts', 'start.mjs')], fresh);
    const out = started.stdout();
    expect(out).toContain('the demo neocloud was seeded');
    const key = /admin key: (\S+)/.exec(out)?.[1];
    expect(key).toBeDefined();
    const curls = out.split('\n').filter((line) => line.trim().startsWith('curl '));
    expect(curls).toHaveLength(3);
    for (const line of curls) expect(line).toContain(`Bearer ${key}`);
    const invoice = await fetch(`${started.url}/v1/invoices/INV-000001`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await invoice.json()) as { total: string }).total).toBe('2603160.00');
    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
  });

  it('refuses to start with an issuer that would not fit on a document (exit 2), naming the variable', async () => {
    const store = `sqlite:${join(directory, 'issuer', 'ledger.db')}`;
    const refused = await ledger(['serve'], { PORT: '0', LEDGER_STORE: store, LEDGER_ISSUER_TAX_ID: 'X'.repeat(65) }, directory);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('LEDGER_ISSUER_TAX_ID');
    expect(refused.stdout).not.toContain('listening');
  });
});
