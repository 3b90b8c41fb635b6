import { execFileSync } from 'node:child_process';

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
