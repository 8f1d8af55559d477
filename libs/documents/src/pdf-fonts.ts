import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { create as openFont, type Font } from 'fontkit';

/**
 * The fonts a PDF is drawn with, embedded (subset to the glyphs used) so that every character of
 * a tenant's name reaches the reader: Noto Sans for the Latin, Greek and Cyrillic scripts, and
 * Noto Sans SC for the Chinese, Japanese and Korean characters Noto Sans lacks. Both are under
 * the SIL Open Font License 1.1, which allows embedding them in documents.
 *
 * A string is drawn as runs, each in the first family that has its characters; the text is laid
 * out here (line breaks, widths, alignment), not by PDFKit, which knows one font per string.
 */

export type Weight = 'regular' | 'bold';
type Family = 'latin' | 'cjk';

const require = createRequire(import.meta.url);

function packageFile(packageName: string, file: string): string {
  return join(dirname(require.resolve(`${packageName}/package.json`)), file);
}

const fontPaths: Readonly<Record<Family, Record<Weight, string>>> = {
  latin: {
    regular: packageFile('@expo-google-fonts/noto-sans', '400Regular/NotoSans_400Regular.ttf'),
    bold: packageFile('@expo-google-fonts/noto-sans', '700Bold/NotoSans_700Bold.ttf'),
  },
  cjk: {
    regular: packageFile('@expo-google-fonts/noto-sans-sc', '400Regular/NotoSansSC_400Regular.ttf'),
    bold: packageFile('@expo-google-fonts/noto-sans-sc', '700Bold/NotoSansSC_700Bold.ttf'),
  },
};

/**
 * The fonts, read and parsed once per process and only when a document needs them (the CJK
 * ones are 10 MB each). Parsing is most of the cost of a render, so every document shares the
 * parsed font; each still makes its own subset, of the glyphs it draws.
 */
const fonts = new Map<string, Font>();

function fontOf(family: Family, weight: Weight): Font {
  const path = fontPaths[family][weight];
  let font = fonts.get(path);
  if (font === undefined) {
    font = openFont(readFileSync(path));
    fonts.set(path, font);
  }
  return font;
}

/** The name a font is registered under in a PDFKit document. */
function fontName(family: Family, weight: Weight): string {
  return `${family}-${weight}`;
}

/** Drawn in place of a character no embedded font has: a visible mark, never a wrong glyph. */
const missingGlyphText = '?';

export interface FontRun {
  family: Family;
  text: string;
}

/**
 * The text as runs of one family each. White space of any kind is a space (a document line is
 * one line of text), control characters and characters neither family has are `?`.
 */
export function fontRuns(text: string, weight: Weight): FontRun[] {
  const runs: FontRun[] = [];
  const latin = fontOf('latin', weight);
  for (const character of text.normalize('NFC')) {
    const codePoint = character.codePointAt(0)!;
    let family: Family = 'latin';
    let drawn = character;
    if (/\s/.test(character)) drawn = ' ';
    else if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint < 0xa0)) drawn = missingGlyphText;
    else if (!latin.hasGlyphForCodePoint(codePoint)) {
      if (fontOf('cjk', weight).hasGlyphForCodePoint(codePoint)) family = 'cjk';
      else drawn = missingGlyphText;
    }
    const last = runs.at(-1);
    // A space joins the run before it: a line of Chinese with spaces stays one run.
    if (last !== undefined && (last.family === family || drawn === ' ')) last.text += drawn;
    else runs.push({ family, text: drawn });
  }
  return runs;
}

/** Characters after which a line may break although no space follows: each CJK ideograph, kana or hangul syllable. */
const breakAfterPattern = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/u;

export interface TextStyle {
  weight: Weight;
  sizePt: number;
  color: string;
}

/**
 * Lays out and draws text in the embedded fonts on one PDFKit document. Registers the fonts
 * on first use, so a document with Latin text only embeds Noto Sans alone.
 */
export class PdfText {
  private readonly registered = new Set<string>();
  /** Widths already measured, by style and text: line breaking measures the same words again and again. */
  private readonly widths = new Map<string, number>();

  constructor(private readonly pdf: PDFKit.PDFDocument) {}

  private use(family: Family, style: TextStyle): void {
    const name = fontName(family, style.weight);
    if (!this.registered.has(name)) {
      // PDFKit takes a parsed fontkit font as well as a file (its types name only the file).
      this.pdf.registerFont(name, fontOf(family, style.weight) as unknown as Buffer);
      this.registered.add(name);
    }
    this.pdf.font(name).fontSize(style.sizePt);
  }

  private width(text: string, style: TextStyle): number {
    const key = `${style.weight} ${style.sizePt} ${text}`;
    let width = this.widths.get(key);
    if (width === undefined) {
      width = 0;
      for (const run of fontRuns(text, style.weight)) {
        this.use(run.family, style);
        width += this.pdf.widthOfString(run.text);
      }
      this.widths.set(key, width);
    }
    return width;
  }

  /** The height of one line of the style: Noto Sans's ascent, descent and line gap. */
  lineHeight(style: TextStyle): number {
    const font = fontOf('latin', style.weight);
    return ((font.ascent - font.descent + font.lineGap) / font.unitsPerEm) * style.sizePt;
  }

  /**
   * The text broken into lines no wider than `widthPt`: at spaces, after any CJK character, and
   * inside a word only when the word alone is wider than the line.
   */
  lines(text: string, style: TextStyle, widthPt: number): string[] {
    const pieces = (text.normalize('NFC').replace(/\s+/g, ' ').trim().match(/[^ ]+ *| +/g) ?? []).flatMap((piece) => splitAfterBreakables(piece));
    const lines: string[] = [];
    let current = '';
    for (const piece of pieces) {
      const candidate = current + piece;
      if (current === '' || this.width(candidate.trimEnd(), style) <= widthPt) {
        current = candidate;
        continue;
      }
      lines.push(current.trimEnd());
      current = piece;
    }
    if (current.trim() !== '' || lines.length === 0) lines.push(current.trimEnd());
    return lines.flatMap((line) => this.breakLongLine(line, style, widthPt));
  }

  /** A line that is one word wider than the width (a long id, say) is cut between characters. */
  private breakLongLine(line: string, style: TextStyle, widthPt: number): string[] {
    if (this.width(line, style) <= widthPt) return [line];
    const parts: string[] = [];
    let current = '';
    for (const character of line) {
      if (current !== '' && this.width(current + character, style) > widthPt) {
        parts.push(current);
        current = character;
      } else current += character;
    }
    if (current !== '') parts.push(current);
    return parts;
  }

  /** The height the text takes at this width. */
  height(text: string, style: TextStyle, widthPt: number): number {
    return this.lines(text, style, widthPt).length * this.lineHeight(style);
  }

  /** Draws the text from its top left (x, y) within `widthPt`, aligned; answers the height used. */
  draw(text: string, style: TextStyle, x: number, y: number, widthPt: number, align: 'left' | 'right'): number {
    const latin = fontOf('latin', style.weight);
    const ascentPt = (latin.ascent / latin.unitsPerEm) * style.sizePt;
    const lineHeightPt = this.lineHeight(style);
    const lines = this.lines(text, style, widthPt);
    lines.forEach((line, index) => {
      let cursor = align === 'right' ? x + widthPt - this.width(line, style) : x;
      // Every run of a line sits on one baseline, whatever its font's own ascent.
      const baseline = y + index * lineHeightPt + ascentPt;
      for (const run of fontRuns(line, style.weight)) {
        this.use(run.family, style);
        this.pdf.fillColor(style.color).text(run.text, cursor, baseline, { lineBreak: false, baseline: 'alphabetic' });
        cursor += this.pdf.widthOfString(run.text);
      }
    });
    return lines.length * lineHeightPt;
  }
}

/** `研究所 ` is `研`, `究`, `所 `: a line may break after each. */
function splitAfterBreakables(piece: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (const character of piece) {
    current += character;
    if (breakAfterPattern.test(character)) {
      parts.push(current);
      current = '';
    }
  }
  if (current !== '') {
    // Trailing spaces belong to the last character before them.
    if (/^ +$/.test(current) && parts.length > 0) parts[parts.length - 1] += current;
    else parts.push(current);
  }
  return parts;
}
