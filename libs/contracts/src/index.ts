export * from './primitives.js';
export * from './events.js';
export * from './event-registry.js';
export * from './commands.js';
export * from './answers/index.js';
export * from './webhooks.js';
export * from './periods.js';
export { InvariantError, assert, unreachable } from './invariant.js';
export { draftStatus, type DraftFacts } from './drafts.js';
