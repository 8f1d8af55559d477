import { describe, expect, it } from 'vitest';
import { InvariantError } from '@compute-ledger/contracts';
import { NotFoundError, RuleViolationError } from '@compute-ledger/ledger';
import { ConfigError } from '../config.js';
import { CliUsageError, errorAnswerOf, exitCodeOf, exitInvariant, exitMisuse, exitRefused } from './errors.js';

describe('exit codes of ledger', () => {
  it('exits 70 on a broken invariant, and says so with --json', () => {
    const broken = new InvariantError('the trial balance is balanced');
    expect(exitInvariant).toBe(70);
    expect(exitCodeOf(broken)).toBe(70);
    expect(errorAnswerOf(broken)).toMatchObject({ type: 'invariant', title: 'An internal invariant failed', exitCode: 70 });
  });

  it('keeps refusals at 1 and misuse at 2', () => {
    expect(exitCodeOf(new RuleViolationError('no'))).toBe(exitRefused);
    expect(exitCodeOf(new NotFoundError('none'))).toBe(exitRefused);
    expect(errorAnswerOf(new RuleViolationError('no'))).toMatchObject({ type: 'refused', exitCode: 1 });
    expect(exitCodeOf(new CliUsageError('bad option'))).toBe(exitMisuse);
    expect(exitCodeOf(new ConfigError('bad'))).toBe(exitMisuse);
    expect(errorAnswerOf(new TypeError('x'))).toMatchObject({ type: 'failed', exitCode: 1 });
  });
});
