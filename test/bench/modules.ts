import type { BenchmarkModule } from './figures.js';
import { billingBenchmark } from './billing.bench.js';
import { storeAppendBenchmark } from './store-append.bench.js';

/** Every benchmark `npm run bench` runs, in this order. A new one is a module here. */
export const benchmarkModules: readonly BenchmarkModule[] = [storeAppendBenchmark, billingBenchmark];
