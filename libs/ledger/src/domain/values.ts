import { currencyMinorDigits, type CurrencyCode } from '@compute-ledger/contracts';
import { Decimal, dec, formatMoney, formatQuantity } from '../shared/decimal.js';
import { toInstant, toMs } from '../shared/time.js';
import { canonicalJson } from '../store/canonical-json.js';
import { ValidationError } from './errors.js';

/**
 * Value helpers shared by the deciders. Instants are normalized (`...00.000Z` and `...00Z` are
 * the same instant) so that the same content always compares equal, whatever way a client
 * wrote it.
 */

const wholeSecondInstantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** The canonical spelling of an instant: whole seconds without milliseconds. */
export function canonicalInstant(instant: string): string {
  // Most instants arrive canonical already; skipping the Date round trip matters at ingest rates.
  return wholeSecondInstantPattern.test(instant) ? instant : toInstant(toMs(instant));
}

/** `[start, end)` written as instants, for messages. */
export function formatInterval(startMs: number, endMs: number): string {
  return `[${toInstant(startMs)}, ${toInstant(endMs)})`;
}

const plainDecimalPattern = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** A decimal string written by its value (`"2.10"` and `"2.1"` are the same rate). */
export function normalizeQuantity(value: string): string {
  if (!plainDecimalPattern.test(value)) return parseDecimal(value) === null ? value : formatQuantity(dec(value));
  // A plain non-negative decimal only needs its trailing fractional zeros dropped.
  return value.includes('.') ? value.replace(/\.?0+$/, '') : value;
}

const decimalTextPattern = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** Parses a decimal string, or answers null when it is not one. */
export function parseDecimal(value: string): Decimal | null {
  return decimalTextPattern.test(value) ? new Decimal(value) : null;
}

export function minorDigitsOf(currency: CurrencyCode): number {
  return currencyMinorDigits[currency];
}

/**
 * A money amount a client sent, checked against the currency's minor digits and written with
 * exactly that many (`"250000"` in USD becomes `"250000.00"`). Trailing zeros beyond the minor
 * digits are harmless (`"100.00"` in JPY is 100); a non-zero digit there is refused.
 */
export function normalizeMoney(field: string, value: string, currency: CurrencyCode): string {
  const minorDigits = minorDigitsOf(currency);
  const amount = parseDecimal(value);
  if (amount === null || amount.isNegative()) {
    throw new ValidationError(`${field} ${value} is not a non-negative decimal amount`, [
      { path: field, message: 'must be a non-negative decimal string' },
    ]);
  }
  if (amount.decimalPlaces() > minorDigits) {
    const message = `${field} ${value} has more than the ${minorDigits} fractional digits of ${currency}`;
    throw new ValidationError(message, [{ path: field, message }]);
  }
  return formatMoney(amount, minorDigits);
}

/**
 * A content fingerprint: the canonical JSON of a value (store/canonical-json.ts, the text the
 * hash chain is computed over). Two requests with the same id are the same request exactly when
 * their fingerprints are equal.
 */
export function fingerprintJson(value: unknown): string {
  return canonicalJson(value);
}
