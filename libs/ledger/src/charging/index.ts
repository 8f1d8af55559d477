export * from './charges.js';
export * from './run-plan.js';
