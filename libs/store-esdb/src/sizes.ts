import type { EventData } from '@eventstore/db-client';

/**
 * The server's size limits, checked before an append so that an append too large is refused
 * with the name of the setting to change, rather than by a server error after the whole
 * append has been sent (and, for one event over MaxAppendEventSize, an error client 6.2.1 does
 * not recognise).
 *
 * The server counts an event as data + metadata + twice the type's length (Event.SizeOnDisk)
 * and checks as the events stream in: the sum against MaxAppendSize, and from 25.1 each event
 * against MaxAppendEventSize. Defaults: MaxAppendSize 1 MiB up to 25.0, 256 MiB (a chunk) from
 * 25.1; MaxAppendEventSize 16 MiB (TFConsts.MaxLogRecordSize, the largest record any version
 * stores). A batch of 10,000 usage readings takes about 6 MiB: over 1 MiB, so a server before
 * 25.1 needs a larger MaxAppendSize for it, and this store must be told (maxAppendSize).
 */
export interface ServerSizeLimits {
  maxAppendSizeBytes: number;
  maxAppendEventSizeBytes: number;
}

/** MaxAppendSize's default up to 25.0, the safe assumption for a server of unknown version. */
export const defaultMaxAppendSizeBytes = 1_048_576;

/** MaxAppendEventSize's default (25.1 on), and the largest record earlier servers store. */
export const defaultMaxAppendEventSizeBytes = 16 * 1_048_576;

export const defaultServerSizeLimits: ServerSizeLimits = {
  maxAppendSizeBytes: defaultMaxAppendSizeBytes,
  maxAppendEventSizeBytes: defaultMaxAppendEventSizeBytes,
};

/** Bytes the server counts for one event, as the client sends it (bytes as they are, JSON as JSON.stringify writes it). */
export function serverEventSizeBytes(event: EventData): number {
  return byteLengthOf(event.data) + (event.metadata === undefined ? 0 : byteLengthOf(event.metadata)) + 2 * event.type.length;
}

function byteLengthOf(value: unknown): number {
  return value instanceof Uint8Array ? value.byteLength : Buffer.byteLength(JSON.stringify(value));
}

/** How an append's server events are named in a refusal, when the caller knows better than their type. */
export interface AppendSizeDetail {
  /** Bytes the server counts for each event, in order, when already known. */
  sizes?: readonly number[];
  /** What each event is, e.g. the ledger event a record of one holds. */
  describe?: (index: number) => string;
}

/** Refuses, writing nothing, an append the server would refuse for its size. */
export function checkAppendSize(events: readonly EventData[], limits: ServerSizeLimits, detail: AppendSizeDetail = {}): void {
  let total = 0;
  for (const [index, event] of events.entries()) {
    const size = detail.sizes?.[index] ?? serverEventSizeBytes(event);
    if (size > limits.maxAppendEventSizeBytes) {
      const what = detail.describe?.(index) ?? `an event of type ${event.type}`;
      throw new RangeError(
        `${what} takes ${size} bytes as the server counts them, over its MaxAppendEventSize of ${limits.maxAppendEventSizeBytes}: make the event smaller, or raise MaxAppendEventSize on the server and maxAppendEventSize here`,
      );
    }
    total += size;
  }
  if (total > limits.maxAppendSizeBytes) {
    throw new RangeError(
      `the append of ${events.length} server events takes ${total} bytes as the server counts them (data + metadata + 2 x type length), over its MaxAppendSize of ${limits.maxAppendSizeBytes}: send fewer events per append, or raise MaxAppendSize on the server and maxAppendSize here (the connection string's maxAppendSize=<bytes>)`,
    );
  }
}
