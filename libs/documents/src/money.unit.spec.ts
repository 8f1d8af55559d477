import { describe, expect, it } from 'vitest';
import { decimalsEqual, formatMoney, formatQuantity, negateDecimal, sumDecimals } from './money.js';

/**
 * The dashboard's cases (apps/web/src/format.unit.spec.ts holds the same table): the PDF and
 * the dashboard write every amount and rate alike.
 */
const sharedMoneyCases: readonly [amount: string, currency: string, shown: string][] = [
  ['2603160.00', 'USD', '$2,603,160.00'],
  ['-105840.00', 'USD', '-$105,840.00'],
  ['0.00', 'USD', '$0.00'],
  ['-0.00', 'USD', '$0.00'],
  ['1000', 'EUR', '€1,000.00'],
  ['1234567.5', 'GBP', '£1,234,567.50'],
  ['1500000', 'JPY', '¥1,500,000'],
  ['-2500.00', 'CHF', '-CHF 2,500.00'],
  ['3.5', 'CAD', 'CA$3.50'],
  ['12.00', 'XYZ', 'XYZ 12.00'],
  // Rates: at least the minor digits, every digit beyond them the ledger kept (6 at most), no trailing zeros beyond them.
  ['2.1', 'USD', '$2.10'],
  ['2.125', 'USD', '$2.125'],
  ['2.100000', 'USD', '$2.10'],
  ['2.123450', 'USD', '$2.12345'],
  ['0.000001', 'USD', '$0.000001'],
  ['123456789012345678.99', 'USD', '$123,456,789,012,345,678.99'],
];

describe('formatMoney', () => {
  it('writes amounts and rates as the dashboard does', () => {
    for (const [amount, currency, shown] of sharedMoneyCases) expect(formatMoney(amount, currency), `${amount} ${currency}`).toBe(shown);
  });

  it('writes amounts for people, with the currency symbol and thousands grouped', () => {
    expect(formatMoney('2603160.00', 'USD')).toBe('$2,603,160.00');
    expect(formatMoney('-105840.00', 'USD')).toBe('-$105,840.00');
    expect(formatMoney('999.99', 'USD')).toBe('$999.99');
    expect(formatMoney('1000', 'EUR')).toBe('€1,000.00');
    expect(formatMoney('1234567.5', 'GBP')).toBe('£1,234,567.50');
    expect(formatMoney('1500000', 'JPY')).toBe('¥1,500,000');
    expect(formatMoney('-2500.00', 'CHF')).toBe('-CHF 2,500.00');
    expect(formatMoney('12.00', 'XYZ')).toBe('XYZ 12.00');
  });

  it('pads rates to the minor digits and keeps every digit beyond them, never rounding', () => {
    expect(formatMoney('2.1', 'USD')).toBe('$2.10');
    expect(formatMoney('2.125', 'USD')).toBe('$2.125');
    expect(formatMoney('2.100000', 'USD')).toBe('$2.10');
    expect(formatMoney('0.000001', 'USD')).toBe('$0.000001');
  });

  it('keeps every digit of amounts far beyond what a JavaScript number holds exactly', () => {
    expect(formatMoney('123456789012345678.99', 'USD')).toBe('$123,456,789,012,345,678.99');
  });

  it('writes zero without a sign', () => {
    expect(formatMoney('0.00', 'USD')).toBe('$0.00');
    expect(formatMoney('-0.00', 'USD')).toBe('$0.00');
  });

  it('refuses what is not a decimal string', () => {
    for (const text of ['1e5', '1,000.00', ' 1', '', 'NaN', '01.5', '1.']) expect(() => formatMoney(text, 'USD')).toThrow(RangeError);
  });
});

describe('formatQuantity', () => {
  it('groups GPU-hours and keeps their fraction as the ledger wrote it', () => {
    expect(formatQuantity('504000')).toBe('504,000');
    expect(formatQuantity('1050.5')).toBe('1,050.5');
    expect(formatQuantity('1')).toBe('1');
  });
});

describe('decimal arithmetic on strings', () => {
  it('adds exactly', () => {
    expect(sumDecimals(['1058400.00', '88200.00', '-105840.00', '1562400.00'])).toBe('2603160.00'); // INV-000001
    expect(sumDecimals(['0.1', '0.2'])).toBe('0.3');
    expect(sumDecimals(['-2100.00', '100'])).toBe('-2000.00');
    expect(sumDecimals(['99999999999999999.99', '0.01'])).toBe('100000000000000000.00');
    expect(sumDecimals([])).toBe('0');
  });

  it('compares by value and negates exactly', () => {
    expect(decimalsEqual('1.50', '1.5')).toBe(true);
    expect(decimalsEqual('1.50', '1.51')).toBe(false);
    expect(negateDecimal('500.00')).toBe('-500.00');
    expect(negateDecimal('-500.00')).toBe('500.00');
    expect(negateDecimal('0.00')).toBe('0.00');
  });
});
