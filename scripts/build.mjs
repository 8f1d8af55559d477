// Builds every package that runs as JavaScript (libs/*, apps/api) with `tsc -b`, and the
// dashboard (apps/web) with Vite when any of its sources is newer than its dist/: incremental,
// so an up-to-date tree costs about a second. The one build path: `npm run build`, `npm install`
// (prepare), `npm start`, the `ledger` command when its build is stale, and the browser tests
// (test/web/support/web-build.ts runs this file with --dashboard) all build through this file.
//
//   node scripts/build.mjs              build; exit 1 on type errors or a failed dashboard build
//   node scripts/build.mjs --soft       build; report failures but exit 0 (npm install must not
//                                       fail because a library is mid-edit: tsc still emits)
//   node scripts/build.mjs --dashboard  only the dashboard, and only when it is stale
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const projects = ['libs/contracts', 'libs/ledger', 'libs/store-sqlite', 'libs/store-esdb', 'libs/documents', 'apps/api'];
const buildInfo = (project) => join(root, project, 'dist', 'tsconfig.build.tsbuildinfo');
/** One build at a time per checkout: `ledger` runs, test files and npm scripts may start together. */
const lockDirectory = join(root, 'node_modules', '.cache', 'compute-ledger-build.lock');
const lockWaitMs = 120_000;
const lockStaleMs = 300_000;
const lockPollMs = 100;

const webRoot = join(root, 'apps', 'web');
const webIndex = join(webRoot, 'dist', 'index.html');

/** Sources of the dashboard besides src/: a change to any of them makes dist/ stale. */
const webInputs = ['index.html', 'vite.config.ts', 'package.json'];

/** True when the dashboard has no build or a source newer than it. */
export function webIsStale() {
  if (!existsSync(webIndex)) return true;
  const builtMs = statSync(webIndex).mtimeMs;
  const inputs = webInputs.map((name) => statSync(join(webRoot, name)).mtimeMs);
  return Math.max(newestSourceMs(join(webRoot, 'src'), () => true), ...inputs) > builtMs;
}

/**
 * Where Vite's command is. Vite's package `exports` do not expose `vite/bin/vite.js`, so the
 * path comes from its package.json (which they do expose) and its `bin` field.
 */
function viteBin() {
  let manifest;
  try {
    manifest = createRequire(join(webRoot, 'package.json')).resolve('vite/package.json');
  } catch {
    return null;
  }
  const bin = JSON.parse(readFileSync(manifest, 'utf8')).bin;
  const relative = typeof bin === 'string' ? bin : bin?.vite;
  return typeof relative === 'string' ? join(dirname(manifest), relative) : null;
}

/** Builds the dashboard's static files with Vite (the API serves them at /). */
function buildWeb({ quiet = false } = {}) {
  const vite = viteBin();
  if (vite === null) {
    if (!quiet) process.stderr.write('build: vite is not installed in apps/web (npm install at the project root)\n');
    return { ok: false };
  }
  // NODE_ENV is set: under a test runner it is `test`, and Vite would build a development bundle.
  const env = { ...process.env, NODE_ENV: 'production' };
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'error'], { cwd: webRoot, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0 && output.trim() !== '') process.stderr.write(output);
  return { ok: result.status === 0 && existsSync(webIndex) };
}

/** Compiles the packages, then builds the dashboard when it is stale. */
export function build(options = {}) {
  const compiled = buildPackages(options);
  const web = webIsStale() ? buildWeb(options) : { ok: true };
  return { ok: compiled.ok && web.ok, packages: compiled.ok, dashboard: web.ok };
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
    return newestSourceMs(join(root, project, 'src'), isCompiledSource) > builtMs || statSync(join(root, project, 'package.json')).mtimeMs > builtMs;
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

const isCompiledSource = (name) => /\.(ts|tsx|css)$/.test(name);

function newestSourceMs(directory, counts) {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path, counts));
    else if (counts(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const soft = process.argv.includes('--soft');
  const startedMs = Date.now();
  if (process.argv.includes('--dashboard')) {
    const { ok } = withLock(() => (webIsStale() ? buildWeb() : { ok: true }));
    if (!ok) process.stderr.write('build: the dashboard build (vite build in apps/web) failed\n');
    process.exit(ok || soft ? 0 : 1);
  }
  const { ok, packages, dashboard } = withLock(() => build());
  if (ok) process.stdout.write(`build: libs, apps/api and the dashboard built into their dist/ folders in ${((Date.now() - startedMs) / 1000).toFixed(1)} s\n`);
  if (!packages) process.stderr.write(soft ? 'build: finished with type errors (JavaScript was still emitted); run `npm run build` to see them again\n' : 'build: failed with type errors\n');
  if (!dashboard) process.stderr.write('build: the dashboard was not built, so the API answers / with "The dashboard is not built"; run `npm run build` to see why\n');
  process.exit(ok || soft ? 0 : 1);
}
