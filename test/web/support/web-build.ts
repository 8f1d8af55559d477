import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { webDistPath } from '@compute-ledger/web';

/**
 * `npm test` runs the browser tests against the dashboard as built, and builds it the way
 * `npm install`, `npm start` and `npm run build` do: through scripts/build.mjs (its --dashboard
 * form, which builds only when dist/ is missing or older than any source of it, under the same
 * lock as every other build of the checkout). One build path, so what the tests see is what a
 * fresh clone serves at /.
 */

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const buildScript = join(root, 'scripts', 'build.mjs');
const builtIndex = join(webDistPath(), 'index.html');

export async function ensureWebBuild(): Promise<void> {
  // A child process: the build runs on the second core while the test seeds its ledger.
  const child = spawn(process.execPath, [buildScript, '--dashboard'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0 || !existsSync(builtIndex)) throw new Error(`the dashboard build (node scripts/build.mjs --dashboard) failed:\n${output}`);
}
