/** The stream is not at the revision the append expected: reload, decide again, retry. */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`stream ${streamId} was expected at ${expected} but is at ${actual}`);
  }
}

/** An event id already in the log with other content (or in another stream). */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError';
  constructor(readonly eventId: string, detail: string) {
    super(`event id ${eventId} is already recorded with other content: ${detail}`);
  }
}

/** A file or server that is not a ledger this version can open. */
export class StoreOpenError extends Error {
  override readonly name = 'StoreOpenError';
}
