/**
 * Limits of command handling, each a deliberate choice.
 */

/**
 * Attempts of one command when its streams keep changing under it (ConcurrencyError): the first
 * try and four retries. Each retry reloads only the events appended since, so it is cheap; a
 * command that loses five races in a row is answered with a conflict rather than spinning.
 */
export const commandAttemptsMax = 5;

/** Events read from a stream per page when loading it (the store refuses unbounded reads). */
export const streamReadPageEventsMax = 10_000;

/**
 * Reading the recorded events of readings a request names (a resend, a correction): events
 * read per page, and the gap between two wanted positions that one read spans rather than two
 * (a resent batch's readings sit next to each other in the log; the events between two far
 * apart are not worth reading).
 */
export const usageLookupPageEventsMax = 1_000;
export const usageLookupGapEventsMax = 64;

/**
 * Streams whose folded state one process keeps. Past it the least recently used is dropped and
 * folded again from the log when next needed.
 */
export const streamCacheEntriesMax = 50_000;

/**
 * Records of the usage batches one group commit writes in a single store transaction: batches
 * sent at the same moment are decided one after another and appended together, so the cost of
 * a transaction (catching the model up, loading the leases, the commit's fsync) is paid once per
 * group rather than once per batch. One largest batch (usageBatchRecordsMax), so that a group
 * holds the store's write lock no longer than one such batch does, and the store's own bound on
 * one appendMany (appendEventsMax) always holds.
 */
export const usageGroupRecordsMax = 10_000;
