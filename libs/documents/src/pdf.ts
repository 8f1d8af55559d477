import { createHash } from 'node:crypto';
import PDFDocument from 'pdfkit';
import type { BillingDocument, BillTo, Issuer } from './document.js';
import { PdfText, type TextStyle } from './pdf-fonts.js';
import { documentView, type DocumentView, type LineView } from './view.js';

/**
 * A document as PDF, drawn with PDFKit in the embedded Noto fonts (pdf-fonts.ts), so a tenant
 * named `Ōkami 研究所` or `Лаборатория` reads as it is named: nothing is downloaded or read
 * from the machine's fonts.
 *
 * The same document renders to the same bytes, always: an invoice sent twice, or rendered again
 * a year later to check it, must be byte-for-byte the one the customer has. So the file carries
 * no "now": its creation and modification dates are the document's issue instant, and its
 * trailer ID is derived from a digest of what it shows. PDFKit numbers objects in order, names
 * each font subset after its object id, adds glyphs to a subset in the order they are drawn and
 * compresses with a deterministic deflate, so nothing else varies from one run to the next.
 */

const pageSize = 'A4';
const pageMarginPt = 48;
const footerHeightPt = 24;
const colorText = '#1a1a1a';
const colorMuted = '#666666';
const colorAdjustment = '#8a5a00';
const colorRule = '#d9d9d9';
const colorHeaderFill = '#f0f0f0';
const cellPaddingPt = 4;

/** Table columns: widths add up to the A4 width inside the margins (595.28 - 2 x 48). */
const columns = [
  { key: 'lease', title: 'Lease', widthPt: 72, align: 'left' },
  { key: 'month', title: 'Month', widthPt: 46, align: 'left' },
  { key: 'description', title: 'Description', widthPt: 165, align: 'left' },
  { key: 'quantity', title: 'Quantity', widthPt: 78, align: 'right' },
  { key: 'unitPrice', title: 'Unit price', widthPt: 70, align: 'right' },
  { key: 'amount', title: 'Amount', widthPt: 68.28, align: 'right' },
] as const;

type ColumnKey = (typeof columns)[number]['key'];

/** A digest of everything the document shows, for the file's ID. */
function viewDigest(view: DocumentView): string {
  return createHash('sha256').update(JSON.stringify(view)).digest('hex');
}

const styles = {
  body: { weight: 'regular', sizePt: 9, color: colorText },
  muted: { weight: 'regular', sizePt: 8, color: colorMuted },
  small: { weight: 'regular', sizePt: 7.5, color: colorMuted },
  bold: { weight: 'bold', sizePt: 9, color: colorText },
  label: { weight: 'bold', sizePt: 7.5, color: colorMuted },
  adjustment: { weight: 'bold', sizePt: 7.5, color: colorAdjustment },
  issuerName: { weight: 'bold', sizePt: 14, color: colorText },
  title: { weight: 'bold', sizePt: 22, color: colorText },
  number: { weight: 'regular', sizePt: 12, color: colorText },
  totalEmphasis: { weight: 'bold', sizePt: 10, color: colorText },
} satisfies Record<string, TextStyle>;

/** One piece of text in a cell, drawn below the previous one. */
interface TextRun {
  text: string;
  style: TextStyle;
}

/**
 * Draws a view onto pages, top to bottom, with a cursor. Page breaks are decided here, before
 * anything is drawn that would not fit, so PDFKit never breaks a page on its own in the middle
 * of a row.
 */
class PdfLayout {
  private y: number;
  private readonly left: number;
  private readonly right: number;
  private readonly bottom: number;

  private readonly text: PdfText;

  constructor(private readonly pdf: PDFKit.PDFDocument) {
    this.text = new PdfText(pdf);
    this.left = pageMarginPt;
    this.right = pdf.page.width - pageMarginPt;
    this.bottom = pdf.page.height - pageMarginPt - footerHeightPt;
    this.y = pageMarginPt;
  }

  private height(run: TextRun, widthPt: number): number {
    return this.text.height(run.text, run.style, widthPt);
  }

  private heightOfRuns(runs: readonly TextRun[], widthPt: number): number {
    return runs.reduce((sum, run) => sum + this.height(run, widthPt), 0);
  }

  /** Draws runs one below the other from (x, y); answers the height used. */
  private drawRuns(runs: readonly TextRun[], x: number, y: number, widthPt: number, align: 'left' | 'right'): number {
    let offset = 0;
    for (const run of runs) offset += this.text.draw(run.text, run.style, x, y + offset, widthPt, align);
    return offset;
  }

  private newPage(): void {
    this.pdf.addPage();
    this.y = pageMarginPt;
  }

  /** Starts a new page unless `heightPt` still fits on this one. */
  private ensureSpace(heightPt: number): boolean {
    if (this.y + heightPt <= this.bottom) return false;
    this.newPage();
    return true;
  }

  header(view: DocumentView): void {
    const width = this.right - this.left;
    const leftWidth = width * 0.58;
    const rightWidth = width - leftWidth;
    const issuerRuns: TextRun[] = [{ text: view.issuer.name, style: styles.issuerName }, ...view.issuer.lines.map((text) => ({ text, style: styles.body }))];
    const titleRuns: TextRun[] = [
      { text: view.title.toUpperCase(), style: styles.title },
      { text: view.number, style: styles.number },
    ];
    const leftHeight = this.drawRuns(issuerRuns, this.left, this.y, leftWidth - 12, 'left');
    const rightHeight = this.drawRuns(titleRuns, this.left + leftWidth, this.y, rightWidth, 'right');
    this.y += Math.max(leftHeight, rightHeight) + 22;
  }

  parties(view: DocumentView): void {
    const width = this.right - this.left;
    const billToWidth = width * 0.5 - 12;
    const factsX = this.left + width * 0.5;
    const factLabelWidth = 92;
    const factValueWidth = this.right - factsX - factLabelWidth;
    const billToRuns: TextRun[] = [
      { text: 'BILL TO', style: styles.label },
      { text: view.billTo.name, style: styles.bold },
      ...view.billTo.lines.map((text) => ({ text, style: styles.body })),
    ];
    const billToHeight = this.drawRuns(billToRuns, this.left, this.y, billToWidth, 'left');
    let factsHeight = 0;
    for (const fact of view.facts) {
      const labelHeight = this.drawRuns([{ text: fact.label, style: styles.muted }], factsX, this.y + factsHeight, factLabelWidth, 'left');
      const valueHeight = this.drawRuns([{ text: fact.value, style: styles.body }], factsX + factLabelWidth, this.y + factsHeight, factValueWidth, 'right');
      factsHeight += Math.max(labelHeight, valueHeight) + 2;
    }
    this.y += Math.max(billToHeight, factsHeight) + 22;
  }

  private tableHeader(): void {
    const heightPt = this.height({ text: 'Quantity', style: styles.label }, 100) + 2 * cellPaddingPt;
    this.pdf.rect(this.left, this.y, this.right - this.left, heightPt).fill(colorHeaderFill);
    let x = this.left;
    for (const column of columns) {
      this.drawRuns([{ text: column.title.toUpperCase(), style: styles.label }], x + cellPaddingPt, this.y + cellPaddingPt, column.widthPt - 2 * cellPaddingPt, column.align);
      x += column.widthPt;
    }
    this.y += heightPt;
  }

  private cells(line: LineView): Record<ColumnKey, TextRun[]> {
    const description: TextRun[] = [];
    if (line.adjustment !== null) description.push({ text: line.adjustment, style: styles.adjustment });
    description.push({ text: line.label, style: styles.bold });
    if (line.detail.length > 0) description.push({ text: line.detail, style: styles.small });
    return {
      lease: [{ text: line.lease, style: styles.body }],
      month: [{ text: line.month, style: styles.body }],
      description,
      quantity: [{ text: line.quantity, style: styles.body }],
      unitPrice: [{ text: line.unitPrice, style: styles.body }],
      amount: [{ text: line.amount, style: styles.body }],
    };
  }

  lines(view: DocumentView): void {
    this.ensureSpace(60);
    this.tableHeader();
    for (const line of view.lines) {
      const cells = this.cells(line);
      const rowHeight = Math.max(...columns.map((column) => this.heightOfRuns(cells[column.key], column.widthPt - 2 * cellPaddingPt))) + 2 * cellPaddingPt;
      // A row taller than a whole page cannot happen: every field has a length limit far below it.
      if (this.ensureSpace(rowHeight)) this.tableHeader();
      let x = this.left;
      for (const column of columns) {
        this.drawRuns(cells[column.key], x + cellPaddingPt, this.y + cellPaddingPt, column.widthPt - 2 * cellPaddingPt, column.align);
        x += column.widthPt;
      }
      this.y += rowHeight;
      this.pdf.moveTo(this.left, this.y).lineTo(this.right, this.y).lineWidth(0.5).strokeColor(colorRule).stroke();
    }
    this.y += 10;
  }

  totals(view: DocumentView): void {
    const labelWidth = 130;
    const valueWidth = 110;
    const x = this.right - labelWidth - valueWidth;
    const rowHeights = view.totals.map((total) => this.height({ text: total.value, style: total.emphasis ? styles.totalEmphasis : styles.body }, valueWidth) + 5);
    this.ensureSpace(rowHeights.reduce((sum, height) => sum + height, 0));
    view.totals.forEach((total, index) => {
      const style = total.emphasis ? styles.totalEmphasis : styles.body;
      if (total.emphasis) this.pdf.moveTo(x, this.y).lineTo(this.right, this.y).lineWidth(0.8).strokeColor(colorText).stroke();
      this.drawRuns([{ text: total.label, style }], x, this.y + 2.5, labelWidth, 'left');
      this.drawRuns([{ text: total.value, style }], x + labelWidth, this.y + 2.5, valueWidth, 'right');
      this.y += rowHeights[index]!;
    });
    this.y += 18;
  }

  notes(view: DocumentView): void {
    const width = this.right - this.left;
    const blocks: TextRun[][] = view.notes.map((text) => [{ text, style: styles.body }]);
    if (view.paymentInstructions.length > 0) {
      blocks.push([{ text: 'HOW TO PAY', style: styles.label }, ...view.paymentInstructions.map((text) => ({ text, style: styles.body }))]);
    }
    for (const block of blocks) {
      this.ensureSpace(this.heightOfRuns(block, width));
      this.y += this.drawRuns(block, this.left, this.y, width, 'left') + 8;
    }
  }

  /** Writes the footer on every page, once the page count is known. */
  footers(view: DocumentView): void {
    const range = this.pdf.bufferedPageRange();
    for (let index = range.start; index < range.start + range.count; index += 1) {
      this.pdf.switchToPage(index);
      // The footer sits in the bottom margin, where PDFKit would otherwise start a new page.
      const marginBottom = this.pdf.page.margins.bottom;
      this.pdf.page.margins.bottom = 0;
      const y = this.pdf.page.height - pageMarginPt - 10;
      this.pdf.moveTo(this.left, y - 6).lineTo(this.right, y - 6).lineWidth(0.5).strokeColor(colorRule).stroke();
      const width = (this.right - this.left) / 2;
      this.drawRuns([{ text: `${view.title} ${view.number} · ${view.issuer.name}`, style: styles.small }], this.left, y, width, 'left');
      this.drawRuns([{ text: `Page ${index - range.start + 1} of ${range.count}`, style: styles.small }], this.left + width, y, width, 'right');
      this.pdf.page.margins.bottom = marginBottom;
    }
  }
}

function instantAsDate(instant: string): Date {
  const date = new Date(instant);
  if (Number.isNaN(date.getTime())) throw new RangeError(`${JSON.stringify(instant)} is not an instant`);
  return date;
}

/** The view as PDF bytes; exported for callers that built or adjusted a view themselves. */
export function renderViewPdf(view: DocumentView): Promise<Buffer> {
  const issuedAt = instantAsDate(view.issuedAt);
  const pdf = new PDFDocument({
    size: pageSize,
    margins: { top: pageMarginPt, bottom: pageMarginPt, left: pageMarginPt, right: pageMarginPt },
    bufferPages: true,
    lang: 'en',
    displayTitle: true,
    info: {
      Title: `${view.title} ${view.number}`,
      Author: view.issuer.name,
      Subject: `${view.title} ${view.number} for ${view.billTo.name}`,
      Creator: 'compute-ledger',
      CreationDate: issuedAt,
      ModDate: issuedAt,
      // PDFKit derives the trailer ID from the info dictionary: this entry makes it a digest of the content.
      ContentSha256: viewDigest(view),
    } as PDFKit.DocumentInfo,
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  const layout = new PdfLayout(pdf);
  layout.header(view);
  layout.parties(view);
  layout.lines(view);
  layout.totals(view);
  layout.notes(view);
  layout.footers(view);
  pdf.end();
  return done;
}

/**
 * An invoice or credit note as PDF: the same input gives the same bytes. Lines that do not fit
 * on one page continue on the next, under the table's header again.
 */
export function renderInvoicePdf(document: BillingDocument, issuer: Issuer, billTo?: BillTo): Promise<Buffer> {
  return renderViewPdf(documentView(document, issuer, billTo));
}
