import { HttpException, NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { ConcurrencyError, ConflictError, DuplicateEventIdError, NotFoundError, RuleViolationError, UsageBatchRefusedError, ValidationError } from '@compute-ledger/ledger';
import { PayloadTooLargeError } from '../../shared/parse-input.js';
import { InvariantError, assert } from '@compute-ledger/contracts';
import { loggedProblemOf, problemOf, unreadableRequestProblem } from './problem.js';

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
    const batch = new UsageBatchRefusedError([{ index: 2, readingId: 'r-3', message: 'outside the term', kind: 'rule' }]);
    expect(problemOf(batch).problem).toMatchObject({ status: 422, errors: [{ index: 2, readingId: 'r-3', message: 'outside the term', kind: 'rule' }] });
  });

  it('answers a usage batch with a reading id reused with other content as a conflict, whatever else is refused', () => {
    const conflict = { index: 0, readingId: 'r-1', message: 'reading r-1 is already recorded with other content', kind: 'conflict' } as const;
    const rule = { index: 1, readingId: 'r-2', message: 'outside the term', kind: 'rule' } as const;
    expect(problemOf(new UsageBatchRefusedError([conflict])).problem.status).toBe(409);
    expect(problemOf(new UsageBatchRefusedError([rule, conflict])).problem).toMatchObject({ status: 409, errors: [rule, conflict] });
  });

  it('answers a broken invariant as a 500 of its own type, logged at the fatal level', () => {
    const broken = (() => {
      try {
        assert(false, 'journal entry INV-000001 is balanced');
      } catch (error) {
        return error;
      }
    })();
    expect(broken).toBeInstanceOf(InvariantError);
    const { problem, serverFault, invariant } = problemOf(broken);
    expect({ serverFault, invariant }).toEqual({ serverFault: true, invariant: true });
    expect(problem).toMatchObject({ status: 500, type: 'https://compute-ledger.dev/problems/internal-invariant-failure', title: 'Internal invariant failure' });
    expect(problem.detail).toContain('internal invariant failed');
    expect(JSON.stringify(problem)).not.toContain('INV-000001');
    const logged: string[] = [];
    const log = { fatal: (_: object, message: string) => logged.push(`fatal ${message}`), error: (_: object, message: string) => logged.push(`error ${message}`) };
    expect(loggedProblemOf(broken, log).status).toBe(500);
    expect(logged).toEqual(['fatal internal invariant failed']);
  });

  it('keeps domain errors 4xx and unlogged, never an invariant failure', () => {
    const logged: string[] = [];
    const log = { fatal: (_: object, message: string) => logged.push(message), error: (_: object, message: string) => logged.push(message) };
    for (const error of [new ValidationError('bad', []), new NotFoundError('none'), new ConflictError('again'), new RuleViolationError('no')]) {
      const { problem, invariant } = problemOf(error);
      expect(problem.status).toBeLessThan(500);
      expect(invariant).toBe(false);
      loggedProblemOf(error, log);
    }
    expect(logged).toEqual([]);
  });

  it('answers anything else as a 500 that says nothing of the internals', () => {
    const { problem, serverFault } = problemOf(new TypeError("Cannot read properties of undefined (reading 'secret')"));
    expect(serverFault).toBe(true);
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain('secret');
    expect(problemOf(new HttpException('upstream', 502)).problem.status).toBe(500);
  });

  it('answers Fastify’s own refusals, raised before a route is found, with their status and no echo of the input', () => {
    const fastifyError = (code: string, statusCode: number, message: string) => Object.assign(new Error(message), { code, statusCode });
    const badUrl = problemOf(fastifyError('FST_ERR_BAD_URL', 400, "'/v1/leases/%E0' is not a valid url component")).problem;
    expect(badUrl).toMatchObject({ status: 400, detail: expect.stringContaining('percent-escape') });
    expect(badUrl.detail).not.toContain('/v1/leases');
    expect(problemOf(fastifyError('FST_ERR_MAX_PARAM_LENGTH', 414, 'too long')).problem).toMatchObject({ status: 414, detail: expect.stringContaining('512') });
    expect(problemOf(fastifyError('FST_ERR_SOMETHING_NEW', 400, 'odd')).problem).toMatchObject({ status: 400, detail: 'odd' });
    // A 5xx of Fastify's, or an error that only looks like one, is the server's fault.
    expect(problemOf(fastifyError('FST_ERR_ASYNC_CONSTRAINT', 500, 'constraint')).serverFault).toBe(true);
    expect(problemOf(fastifyError('ENOENT', 400, 'not ours')).serverFault).toBe(true);
  });

  it('answers what the HTTP parser refuses: headers too large, too slow, not HTTP', () => {
    expect(unreadableRequestProblem('HPE_HEADER_OVERFLOW')).toMatchObject({ status: 431, title: expect.any(String) });
    expect(unreadableRequestProblem('ERR_HTTP_REQUEST_TIMEOUT').status).toBe(408);
    expect(unreadableRequestProblem('HPE_INVALID_METHOD').status).toBe(400);
    expect(unreadableRequestProblem(undefined).status).toBe(400);
  });
});
