import { InvariantError } from '@compute-ledger/contracts';
import { DomainError, UsageBatchRefusedError, ValidationError } from '@compute-ledger/ledger';
import { ConfigError } from '../config.js';
import { DemoStoreNotEmptyError } from './demo/seed.js';

/** Exit codes of `ledger`: the contract scripts rely on. */
export const exitOk = 0;
/** The ledger refused the input, or a check failed. */
export const exitRefused = 1;
/** The command was used wrongly: unknown command or option, a malformed option value, bad configuration. */
export const exitMisuse = 2;
/**
 * An internal invariant failed: a bug of the ledger stopped the command before it recorded
 * anything. 70 is EX_SOFTWARE of sysexits(3), "an internal software error", so that a script can
 * tell a bug to report from a refusal to correct.
 */
export const exitInvariant = 70;

/** A command used wrongly (exit 2). */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** Input the command refused, already explained to the user (exit 1). */
export class CliRefusedError extends Error {
  override readonly name = 'CliRefusedError';
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof CliUsageError || error instanceof ConfigError) return exitMisuse;
  if (error instanceof InvariantError) return exitInvariant;
  return exitRefused;
}

/** One line for the terminal; a domain error's message is written for its reader already. */
export function messageOf(error: unknown): string {
  if (error instanceof DomainError || error instanceof DemoStoreNotEmptyError || error instanceof CliUsageError || error instanceof CliRefusedError || error instanceof ConfigError) {
    return error.message;
  }
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * An error as `--json` prints it (one line of JSON on stderr, stdout left to results): shaped
 * like problem details, with the exit code for the status. `type` is `misuse` (exit 2), `refused`
 * (exit 1: the ledger refused the input, or a check failed), `invariant` (exit 70: an internal
 * invariant failed, a bug to report) or `failed` (exit 1: anything else, which is a fault to
 * report); `errors` names each field or record at fault when there are some.
 */
export interface CliErrorAnswer {
  type: 'misuse' | 'refused' | 'invariant' | 'failed';
  title: string;
  exitCode: number;
  detail: string;
  errors?: unknown[];
}

const errorTitles: Record<CliErrorAnswer['type'], string> = {
  misuse: 'The command was used wrongly',
  refused: 'The ledger refused the input, or a check failed',
  invariant: 'An internal invariant failed',
  failed: 'The command failed',
};

export function errorAnswerOf(error: unknown, detail = messageOf(error)): CliErrorAnswer {
  const exitCode = exitCodeOf(error);
  const known = error instanceof DomainError || error instanceof DemoStoreNotEmptyError || error instanceof CliRefusedError;
  const type = exitCode === exitMisuse ? 'misuse' : exitCode === exitInvariant ? 'invariant' : known ? 'refused' : 'failed';
  const errors = error instanceof ValidationError ? error.errors : error instanceof UsageBatchRefusedError ? error.recordErrors : undefined;
  return { type, title: errorTitles[type], exitCode, detail, ...(errors === undefined || errors.length === 0 ? {} : { errors }) };
}

/** A misuse Commander found (unknown command or option, a missing argument), as `--json` prints it. */
export function misuseAnswer(detail: string): CliErrorAnswer {
  return { type: 'misuse', title: errorTitles.misuse, exitCode: exitMisuse, detail };
}
