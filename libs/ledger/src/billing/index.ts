export * from './charges.js';
export * from './billing-run.js';
export * from './credits.js';
