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

/**
 * How long a client may take to send its request line and headers. An honest client sends them
 * in one packet; a client that trickles them (slowloris) would hold a connection as long as it
 * likes. After this it is answered 408 and the connection closed.
 */
export const requestHeadersTimeoutMs = 10_000;

/**
 * How long a client may take to send its whole request, body included: the largest body
 * (requestBodyBytesMax, 16 MiB) at about 2 Mbit/s. A body sent a byte at a time is answered 408
 * and the connection closed once this is over.
 */
export const requestReceiveTimeoutMs = 60_000;

/**
 * How long a kept-alive connection may sit idle between requests before the server closes it:
 * long enough for a client's next request in a burst, short enough that idle sockets do not
 * pile up. (A load balancer in front should use a shorter idle timeout than this.)
 */
export const keepAliveIdleTimeoutMs = 10_000;

/**
 * A socket with no byte in either direction for this long is destroyed: a client that stopped
 * reading its answer. Far longer than a request takes to compute, so no request is cut off.
 */
export const socketIdleTimeoutMs = 300_000;

/**
 * How often the server looks for requests over their header and receive limits (Node checks
 * every 30 s by default, which let a slow client hold its connection up to 30 s past its limit).
 */
export const connectionsCheckIntervalMs = 1_000;

/**
 * Connections open at once. Each costs a socket and some memory; beyond this a new connection
 * is closed at once rather than let a flood of idle or slow sockets exhaust file descriptors.
 */
export const connectionsMax = 2_000;

/** The limits on connections, together: the server uses these; tests shorten them in-process. */
export interface ConnectionLimits {
  headersTimeoutMs: number;
  receiveTimeoutMs: number;
  keepAliveIdleTimeoutMs: number;
  socketIdleTimeoutMs: number;
  checkIntervalMs: number;
  connectionsMax: number;
}

export const connectionLimits: ConnectionLimits = {
  headersTimeoutMs: requestHeadersTimeoutMs,
  receiveTimeoutMs: requestReceiveTimeoutMs,
  keepAliveIdleTimeoutMs,
  socketIdleTimeoutMs,
  checkIntervalMs: connectionsCheckIntervalMs,
  connectionsMax,
};
