import { runCli } from './main.js';

/**
 * The process entry of `ledger` (apps/api/bin/ledger.js loads the compiled copy of this file).
 * The exit is explicit so that a handle left open by a library cannot keep a finished command
 * alive; stdout is flushed first so nothing written is lost in a pipe.
 */
const code = await runCli(process.argv.slice(2));
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
process.exit(code);
