export * from './store/index.js';
export * from './domain/index.js';
export * from './application/index.js';
export * from './charging/index.js';
export * from './projections/index.js';
export * from './shared/decimal.js';
export * from './shared/time.js';
export * from './shared/wording.js';
