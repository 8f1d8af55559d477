/** Limits of the HTTP edge, each a deliberate choice (API.md "Limits"). */

/** A request body over 16 MiB is refused with 413 before it is parsed. */
export const requestBodyBytesMax = 16 * 1024 * 1024;

/**
 * Bytes of the request line and headers together (Node's own default, named here so that it is
 * a choice): beyond it the HTTP parser refuses the request with 431 before it is routed.
 */
export const requestHeaderBytesMax = 16 * 1024;

/**
 * Characters of one path parameter. Identifiers have at most 128; a longer one still reaches
 * validation (and gets a 400 that says why) up to this length, and the router answers 414 after.
 */
export const pathParameterLengthMax = 512;

/** Events one audit page answers (API.md: `limit` at most 10,000). */
export const auditPageEventsMax = 10_000;
export const auditPageEventsDefault = 1_000;

/** Pinned heads one verification checks: each costs one read, and an auditor pins a few. */
export const pinnedHeadsMax = 100;

/** Characters of a client's x-request-id that are kept; a longer or odd one is replaced. */
export const requestIdLengthMax = 128;

/** How long a graceful shutdown waits for requests in flight. */
export const shutdownTimeoutMs = 10_000;
