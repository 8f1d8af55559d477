import { currencyMinorDigits } from '@compute-ledger/contracts';

/**
 * Amounts for people, written from the ledger's decimal strings by string manipulation alone.
 * A JavaScript number never holds an amount here: a float would print 0.1 + 0.2 as
 * 0.30000000000000004, and an amount over 2^53 minor units would lose digits. Nothing is
 * rounded either: the ledger rounded every charge once, and a document shows what it decided.
 */

const decimalPattern = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/** Symbols printed before an amount; any other currency is written with its ISO code. */
export const currencySymbols: Readonly<Record<string, string>> = {
  USD: '$',
  EUR: '€',
  GBP: '£',
  JPY: '¥',
  CAD: 'CA$',
  AUD: 'A$',
  SGD: 'S$',
};

/** Minor digits of ISO 4217 currencies not in the ledger's own table default to the common 2. */
const minorDigitsDefault = 2;

export function minorDigitsOf(currency: string): number {
  return (currencyMinorDigits as Readonly<Record<string, number>>)[currency] ?? minorDigitsDefault;
}

interface DecimalParts {
  negative: boolean;
  integer: string;
  fraction: string;
}

function parseDecimal(value: string, what: string): DecimalParts {
  const match = decimalPattern.exec(value);
  if (match === null) throw new RangeError(`${what} ${JSON.stringify(value)} is not a decimal string`);
  return { negative: match[1] === '-', integer: match[2]!, fraction: match[3] ?? '' };
}

function groupThousands(integer: string): string {
  return integer.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * The fraction padded to the currency's minor digits. Digits beyond them are kept (a rate of
 * 2.125 stays 2.125); only trailing zeros beyond them are dropped, which changes no value.
 */
function fractionForMinorDigits(fraction: string, minorDigits: number): string {
  if (fraction.length <= minorDigits) return fraction.padEnd(minorDigits, '0');
  const trimmed = fraction.replace(/0+$/, '');
  return trimmed.length <= minorDigits ? trimmed.padEnd(minorDigits, '0') : trimmed;
}

/** `"2603160.00"` in USD is `$2,603,160.00`; `"-105840.00"` is `-$105,840.00`; CHF is `CHF 1,000.00`. */
export function formatMoney(amount: string, currency: string): string {
  const { negative, integer, fraction } = parseDecimal(amount, 'amount');
  const digits = fractionForMinorDigits(fraction, minorDigitsOf(currency));
  const isZero = /^0*$/.test(integer + digits);
  const sign = negative && !isZero ? '-' : '';
  const number = digits.length === 0 ? groupThousands(integer) : `${groupThousands(integer)}.${digits}`;
  const symbol = currencySymbols[currency];
  return symbol === undefined ? `${sign}${currency} ${number}` : `${sign}${symbol}${number}`;
}

/** GPU-hours as the ledger wrote them, grouped: `"504000"` is `504,000`, `"1050.5"` is `1,050.5`. */
export function formatQuantity(quantity: string): string {
  const { negative, integer, fraction } = parseDecimal(quantity, 'quantity');
  return `${negative ? '-' : ''}${groupThousands(integer)}${fraction.length === 0 ? '' : `.${fraction}`}`;
}

/** The amount with its sign turned, exactly: a credit of `"500.00"` is `"-500.00"`. */
export function negateDecimal(value: string): string {
  const { negative, integer, fraction } = parseDecimal(value, 'amount');
  const body = fraction.length === 0 ? integer : `${integer}.${fraction}`;
  if (/^[0.]*$/.test(body)) return body;
  return negative ? body : `-${body}`;
}

function toScaled(value: string, scale: number): bigint {
  const { negative, integer, fraction } = parseDecimal(value, 'amount');
  const magnitude = BigInt(integer + fraction.padEnd(scale, '0'));
  return negative ? -magnitude : magnitude;
}

/**
 * The exact sum of decimal strings, written with as many fractional digits as the longest of
 * them. BigInt over a common scale keeps every digit, however large the amounts.
 */
export function sumDecimals(values: readonly string[]): string {
  const scale = values.reduce((longest, value) => Math.max(longest, parseDecimal(value, 'amount').fraction.length), 0);
  const sum = values.reduce((total, value) => total + toScaled(value, scale), 0n);
  const negative = sum < 0n;
  const digits = (negative ? -sum : sum).toString().padStart(scale + 1, '0');
  const integer = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${integer}${scale === 0 ? '' : `.${fraction}`}`;
}

/** True when two decimal strings are the same number (`"1.50"` and `"1.5"`). */
export function decimalsEqual(a: string, b: string): boolean {
  const scale = Math.max(parseDecimal(a, 'amount').fraction.length, parseDecimal(b, 'amount').fraction.length);
  return toScaled(a, scale) === toScaled(b, scale);
}
