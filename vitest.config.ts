import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@compute-ledger/source'] },
  ssr: { resolve: { conditions: ['@compute-ledger/source'] } },
  test: {
    exclude: ['**/node_modules/**', '**/dist/**'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'ledger', include: ['{apps,libs}/*/src/**/*.spec.ts', 'test/**/*.spec.ts'] } },
      // The end-to-end API suite again, on the EventStoreDB store (the in-process double of the server).
      { extends: true, test: { name: 'e2e-on-eventstoredb', include: ['test/e2e/**/*.e2e.spec.ts'], env: { LEDGER_E2E_STORE: 'esdb' } } },
    ],
  },
});
