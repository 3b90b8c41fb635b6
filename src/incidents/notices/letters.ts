import { toCsv } from '../../shared/csv.js';
import { createPdf, mm, pdfToBuffer } from '../../shared/pdf.js';

/**
 * Notice letters for people without a working e-mail address and for recipients (third parties
 * known only by their postal address): one PDF per batch, A4, Japanese font embedded, and a
 * mailing CSV for a print-and-post vendor.
 *
 * The address block sits where a 長形3号 window envelope shows it when the A4 sheet is folded in
 * three (window about 90 × 45 mm, 23 mm from the left and 13 mm from the top of the envelope):
 * 〒 postal code, address, name + 様. The letter's reference number is printed above the address
 * and on every page, so a reply or a returned letter can be matched.
 */
export interface Letter {
  reference: string;
  postalCode: string;
  prefecture: string;
  address1: string;
  address2: string | null;
  name: string;
  subject: string;
  text: string;
}

export interface Sender {
  company: string;
  postalCode: string;
  address: string;
  phone: string;
}

const ADDRESS_BOX = { x: mm(24), y: mm(18), width: mm(86), height: mm(42) };
const BODY_TOP = mm(104); // below the first fold: the address panel stays clean

export async function lettersPdf(letters: Letter[], sender: Sender, date: string, info: { title: string }): Promise<{ pdf: Buffer; pages: number[] }> {
  const doc = createPdf({ title: info.title, author: sender.company });
  const pages: number[] = [];
  const left = mm(20);
  const width = mm(170);
  letters.forEach((l, i) => {
    if (i > 0) doc.addPage();
    const first = doc.bufferedPageRange().count - 1;
    // Reference and date, top right (outside the window).
    doc.font('jp').fontSize(8.5).text(`お知らせ番号 ${l.reference}`, mm(120), mm(14), { width: mm(70), align: 'right' });
    doc.text(date, mm(120), mm(19), { width: mm(70), align: 'right' });
    // Address block for the window envelope.
    const { x, y } = ADDRESS_BOX;
    doc.fontSize(11).text(`〒${l.postalCode}`, x, y, { width: ADDRESS_BOX.width });
    doc.fontSize(10.5).text(`${l.prefecture}${l.address1}`, x, y + mm(6), { width: ADDRESS_BOX.width });
    if (l.address2) doc.text(l.address2, { width: ADDRESS_BOX.width });
    doc.font('jp-bold').fontSize(14).text(`${l.name} 様`, x, y + mm(26), { width: ADDRESS_BOX.width });
    // Sender, right of the window (visible on the letter, not through the window).
    doc.font('jp').fontSize(8.5).text(`${sender.company}\n〒${sender.postalCode} ${sender.address}\n${sender.phone}`, mm(120), mm(40), { width: mm(70), align: 'right' });
    // The notice itself, below the first fold.
    doc.font('jp-bold').fontSize(12.5).text(l.subject, left, BODY_TOP, { width });
    doc.moveDown(0.6);
    doc.font('jp').fontSize(10.5).text(l.text, left, undefined, { width, lineGap: 2.5 });
    const last = doc.bufferedPageRange().count - 1;
    pages.push(last - first + 1);
    for (let p = first; p <= last; p++) {
      doc.switchToPage(p);
      // The footer sits in the bottom margin: without lifting it, pdfkit would start a new page.
      const bottom = doc.page.margins.bottom;
      doc.page.margins.bottom = 0;
      doc.font('jp').fontSize(8).text(`${l.reference}  ${p - first + 1}/${last - first + 1}`, left, mm(285), { width, align: 'center', lineBreak: false });
      doc.page.margins.bottom = bottom;
    }
    doc.switchToPage(last);
  });
  return { pdf: await pdfToBuffer(doc), pages };
}

export const MAILING_CSV_HEADER = ['お知らせ番号', '郵便番号', '住所1', '住所2', '宛名', '敬称', '枚数', 'PDFのページ'];

/** One row per letter, in the PDF's order: what a print-and-post vendor needs to match and post. */
export function mailingCsv(letters: Letter[], pages: number[]): string {
  let at = 1;
  const rows = letters.map((l, i) => {
    const n = pages[i] ?? 1;
    const row = [l.reference, l.postalCode, `${l.prefecture}${l.address1}`, l.address2 ?? '', l.name, '様', n, `${at}-${at + n - 1}`];
    at += n;
    return row;
  });
  return toCsv(MAILING_CSV_HEADER, rows);
}
