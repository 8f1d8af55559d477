import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fontRuns } from './pdf-fonts.js';
import { renderInvoicePdf } from './pdf.js';
import { creditNoteByHand, exampleBillTo, exampleIssuer, firstInvoice, longInvoice, secondInvoice } from './worked-example.fixture.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const latin1 = (bytes: Buffer): string => bytes.toString('latin1');
const pageCount = (bytes: Buffer): number => latin1(bytes).match(/\/Type \/Page\b(?!s)/g)?.length ?? 0;

describe('renderInvoicePdf', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('renders the same document to the same bytes, whatever the time of rendering', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-03-01T12:00:00Z') });
    const first = await renderInvoicePdf(firstInvoice, exampleIssuer, exampleBillTo);
    vi.setSystemTime(new Date('2031-07-15T08:30:00Z'));
    const second = await renderInvoicePdf(firstInvoice, exampleIssuer, exampleBillTo);
    expect(sha256(second)).toBe(sha256(first));
    expect(latin1(first).startsWith('%PDF-')).toBe(true);
  });

  it('dates the file at the issue instant and names it by its content', async () => {
    const first = latin1(await renderInvoicePdf(firstInvoice, exampleIssuer, exampleBillTo));
    expect(first).toContain('(D:20251201000000Z)');
    expect(first).not.toMatch(/\(D:(?!20251201000000Z)/);
    const idOf = (text: string): string => /\/ID \[<([0-9a-f]+)>/.exec(text)![1]!;
    const second = latin1(await renderInvoicePdf(secondInvoice, exampleIssuer, exampleBillTo));
    const otherBillTo = latin1(await renderInvoicePdf(firstInvoice, exampleIssuer, { ...exampleBillTo, purchaseOrder: 'PO-2025-0043' }));
    expect(idOf(second)).not.toBe(idOf(first));
    expect(idOf(otherBillTo)).not.toBe(idOf(first));
  });

  it('fits the worked example on one page and continues hundreds of lines over several', async () => {
    expect(pageCount(await renderInvoicePdf(firstInvoice, exampleIssuer, exampleBillTo))).toBe(1);
    const long = await renderInvoicePdf(longInvoice(400), exampleIssuer, exampleBillTo);
    expect(pageCount(long)).toBeGreaterThan(5);
  });

  it('renders a credit note by hand', async () => {
    const bytes = await renderInvoicePdf(creditNoteByHand, exampleIssuer, exampleBillTo);
    expect(pageCount(bytes)).toBe(1);
    expect(latin1(bytes)).toContain('(D:20251210000000Z)');
  });
});

describe('fontRuns', () => {
  it('draws each character in the first embedded font that has it, and ? where none has', () => {
    expect(fontRuns('Łódź Őrség Ελλάδα Лаборатория', 'regular')).toEqual([{ family: 'latin', text: 'Łódź Őrség Ελλάδα Лаборатория' }]);
    expect(fontRuns('Ōkami 研究所 Лаборатория', 'bold')).toEqual([
      { family: 'latin', text: 'Ōkami ' },
      { family: 'cjk', text: '研究所 ' },
      { family: 'latin', text: 'Лаборатория' },
    ]);
    expect(fontRuns('a\tb\u0000c', 'regular')).toEqual([{ family: 'latin', text: 'a b?c' }]);
    // Linear B: in neither font.
    expect(fontRuns('\u{10000}', 'regular')).toEqual([{ family: 'latin', text: '?' }]);
  });
});
