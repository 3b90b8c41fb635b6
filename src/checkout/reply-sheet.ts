import type { ShopSettings } from '../settings/defaults.js';
import { createPdf, mm, pdfToBuffer } from '../shared/pdf.js';
import { CONTENT_WIDTH, drawQr, PAGE, pageFooters, Sheet } from '../shared/pdf-layout.js';
import { formatDateJa, formatInstantJa } from '../shared/time.js';
import { formatYen } from '../web/i18n.js';
import { destinationOf } from './exports.js';
import { bankTransferText, PAYMENT_LABELS, postalTransferText } from './mails.js';
import type { OrderLineTable, OrderTable } from './tables.js';

export const CHANNEL_LABELS: Record<string, string> = { web: 'ウェブ', phone: 'お電話', fax: 'FAX', postcard: 'はがき・郵便', other: 'その他' };

/** Payment methods this sheet knows how to explain. */
const METHOD_NAMES: Record<string, string> = { ...PAYMENT_LABELS, postal_transfer: '郵便振替' };

export interface ReplySheetInput {
  order: OrderTable;
  lines: OrderLineTable[];
  settings: ShopSettings;
  /** Extra lines for the payment section (postal transfer account, a note from staff…). */
  paymentInstructions?: string[];
  /** The single-use payment link of a card order taken by phone/FAX: printed with its QR code. */
  paymentLinkUrl?: string;
}

/** How to pay, in the words of the sheet. */
export function paymentSection(input: ReplySheetInput): string[] {
  const { order: o, settings: s } = input;
  const extra = input.paymentInstructions ?? [];
  // Already paid (a card order through its link, a transfer recorded by staff): no account, no link.
  if (o.payment_status === 'paid') return [`${formatYen(o.total_yen)} のお支払いを確認しました（お支払い済み）。ありがとうございました。`, ...extra];
  switch (o.payment_method as string) {
    case 'bank_transfer':
      return [...bankTransferText(s, o).split('\n'), ...extra];
    case 'cod':
      return [`商品お届けの際に、配達員へ合計金額 ${formatYen(o.total_yen)}（代引き手数料を含みます）を現金でお支払いください。`, ...extra];
    case 'postal_transfer':
      return [...postalTransferText(s, o).split('\n'), ...extra];
    case 'card':
      if (input.paymentLinkUrl) {
        return [
          '下記のURL、または右のQRコードから、決済代行会社の安全なページでカード払いの手続きをしてください（このご注文専用・有効期限あり）。',
          ...extra,
        ];
      }
      return [o.channel === 'web' ? 'ご注文時にカードでのお支払い手続きをいただいています。' : 'カード払いのお支払いリンクを別途お送りします。', ...extra];
    default:
      return extra;
  }
}

/**
 * 注文確認書 兼 FAX返信票: one order on A4, to FAX (or post) to the orderer, who checks it, signs
 * the 確認欄 and FAXes it back. Large type and solid black lines, no greys: it must survive a FAX.
 */
export async function replySheetPdf(input: ReplySheetInput): Promise<Buffer> {
  const { order: o, lines, settings: s } = input;
  const shop = s.shop;
  const doc = createPdf({ title: `注文確認書 兼 FAX返信票 ${o.order_number}`, author: shop.name });
  const tableHeader = (sh: Sheet) => {
    const y = sh.y;
    sh.rect(PAGE.left, y, CONTENT_WIDTH, mm(8));
    sh.text('商品名（SKU）', COL.name + mm(2), y + mm(1.5), { bold: true, width: COL.nameW });
    sh.text('単価（税込）', COL.unit, y + mm(1.5), { bold: true, width: COL.unitW - mm(2), align: 'right' });
    sh.text('数量', COL.qty, y + mm(1.5), { bold: true, width: COL.qtyW - mm(2), align: 'right' });
    sh.text('金額（税込）', COL.total, y + mm(1.5), { bold: true, width: COL.totalW - mm(2), align: 'right' });
    sh.y = y + mm(8);
  };
  let inTable = false;
  const sh = new Sheet(doc, (x) => {
    x.text(`注文確認書 兼 FAX返信票（続き）\u3000ご注文番号 ${o.order_number}`, PAGE.left, x.y, { bold: true, size: 12 });
    x.y += mm(9);
    if (inTable) tableHeader(x);
  });

  // Title, addressee and the shop.
  const half = CONTENT_WIDTH / 2 - mm(3);
  const rightX = PAGE.left + CONTENT_WIDTH / 2 + mm(3);
  let ly = sh.y;
  ly += sh.text('注文確認書 兼 FAX返信票', PAGE.left, ly, { size: 18, bold: true, width: half + mm(3) }) + mm(2.5);
  ly += sh.text(`${o.orderer_name} 様`, PAGE.left, ly, { size: 16, bold: true, width: half }) + mm(1);
  if (o.orderer_fax) ly += sh.text(`FAX ${o.orderer_fax}`, PAGE.left, ly, { size: 13, width: half }) + mm(1);
  ly += sh.text(`TEL ${o.orderer_phone}`, PAGE.left, ly, { size: 11, width: half });
  let ry = sh.y;
  ry += sh.text(shop.name, rightX, ry, { size: 14, bold: true, width: half }) + mm(1);
  // The address as kept in the settings, one line; a building after the first space goes on its own line.
  const [street, building] = /^(\S+)[\s\u3000]+(.+)$/.exec(shop.address.trim())?.slice(1) ?? [shop.address, ''];
  ry += sh.text(`〒${shop.postalCode} ${street}`, rightX, ry, { size: 10.5, width: half }) + mm(0.5);
  if (building) ry += sh.text(building!, rightX, ry, { size: 10.5, width: half }) + mm(0.5);
  ry += sh.text(`TEL ${shop.phone}${shop.fax ? `\u3000FAX ${shop.fax}` : ''}`, rightX, ry, { size: 12, bold: true, width: half }) + mm(0.5);
  ry += sh.text(shop.hours, rightX, ry, { size: 10, width: half }) + mm(0.5);
  if (/^T\d{13}$/.test(shop.invoiceRegistrationNumber)) ry += sh.text(`登録番号 ${shop.invoiceRegistrationNumber}`, rightX, ry, { size: 10.5, width: half });
  sh.y = Math.max(ly, ry) + mm(3);

  // The order at a glance.
  const facts: [string, string][] = [
    ['ご注文番号', o.order_number],
    ['ご注文日', formatInstantJa(o.placed_at)],
    ['受付方法', CHANNEL_LABELS[o.channel] ?? o.channel],
    ['お支払い方法', METHOD_NAMES[o.payment_method] ?? o.payment_method],
  ];
  const factW = CONTENT_WIDTH / 2;
  for (let i = 0; i < facts.length; i += 2) {
    for (let j = 0; j < 2; j++) {
      const f = facts[i + j];
      if (!f) continue;
      const x = PAGE.left + j * factW;
      sh.rect(x, sh.y, factW, mm(8));
      sh.text(f[0], x + mm(2), sh.y + mm(1.6), { size: 10, width: mm(26) });
      sh.text(f[1], x + mm(29), sh.y + mm(1.2), { size: 12.5, bold: true, width: factW - mm(31) });
    }
    sh.y += mm(8);
  }
  sh.y += mm(3);

  // Orderer and destination side by side.
  const d = destinationOf(o);
  const block = (title: string, body: string[], x: number, y: number) => {
    let h = sh.text(title, x, y, { bold: true, size: 12, width: half }) + mm(1);
    for (const b of body) h += sh.text(b, x, y + h, { size: 11, width: half }) + mm(0.5);
    return h;
  };
  const orderer = [
    `${o.orderer_name} 様${o.orderer_kana ? `（${o.orderer_kana}）` : ''}`,
    `〒${o.orderer_postal_code} ${o.orderer_prefecture}${o.orderer_address1}`,
    ...(o.orderer_address2 ? [o.orderer_address2] : []),
    `TEL ${o.orderer_phone}${o.orderer_fax ? ` / FAX ${o.orderer_fax}` : ''}`,
  ];
  const dest = o.ship_to_orderer
    ? ['ご注文者と同じ']
    : [`${d.name} 様`, `〒${d.postalCode} ${d.prefecture}${d.address1}`, ...(d.address2 ? [d.address2] : []), `TEL ${d.phone}`];
  const bh = Math.max(block('■ ご注文者', orderer, PAGE.left, sh.y), block('■ お届け先', dest, rightX, sh.y));
  sh.y += bh + mm(1);
  sh.para(`■ お届け希望日時\u3000${o.delivery_date ? formatDateJa(o.delivery_date) : '指定なし'}\u3000${o.delivery_slot ? (o.delivery_slot === '午前中' ? '午前中' : `${o.delivery_slot}時`) : '時間帯指定なし'}`, { size: 12, bold: true, gap: mm(2) });

  // Lines.
  sh.ensure(mm(24));
  tableHeader(sh);
  inTable = true;
  for (const l of lines) {
    const name = `${l.tax_rate === 8 ? '※' : ''}${l.name}（${l.sku}）`;
    const h = Math.max(mm(8), sh.height(name, { width: COL.nameW - mm(3) }) + mm(3));
    sh.ensure(h);
    sh.rect(PAGE.left, sh.y, CONTENT_WIDTH, h);
    sh.text(name, COL.name + mm(2), sh.y + mm(1.5), { width: COL.nameW - mm(3) });
    sh.text(formatYen(l.unit_price_yen), COL.unit, sh.y + mm(1.5), { width: COL.unitW - mm(2), align: 'right' });
    sh.text(String(l.quantity), COL.qty, sh.y + mm(1.5), { width: COL.qtyW - mm(2), align: 'right' });
    sh.text(formatYen(l.line_total_yen), COL.total, sh.y + mm(1.5), { width: COL.totalW - mm(2), align: 'right' });
    sh.y += h;
  }
  inTable = false;
  sh.y += mm(2);

  // Totals, per tax rate.
  const totals: [string, string, boolean][] = [
    ['商品合計', formatYen(o.items_total_yen), false],
    ['送料', o.shipping_fee_yen === 0 ? '無料' : formatYen(o.shipping_fee_yen), false],
    ...(o.cod_fee_yen > 0 ? [['代引き手数料', formatYen(o.cod_fee_yen), false] as [string, string, boolean]] : []),
    ['お支払い合計（税込）', formatYen(o.total_yen), true],
    ['10%対象', `${formatYen(o.taxable_10_yen)}（内消費税 ${formatYen(o.tax_10_yen)}）`, false],
    ['8%対象（※軽減税率）', `${formatYen(o.taxable_8_yen)}（内消費税 ${formatYen(o.tax_8_yen)}）`, false],
  ];
  const tx = PAGE.left + CONTENT_WIDTH * 0.38;
  const tw = PAGE.right - tx;
  sh.ensure(totals.length * mm(6.5) + mm(8));
  for (const [label, value, grand] of totals) {
    const h = grand ? mm(8.5) : mm(6.5);
    sh.rect(tx, sh.y, tw, h, grand ? 2 : 1);
    sh.text(label, tx + mm(2), sh.y + mm(1.1), { bold: grand, size: grand ? 13 : 11, width: tw * 0.45 });
    sh.text(value, tx + tw * 0.4, sh.y + mm(1.1), { bold: grand, size: grand ? 14 : 11, width: tw * 0.6 - mm(2), align: 'right' });
    sh.y += h;
  }
  sh.y += mm(1);
  sh.para('※は軽減税率（8%）対象商品です。価格はすべて税込です。送料・代引き手数料は10%対象です。', { size: 9.5, gap: mm(2.5) });

  // How to pay.
  const pay = paymentSection(input);
  const qr = input.paymentLinkUrl && o.payment_method === 'card' ? input.paymentLinkUrl : null;
  sh.ensure(mm(10) + (qr ? mm(34) : pay.length * mm(6)));
  sh.para(`■ お支払い方法: ${METHOD_NAMES[o.payment_method] ?? o.payment_method}`, { size: 12, bold: true });
  const payTop = sh.y;
  const payWidth = qr ? CONTENT_WIDTH - mm(34) : CONTENT_WIDTH;
  for (const p of pay) sh.para(p, { size: 11, width: payWidth, gap: mm(1) });
  if (qr) {
    // Never a line break inside the token (at a '-' it is ambiguous for whoever types it from the
    // FAX): the URL on one line, or else broken after its last '/', in type no smaller than 9.5 pt.
    const fits = (t: string, size: number) => doc.font('jp-bold').fontSize(size).widthOfString(t) <= payWidth;
    const urlSize = [11, 10.5, 10, 9.5].find((size) => fits(qr, size));
    const cut = qr.lastIndexOf('/') + 1;
    const urlText = urlSize ? qr : `${qr.slice(0, cut)}\n${qr.slice(cut)}`;
    sh.para(urlText, { size: urlSize ?? 11, bold: true, width: payWidth, gap: mm(1) });
    sh.para('カード番号は、FAX・お電話・この用紙には決して書かないでください。当店がカード番号をお尋ねすることはありません。', { size: 10.5, bold: true, width: payWidth, gap: mm(1) });
    drawQr(doc, qr, PAGE.right - mm(30), payTop - mm(6), mm(30));
    sh.y = Math.max(sh.y, payTop + mm(25));
  }
  sh.y += mm(2);

  // Reply area: tick, signature and date on the left, corrections on the right.
  const replyH = mm(40);
  sh.ensure(replyH);
  const top = sh.y;
  sh.rect(PAGE.left, top, CONTENT_WIDTH, replyH, 2);
  sh.text(`確認欄（FAX返信欄）${shop.fax ? `\u3000返信先 FAX ${shop.fax}` : ''}`, PAGE.left + mm(3), top + mm(2), { bold: true, size: 13, width: CONTENT_WIDTH - mm(6) });
  sh.text('内容をご確認のうえご署名いただき、このままFAXでご返送ください。', PAGE.left + mm(3), top + mm(8.5), { size: 10.5, width: CONTENT_WIDTH - mm(6) });
  const colW = CONTENT_WIDTH / 2 - mm(4);
  const rowY = top + mm(15);
  sh.checkbox('上記の内容で注文します', PAGE.left + mm(4), rowY, 12);
  sh.text('ご署名', PAGE.left + mm(4), rowY + mm(9), { size: 11, width: mm(16) });
  sh.hline(rowY + mm(15), PAGE.left + mm(20), PAGE.left + colW);
  sh.text('日付　　　　年　　　月　　　日', PAGE.left + mm(4), rowY + mm(18), { size: 11, width: colW });
  const rx = PAGE.left + CONTENT_WIDTH / 2 + mm(2);
  sh.text('訂正・ご要望', rx, rowY, { size: 11, width: colW });
  sh.rect(rx, rowY + mm(6), PAGE.right - mm(4) - rx, top + replyH - mm(3) - (rowY + mm(6)));
  sh.y = top + replyH;

  pageFooters(doc, `${shop.name}\u3000ご注文番号 ${o.order_number}`);
  return pdfToBuffer(doc);
}

/** Column positions of the lines table. */
const COL = (() => {
  const nameW = CONTENT_WIDTH - mm(30) - mm(16) - mm(32);
  const name = PAGE.left;
  const unit = name + nameW;
  const qty = unit + mm(30);
  const total = qty + mm(16);
  return { name, nameW, unit, unitW: mm(30), qty, qtyW: mm(16), total, totalW: mm(32) };
})();
