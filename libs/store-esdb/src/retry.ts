import { setTimeout as sleep } from 'node:timers/promises';
import {
  AccessDeniedError,
  CancelledError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  NotLeaderError,
  TimeoutError,
  UnavailableError,
  StreamDeletedError,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';

/**
 * How the adapter waits and gives up when a cluster answers "maybe". The limits bound one
 * append (or one read) in time, not only in attempts: a cluster in an election is unavailable
 * for seconds, and an append that gave up after 50 immediate retries in 20 ms would fail a
 * caller for nothing.
 */

/**
 * How long one append keeps trying through lost races and unknown outcomes before it gives up.
 * An election takes a few seconds and the server's WriteTimeoutMs is 2 s; 30 s covers several
 * of either while staying shorter than an HTTP client's usual timeout.
 */
export const appendRetryWindowMs = 30_000;

/** How long a read keeps trying through NotLeader and unavailable answers. */
export const readRetryWindowMs = 10_000;

/** First backoff step; doubled at every attempt up to the cap. */
export const retryDelayBaseMs = 5;

/** Largest backoff step: past it, waiting longer only delays the caller. */
export const retryDelayMaxMs = 1_000;

/**
 * A backstop on attempts within the window, in case every attempt fails at once (a lost race
 * costs one round trip): each loss means another writer's append went through, so this many
 * in a row is a flood the caller should hear about.
 */
export const logAppendAttemptsMax = 500;

/**
 * An error after which the write may or may not have been recorded: a timeout (Prepare or
 * CommitTimeout, or a client deadline), the node going away, NotLeader during an election (the
 * write may have reached the old leader's quorum), or a BatchAppend call that failed while the
 * write was in it. Only reading the log tells.
 */
export function isUnknownOutcome(error: unknown): boolean {
  if (error instanceof MaxAppendSizeExceededError || error instanceof WrongExpectedVersionError) return false;
  if (error instanceof UnknownError && /MaximumAppendEventSizeExceeded/.test(error.message)) return false;
  return (
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    error instanceof NotLeaderError ||
    error instanceof UnavailableError ||
    error instanceof CancelledError ||
    error instanceof UnknownError
  );
}

/**
 * A read that failed only because of where or when it was sent: trying again can answer. That
 * includes a call the client cancelled itself (an UnknownError): when any call on a channel
 * fails with NotLeader or unavailable, the client closes the channel to reconnect, cancelling
 * every other call on it, reads and subscriptions alike.
 */
export function isTransientReadError(error: unknown): boolean {
  return (
    error instanceof NotLeaderError ||
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof CancelledError ||
    error instanceof UnknownError
  );
}

/** A subscription error that subscribing again cannot get past: the log is gone or the user may not read it. */
export function isFinalSubscriptionError(error: unknown): boolean {
  return error instanceof AccessDeniedError || error instanceof StreamDeletedError;
}

/** Exponential backoff with full jitter: a random wait up to base x 2^(attempt - 1), capped. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(retryDelayMaxMs, retryDelayBaseMs * 2 ** Math.min(attempt - 1, 20));
  return Math.floor(random() * ceiling);
}

export async function backoff(attempt: number): Promise<void> {
  await sleep(retryDelayMs(attempt));
}

/** Runs a read again on transient errors, with backoff, for at most readRetryWindowMs. */
export async function withReadRetries<T>(read: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await read();
    } catch (error) {
      if (!isTransientReadError(error) || Date.now() - started > readRetryWindowMs) throw error;
      await backoff(attempt);
    }
  }
}
