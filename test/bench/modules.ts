import type { BenchmarkModule } from './figures.js';
import { billingBenchmark } from './billing.bench.js';
import { esdbAppendBenchmark } from './esdb-append.bench.js';
import { ingestBenchmark } from './ingest.bench.js';
import { httpIngestBenchmark } from './http-ingest.bench.js';
import { rebuildBenchmark } from './rebuild.bench.js';
import { reportsBenchmark } from './reports.bench.js';
import { serverMemoryBenchmark } from './server-memory.bench.js';
import { soakBenchmark } from './soak.bench.js';
import { storeAppendBenchmark } from './store-append.bench.js';

/** Every benchmark `npm run bench` runs, in this order. A new one is a module here. */
export const benchmarkModules: readonly BenchmarkModule[] = [ingestBenchmark, storeAppendBenchmark, rebuildBenchmark, serverMemoryBenchmark, billingBenchmark, httpIngestBenchmark, reportsBenchmark, esdbAppendBenchmark, soakBenchmark];
