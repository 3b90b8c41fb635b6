import type { ShopSettings } from '../settings/defaults.js';
import { createPdf, mm, pdfToBuffer } from '../shared/pdf.js';
import { CONTENT_WIDTH, PAGE, pageFooters, Sheet } from '../shared/pdf-layout.js';
import { formatYen } from '../web/i18n.js';
import type { PaperCatalogSection } from './service.js';

/** The warning every paper form carries: card numbers never travel on paper or by FAX. */
export const CARD_WARNING = 'カード番号・有効期限・セキュリティコードは、この用紙に絶対に書かないでください。';

/** Column layout of the catalog table. */
const COL = (() => {
  const sku = PAGE.left;
  const skuW = mm(34);
  const qtyW = mm(24);
  const priceW = mm(30);
  const nameW = CONTENT_WIDTH - skuW - priceW - qtyW;
  return { sku, skuW, name: sku + skuW, nameW, price: sku + skuW + nameW, priceW, qty: sku + skuW + nameW + priceW, qtyW };
})();

/**
 * 注文用紙: the printable order form for the paper catalog. The shop's details (where to FAX or
 * post it, phone, hours), blanks for the orderer and a different destination, delivery date and
 * slot, payment method, and the whole current catalog with a blank quantity box per SKU — as many
 * pages as it takes. It carries no personal data, so the storefront serves it to anyone.
 */
export async function orderFormPdf(input: { settings: ShopSettings; catalog: PaperCatalogSection[] }): Promise<Buffer> {
  const { settings: s, catalog } = input;
  const shop = s.shop;
  const doc = createPdf({ title: `${shop.name} ご注文用紙`, author: shop.name });
  const tableHeader = (sh: Sheet) => {
    const y = sh.y;
    const h = mm(8);
    sh.rect(PAGE.left, y, CONTENT_WIDTH, h);
    sh.text('SKU', COL.sku + mm(2), y + mm(1.8), { bold: true, width: COL.skuW - mm(3) });
    sh.text('商品名・種類', COL.name + mm(2), y + mm(1.8), { bold: true, width: COL.nameW - mm(3) });
    sh.text('価格（税込）', COL.price, y + mm(1.8), { bold: true, width: COL.priceW - mm(2), align: 'right' });
    sh.text('数量', COL.qty, y + mm(1.8), { bold: true, width: COL.qtyW, align: 'center' });
    sh.y = y + h;
  };
  let inTable = false;
  const sh = new Sheet(doc, (x) => {
    x.text(`${shop.name} ご注文用紙（続き）${shop.fax ? `\u3000FAX ${shop.fax}` : ''}`, PAGE.left, x.y, { bold: true, size: 12 });
    x.y += mm(6);
    x.text(`お名前：`, PAGE.left, x.y, { size: 11 });
    x.hline(x.y + mm(5.5), PAGE.left + mm(16), PAGE.left + mm(90));
    x.y += mm(9);
    if (inTable) tableHeader(x);
  });

  // Header: where to send it.
  sh.text(`${shop.name} ご注文用紙`, PAGE.left, sh.y, { size: 20, bold: true, width: CONTENT_WIDTH, align: 'center' });
  sh.y += mm(11);
  const boxTop = sh.y;
  const boxH = mm(30);
  sh.rect(PAGE.left, boxTop, CONTENT_WIDTH, boxH, 2);
  sh.text(shop.fax ? `FAX送信先 ${shop.fax}` : `お電話 ${shop.phone}`, PAGE.left + mm(4), boxTop + mm(2.5), { size: 20, bold: true, width: CONTENT_WIDTH - mm(8) });
  sh.text(`お電話 ${shop.phone}\u3000受付 ${shop.hours}`, PAGE.left + mm(4), boxTop + mm(12), { size: 11, width: CONTENT_WIDTH - mm(8) });
  sh.text(`郵送先 〒${shop.postalCode} ${shop.address} ${shop.company} ${shop.name} 宛`, PAGE.left + mm(4), boxTop + mm(18.5), { size: 10.5, width: CONTENT_WIDTH - mm(8) });
  sh.y = boxTop + boxH + mm(3);

  // The card warning: bold, boxed, before anything is written.
  const warn = `【ご注意】${CARD_WARNING}`;
  const how = 'クレジットカードでのお支払いは、後日お送りするお支払いリンク（決済代行会社の安全なページ）からお手続きください。';
  const warnW = CONTENT_WIDTH - mm(6);
  const warnTextH = sh.height(warn, { size: 12, bold: true, width: warnW });
  const warnH = warnTextH + sh.height(how, { size: 10, width: warnW }) + mm(4.5);
  sh.rect(PAGE.left, sh.y, CONTENT_WIDTH, warnH, 2.5);
  sh.text(warn, PAGE.left + mm(3), sh.y + mm(1.8), { size: 12, bold: true, width: warnW });
  sh.text(how, PAGE.left + mm(3), sh.y + mm(2.5) + warnTextH, { size: 10, width: warnW });
  sh.y += warnH + mm(4);

  // Blanks: a label cell and a tall writing space, solid lines.
  const blank = (label: string, h = mm(10), x = PAGE.left, w = CONTENT_WIDTH) => {
    sh.rect(x, sh.y, w, h);
    sh.text(label, x + mm(2), sh.y + mm(1.2), { size: 9.5, width: w - mm(4) });
  };
  const row = (cells: [string, number][], h = mm(10)) => {
    sh.ensure(h);
    let x = PAGE.left;
    for (const [label, frac] of cells) {
      const w = CONTENT_WIDTH * frac;
      blank(label, h, x, w);
      x += w;
    }
    sh.y += h;
  };
  sh.para('■ ご注文者', { size: 12, bold: true, gap: mm(1) });
  row([['お名前', 0.55], ['フリガナ', 0.45]], mm(12));
  row([['〒', 0.25], ['ご住所', 0.75]], mm(14));
  row([['お電話番号（日中のご連絡先）', 0.5], ['FAX番号', 0.5]]);
  sh.y += mm(3);
  sh.para('■ お届け先（ご注文者と異なる場合のみ）', { size: 12, bold: true, gap: mm(1) });
  row([['お名前', 0.55], ['フリガナ', 0.45]]);
  row([['〒', 0.25], ['ご住所', 0.75]], mm(12));
  row([['お電話番号', 0.5], ['', 0.5]]);
  sh.y += mm(3);

  // Delivery date and slot, payment method.
  sh.ensure(mm(30));
  sh.para('■ お届け希望日時（ご希望の場合）', { size: 12, bold: true, gap: mm(1.5) });
  sh.text('お届け希望日　　　　月　　　　日', PAGE.left + mm(2), sh.y, { size: 11, width: mm(70) });
  let x = PAGE.left + mm(72);
  for (const slot of s.delivery.slots) x = sh.checkbox(slot === '午前中' ? slot : `${slot}時`, x, sh.y, 11);
  sh.y += mm(8);
  sh.para('■ お支払い方法（ひとつお選びください）', { size: 12, bold: true, gap: mm(1.5) });
  const methods = [
    s.payments.cod ? '代金引換' : null,
    s.payments.bankTransfer ? '銀行振込（前払い）' : null,
    '郵便振替',
    s.payments.card ? 'クレジットカード（後日お支払いリンクをお送りします）' : null,
  ].filter((m): m is string => m !== null);
  x = PAGE.left + mm(2);
  for (const m of methods) {
    const w = mm(9) + doc.font('jp').fontSize(11).widthOfString(m);
    if (x + w > PAGE.right) {
      sh.y += mm(7);
      x = PAGE.left + mm(2);
    }
    x = sh.checkbox(m, x, sh.y, 11);
  }
  sh.y += mm(8);
  sh.para(
    `価格はすべて税込です。※は軽減税率（8%）対象商品です。送料は地域により異なり${s.shipping.freeFromYen > 0 ? `、商品合計${formatYen(s.shipping.freeFromYen)}以上で無料です` : 'ます'}。代金引換の場合は別途代引き手数料がかかります。ご注文を承りましたら、合計金額をお知らせする注文確認書をお送りします。`,
    { size: 9.5, gap: mm(3) },
  );

  // The catalog, category by category, a blank quantity box per SKU.
  sh.ensure(mm(30));
  sh.para('■ ご注文商品（数量をご記入ください）', { size: 12, bold: true, gap: mm(1.5) });
  tableHeader(sh);
  inTable = true;
  for (const section of catalog) {
    sh.ensure(mm(8) + mm(9));
    sh.rect(PAGE.left, sh.y, CONTENT_WIDTH, mm(7));
    sh.text(section.category, PAGE.left + mm(2), sh.y + mm(1.3), { bold: true, size: 11 });
    sh.y += mm(7);
    for (const item of section.items) {
      const name = `${item.taxRate === 8 ? '※' : ''}${item.product}\u3000${item.variant}`;
      const h = Math.max(mm(9), sh.height(name, { width: COL.nameW - mm(3) }) + mm(3));
      sh.ensure(h);
      sh.rect(PAGE.left, sh.y, CONTENT_WIDTH, h);
      sh.text(item.sku, COL.sku + mm(2), sh.y + mm(2), { size: 10, width: COL.skuW - mm(3) });
      sh.text(name, COL.name + mm(2), sh.y + mm(1.8), { width: COL.nameW - mm(3) });
      sh.text(formatYen(item.priceYen), COL.price, sh.y + mm(1.8), { width: COL.priceW - mm(2), align: 'right' });
      sh.rect(COL.qty + mm(3), sh.y + mm(1.2), COL.qtyW - mm(6), h - mm(2.4), 1.5);
      sh.y += h;
    }
  }
  inTable = false;
  if (catalog.length === 0) sh.para('（現在ご注文いただける商品はありません）', { size: 11 });
  sh.y += mm(4);
  sh.para('通信欄（ご質問・ご要望など）', { size: 11, bold: true, gap: mm(1) });
  sh.ensure(mm(25));
  sh.rect(PAGE.left, sh.y, CONTENT_WIDTH, mm(25));
  sh.y += mm(27);
  sh.para(CARD_WARNING, { size: 10.5, bold: true });

  pageFooters(doc, `${shop.name}${shop.fax ? `\u3000FAX ${shop.fax}` : ''}\u3000TEL ${shop.phone}`);
  return pdfToBuffer(doc);
}
