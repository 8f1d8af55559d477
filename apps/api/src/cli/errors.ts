import { DomainError } from '@compute-ledger/ledger';
import { ConfigError } from '../config.js';
import { DemoStoreNotEmptyError } from './demo/seed.js';

/** Exit codes of `ledger`: the contract scripts rely on. */
export const exitOk = 0;
/** The ledger refused the input, or a check failed. */
export const exitRefused = 1;
/** The command was used wrongly: unknown command or option, a malformed option value, bad configuration. */
export const exitMisuse = 2;

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
  return exitRefused;
}

/** One line for the terminal; a domain error's message is written for its reader already. */
export function messageOf(error: unknown): string {
  if (error instanceof DomainError || error instanceof DemoStoreNotEmptyError || error instanceof CliUsageError || error instanceof CliRefusedError || error instanceof ConfigError) {
    return error.message;
  }
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
