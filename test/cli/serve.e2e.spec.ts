import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
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

    // The store says it holds the demo, to anyone who checks its health or its chain.
    expect(await (await fetch(`${started.url}/healthz`)).json()).toMatchObject({ status: 'ok', demo: true });
    const auditorKey = readFileSync(join(fresh, 'data', 'keys', 'auditor.key'), 'utf8').trim();
    const auditor = { headers: { authorization: `Bearer ${auditorKey}` } };
    expect(await (await fetch(`${started.url}/v1/audit/verify`, auditor)).json()).toMatchObject({ ok: true, demo: true });

    // One key per role, printed and kept readable by the owner only; each is the role it is named for.
    const roles = ['finance', 'operations', 'metering', 'billing', 'auditor', 'tenant:frontier-lab'];
    for (const role of roles) {
      const path = join(fresh, 'data', 'keys', `${role.replace(':', '-')}.key`);
      expect(statSync(path).mode & 0o777, path).toBe(0o600);
      expect(out).toMatch(new RegExp(`^ +${role} +${readFileSync(path, 'utf8').trim()}$`, 'm'));
    }
    const tenantKey = readFileSync(join(fresh, 'data', 'keys', 'tenant-frontier-lab.key'), 'utf8').trim();
    const asTenant = (path: string) => fetch(`${started.url}${path}`, { headers: { authorization: `Bearer ${tenantKey}` } });
    expect((await asTenant('/v1/invoices/INV-000001')).status).toBe(200);
    expect((await asTenant('/v1/reports/revenue?month=2025-11')).status).toBe(403);

    // The story is told in knowledge time (DOMAIN.md's worked example): on 2025-12-02 November's
    // overage of L-1001 was 88,200.00 ((529,200 - 504,000) x 3.50); the late reading of 2025-12-03
    // (600 GPU-hours) makes it 90,300.00 as known now (25,800 x 3.50).
    const revenue = async (query: string) => (await (await fetch(`${started.url}/v1/reports/revenue?month=2025-11${query}`, auditor)).json()) as { usage: string };
    expect((await revenue('&knownAt=2025-12-02T00:00:00Z')).usage).toBe('88200.00');
    expect((await revenue('')).usage).toBe('90300.00');

    // Each fact at its own instant, strictly increasing, all before the real now; the billing
    // run of 2025-12-01 after the readings it read, the late reading after the run.
    const recorded: { position: number; type: string; recordedAt: string; data?: unknown }[] = [];
    for (let from = 0; ; ) {
      const page = (await (await fetch(`${started.url}/v1/audit/events?fromPosition=${from}&limit=10000`, auditor)).json()) as { events: typeof recorded; nextPosition: number | null };
      recorded.push(...page.events);
      if (page.nextPosition === null || page.events.length === 0) break;
      from = page.nextPosition;
    }
    const instants = [...new Set(recorded.map((event) => event.recordedAt))];
    expect(instants).toEqual([...instants].sort());
    expect(Date.parse(instants.at(-1)!)).toBeLessThan(Date.now());
    const firstRun = recorded.find((event) => event.type === 'BillingRunCompleted')!;
    expect(firstRun.recordedAt).toBe('2025-12-01T06:00:00.000Z');
    const lateReading = recorded.find((event) => event.type === 'UsageRecorded' && event.recordedAt.startsWith('2025-12-03'))!;
    expect(lateReading.position).toBeGreaterThan(firstRun.position);
    const readBeforeTheRun = recorded.filter((event) => event.position < firstRun.position && event.type !== 'InvoiceIssued');
    expect(readBeforeTheRun.every((event) => event.recordedAt < firstRun.recordedAt)).toBe(true);
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
