import { HttpException, NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { ConcurrencyError, ConflictError, DuplicateEventIdError, NotFoundError, RuleViolationError, UsageBatchRefusedError, ValidationError } from '@compute-ledger/ledger';
import { PayloadTooLargeError } from '../../shared/parse-input.js';
import { problemOf } from './problem.js';

describe('problem details', () => {
  it('maps each family of error to its status', () => {
    const statusOf = (error: unknown) => problemOf(error).problem.status;
    expect(statusOf(new ValidationError('bad', [{ path: 'a', message: 'm' }]))).toBe(400);
    expect(statusOf(new NotFoundError('none'))).toBe(404);
    expect(statusOf(new ConflictError('again'))).toBe(409);
    expect(statusOf(new ConcurrencyError('s', '1', '2'))).toBe(409);
    expect(statusOf(new DuplicateEventIdError('e', 'other content'))).toBe(409);
    expect(statusOf(new PayloadTooLargeError('big'))).toBe(413);
    expect(statusOf(new RuleViolationError('no'))).toBe(422);
    expect(statusOf(new NotFoundException('Cannot GET /x'))).toBe(404);
  });

  it('keeps the field errors of invalid input and the record errors of a refused batch', () => {
    expect(problemOf(new ValidationError('bad', [{ path: 'a', message: 'm' }])).problem.errors).toEqual([{ path: 'a', message: 'm' }]);
    const batch = new UsageBatchRefusedError([{ index: 2, readingId: 'r-3', message: 'outside the term' }]);
    expect(problemOf(batch).problem).toMatchObject({ status: 422, errors: [{ index: 2, readingId: 'r-3', message: 'outside the term' }] });
  });

  it('answers anything else as a 500 that says nothing of the internals', () => {
    const { problem, serverFault } = problemOf(new TypeError("Cannot read properties of undefined (reading 'secret')"));
    expect(serverFault).toBe(true);
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain('secret');
    expect(problemOf(new HttpException('upstream', 502)).problem.status).toBe(500);
  });
});
