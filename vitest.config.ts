import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@compute-ledger/source'] },
  ssr: { resolve: { conditions: ['@compute-ledger/source'] } },
  test: {
    include: ['{apps,libs}/*/src/**/*.spec.ts', 'test/**/*.spec.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
