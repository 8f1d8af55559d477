import { execFileSync } from 'node:child_process';

/**
 * The text of a PDF as poppler's `pdftotext -layout` reads it: a reader independent of the
 * library that wrote the file, so a test that finds its numbers there knows a viewer shows them.
 * CI installs it (Debian package poppler-utils); a machine without it fails here, loudly,
 * rather than skipping the checks of every amount.
 */

/** Bytes of text `pdftotext` may print for one document: hundreds of pages, with room to spare. */
const pdfTextBytesMax = 64 * 1024 * 1024;

export function pdfToText(bytes: Uint8Array): string {
  try {
    return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { input: bytes, encoding: 'utf8', maxBuffer: pdfTextBytesMax });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('pdftotext is not installed: these tests read PDFs with it (apt-get install -y poppler-utils)');
    }
    throw error;
  }
}

/** The first line of the layout text that holds every part (a table row, a label and its value). */
export function lineWith(text: string, ...parts: string[]): string {
  const found = text.split('\n').find((line) => parts.every((part) => line.includes(part)));
  if (found === undefined) throw new Error(`no line with ${JSON.stringify(parts)} in:\n${text}`);
  return found;
}

/** The text of each page: pdftotext separates pages with a form feed. */
export function pagesOf(text: string): string[] {
  return text.split('\f').filter((page) => page.trim().length > 0);
}
