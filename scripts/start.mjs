// `npm start`: brings the build up to date, then runs `ledger serve --demo`: the HTTP API on
// PORT (default 3000), with the demo neocloud seeded when the store is empty, printing the
// URL, the admin key and a few requests worth trying.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildIfStale } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'apps', 'api', 'dist', 'cli', 'main.js');

// LEDGER_SKIP_BUILD=1 runs the build as it is (as the `ledger` command does).
const { ok } = process.env.LEDGER_SKIP_BUILD === '1' ? { ok: true } : buildIfStale();
if (!ok && !existsSync(entry)) {
  process.stderr.write('start: the build failed; see the errors above\n');
  process.exit(1);
}
const { runCli } = await import(pathToFileURL(entry).href);
process.exit(await runCli(['serve', '--demo', ...process.argv.slice(2)]));
