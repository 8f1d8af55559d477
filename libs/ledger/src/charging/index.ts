export * from './charges.js';
export * from './run-plan.js';
export type * from './facts.js';
