import { DeadlineExceededError, MaxAppendSizeExceededError, NotLeaderError, StreamDeletedError, TimeoutError, UnavailableError, UnknownError, WrongExpectedVersionError } from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import { isFinalSubscriptionError, isUnknownOutcome, retryDelayBaseMs, retryDelayMaxMs, retryDelayMs } from './retry.js';
import { checkAppendSize, serverEventSizeBytes } from './sizes.js';

describe('EventStoreDB retries', () => {
  it('backs off exponentially with full jitter, capped', () => {
    expect(retryDelayMs(1, () => 0)).toBe(0);
    expect(retryDelayMs(1, () => 0.999)).toBe(retryDelayBaseMs - 1); // floor(0.999 x 5)
    expect(retryDelayMs(4, () => 0.999)).toBe(8 * retryDelayBaseMs - 1); // floor(0.999 x 5 x 2^3)
    expect(retryDelayMs(40, () => 0.999)).toBe(retryDelayMaxMs - 1);
    const delays = Array.from({ length: 200 }, () => retryDelayMs(6));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(32 * retryDelayBaseMs);
    expect(new Set(delays).size).toBeGreaterThan(10);
  });

  it('takes timeouts, NotLeader, unavailable and unknown answers for unknown outcomes, and refusals for refusals', () => {
    const notLeader = Object.create(NotLeaderError.prototype) as NotLeaderError;
    for (const error of [new DeadlineExceededError(), new TimeoutError(), notLeader, new UnavailableError(), new UnknownError()]) expect(isUnknownOutcome(error)).toBe(true);
    const wrongVersion = Object.create(WrongExpectedVersionError.prototype) as WrongExpectedVersionError;
    const tooLarge = Object.create(MaxAppendSizeExceededError.prototype) as MaxAppendSizeExceededError;
    const eventTooLarge = new UnknownError(undefined, 'Could not recognize MaximumAppendEventSizeExceeded');
    for (const error of [wrongVersion, tooLarge, eventTooLarge, new Error('bug')]) expect(isUnknownOutcome(error)).toBe(false);
    expect(isFinalSubscriptionError(Object.create(StreamDeletedError.prototype))).toBe(true);
    expect(isFinalSubscriptionError(new UnavailableError())).toBe(false);
  });
});

describe('EventStoreDB size checks', () => {
  const event = (data: Record<string, unknown>, metadata?: Record<string, unknown>) => ({ id: '00000000-0000-4000-8000-000000000000', type: 'Sized', contentType: 'application/json' as const, data, metadata });

  it('counts data + metadata + 2 x the type length, as the server does', () => {
    // {"a":"xx"} is 10 bytes, {"m":1} 7, 'Sized' 5 characters: 10 + 7 + 10 = 27.
    expect(serverEventSizeBytes(event({ a: 'xx' }, { m: 1 }))).toBe(27);
  });

  it('refuses an append over MaxAppendSize and an event over MaxAppendEventSize, naming the setting', () => {
    const limits = { maxAppendSizeBytes: 54, maxAppendEventSizeBytes: 30 };
    expect(() => checkAppendSize([event({ a: 'xx' }, { m: 1 }), event({ a: 'xx' }, { m: 1 })], limits)).not.toThrow(); // 27 + 27 = 54
    expect(() => checkAppendSize([event({ a: 'xx' }, { m: 1 }), event({ a: 'xxx' }, { m: 1 })], limits)).toThrow(/55 bytes .* MaxAppendSize of 54/);
    expect(() => checkAppendSize([event({ a: 'x'.repeat(20) })], limits)).toThrow(/MaxAppendEventSize of 30/);
  });
});
