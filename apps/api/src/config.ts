import { dirname, resolve } from 'node:path';
import { Currency, MoneyAmount, currencyMinorDigits, type CurrencyCode } from '@compute-ledger/contracts';
import { Decimal, formatMoney, fractionDigits } from '@compute-ledger/ledger';
import { IssuerConfigurationError, issuerFromEnv, type Issuer } from '@compute-ledger/documents';
import { parseWebhookAllowList, type AllowEntry } from './webhooks/url-policy.js';

/**
 * Configuration from the environment, read once at start. A value that cannot be used stops
 * the process with a message naming the variable, rather than running with a guess.
 */

export const defaultStoreUrl = 'sqlite:./data/ledger.db';
export const defaultPort = 3000;
export const portMax = 65_535;
/**
 * `ledger serve` writes the model checkpoint this often while it runs (besides at a clean stop),
 * so that a restart after a crash replays at most this long's events instead of the whole log.
 */
export const defaultCheckpointIntervalSeconds = 300;
/** A day: a longer interval is as good as none, and a mistyped value should not pass unnoticed. */
export const checkpointIntervalSecondsMax = 86_400;
/**
 * ...and only when the model has folded this many events since the last checkpoint (the same
 * rule at a clean stop and when a command closes): the model replays about 70,000 events a
 * second, so fewer cost a restart less than a second, while writing a checkpoint serializes the
 * whole model and records its digest in the log.
 */
export const defaultCheckpointEventsMin = 50_000;
export const checkpointEventsMinMax = 1_000_000_000;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface LedgerConfig {
  /** `sqlite:<path>`: where the log lives. */
  storeUrl: string;
  currency: CurrencyCode;
  port: number;
  host: string;
  /** Where the generated admin key and the model checkpoint are kept. */
  dataDir: string;
  /** `key=role,...`, or undefined to use (or create) the admin key of the data directory. */
  apiKeys: string | undefined;
  /** Seconds between the periodic model checkpoints of `ledger serve`; 0: only at a clean stop. */
  checkpointIntervalSeconds: number;
  /** Events the model must have advanced by since the last checkpoint for a periodic one to be written. */
  checkpointEventsMin: number;
  /** `LEDGER_WEBHOOK_ALLOW`: hosts webhooks may reach over http or at a private address. */
  webhookAllow: AllowEntry[];
  /** `LEDGER_APPROVAL_ABOVE`: billing documents whose absolute total is above it are drafts awaiting a second approver; unset, none is. */
  approvalAbove: string | undefined;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): LedgerConfig {
  const storeUrl = nonEmpty(env['LEDGER_STORE']) ?? defaultStoreUrl;
  const currency = Currency.safeParse(nonEmpty(env['LEDGER_CURRENCY']) ?? 'USD');
  if (!currency.success) throw new ConfigError(`LEDGER_CURRENCY ${env['LEDGER_CURRENCY']} is not a currency this ledger knows`);
  return {
    storeUrl,
    currency: currency.data,
    port: parsePort(nonEmpty(env['PORT'])),
    host: nonEmpty(env['HOST']) ?? '127.0.0.1',
    dataDir: resolve(nonEmpty(env['LEDGER_DATA_DIR']) ?? dataDirOf(storeUrl)),
    apiKeys: nonEmpty(env['LEDGER_API_KEYS']),
    checkpointIntervalSeconds: parseWholeNumber('LEDGER_CHECKPOINT_INTERVAL_SECONDS', nonEmpty(env['LEDGER_CHECKPOINT_INTERVAL_SECONDS']), defaultCheckpointIntervalSeconds, 0, checkpointIntervalSecondsMax),
    checkpointEventsMin: parseWholeNumber('LEDGER_CHECKPOINT_EVENTS_MIN', nonEmpty(env['LEDGER_CHECKPOINT_EVENTS_MIN']), defaultCheckpointEventsMin, 1, checkpointEventsMinMax),
    webhookAllow: parseAllow(env['LEDGER_WEBHOOK_ALLOW']),
    approvalAbove: parseApprovalAbove(nonEmpty(env['LEDGER_APPROVAL_ABOVE']), currency.data),
  };
}

/**
 * The issuer printed on every invoice and credit note (`LEDGER_ISSUER_*`, see libs/documents).
 * Read when a process starts, so a value that would not fit on a document stops the server or
 * the command before it answers anything, rather than failing each request that renders one.
 */
export function readIssuer(env: NodeJS.ProcessEnv = process.env): Issuer {
  try {
    return issuerFromEnv(env);
  } catch (error) {
    if (error instanceof IssuerConfigurationError) throw new ConfigError(`the issuer of invoices is misconfigured: ${error.message}`);
    throw error;
  }
}

/** The directory of an SQLite store file keeps the ledger's other files too. */
export function dataDirOf(storeUrl: string): string {
  if (storeUrl.startsWith('sqlite:')) {
    const path = storeUrl.slice('sqlite:'.length);
    if (path !== '' && path !== ':memory:') return dirname(path);
  }
  return './data';
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return defaultPort;
  if (!/^\d{1,5}$/.test(value) || Number(value) > portMax) throw new ConfigError(`PORT ${value} is not a port number`);
  return Number(value);
}

function parseWholeNumber(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,10}$/.test(value) || Number(value) < min || Number(value) > max) throw new ConfigError(`${name} ${value} is not a whole number from ${min} to ${max}`);
  return Number(value);
}

/** A non-negative amount in the ledger's currency ("1000000" -> "1000000.00"), no finer than its minor unit. */
function parseApprovalAbove(value: string | undefined, currency: CurrencyCode): string | undefined {
  if (value === undefined) return undefined;
  const minorDigits = currencyMinorDigits[currency];
  if (!MoneyAmount.safeParse(value).success || fractionDigits(value) > minorDigits) {
    throw new ConfigError(`LEDGER_APPROVAL_ABOVE ${value} is not an amount of ${currency}: a non-negative decimal with at most ${minorDigits} fractional digits, such as 1000000.00`);
  }
  return formatMoney(new Decimal(value), minorDigits);
}

function parseAllow(value: string | undefined): AllowEntry[] {
  try {
    return parseWebhookAllowList(value);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
