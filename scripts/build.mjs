// Builds every package that runs as JavaScript (libs/*, apps/api) with `tsc -b`: incremental,
// so an up-to-date tree costs about a second. Used by `npm run build`, by `npm install`
// (prepare), by `npm start` and by the `ledger` command when its build is stale.
//
//   node scripts/build.mjs          build; exit 1 on type errors
//   node scripts/build.mjs --soft   build; report type errors but exit 0 (npm install must not
//                                   fail because a library is mid-edit: tsc still emits)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const projects = ['libs/contracts', 'libs/ledger', 'libs/documents', 'apps/api'];
const buildInfo = (project) => join(root, project, 'dist', 'tsconfig.build.tsbuildinfo');
/** One build at a time per checkout: `ledger` runs, test files and npm scripts may start together. */
const lockDirectory = join(root, 'node_modules', '.cache', 'compute-ledger-build.lock');
const lockWaitMs = 120_000;
const lockStaleMs = 300_000;
const lockPollMs = 100;

const webRoot = join(root, 'apps', 'web');
const webIndex = join(webRoot, 'dist', 'index.html');

/** True when the dashboard has no build or a source newer than it. */
function webIsStale() {
  if (!existsSync(webIndex)) return true;
  const builtMs = statSync(webIndex).mtimeMs;
  const inputs = ['index.html', 'vite.config.ts', 'package.json'].map((name) => statSync(join(webRoot, name)).mtimeMs);
  return Math.max(newestSourceMs(join(webRoot, 'src')), ...inputs) > builtMs;
}

/** Builds the dashboard's static files with Vite (the API serves them at /). */
function buildWeb({ quiet = false } = {}) {
  let vite;
  try {
    vite = createRequire(join(webRoot, 'package.json')).resolve('vite/bin/vite.js');
  } catch {
    if (!quiet) process.stderr.write('build: vite is not installed (npm install at the project root)\n');
    return { ok: false };
  }
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'error'], { cwd: webRoot, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0 && output.trim() !== '') process.stderr.write(output);
  return { ok: result.status === 0 };
}

/** Compiles the packages, then builds the dashboard when it is stale. */
export function build(options = {}) {
  const compiled = buildPackages(options);
  const web = webIsStale() ? buildWeb(options) : { ok: true };
  return { ok: compiled.ok && web.ok };
}

/** Runs `tsc -b` over the packages; answers whether it passed without errors. */
function buildPackages({ quiet = false } = {}) {
  let tsc;
  try {
    tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    if (!quiet) process.stderr.write('build: typescript is not installed (npm install at the project root)\n');
    return { ok: false };
  }
  const result = spawnSync(process.execPath, [tsc, '-b', join(root, 'tsconfig.build.json')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0 && output.trim() !== '') process.stderr.write(output);
  return { ok: result.status === 0 };
}

/** True when a package has no build or a source file newer than its last build. */
export function isStale() {
  return webIsStale() || projects.some((project) => {
    const info = buildInfo(project);
    if (!existsSync(info)) return true;
    const builtMs = statSync(info).mtimeMs;
    return newestSourceMs(join(root, project, 'src')) > builtMs || statSync(join(root, project, 'package.json')).mtimeMs > builtMs;
  });
}

export function buildIfStale(options = {}) {
  if (!isStale()) return { ok: true };
  return withLock(() => (isStale() ? build(options) : { ok: true }));
}

/** Runs `work` holding the build lock; a lock older than a build could take is taken over. */
function withLock(work) {
  mkdirSync(dirname(lockDirectory), { recursive: true });
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      mkdirSync(lockDirectory);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      if (Date.now() - statSync(lockDirectory, { throwIfNoEntry: false })?.mtimeMs > lockStaleMs) rmSync(lockDirectory, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`build: another build holds ${lockDirectory}; remove it if no build is running`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, lockPollMs);
    }
  }
  try {
    return work();
  } finally {
    rmSync(lockDirectory, { recursive: true, force: true });
  }
}

function newestSourceMs(directory) {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path));
    else if (/\.(ts|tsx|css)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const soft = process.argv.includes('--soft');
  const startedMs = Date.now();
  const { ok } = withLock(() => build());
  if (ok) process.stdout.write(`build: libs, apps/api and the dashboard built into their dist/ folders in ${((Date.now() - startedMs) / 1000).toFixed(1)} s\n`);
  else process.stderr.write(soft ? 'build: finished with type errors (JavaScript was still emitted); run `npm run build` to see them again\n' : 'build: failed\n');
  process.exit(ok || soft ? 0 : 1);
}
