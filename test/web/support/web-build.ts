import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { webDistPath } from '@compute-ledger/web';

/**
 * `npm test` runs the browser tests against the dashboard as built. The build runs here, before
 * them, when dist/ is missing or older than any source of it (about 2 s), so a fresh checkout,
 * CI and an edit to the app all test what they would ship.
 */

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const webRoot = join(root, 'apps', 'web');
const builtIndex = join(webDistPath(), 'index.html');
/** Sources of the build besides src/: a change to any of them makes dist/ stale. */
const buildInputs = ['index.html', 'vite.config.ts', 'package.json'];
/** One build at a time per checkout: several test files or a developer's shell may ask together. */
const lockDirectory = join(root, 'node_modules', '.cache', 'compute-ledger-web-build.lock');
const lockWaitMs = 120_000;
const lockStaleMs = 300_000;
const lockPollMs = 100;

export function webBuildIsStale(): boolean {
  if (!existsSync(builtIndex)) return true;
  const builtMs = statSync(builtIndex).mtimeMs;
  const newestInputMs = Math.max(newestMs(join(webRoot, 'src')), ...buildInputs.map((name) => statSync(join(webRoot, name)).mtimeMs));
  return newestInputMs > builtMs;
}

export async function ensureWebBuild(): Promise<void> {
  if (!webBuildIsStale()) return;
  await withLock(async () => {
    if (!webBuildIsStale()) return;
    const vitePackage = createRequire(join(webRoot, 'package.json')).resolve('vite/package.json');
    const vite = join(dirname(vitePackage), 'bin', 'vite.js');
    // A child process: the build runs on the second core while the test seeds its ledger.
    const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: webRoot, env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0 || !existsSync(builtIndex)) throw new Error(`the dashboard build (vite build in apps/web) failed:\n${output}`);
  });
}

function newestMs(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

async function withLock(work: () => Promise<void>): Promise<void> {
  mkdirSync(dirname(lockDirectory), { recursive: true });
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      mkdirSync(lockDirectory);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const heldMs = Date.now() - (statSync(lockDirectory, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (heldMs > lockStaleMs) rmSync(lockDirectory, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`another dashboard build holds ${lockDirectory}; remove it if no build is running`);
      else await sleep(lockPollMs);
    }
  }
  try {
    await work();
  } finally {
    rmSync(lockDirectory, { recursive: true, force: true });
  }
}
