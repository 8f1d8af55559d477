import { performance } from 'node:perf_hooks';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { openLedgerAt } from '@compute-ledger/api';

/**
 * Run by rebuild.bench.ts in a process of its own, so that its peak memory is the rebuild's
 * alone: opens the ledger on the file named by argv[2] (no checkpoint, so the model is rebuilt
 * from the first event) and prints one JSON line with the events folded, the time, the peak
 * resident set and the memory the model holds after a full collection (heap and buffers).
 */
const path = process.argv[2];
if (path === undefined) throw new Error('usage: rebuild-child <ledger file>');
const startedAt = performance.now();
const ledger = await openLedgerAt(`sqlite:${path}`);
const elapsedMs = performance.now() - startedAt;
const events = ledger.runner.model.position + 1;
(globalThis as { gc?: () => void }).gc?.();
const { heapUsed, arrayBuffers } = process.memoryUsage();
const heldMiB = (heapUsed + arrayBuffers) / 2 ** 20;
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
await ledger.close();
console.log(JSON.stringify({ events, elapsedMs, maxRssMiB, heldMiB }));
