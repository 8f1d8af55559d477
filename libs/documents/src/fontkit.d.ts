/**
 * The part of fontkit (the font parser PDFKit embeds fonts with) that the PDF renderer uses to
 * choose a font per character and to place lines; fontkit ships no types of its own.
 */
declare module 'fontkit' {
  export interface Font {
    readonly postscriptName: string;
    readonly unitsPerEm: number;
    readonly ascent: number;
    readonly descent: number;
    readonly lineGap: number;
    hasGlyphForCodePoint(codePoint: number): boolean;
  }
  export function create(buffer: Uint8Array): Font;
}
