#!/usr/bin/env node
/* global process */
// The `ledger` command. It runs the compiled JavaScript in apps/api/dist: NestJS needs the
// decorator metadata that only tsc emits. When the build is missing or older than the sources
// (a fresh checkout, an edit), it is brought up to date first, incrementally.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildIfStale } from '../../../scripts/build.mjs';

const apiRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(apiRoot, 'dist', 'cli', 'bin.js');

// LEDGER_SKIP_BUILD=1 runs the build as it is (a deployment without sources, or tests that built once).
const built = process.env.LEDGER_SKIP_BUILD === '1' ? { ok: true } : buildIfStale({ quiet: true });
if (!built.ok && !existsSync(entry)) {
  process.stderr.write('ledger: the build failed and there is no earlier build to run; see the errors above (npm run build)\n');
  process.exit(2);
}
await import(pathToFileURL(entry).href);
