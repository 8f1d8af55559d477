import { describe, expect, it } from 'vitest';
import { Decimal, formatMoney, fromMicros, roundMoney, toMicros } from './decimal.js';

describe('decimal helpers', () => {
  it('rounds money half up, once', () => {
    expect(formatMoney(roundMoney(new Decimal('0.005'), 2), 2)).toBe('0.01'); // half up, not half even
    expect(formatMoney(roundMoney(new Decimal('-0.005'), 2), 2)).toBe('-0.01'); // away from zero on both sides
    expect(formatMoney(roundMoney(new Decimal('2.5'), 0), 0)).toBe('3'); // JPY has no minor digits
  });

  it('never prints a negative zero', () => {
    expect(formatMoney(new Decimal('-0.001'), 2)).toBe('0.00');
  });

  it('keeps 60 significant digits: a fleet-year of GPU-hours at 6-digit rates stays exact', () => {
    // 200,000 GPUs x 8,760 h x 2.123457 = 3,720,296,664.00 exactly
    expect(new Decimal(200_000).times(8760).times('2.123457').toFixed()).toBe('3720296664');
  });

  it('converts GPU-hours to exact millionths and back', () => {
    expect(toMicros('1050.5')).toBe(1_050_500_000n);
    expect(toMicros('0.000001')).toBe(1n);
    expect(toMicros('-2')).toBe(-2_000_000n);
    expect(fromMicros(toMicros('529200.123456')).toFixed()).toBe('529200.123456');
    expect(() => toMicros('1.0000001')).toThrow(RangeError);
  });
});
