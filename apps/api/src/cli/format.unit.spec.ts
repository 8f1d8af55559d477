import { describe, expect, it } from 'vitest';
import { renderCsv, renderTable } from './format.js';
import { parseCsvLine } from './usage-file.js';

describe('output formats', () => {
  it('quotes CSV fields that need it, and reads them back', () => {
    const csv = renderCsv([{ a: 'plain', b: 'with, comma', c: 'with "quote"' }]);
    expect(csv).toBe('a,b,c\r\nplain,"with, comma","with ""quote"""\r\n');
    expect(parseCsvLine(csv.split('\r\n')[1]!)).toEqual(['plain', 'with, comma', 'with "quote"']);
  });

  it('aligns numbers right and text left in tables', () => {
    expect(renderTable([{ name: 'a', amount: '1.00' }, { name: 'bbb', amount: '100.00' }])).toBe('name  amount\n----  ------\na       1.00\nbbb   100.00\n');
  });
});
