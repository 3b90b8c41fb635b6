import { execFileSync } from 'node:child_process';
import { inflateSync } from 'node:zlib';

/** The text of a PDF as a reader would copy it (pdftotext from poppler-utils, installed by .ci/run). */
export function pdfText(pdf: Buffer): string {
  return execFileSync('pdftotext', ['-layout', '-', '-'], { input: pdf, maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
}

/** Number of pages (pdfinfo). */
export function pdfPages(pdf: Buffer): number {
  const info = execFileSync('pdfinfo', ['-'], { input: pdf }).toString('utf8');
  const m = /^Pages:\s+(\d+)/m.exec(info);
  if (!m) throw new Error('pdfinfo gave no page count');
  return Number(m[1]);
}

/**
 * Rectangles drawn in the PDF's page content (`x y w h re`), from its deflated streams: boxes and
 * lines of the layout, and one per dark module of a QR code.
 */
export function pdfRectangles(pdf: Buffer): number {
  let n = 0;
  const raw = pdf.toString('latin1');
  for (const m of raw.matchAll(/stream\r?\n/g)) {
    const start = m.index + m[0].length;
    const end = raw.indexOf('endstream', start);
    let text: string;
    try {
      text = inflateSync(pdf.subarray(start, end)).toString('latin1');
    } catch {
      continue; // not a deflated stream
    }
    n += [...text.matchAll(/-?[\d.]+ -?[\d.]+ -?[\d.]+ -?[\d.]+ re\n/g)].length;
  }
  return n;
}
