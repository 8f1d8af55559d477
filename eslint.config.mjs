import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

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
            // Documents render what the ledger answers, typed structurally, so they never need the ledger itself.
            { sourceTag: 'scope:documents', onlyDependOnLibsWithTags: ['scope:contracts'] },
            // The dashboard talks to the ledger over the public /v1 API only: at most it shares the contracts' types.
            { sourceTag: 'scope:web', onlyDependOnLibsWithTags: ['scope:contracts'] },
            // The API serves the built dashboard from the path the web package exports.
            { sourceTag: 'scope:api', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:ledger', 'scope:documents', 'scope:web'] },
            { sourceTag: 'scope:test', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:ledger', 'scope:api', 'scope:documents', 'scope:web'] },
          ],
        },
      ],
    },
  },
  // Layer rules of libs/ledger (docs/adr/0002-billing-decider.md): billing is decided on its own
  // stream and charged over the facts port, so neither reads the projections, and the
  // projections read charging, never the billing decider.
  {
    files: ['libs/ledger/src/domain/billing/**/*.ts', 'libs/ledger/src/charging/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
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
            {
              group: ['**/domain/billing', '**/domain/billing/*'],
              message: 'Projections fold the billing events; they do not import the billing decider (charging/ holds what they share with billing).',
            },
          ],
        },
      ],
    },
  },
);
