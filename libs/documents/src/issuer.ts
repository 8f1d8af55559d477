import type { Issuer } from './document.js';

/**
 * The issuer's details come from the environment, so that every process that renders a
 * document (the API, the command line) prints the same ones. Each variable is documented in
 * this library's README.
 */

export const issuerNameDefault = 'compute-ledger demo issuer';
export const issuerNameLengthMax = 200;
export const issuerLineLengthMax = 200;
export const issuerAddressLinesMax = 10;
export const issuerPaymentInstructionLinesMax = 12;
export const issuerTaxIdLengthMax = 64;

/** The variables `issuerFromEnv` reads. */
export const issuerEnvironmentVariables = {
  name: 'LEDGER_ISSUER_NAME',
  address: 'LEDGER_ISSUER_ADDRESS',
  taxId: 'LEDGER_ISSUER_TAX_ID',
  paymentInstructions: 'LEDGER_ISSUER_PAYMENT_INSTRUCTIONS',
} as const;

export type IssuerEnvironment = Readonly<Record<string, string | undefined>>;

/** A misconfigured issuer: the process should refuse to start rather than print it. */
export class IssuerConfigurationError extends Error {
  override readonly name = 'IssuerConfigurationError';
}

/**
 * Lines of a multi-line variable. A line break is hard to put in an environment variable (and
 * impossible in some deployment tools), so `|` and the two characters `\n` separate lines too.
 */
export function splitLines(value: string): string[] {
  return value
    .split(/\r?\n|\\n|\|/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

function oneLine(variable: string, value: string | undefined, lengthMax: number): string | undefined {
  const trimmed = value?.trim() ?? '';
  if (trimmed.length === 0) return undefined;
  if (/[\r\n]/.test(trimmed)) throw new IssuerConfigurationError(`${variable} must be one line`);
  if (trimmed.length > lengthMax) throw new IssuerConfigurationError(`${variable} is ${trimmed.length} characters long, more than ${lengthMax}`);
  return trimmed;
}

function lines(variable: string, value: string | undefined, linesMax: number): string[] {
  const result = splitLines(value ?? '');
  if (result.length > linesMax) throw new IssuerConfigurationError(`${variable} has ${result.length} lines, more than ${linesMax}`);
  const tooLong = result.find((line) => line.length > issuerLineLengthMax);
  if (tooLong !== undefined) throw new IssuerConfigurationError(`${variable} has a line of ${tooLong.length} characters, more than ${issuerLineLengthMax}`);
  return result;
}

/** The issuer configured by `LEDGER_ISSUER_*` (pass `process.env`); unset variables take their defaults. */
export function issuerFromEnv(env: IssuerEnvironment): Issuer {
  const variables = issuerEnvironmentVariables;
  const taxId = oneLine(variables.taxId, env[variables.taxId], issuerTaxIdLengthMax);
  return {
    name: oneLine(variables.name, env[variables.name], issuerNameLengthMax) ?? issuerNameDefault,
    addressLines: lines(variables.address, env[variables.address], issuerAddressLinesMax),
    ...(taxId === undefined ? {} : { taxId }),
    paymentInstructions: lines(variables.paymentInstructions, env[variables.paymentInstructions], issuerPaymentInstructionLinesMax),
  };
}
