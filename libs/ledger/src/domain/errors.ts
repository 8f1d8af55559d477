/**
 * Domain errors come in four families, each with a message a finance user understands. The
 * API maps them to problem details: validation 400, not found 404, conflict 409, rule 422
 * (and forbidden 403, for separation of duties).
 */

export interface FieldError {
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly family: 'validation' | 'not_found' | 'conflict' | 'rule' | 'forbidden';
}

/** Input that is malformed or breaks a field's format. */
export class ValidationError extends DomainError {
  readonly family = 'validation';
  override readonly name: string = 'ValidationError';
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

/** A referenced thing (tenant, site, lease, allocation, reading, invoice) does not exist. */
export class NotFoundError extends DomainError {
  readonly family = 'not_found';
  override readonly name: string = 'NotFoundError';
}

/** An id reused with other content, a concurrent change that lost, a billing run out of order. */
export class ConflictError extends DomainError {
  readonly family = 'conflict';
  override readonly name: string = 'ConflictError';
}

/** A business rule refused the request (over-allocation, usage outside the term, ...). */
export class RuleViolationError extends DomainError {
  readonly family = 'rule';
  override readonly name: string = 'RuleViolationError';
}

/** The caller may do this kind of thing, but not this one: four eyes, the key that ran a billing run approving its draft. */
export class ForbiddenError extends DomainError {
  readonly family = 'forbidden';
  override readonly name: string = 'ForbiddenError';
}

/**
 * One refused record of a usage batch. `kind` is the family of the refusal: `conflict` for a
 * reading id already used with other content (recorded before, for another lease, or twice in
 * the batch), `rule` for a business rule (outside the term, above the allocated hours, ...).
 */
export interface RecordError {
  index: number;
  readingId: string;
  message: string;
  kind: 'conflict' | 'rule';
}

/**
 * A usage batch of which some records were refused: nothing of it is recorded. The batch is a
 * conflict when any record is one (a reading id reused with other content can never be accepted
 * by sending the batch again, whatever else is fixed), else a rule refusal; every refused record
 * is listed either way, each with its own kind.
 */
export class UsageBatchRefusedError extends DomainError {
  override readonly name: string = 'UsageBatchRefusedError';
  readonly family: 'conflict' | 'rule';
  constructor(readonly recordErrors: RecordError[]) {
    super(`${recordErrors.length === 1 ? "1 of the batch's records was" : `${recordErrors.length} of the batch's records were`} refused; nothing was recorded`);
    this.family = recordErrors.some((recordError) => recordError.kind === 'conflict') ? 'conflict' : 'rule';
  }
}
