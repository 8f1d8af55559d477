export * from './ledger-model.js';
export * from './journal.js';
export * from './receivables.js';
export * from './reports.js';
export * from './model-snapshot.js';
export * from './periods.js';
export * from './credits.js';
export * from './drafts.js';
