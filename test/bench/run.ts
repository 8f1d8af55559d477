import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sourceCondition, typeScriptNodeArgs } from './node-args.js';

/**
 * `npm run bench`: runs every benchmark module, prints one table and writes
 * test/bench/results/latest.json. BENCH_SMOKE=1 runs them with tiny sizes; names after `--`
 * (`npm run bench -- store-append`) run only those modules.
 *
 * The benchmarks import the ledger through its package name, which resolves to the TypeScript
 * sources only under the `@compute-ledger/source` condition. `tsx` alone does not pass it, so
 * without it this script runs itself again under node with the condition and the tsx loader.
 */
const hasSourceCondition = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].some((arg) => arg.includes(sourceCondition));

if (hasSourceCondition) {
  await main();
} else {
  const script = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, [...typeScriptNodeArgs(), script, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exitCode = child.status ?? 1;
}

async function main(): Promise<void> {
  const { benchmarkModules } = await import('./modules.js');
  const { formatTable, runBenchmarks, writeReport } = await import('./runner.js');
  const mode = process.env['BENCH_SMOKE'] === '1' ? 'smoke' : 'full';
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !benchmarkModules.some((module) => module.name === name));
  if (unknown.length > 0) throw new Error(`no benchmark module named ${unknown.join(', ')}`);
  const selected = names.length === 0 ? benchmarkModules : benchmarkModules.filter((module) => names.includes(module.name));
  const report = await runBenchmarks(selected, mode);
  console.log(formatTable(report.figures));
  if (mode === 'full') {
    const path = fileURLToPath(new URL('./results/latest.json', import.meta.url));
    writeReport(report, path);
    console.log(`\nwritten to ${path}`);
  }
}
