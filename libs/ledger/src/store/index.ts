export * from './event-store.js';
export * from './errors.js';
export { canonicalJson, canonicalJsonDepthMax, CanonicalJsonError } from './canonical-json.js';
export { canonicalEventJson, chainHash, chainHashQuoted, genesisHash } from './hash-chain.js';
export type { HashedEventText, QuotedEventText } from './hash-chain.js';
export * from './limits.js';
export { dataDirectoryMode } from './file-modes.js';
export { parsePinnedHead, pinnedHeadFormat, pinnedHeadPattern, verifyLog } from './pinned-heads.js';
export type { PinnedHead } from './pinned-heads.js';
// What every adapter (libs/store-sqlite, libs/store-esdb) applies the same way.
export { checkExpectedRevision, expectedRevisionHolds, instantFromDate, normalizeInstant, validateStreamWrite } from './append-rules.js';
export { findRecordedWrite, type RecordedCopy } from './idempotency.js';
export { checkContiguous, subscriptionPageEventsMax, SubscriptionLifecycle } from './subscription-lifecycle.js';
export { AdapterStore } from './adapter-store.js';
export { assert } from '../shared/assert.js';
