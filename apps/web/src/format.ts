/**
 * How numbers and instants look on screen. Money arrives as decimal strings with exactly the
 * currency's minor digits; it is formatted as text, digit by digit, and never goes through a
 * JavaScript number, which would round amounts above 2^53 minor units and print binary
 * fractions. Sorting compares the strings exactly as scaled BigInts.
 */

const decimalPattern = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * The same rules as the invoice documents (libs/documents/src/money.ts), which the dashboard
 * cannot import (it depends on the contracts' types alone): a symbol where the currency has one,
 * else its code; at least the currency's minor digits. Both spec files test the same cases.
 */
const currencySymbols: Readonly<Record<string, string>> = { USD: '$', EUR: '€', GBP: '£', JPY: '¥', CAD: 'CA$', AUD: 'A$', SGD: 'S$' };

/** The ledger's currencies (contracts' `currencyMinorDigits`, checked equal in the spec); any other has the common 2. */
export const currencyMinorDigits: Readonly<Record<string, number>> = { USD: 2, EUR: 2, GBP: 2, JPY: 0, CHF: 2, CAD: 2, AUD: 2, SGD: 2 };
const minorDigitsDefault = 2;

interface DecimalParts {
  negative: boolean;
  integer: string;
  fraction: string;
}

function decimalParts(value: string): DecimalParts | null {
  const match = decimalPattern.exec(value.trim());
  if (match === null) return null;
  const integer = (match[2] ?? '0').replace(/^0+(?=\d)/, '');
  const fraction = match[3] ?? '';
  const zero = /^0*$/.test(integer) && /^0*$/.test(fraction);
  return { negative: match[1] === '-' && !zero, integer, fraction };
}

/** `"1234567"` -> `"1,234,567"`. */
export function groupDigits(integer: string): string {
  return integer.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * The fraction padded to the currency's minor digits. Digits beyond them are kept (a rate of
 * 2.125 stays 2.125; the ledger keeps rates to 6 digits and rounds nothing here); only
 * trailing zeros beyond them are dropped, which changes no value.
 */
function fractionForMinorDigits(fraction: string, minorDigits: number): string {
  if (fraction.length <= minorDigits) return fraction.padEnd(minorDigits, '0');
  const trimmed = fraction.replace(/0+$/, '');
  return trimmed.length <= minorDigits ? trimmed.padEnd(minorDigits, '0') : trimmed;
}

/**
 * Amounts and rates: `"-105840.00"`, `"USD"` -> `"-$105,840.00"`; a rate `"2.1"` -> `"$2.10"`,
 * `"2.125"` -> `"$2.125"`; a currency without a symbol is written with its code.
 */
export function formatMoney(amount: string, currency: string): string {
  const parts = decimalParts(amount);
  if (parts === null) return amount;
  const fraction = fractionForMinorDigits(parts.fraction, currencyMinorDigits[currency] ?? minorDigitsDefault);
  const digits = `${groupDigits(parts.integer)}${fraction === '' ? '' : `.${fraction}`}`;
  const symbol = currencySymbols[currency];
  const sign = parts.negative ? '-' : '';
  return symbol === undefined ? `${sign}${currency} ${digits}` : `${sign}${symbol}${digits}`;
}

/** A price per GPU-hour: `"2.1"` -> `"$2.10 / GPU-h"`, as the invoice documents print it. */
export function formatRate(rate: string, currency: string): string {
  return `${formatMoney(rate, currency)} / GPU-h`;
}

/** GPU-hours and other decimal quantities: grouped, with the fraction as the ledger sent it. */
export function formatQuantity(value: string): string {
  const parts = decimalParts(value);
  if (parts === null) return value;
  return `${parts.negative ? '-' : ''}${groupDigits(parts.integer)}${parts.fraction === '' ? '' : `.${parts.fraction}`}`;
}

/**
 * Instants, months and dates, and numbers, in a ledger's line description: one pattern, so that
 * a month or a date is never taken for a number (2025 is a year, not 2,025).
 */
const descriptionTokenPattern = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z)|(\d{4}-\d{2}(?:-\d{2})?)|(\d+(?:\.\d+)?)/g;

/**
 * A line's description as the ledger wrote it, in the page's formatting, as the invoice
 * documents print it (libs/documents/src/view.ts): numbers grouped as in the quantity column,
 * GPU-hours as `GPU-h`, instants in UTC. Only the writing changes; every figure is the ledger's.
 */
export function formatDescription(description: string): string {
  return description
    .replace(descriptionTokenPattern, (token, instant: string | undefined, month: string | undefined) => {
      if (instant !== undefined) return formatInstant(instant);
      if (month !== undefined) return month;
      return formatQuantity(token);
    })
    .replace(/\bGPU-hours\b/g, 'GPU-h');
}

/** GPU counts: whole numbers that the API sends as JSON numbers. */
export function formatCount(value: number): string {
  return groupDigits(String(value));
}

/**
 * A count with its noun, agreeing in number: `1 event`, `2 events`, `12,480 events`. Every
 * count-with-noun on screen is written here; a noun whose plural is not `+s` gives it.
 */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : plural}`;
}

export function isNegative(value: string): boolean {
  return decimalParts(value)?.negative ?? false;
}

export function isZero(value: string): boolean {
  const parts = decimalParts(value);
  return parts !== null && /^0*$/.test(parts.integer) && /^0*$/.test(parts.fraction);
}

/** Exact order of two decimal strings (-1, 0, 1); what is not a decimal sorts first. */
export function compareDecimal(a: string, b: string): number {
  const left = decimalParts(a);
  const right = decimalParts(b);
  if (left === null || right === null) return left === null ? (right === null ? 0 : -1) : 1;
  const fractionDigits = Math.max(left.fraction.length, right.fraction.length);
  const scaled = (parts: DecimalParts) => BigInt(`${parts.negative ? '-' : ''}${parts.integer}${parts.fraction.padEnd(fractionDigits, '0')}`);
  const difference = scaled(left) - scaled(right);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

/**
 * The exact sum of decimal strings, as a decimal string with as many fraction digits as the
 * longest of them: amounts are added as scaled BigInts, never as floating-point numbers.
 */
export function sumDecimals(values: readonly string[]): string {
  const parts = values.map(decimalParts).filter((entry): entry is DecimalParts => entry !== null);
  const fractionDigits = Math.max(0, ...parts.map((entry) => entry.fraction.length));
  let total = 0n;
  for (const entry of parts) total += BigInt(`${entry.negative ? '-' : ''}${entry.integer}${entry.fraction.padEnd(fractionDigits, '0')}`);
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(fractionDigits + 1, '0');
  const integer = digits.slice(0, digits.length - fractionDigits);
  const fraction = digits.slice(digits.length - fractionDigits);
  return `${negative ? '-' : ''}${integer}${fractionDigits === 0 ? '' : `.${fraction}`}`;
}

/**
 * A decimal string as a number for a chart's geometry only: a bar's height may be off by a
 * fraction of a cent without anyone seeing it, while every figure printed comes from the string.
 */
export function plotValue(value: string): number {
  return Number(value);
}

// ---- Instants and months ------------------------------------------------------------------------

/** `2026-11-02T12:00:00Z` -> `2026-11-02 12:00 UTC` (seconds shown only when there are some). */
export function formatInstant(instant: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?Z$/.exec(instant);
  if (match === null) return instant;
  const seconds = match[3] === undefined || /^:00(\.0*)?$/.test(match[3]) ? '' : match[3];
  return `${match[1]} ${match[2]}${seconds} UTC`;
}

/** `2026-12-31T00:00:00Z` -> `2026-12-31`. */
export function formatDate(instant: string): string {
  return instant.slice(0, 10);
}

const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2026-02` -> `Feb 2026`. */
export function formatMonth(month: string): string {
  const [year, number] = month.split('-');
  return `${monthNames[Number(number) - 1] ?? number} ${year}`;
}

/** The service month (`YYYY-MM`) an instant falls in, in UTC. */
export function monthOf(instant: string): string {
  return instant.slice(0, 7);
}

export function previousMonth(month: string): string {
  const [year, number] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, number - 2, 1)).toISOString().slice(0, 7);
}

/** The last month that is over at `instant`: the one before the month it falls in. */
export function lastCompleteMonth(instant: string): string {
  return previousMonth(monthOf(instant));
}

/**
 * The months a period of `count` shows at `asOf`: the month "as of" falls in and the ones before
 * it, oldest first: the month in progress is one of them, as the MRR card at "as of" is in it.
 */
export function monthsUpTo(asOf: string, count: number): string[] {
  return monthsEndingWith(monthOf(asOf), count);
}

/** `count` months ending with `last`, oldest first. */
export function monthsEndingWith(last: string, count: number): string[] {
  const months = [last];
  while (months.length < count) months.unshift(previousMonth(months[0]!));
  return months;
}

/**
 * The time controls edit UTC instants as text, `2026-11-02 12:00`, the way every instant on
 * screen is written. A browser's date-time input would show them in the reader's local
 * convention (`11/02/2026, 12:00 PM` in the US) and carries no zone: the ledger's books close on
 * UTC months, so the controls say UTC, mean it, and look it.
 */
export function instantToInputValue(instant: string | null): string {
  if (instant === null) return '';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?/.exec(instant);
  if (match === null) return '';
  const seconds = match[3] === undefined || /^:00(\.0*)?$/.test(match[3]) ? '' : match[3];
  return `${match[1]} ${match[2]}${seconds}`;
}

/**
 * What a reader typed, as an instant: a date (`2026-11-02`, its midnight), a date and a time
 * (`2026-11-02 12:00`, `2026-11-02T12:00:05`), optionally followed by `Z` or `UTC`; null for
 * anything else, a day that does not exist (`2026-02-30`) included.
 */
export function inputValueToInstant(value: string): string | null {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2}(?:\.\d{1,3})?)?)?\s*(?:Z|UTC)?$/i.exec(value.trim());
  if (match === null) return null;
  const instant = `${match[1]}T${match[2] ?? '00:00'}${match[3] ?? ':00'}Z`;
  const time = Date.parse(instant);
  // Date.parse rolls 2026-02-30 over into March; an instant that does not read back the same did not exist.
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 16) !== instant.slice(0, 16)) return null;
  return instant;
}
