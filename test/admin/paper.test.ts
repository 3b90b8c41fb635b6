import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_COOKIE } from '../../src/admin/plugin.js';
import { replySheetPdf } from '../../src/checkout/reply-sheet.js';
import { addDays, formatDateJa, jstDate } from '../../src/shared/time.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client, guestForm } from '../helpers/browser-client.js';
import { pdfPages, pdfRectangles, pdfText } from '../helpers/pdf.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

/**
 * The paper channel's PDFs, read back as text: the FAX reply sheet of an order (lines, totals per
 * tax rate, addresses, shop details, payment instructions, audited) and the printable order form
 * (every active SKU, the card-number warning), on both databases.
 *
 *   node --import tsx --test test/admin/paper.test.ts
 */

const A = '/admin';
const SHOP_FAX = '03-9876-5432';

/** Text with the layout's runs of spaces squeezed, so phrases can be matched across columns. */
const squeeze = (s: string) => s.replace(/[ \t]+/g, ' ');

for (const { dialect, skip } of DIALECTS) {
  describe(`paper documents on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    let staff: Client;
    const email = `paper-pdf-${dialect}@example.jp`;
    const db = () => shop.shop.services.handle.db;

    const getPdf = async (path: string, client: Client | null = staff) => {
      const res = await fetch(`${shop.url}${path}`, { redirect: 'manual', headers: client ? { cookie: `${ADMIN_COOKIE}=${client.cookie(ADMIN_COOKIE)}` } : {} });
      return { res, body: Buffer.from(await res.arrayBuffer()) };
    };

    /** A web order placed like a buyer would: 2 × 深蒸し煎茶 (8%) and 1 × 湯呑み (10%). */
    async function placeOrder(form: Record<string, string>) {
      const buyer = new Client(shop.url);
      for (const [slug, quantity] of [['fukamushi-sencha', '2'], ['mino-yunomi', '1']] as const) {
        await buyer.get(`/products/${slug}`);
        const variant = /name="variant_id" value="(var_[0-9A-Z]{16})"(?![^>]*disabled)/.exec(buyer.last!.html)![1]!;
        assert.equal((await buyer.post('/cart/add', { variant_id: variant, quantity })).status, 200);
      }
      await buyer.get('/checkout');
      const confirm = await buyer.post('/checkout/confirm', guestForm(form));
      assert.equal(confirm.status, 200, confirm.html.slice(0, 300));
      const thanks = await buyer.request('/checkout/place', { form: buyer.hiddenFields('/checkout/place') });
      const number = /\b(\d{6}-[0-9A-HJKMNP-TV-Z]{6})\b/.exec(thanks.html)![1]!;
      const order = await db().selectFrom('orders').selectAll().where('order_number', '=', number).executeTakeFirstOrThrow();
      const lines = await db().selectFrom('order_lines').selectAll().where('order_id', '=', order.id).orderBy('line_no').execute();
      return { order, lines };
    }

    before(async () => {
      shop = await startTestShop({ dialect });
      staff = new Client(shop.url);
      await signedInStaff(shop.shop.services, staff, 'staff', email);
      await shop.shop.services.settings.set('shop', { fax: SHOP_FAX });
    });
    after(async () => {
      await shop?.close();
    });

    test('the FAX reply sheet of a COD order: lines, per-rate tax, totals, both addresses, delivery, shop details; audited', async () => {
      const date = addDays(jstDate(), 5);
      const { order, lines } = await placeOrder({
        payment_method: 'cod', orderer_name: '紙野 文子', orderer_kana: 'カミノ フミコ', orderer_fax: '03-1111-2222',
        ship_to: 'other', ship_name: '届先 次郎', ship_kana: 'トドケサキ ジロウ', ship_postal: '530-0001', ship_prefecture: '大阪府', ship_address1: '大阪市北区梅田1-1', ship_address2: '梅田ビル5階', ship_phone: '06-1111-2222',
        delivery_date: date, delivery_slot: '14-16',
      });
      assert.equal(lines.length, 2);
      assert.ok(order.cod_fee_yen > 0 && order.tax_8_yen > 0 && order.tax_10_yen > 0);

      // The detail page offers it.
      const detail = await staff.get(`${A}/orders/${order.id}`);
      assert.match(detail.html, new RegExp(`href="/admin/orders/${order.id}/reply-sheet.pdf"`));

      const { res, body } = await getPdf(`${A}/orders/${order.id}/reply-sheet.pdf`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/pdf');
      assert.match(res.headers.get('content-disposition') ?? '', new RegExp(`reply-sheet-${order.order_number}\\.pdf`));
      assert.equal(pdfPages(body), 1, 'a two-line order fits on one FAX page');
      const text = squeeze(pdfText(body));
      const yen = (n: number) => `¥${n.toLocaleString('en-US')}`;
      for (const expected of [
        '注文確認書 兼 FAX返信票', order.order_number, '紙野 文子 様', 'FAX 03-1111-2222',
        // Lines with the reduced-rate mark on the 8% one.
        `※${lines[0]!.name}（${lines[0]!.sku}）`, `${lines[1]!.name}（${lines[1]!.sku}）`, yen(lines[0]!.line_total_yen), yen(lines[1]!.line_total_yen),
        // Totals per rate.
        `商品合計 ${yen(order.items_total_yen)}`, `代引き手数料 ${yen(order.cod_fee_yen)}`, `お支払い合計（税込） ${yen(order.total_yen)}`,
        `${yen(order.taxable_10_yen)}（内消費税 ${yen(order.tax_10_yen)}）`, `${yen(order.taxable_8_yen)}（内消費税 ${yen(order.tax_8_yen)}）`, '8%対象（※軽減税率）',
        // Addresses and delivery.
        '〒100-0001 東京都千代田区千代田1-1', 'まもりビル101', '届先 次郎 様', '〒530-0001 大阪府大阪市北区梅田1-1', '梅田ビル5階', 'TEL 06-1111-2222',
        formatDateJa(date), '14-16時',
        // Channel, payment and how to pay.
        '受付方法 ウェブ', 'お支払い方法 代金引換', `合計金額 ${yen(order.total_yen)}`,
        // The shop, where to FAX it back, and the reply area.
        'まもり茶舗', 'まもりビル2階', `FAX ${SHOP_FAX}`, 'TEL 03-0000-0000', '登録番号 T1234567890123', '確認欄', 'ご署名',
      ]) {
        assert.ok(text.includes(expected), `the sheet shows ${JSON.stringify(expected)}\n${text}`);
      }
      if (order.shipping_fee_yen > 0) assert.ok(text.includes(`送料 ${yen(order.shipping_fee_yen)}`));

      const entry = await db().selectFrom('audit_log').selectAll().where('action', '=', 'order.reply_sheet').orderBy('seq', 'desc').executeTakeFirstOrThrow();
      assert.equal(entry.actor, `staff:${email}`);
      assert.equal(entry.target, order.id);
      assert.doesNotMatch(entry.detail ?? '', /紙野|大阪/);
    });

    test('bank transfer shows the account from the settings; roles, unknown orders and parameters are refused', async () => {
      const { order } = await placeOrder({ payment_method: 'bank_transfer', orderer_name: '振込 一郎' });
      const { res, body } = await getPdf(`${A}/orders/${order.id}/reply-sheet.pdf`);
      assert.equal(res.status, 200);
      const text = squeeze(pdfText(body));
      for (const expected of ['お支払い方法 銀行振込（前払い）', 'みずほ銀行（デモ） 丸の内支店 普通 1234567', '口座名義: カ）マモリ', 'お振込期限', '振込 一郎 様']) {
        assert.ok(text.includes(expected), `${expected}\n${text}`);
      }

      const security = new Client(shop.url);
      await signedInStaff(shop.shop.services, security, 'security');
      assert.equal((await getPdf(`${A}/orders/${order.id}/reply-sheet.pdf`, security)).res.status, 403);
      assert.equal((await getPdf(`${A}/orders/${order.id}/reply-sheet.pdf`, null)).res.status, 303, 'not signed in: to the login page');
      assert.equal((await getPdf(`${A}/orders/ord_0000000000000000/reply-sheet.pdf`)).res.status, 404);
      assert.equal((await getPdf(`${A}/orders/nonsense/reply-sheet.pdf`)).res.status, 404);
      assert.equal((await getPdf(`${A}/orders/${order.id}/reply-sheet.pdf?x=1`)).res.status, 400);
    });

    test('a card order taken by phone prints its payment link, a QR code of it, and the never-send-your-card warning', async () => {
      const { order, lines } = await placeOrder({ payment_method: 'bank_transfer' });
      const settings = await shop.shop.services.settings.get();
      const phoneCard = { ...order, channel: 'phone' as const, payment_method: 'card' as const };
      const url = 'https://psp.example.jp/pay/link_7K3Q9XWD4M2P8ZRB7K3Q9XWD';
      const withLink = await replySheetPdf({ order: phoneCard, lines, settings, paymentLinkUrl: url });
      const without = await replySheetPdf({ order: phoneCard, lines, settings });
      const text = squeeze(pdfText(withLink));
      assert.ok(text.includes(url), text);
      assert.ok(text.includes('受付方法 お電話'));
      assert.ok(text.includes('カード番号は、FAX・お電話・この用紙には決して書かないでください'));
      assert.ok(squeeze(pdfText(without)).includes('カード払いのお支払いリンクを別途お送りします'));
      // The QR code: hundreds of dark modules, drawn as squares the sheet without a link does not have.
      const qrModules = pdfRectangles(withLink) - pdfRectangles(without);
      assert.ok(qrModules > 300, `QR code drawn (${pdfRectangles(withLink)} vs ${pdfRectangles(without)} rectangles)`);
      // A long shop address: the URL breaks after '/pay/', never inside the token, and stays 9.5 pt or larger.
      const token = 'Kq3-x_9ZbT-7mWd2-Lp0-Vn8YrC-4sHj6-Ge1-Ua5Nf';
      const long = `https://www.mamori-chaho-tsuhan.example.co.jp/pay/${token}`;
      const longText = squeeze(pdfText(await replySheetPdf({ order: phoneCard, lines, settings, paymentLinkUrl: long })));
      assert.match(longText, new RegExp(`https://www\\.mamori-chaho-tsuhan\\.example\\.co\\.jp/pay/\\s*\\n\\s*${token}\\s*\\n`), longText);
      const postal = squeeze(pdfText(await replySheetPdf({ order: { ...order, payment_method: 'postal_transfer' as never }, lines, settings, paymentInstructions: ['口座記号番号 00120-1-123456 加入者名 カ）マモリ'] })));
      assert.ok(postal.includes('お支払い方法 郵便振替') && postal.includes('口座記号番号 00120-1-123456'), postal);
    });

    test('the order form lists every active SKU with price and reduced-rate mark, and warns against card numbers', async () => {
      // One variant switched off and one product unpublished: neither may be offered on paper.
      const off = await db().selectFrom('variants').select(['id', 'sku']).where('sku', '=', 'GT-SEN-100X3').executeTakeFirstOrThrow();
      await db().updateTable('variants').set({ active: 0 }).where('id', '=', off.id).execute();
      const hidden = await db().selectFrom('products').select(['id']).where('slug', '=', 'takayama-chasen').executeTakeFirstOrThrow();
      await db().updateTable('products').set({ published: 0 }).where('id', '=', hidden.id).execute();
      const hiddenSkus = (await db().selectFrom('variants').select('sku').where('product_id', '=', hidden.id).execute()).map((v) => v.sku);
      const active = await db()
        .selectFrom('variants as v')
        .innerJoin('products as p', 'p.id', 'v.product_id')
        .select(['v.sku', 'v.price_yen', 'p.tax_rate', 'p.name_ja'])
        .where('v.active', '=', 1)
        .where('p.published', '=', 1)
        .execute();
      assert.ok(active.length > 10);

      const { res, body } = await getPdf(`${A}/catalog/order-form.pdf`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/pdf');
      const text = squeeze(pdfText(body));
      assert.ok(pdfPages(body) >= 2, 'a long catalog runs over several pages');
      for (const v of active) {
        const row = new RegExp(`${v.sku.replace(/[-]/g, '\\-')} ${v.tax_rate === 8 ? '※' : ''}\\S*[^\\n]*¥${v.price_yen.toLocaleString('en-US')}`);
        assert.match(text, row, `${v.sku} with its price`);
      }
      assert.ok(!text.includes(off.sku), 'an inactive variant is not offered');
      for (const sku of hiddenSkus) assert.ok(!text.includes(sku), `unpublished ${sku} is not offered`);
      for (const expected of [
        `FAX送信先 ${SHOP_FAX}`, 'お電話 03-0000-0000', '平日 10:00〜17:00', 'カード番号・有効期限・セキュリティコードは、この用紙に絶対に書かないでください',
        '代金引換', '銀行振込（前払い）', '郵便振替', 'クレジットカード（後日お支払いリンクをお送りします）', '午前中', '14-16時', '19-21時',
        'お名前', 'フリガナ', 'ご住所', 'FAX番号', 'お届け先（ご注文者と異なる場合のみ）', '※は軽減税率（8%）対象商品です',
      ]) {
        assert.ok(text.includes(expected), `the form shows ${JSON.stringify(expected)}`);
      }

      // The public copy: the same document, no admin session, cacheable, no personal data.
      const pub = await getPdf('/order-form.pdf', null);
      assert.equal(pub.res.status, 200);
      assert.equal(pub.res.headers.get('content-type'), 'application/pdf');
      assert.match(pub.res.headers.get('cache-control') ?? '', /max-age=\d+/);
      const pubText = squeeze(pdfText(pub.body));
      assert.ok(pubText.includes(`FAX送信先 ${SHOP_FAX}`) && pubText.includes(active[0]!.sku));
      assert.ok(!/紙野|振込 一郎|届先/.test(pubText), 'no customer data on the public form');
      assert.equal((await getPdf('/order-form.pdf?x=1', null)).res.status, 400);
      const security = new Client(shop.url);
      await signedInStaff(shop.shop.services, security, 'security');
      assert.equal((await getPdf(`${A}/catalog/order-form.pdf`, security)).res.status, 403);
    });
  });
}
