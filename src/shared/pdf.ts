import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';

/**
 * One way to make a printable Japanese PDF (reply sheets, order forms, notice letters, reports):
 * pdfkit with Noto Sans JP embedded as a subset, so the file prints the same anywhere.
 * The font files come from an npm package (@expo-google-fonts/noto-sans-jp ships the TTFs);
 * they are read once per process and shared by every document.
 */
const require = createRequire(import.meta.url);
let fonts: { regular: Buffer; bold: Buffer } | null = null;

function loadFonts(): { regular: Buffer; bold: Buffer } {
  if (!fonts) {
    fonts = {
      regular: readFileSync(require.resolve('@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf')),
      bold: readFileSync(require.resolve('@expo-google-fonts/noto-sans-jp/700Bold/NotoSansJP_700Bold.ttf')),
    };
  }
  return fonts;
}

export type Pdf = PDFKit.PDFDocument;

/** A4 portrait, millimetre helper `mm()`, fonts 'jp' and 'jp-bold' registered, 'jp' selected. */
export function createPdf(info: { title: string; author?: string }): Pdf {
  const f = loadFonts();
  const doc = new PDFDocument({
    size: 'A4',
    margin: mm(15),
    info: { Title: info.title, Author: info.author ?? 'Mamori', Creator: 'Mamori' },
    bufferPages: true,
  });
  doc.registerFont('jp', f.regular);
  doc.registerFont('jp-bold', f.bold);
  doc.font('jp');
  return doc;
}

/** Millimetres to PDF points (A4 = 210 × 297 mm). */
export function mm(v: number): number {
  return (v * 72) / 25.4;
}

/** Ends the document and resolves with its bytes. */
export function pdfToBuffer(doc: Pdf): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.end();
  });
}

/**
 * A simple text document (reports, notices) from the Markdown subset the drafts use: `#`, `##`,
 * `###` headings, `- ` list items, paragraphs, blank lines. Text is never interpreted further.
 */
export async function markdownPdf(markdown: string, info: { title: string; author?: string }): Promise<Buffer> {
  const doc = createPdf(info);
  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  for (const line of markdown.split('\n')) {
    const x = doc.page.margins.left;
    if (line.startsWith('# ')) doc.font('jp-bold').fontSize(15).text(line.slice(2), x, undefined, { width, align: 'center' }).moveDown(0.6);
    else if (line.startsWith('## ')) doc.moveDown(0.3).font('jp-bold').fontSize(12).text(line.slice(3), x, undefined, { width }).moveDown(0.2);
    else if (line.startsWith('### ')) doc.font('jp-bold').fontSize(10.5).text(line.slice(4), x, undefined, { width }).moveDown(0.1);
    else if (line.startsWith('- ')) doc.font('jp').fontSize(10).text(`・${line.slice(2)}`, x + mm(4), undefined, { width: width - mm(4) });
    else if (line.trim() === '') doc.moveDown(0.5);
    else doc.font('jp').fontSize(10).text(line, x, undefined, { width, lineGap: 2 });
  }
  return pdfToBuffer(doc);
}
