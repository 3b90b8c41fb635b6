import QRCode from 'qrcode';
import { mm, type Pdf } from './pdf.js';

/**
 * Drawing helpers for printed and FAXed forms (A4 portrait, 15 mm margins). Everything is black on
 * white with lines of at least 0.8 pt and text of at least 9 pt: a FAX machine drops thin lines
 * and light greys, and blurs small print.
 */
export const PAGE = { width: mm(210), height: mm(297), left: mm(15), right: mm(195), top: mm(15), bottom: mm(282) } as const;
export const CONTENT_WIDTH = PAGE.right - PAGE.left;
export const LINE = 1;

export interface TextOpts {
  size?: number;
  bold?: boolean;
  width?: number;
  align?: 'left' | 'center' | 'right';
}

/** A cursor down the page that starts a new page when the next block would not fit. */
export class Sheet {
  y = PAGE.top;

  constructor(
    readonly doc: Pdf,
    /** Draws what every continuation page starts with (a table header); returns nothing. */
    private readonly onNewPage: (s: Sheet) => void = () => undefined,
  ) {
    doc.lineWidth(LINE).strokeColor('black').fillColor('black');
  }

  /** Makes room for `height` points, on a new page if needed. True when a page was added. */
  ensure(height: number): boolean {
    if (this.y + height <= PAGE.bottom) return false;
    this.doc.addPage();
    this.doc.lineWidth(LINE).strokeColor('black').fillColor('black');
    this.y = PAGE.top;
    this.onNewPage(this);
    return true;
  }

  /** Text at (x, y) without moving the cursor; returns its height. */
  text(value: string, x: number, y: number, o: TextOpts = {}): number {
    const width = o.width ?? PAGE.right - x;
    this.doc.font(o.bold ? 'jp-bold' : 'jp').fontSize(o.size ?? 11);
    this.doc.text(value, x, y, { width, align: o.align ?? 'left', lineGap: 1 });
    return this.doc.heightOfString(value, { width, lineGap: 1 });
  }

  height(value: string, o: TextOpts = {}): number {
    this.doc.font(o.bold ? 'jp-bold' : 'jp').fontSize(o.size ?? 11);
    return this.doc.heightOfString(value, { width: o.width ?? CONTENT_WIDTH, lineGap: 1 });
  }

  /** A paragraph across the page (or `width`) at the cursor; moves the cursor below it. */
  para(value: string, o: TextOpts & { x?: number; gap?: number } = {}): void {
    const x = o.x ?? PAGE.left;
    const width = o.width ?? PAGE.right - x;
    this.ensure(this.height(value, { ...o, width }));
    this.y += this.text(value, x, this.y, { ...o, width }) + (o.gap ?? mm(1.5));
  }

  rect(x: number, y: number, w: number, h: number, width = LINE): void {
    this.doc.lineWidth(width).rect(x, y, w, h).stroke();
    this.doc.lineWidth(LINE);
  }

  hline(y: number, x1: number = PAGE.left, x2: number = PAGE.right, width = LINE): void {
    this.doc.lineWidth(width).moveTo(x1, y).lineTo(x2, y).stroke();
    this.doc.lineWidth(LINE);
  }

  /** An empty tick box with its label after it; returns the x after the label. */
  checkbox(label: string, x: number, y: number, size = 11): number {
    const box = mm(4);
    this.rect(x, y + 1, box, box);
    this.doc.font('jp').fontSize(size);
    const w = this.doc.widthOfString(label);
    this.doc.text(label, x + box + mm(1.5), y, { lineBreak: false });
    return x + box + mm(1.5) + w + mm(5);
  }
}

/** A QR code drawn as black squares (vector, sharp on any printer or FAX), `size` points wide. */
export function drawQr(doc: Pdf, value: string, x: number, y: number, size: number): void {
  const qr = QRCode.create(value, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const cell = size / n;
  doc.save().fillColor('black');
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.modules.get(r, c)) doc.rect(x + c * cell, y + r * cell, cell, cell);
    }
  }
  doc.fill().restore();
}

/**
 * Writes a footer on every page (`page / pages` and a note), after the content is laid out.
 * The bottom margin is lifted while writing, or pdfkit would start a new page for text below it.
 */
export function pageFooters(doc: Pdf, note: string): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const margin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font('jp').fontSize(9).fillColor('black');
    doc.text(`${note}\u3000${i - range.start + 1} / ${range.count}`, PAGE.left, PAGE.bottom + mm(3), { width: CONTENT_WIDTH, align: 'right', lineBreak: false });
    doc.page.margins.bottom = margin;
  }
}
