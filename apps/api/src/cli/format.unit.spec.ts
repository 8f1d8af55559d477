import { describe, expect, it } from 'vitest';
import { renderAnswerCsv, renderCsv, renderTable } from './format.js';
import { parseCsvLine } from './usage-file.js';

describe('output formats', () => {
  it('quotes CSV fields that need it, and reads them back', () => {
    const csv = renderCsv([{ a: 'plain', b: 'with, comma', c: 'with "quote"' }]);
    expect(csv).toBe('a,b,c\r\nplain,"with, comma","with ""quote"""\r\n');
    expect(parseCsvLine(csv.split('\r\n')[1]!)).toEqual(['plain', 'with, comma', 'with "quote"']);
  });

  it('writes a report as its list with context columns and a total row', () => {
    const answer = { accounts: [{ account: '1100', debit: '10.00', credit: '0.00' }, { account: '4000', debit: '0.00', credit: '10.00' }], totalDebit: '10.00', totalCredit: '10.00', asOf: '2026-01-01T00:00:00Z', knownAt: '2026-01-02T00:00:00Z' };
    expect(renderAnswerCsv(answer).split('\r\n')).toEqual([
      'asOf,knownAt,account,debit,credit',
      '2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,1100,10.00,0.00',
      '2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,4000,0.00,10.00',
      '2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,total,10.00,10.00',
      '',
    ]);
  });

  it('aligns numbers right and text left in tables', () => {
    expect(renderTable([{ name: 'a', amount: '1.00' }, { name: 'bbb', amount: '100.00' }])).toBe('name  amount\n----  ------\na       1.00\nbbb   100.00\n');
  });
});
