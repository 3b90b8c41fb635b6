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
