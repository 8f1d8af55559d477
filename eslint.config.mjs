import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * The storage drivers, and the gRPC transport under the EventStoreDB client. Only the adapter
 * libraries (scope:adapter) import them, so the core and the application load no driver they do
 * not use (docs/adr/0004-adapters-as-libraries.md).
 */
const sqliteDriver = { group: ['better-sqlite3', 'better-sqlite3/*'], message: 'Only libs/store-sqlite imports the SQLite driver: use @compute-ledger/store-sqlite.' };
const esdbDriver = {
  group: ['@eventstore/db-client', '@eventstore/db-client/*', '@grpc/grpc-js', '@grpc/grpc-js/*'],
  message: 'Only libs/store-esdb imports the EventStoreDB client and gRPC: use @compute-ledger/store-esdb.',
};
const driverImports = (...patterns) => ['error', { patterns }];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/data/**', '**/.nx/**', 'test/bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.mjs'],
    plugins: { '@nx': nx },
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': driverImports(sqliteDriver, esdbDriver),
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Decimal'][callee.property.name='set']",
          message: 'Use the module-level Decimal clone from libs/ledger/src/shared/decimal.ts, never the global Decimal.set.',
        },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:ledger', onlyDependOnLibsWithTags: ['scope:contracts'] },
            // An adapter implements the ledger's store port (libs/ledger/src/store) on one driver.
            { sourceTag: 'scope:adapter', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:ledger'] },
            // Documents render what the ledger answers, typed structurally, so they never need the ledger itself.
            { sourceTag: 'scope:documents', onlyDependOnLibsWithTags: ['scope:contracts'] },
            // The dashboard talks to the ledger over the public /v1 API only: at most it shares the contracts' types.
            { sourceTag: 'scope:web', onlyDependOnLibsWithTags: ['scope:contracts'] },
            // The API serves the built dashboard from the path the web package exports.
            { sourceTag: 'scope:api', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:ledger', 'scope:adapter', 'scope:documents', 'scope:web'] },
            { sourceTag: 'scope:test', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:ledger', 'scope:adapter', 'scope:api', 'scope:documents', 'scope:web'] },
          ],
        },
      ],
    },
  },
  // Layer rules of libs/ledger (docs/adr/0002-billing-decider.md): billing is decided on its own
  // stream and charged over the facts port, so neither reads the projections, and the
  // projections read charging, never the billing decider. A block's no-restricted-imports
  // replaces the one above for its files, so these repeat the driver rule.
  {
    files: ['libs/ledger/src/domain/billing/**/*.ts', 'libs/ledger/src/charging/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            sqliteDriver,
            esdbDriver,
            {
              group: ['**/projections', '**/projections/*'],
              message: 'Billing and charging do not read the projections: charging asks the ledger through its facts port (charging/facts.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/ledger/src/projections/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            sqliteDriver,
            esdbDriver,
            {
              group: ['**/domain/billing', '**/domain/billing/*'],
              message: 'Projections fold the billing events; they do not import the billing decider (charging/ holds what they share with billing).',
            },
          ],
        },
      ],
    },
  },
  // Each adapter imports its own driver, and no other.
  { files: ['libs/store-sqlite/**'], rules: { 'no-restricted-imports': driverImports(esdbDriver) } },
  { files: ['libs/store-esdb/**'], rules: { 'no-restricted-imports': driverImports(sqliteDriver) } },
  // Test code that needs a driver itself, and why:
  {
    files: [
      // the in-process EventStoreDB server is a grpc-js server on the client's generated service definitions;
      'test/esdb/double/**',
      // these put foreign events into the server's log, which no ledger store would write;
      'test/esdb/esdb-event-store.int.spec.ts',
      'test/esdb/esdb-faults.int.spec.ts',
      // this writes events as the envelope format before records did, which the store no longer writes;
      'test/esdb/esdb-formats.int.spec.ts',
      // the bare client's append is the EventStoreDB benchmark's baseline.
      'test/bench/esdb-append.bench.ts',
    ],
    rules: { 'no-restricted-imports': driverImports(sqliteDriver) },
  },
  {
    files: [
      // a raw connection alters the file under the store, as a tamperer or a damaged disk would;
      'test/store/sqlite-fixtures.ts',
      // raw inserts and selects on the store's own schema are the SQLite benchmarks' baselines.
      'test/bench/ingest.bench.ts',
      'test/bench/rebuild.bench.ts',
      'test/bench/store-append.bench.ts',
    ],
    rules: { 'no-restricted-imports': driverImports(esdbDriver) },
  },
);
