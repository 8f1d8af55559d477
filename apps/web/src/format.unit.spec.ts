import { describe, expect, it } from 'vitest';
import { currencyMinorDigits as ledgerMinorDigits } from '@compute-ledger/contracts';
import { compareDecimal, countOf, currencyMinorDigits, formatDescription, formatInstant, formatMoney, formatQuantity, formatRate, inputValueToInstant, instantToInputValue, lastCompleteMonth, monthsEndingWith, monthsUpTo, sumDecimals } from './format.js';

/**
 * The invoice documents' cases (libs/documents/src/money.unit.spec.ts holds the same table):
 * the dashboard and the PDF write every amount and rate alike.
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

describe('money on screen', () => {
  it('writes amounts and rates as the invoice documents do', () => {
    for (const [amount, currency, shown] of sharedMoneyCases) expect(formatMoney(amount, currency), `${amount} ${currency}`).toBe(shown);
  });

  it('knows the minor digits of every currency the ledger keeps', () => {
    expect(currencyMinorDigits).toEqual(ledgerMinorDigits);
  });

  it('prices GPU-hours as the PDF does', () => {
    expect(formatRate('2.1', 'USD')).toBe('$2.10 / GPU-h');
    expect(formatRate('3.50', 'USD')).toBe('$3.50 / GPU-h');
  });

  it('formats the ledger strings digit by digit, sign first, in the currency', () => {
    expect(formatMoney('2603160.00', 'USD')).toBe('$2,603,160.00');
    expect(formatMoney('-105840.00', 'USD')).toBe('-$105,840.00');
    expect(formatMoney('0.00', 'USD')).toBe('$0.00');
    expect(formatMoney('-0.00', 'USD')).toBe('$0.00');
    expect(formatMoney('1564500', 'JPY')).toBe('¥1,564,500');
    expect(formatMoney('1058400.00', 'CHF')).toBe('CHF 1,058,400.00');
    // Beyond 2^53 minor units a number would round; the string does not.
    expect(formatMoney('123456789012345678.91', 'USD')).toBe('$123,456,789,012,345,678.91');
  });

  it('writes the numbers of a line description as the columns do, never a year or a month', () => {
    expect(formatDescription('Committed capacity 2026-01: 744000 GPU-hours')).toBe('Committed capacity 2026-01: 744,000 GPU-h');
    expect(formatDescription('Adjustment for 2025-11: Usage above commitment 2025-11: 529800 metered - 504000 committed GPU-hours')).toBe(
      'Adjustment for 2025-11: Usage above commitment 2025-11: 529,800 metered - 504,000 committed GPU-h',
    );
    expect(formatDescription('Early termination fee, effective 2026-07-15T00:00:00Z')).toBe('Early termination fee, effective 2026-07-15 00:00 UTC');
    expect(formatDescription('SLA credit 2025-11: availability 99.7619 % (1200 outage GPU-hours), 10 % of commitment')).toBe('SLA credit 2025-11: availability 99.7619 % (1,200 outage GPU-h), 10 % of commitment');
  });

  it('formats GPU-hours with their own fraction', () => {
    expect(formatQuantity('529200')).toBe('529,200');
    expect(formatQuantity('1050.5')).toBe('1,050.5');
  });

  it('orders and sums decimal strings exactly', () => {
    expect(['10.00', '-2.50', '9.99', '100.00'].sort(compareDecimal)).toEqual(['-2.50', '9.99', '10.00', '100.00']);
    expect(compareDecimal('9007199254740993.01', '9007199254740993.02')).toBe(-1);
    expect(sumDecimals(['0.10', '0.20'])).toBe('0.30'); // 0.1 + 0.2 would not be
    expect(sumDecimals(['1533000.00', '9344000.00', '3796000.00'])).toBe('14673000.00');
    expect(sumDecimals(['-105840.00', '88200.00'])).toBe('-17640.00');
    expect(sumDecimals([])).toBe('0');
  });
});

describe('counts', () => {
  it('writes a count with its noun in the right number', () => {
    expect(countOf(1, 'event')).toBe('1 event');
    expect(countOf(0, 'event')).toBe('0 events');
    expect(countOf(2, 'batch', 'batches')).toBe('2 batches');
    expect(countOf(12480, 'event')).toBe('12,480 events');
  });
});

describe('instants and months', () => {
  it('shows instants in UTC, seconds only when there are some', () => {
    expect(formatInstant('2026-11-02T12:00:00Z')).toBe('2026-11-02 12:00 UTC');
    expect(formatInstant('2026-11-26T10:26:59.405Z')).toBe('2026-11-26 10:26:59.405 UTC');
  });

  it('takes the time controls as UTC instants and gives them back as they are shown everywhere', () => {
    expect(inputValueToInstant('2026-11-02 12:00')).toBe('2026-11-02T12:00:00Z');
    expect(inputValueToInstant('2026-11-02T12:00')).toBe('2026-11-02T12:00:00Z');
    expect(inputValueToInstant('2026-11-02T12:00:05')).toBe('2026-11-02T12:00:05Z');
    expect(inputValueToInstant('2026-11-02 12:00 UTC')).toBe('2026-11-02T12:00:00Z');
    expect(inputValueToInstant(' 2026-11-02 ')).toBe('2026-11-02T00:00:00Z');
    expect(inputValueToInstant('2026-02-30')).toBeNull();
    expect(inputValueToInstant('11/02/2026, 12:00 PM')).toBeNull();
    expect(inputValueToInstant('yesterday')).toBeNull();
    // Not the US 12-hour local form a date-time input shows: the same text as formatInstant, without the zone.
    expect(instantToInputValue('2026-11-02T12:00:00Z')).toBe('2026-11-02 12:00');
    expect(instantToInputValue('2026-11-02T12:00:05Z')).toBe('2026-11-02 12:00:05');
    expect(formatInstant('2026-11-02T12:00:00Z')).toBe(`${instantToInputValue('2026-11-02T12:00:00Z')} UTC`);
    expect(instantToInputValue(null)).toBe('');
  });

  it('counts months back from the last complete one', () => {
    expect(lastCompleteMonth('2026-11-03T09:00:00Z')).toBe('2026-10');
    expect(lastCompleteMonth('2026-01-01T00:00:00Z')).toBe('2025-12');
    expect(monthsEndingWith('2026-02', 3)).toEqual(['2025-12', '2026-01', '2026-02']);
  });

  it('ends a period with the month "as of" falls in', () => {
    expect(monthsUpTo('2025-12-15T00:00:00Z', 3)).toEqual(['2025-10', '2025-11', '2025-12']);
    expect(monthsUpTo('2026-11-03T09:00:00Z', 12)).toHaveLength(12);
    expect(monthsUpTo('2026-11-03T09:00:00Z', 12).at(-1)).toBe('2026-11');
  });
});
