import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { B2_HEADER, ORDER_CSV_HEADER, SAGAWA_HEADER } from '../../src/checkout/exports.js';
import { addDays, jstDate } from '../../src/shared/time.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client, decodeEntities, guestForm, type Page } from '../helpers/browser-client.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';
import { parseCsv } from '../helpers/csv.js';

const A = '/admin';

async function addToCart(c: Client, slug: string, quantity = '1'): Promise<string> {
  await c.get(`/products/${slug}`);
  const m = /name="variant_id" value="(var_[0-9A-Z]{16})"(?![^>]*disabled)/.exec(c.last!.html);
  assert.ok(m, `product ${slug} offers a variant`);
  const res = await c.post('/cart/add', { variant_id: m[1]!, quantity });
  assert.equal(res.status, 200);
  return m[1]!;
}

/** Places an order as a guest; returns its id and the buyer's page. */
async function placeOrder(shop: TestShop, form: Record<string, string>, items: [string, string][] = [['fukamushi-sencha', '1']]): Promise<{ id: string; buyer: Client; page: Page }> {
  const c = new Client(shop.url);
  for (const [slug, qty] of items) await addToCart(c, slug, qty);
  await c.get('/checkout');
  const confirm = await c.post('/checkout/confirm', guestForm(form));
  assert.equal(confirm.status, 200, confirm.html.slice(0, 500));
  let page = await c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
  if (form.payment_method === 'card') {
    const action = /<form method="post" action="(\/pay\/[^"]+)"/.exec(page.html)![1]!;
    page = await c.request(new URL(action, shop.pspUrl).href, { form: { cardNumber: '4242 4242 4242 4242', expiry: '12/30', cvc: '123', name: 'TARO YAMADA' } });
  }
  assert.match(page.html, /ご注文ありがとうございました/);
  const id = /\/orders\/(ord_[0-9A-Z]{16})/.exec(page.url)![1]!;
  return { id, buyer: c, page };
}


for (const { dialect, skip } of DIALECTS) {
  describe(`admin orders on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    let staff: Client;
    let staffEmail: string;
    before(async () => {
      shop = await startTestShop({ dialect });
      staff = new Client(shop.url);
      staffEmail = `orders-staff-${dialect}@example.jp`;
      await signedInStaff(shop.shop.services, staff, 'staff', staffEmail);
    });
    after(async () => {
      await shop?.close();
    });
    const db = () => shop.shop.services.handle.db;
    const order = (id: string) => db().selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

    /** Opens the order page (for its CSRF token) and posts one of its forms. */
    async function act(id: string, path: string, form: Record<string, string> = {}): Promise<Page> {
      const detail = await staff.get(`${A}/orders/${id}`);
      assert.equal(detail.status, 200);
      return staff.post(`${A}/orders/${id}/${path}`, form);
    }

    test('list: filters and text search find the right orders; bad filters are a 400', async () => {
      const a = await placeOrder(shop, { orderer_name: '検索 一郎', orderer_kana: 'ケンサク イチロウ', orderer_phone: '03-5555-0101', orderer_email: 'Ichiro.Kensaku@Example.JP', payment_method: 'bank_transfer' });
      const b = await placeOrder(shop, {
        orderer_name: '検索 二郎', orderer_kana: 'ケンサク ジロウ', orderer_phone: '０９０７７７７０２０２', orderer_email: 'jiro@example.jp', payment_method: 'cod',
        ship_to: 'other', ship_name: '受取 花子', ship_kana: 'ウケトリ ハナコ', ship_postal: '530-0001', ship_prefecture: '大阪府', ship_address1: '大阪市北区梅田1-1', ship_phone: '06-4444-0303',
      });
      const oa = await order(a.id);
      const ob = await order(b.id);
      const ids = (p: Page) => [...p.html.matchAll(/href="\/admin\/orders\/(ord_[0-9A-Z]{16})"/g)].map((m) => m[1]!);
      const search = async (q: Record<string, string>) => {
        const p = await staff.get(`${A}/orders?${new URLSearchParams(q)}`);
        assert.equal(p.status, 200, p.html.slice(0, 300));
        return ids(p);
      };

      const all = await search({});
      assert.ok(all.indexOf(b.id) < all.indexOf(a.id), 'newest first');
      // Phone typed with hyphens finds one stored as digits, and the other way round; full-width too.
      assert.deepEqual(await search({ q: '0355550101' }), [a.id]);
      assert.deepEqual(await search({ q: '090-7777-0202' }), [b.id]);
      assert.deepEqual(await search({ q: '０３－５５５５－０１０１' }), [a.id]);
      assert.deepEqual(await search({ q: '06-4444-0303' }), [b.id], 'the destination phone');
      // E-mail in any case.
      assert.deepEqual(await search({ q: 'ichiro.kensaku@example.jp' }), [a.id]);
      // Names with or without the space, orderer or destination, kana in hiragana.
      assert.deepEqual(await search({ q: '検索二郎' }), [b.id]);
      assert.deepEqual(await search({ q: '受取 花子' }), [b.id]);
      assert.deepEqual(await search({ q: 'けんさくいちろう' }), [a.id]);
      assert.deepEqual((await search({ q: '検索' })).sort(), [a.id, b.id].sort());
      // Order number, whole or in part, any case.
      assert.deepEqual(await search({ q: oa.order_number }), [a.id]);
      assert.deepEqual(await search({ q: ob.order_number.slice(-6).toLowerCase() }), [b.id]);
      // A LIKE wildcard is a plain character.
      assert.deepEqual(await search({ q: '%' }), []);
      // Status, payment method and JST date range.
      assert.deepEqual(await search({ q: '検索', payment: 'cod' }), [b.id]);
      assert.deepEqual(await search({ q: '検索', status: 'new', payment: 'bank_transfer' }), [a.id]);
      assert.deepEqual(await search({ q: '検索', status: 'shipped' }), []);
      const today = jstDate();
      assert.equal((await search({ q: '検索', from: today, to: today })).length, 2);
      assert.deepEqual(await search({ q: '検索', from: addDays(today, 1) }), []);
      assert.deepEqual(await search({ q: '検索', to: addDays(today, -1) }), []);

      const bad = [
        'status=evil', 'payment=paypal', 'from=2025-13-01', 'to=yesterday', `from=${today}&to=${addDays(today, -1)}`, 'page=0', 'page=abc',
        'q=%00', `q=${'x'.repeat(101)}`, 'status=new&status=paid', 'sort=evil', 'q[a]=1',
      ];
      for (const qs of bad) {
        const p = await staff.get(`${A}/orders?${qs}`);
        assert.equal(p.status, 400, `400 for ${qs}`);
        assert.match(p.html, /alert-error/);
      }
      assert.equal((await staff.get(`${A}/orders?page=999`)).status, 404);
    });

    test('a security user gets 403 on the order pages; a visitor without a session is sent to login', async () => {
      const { id } = await placeOrder(shop, { payment_method: 'cod' });
      const sec = new Client(shop.url);
      await signedInStaff(shop.shop.services, sec, 'security', `sec-${dialect}@example.jp`);
      for (const path of ['/orders', `/orders/${id}`, '/orders/export/orders.csv', '/orders/export/yamato-b2.csv', `/orders/${id}/packing-slip`]) {
        const p = await sec.get(`${A}${path}`);
        assert.equal(p.status, 403, path);
      }
      const anon = new Client(shop.url);
      const p = await anon.request(`${A}/orders`, { follow: false });
      assert.equal(p.status, 303);
      assert.match(p.headers.get('location') ?? '', /\/admin\/login/);
      assert.equal((await staff.get(`${A}/orders/ord_0000000000000000`)).status, 404);
      assert.equal((await staff.get(`${A}/orders/nope`)).status, 404);
    });

    test('status flow: valid steps pass, invalid ones are refused with 409 and a message; COD becomes paid on delivery', async () => {
      const bank = await placeOrder(shop, { payment_method: 'bank_transfer', orderer_email: 'flow-bank@example.jp' });
      let res = await act(bank.id, 'status', { to: 'preparing' });
      assert.equal(res.status, 409);
      assert.match(res.html, /入金確認の後/);
      res = await act(bank.id, 'status', { to: 'paid' });
      assert.equal(res.status, 409);
      assert.match(res.html, /入金確認/);
      res = await act(bank.id, 'status', { to: 'shipped' });
      assert.equal(res.status, 409);
      res = await act(bank.id, 'status', { to: 'bogus' });
      assert.equal(res.status, 422);
      assert.equal((await order(bank.id)).status, 'new');

      const cod = await placeOrder(shop, { payment_method: 'cod', orderer_email: 'flow-cod@example.jp' });
      res = await act(cod.id, 'status', { to: 'delivered' });
      assert.equal(res.status, 409);
      res = await act(cod.id, 'status', { to: 'preparing' });
      assert.equal(res.status, 200);
      assert.match(res.url, /done=status/);
      assert.match(res.html, /状態を変更しました/);
      assert.equal((await order(cod.id)).status, 'preparing');
      // Shipped needs a tracking number.
      res = await act(cod.id, 'status', { to: 'shipped' });
      assert.equal(res.status, 409);
      assert.match(res.html, /追跡番号/);
      res = await act(cod.id, 'ship', { carrier: 'yamato', tracking: '1234-5678-9012' });
      assert.equal(res.status, 200);
      res = await act(cod.id, 'status', { to: 'preparing' });
      assert.equal(res.status, 409, 'never backwards');
      assert.equal((await order(cod.id)).payment_status, 'pending');
      res = await act(cod.id, 'status', { to: 'delivered' });
      assert.equal(res.status, 200);
      const delivered = await order(cod.id);
      assert.deepEqual([delivered.status, delivered.payment_status], ['delivered', 'paid']);
      res = await act(cod.id, 'cancel', {});
      assert.equal(res.status, 409);
      assert.match(res.html, /発送済み/);
      const events = await db().selectFrom('order_events').select(['type', 'detail']).where('order_id', '=', cod.id).orderBy('at').execute();
      assert.deepEqual(events.filter((e) => e.type === 'status').map((e) => e.detail!.split(' ')[0]), ['new→preparing', 'preparing→shipped', 'shipped→delivered']);
      assert.ok(events.some((e) => e.type === 'paid' && e.detail === 'cod'));
    });

    test('bank transfer confirmation: amount and date, marks paid once', async () => {
      const { id } = await placeOrder(shop, { payment_method: 'bank_transfer', orderer_email: 'bank@example.jp' });
      const o = await order(id);
      let res = await act(id, 'bank-transfer', { amount: String(o.total_yen - 1), received_on: jstDate() });
      assert.equal(res.status, 422);
      assert.match(res.html, /一致しません/);
      res = await act(id, 'bank-transfer', { amount: String(o.total_yen), received_on: addDays(jstDate(), 1) });
      assert.equal(res.status, 422);
      assert.match(res.html, /未来/);
      res = await act(id, 'bank-transfer', { amount: 'abc', received_on: jstDate() });
      assert.equal(res.status, 422);
      res = await act(id, 'bank-transfer', { amount: `${o.total_yen.toLocaleString('ja-JP')}`, received_on: jstDate() });
      assert.equal(res.status, 200);
      assert.match(res.html, /入金を記録しました/);
      const paid = await order(id);
      assert.deepEqual([paid.status, paid.payment_status], ['paid', 'paid']);
      res = await act(id, 'bank-transfer', { amount: String(o.total_yen), received_on: jstDate() });
      assert.equal(res.status, 409);
      const receipts = await db().withTables<{ bank_transfer_receipts: { order_id: string; amount_yen: number } }>().selectFrom('bank_transfer_receipts').selectAll().where('order_id', '=', id).execute();
      assert.equal(receipts.length, 1);
      assert.equal(receipts[0]!.amount_yen, o.total_yen);
      // Paid: now it may be prepared.
      res = await act(id, 'status', { to: 'preparing' });
      assert.equal(res.status, 200);
    });

    test('cancel gives the stock back exactly once', async () => {
      const { id } = await placeOrder(shop, { payment_method: 'cod' }, [['yame-matcha', '2']]);
      const line = await db().selectFrom('order_lines').selectAll().where('order_id', '=', id).executeTakeFirstOrThrow();
      const stock = async () => (await db().selectFrom('variants').select('stock').where('id', '=', line.variant_id!).executeTakeFirstOrThrow()).stock;
      const before = await stock();
      await staff.get(`${A}/orders/${id}`);
      const token = staff.csrf();
      const [r1, r2] = await Promise.all([
        staff.request(`${A}/orders/${id}/cancel`, { form: { _csrf: token, reason: '<b>お客様都合</b>' } }),
        staff.request(`${A}/orders/${id}/cancel`, { form: { _csrf: token, reason: 'double click' } }),
      ]);
      assert.deepEqual([r1.status, r2.status].sort(), [200, 409]);
      assert.equal(await stock(), before + 2);
      const o = await order(id);
      assert.deepEqual([o.status, o.payment_status, o.stock_released], ['cancelled', 'cancelled', 1]);
      const again = await act(id, 'cancel', {});
      assert.equal(again.status, 409);
      assert.equal(await stock(), before + 2);
      const released = await db().selectFrom('order_events').select('id').where('order_id', '=', id).where('type', '=', 'stock_released').execute();
      assert.equal(released.length, 1);
    });

    test('marking shipped with a tracking number sends one mail; bad numbers are refused', async () => {
      const { id } = await placeOrder(shop, { payment_method: 'cod', orderer_email: 'ship@example.jp' });
      await act(id, 'status', { to: 'preparing' });
      for (const tracking of ['123', '12345678901234567', 'abcd-efgh-ijkl', '1234--5678-9012', '']) {
        const res = await act(id, 'ship', { carrier: 'yamato', tracking });
        assert.equal(res.status, 422, tracking);
      }
      assert.equal((await act(id, 'ship', { carrier: 'fedex', tracking: '123456789012' })).status, 422);
      const res = await act(id, 'ship', { carrier: 'sagawa', tracking: '１２３４－５６７８－９０１２' });
      assert.equal(res.status, 200);
      assert.match(res.html, /1234-5678-9012/);
      assert.match(res.html, /発送済みにしました/);
      assert.equal((await act(id, 'ship', { carrier: 'sagawa', tracking: '123456789012' })).status, 409);
      const mails = await db().selectFrom('outbox').selectAll().where('dedupe_key', 'like', `order-shipped:${id}%`).execute();
      assert.equal(mails.length, 1);
      assert.equal(mails[0]!.to_address, 'ship@example.jp');
      assert.match(mails[0]!.body_text, /1234-5678-9012/);
      assert.match(mails[0]!.body_text, /佐川急便/);
      assert.match(mails[0]!.subject, /発送しました/);
      // A correction records the new number and sends nothing.
      const fix = await act(id, 'tracking', { carrier: 'sagawa', tracking: '9999-8888-7777' });
      assert.equal(fix.status, 200);
      assert.match(fix.html, /9999-8888-7777/);
      assert.equal((await db().selectFrom('outbox').select('id').where('dedupe_key', 'like', `order-shipped:${id}%`).execute()).length, 1);
    });

    test('card: refund part then the rest through the provider; cancel asks for the refund first', async () => {
      const { id } = await placeOrder(shop, { payment_method: 'card', orderer_email: 'refund-admin@example.jp' });
      const o = await order(id);
      assert.equal(o.payment_status, 'paid');
      let res = await act(id, 'cancel', {});
      assert.equal(res.status, 409);
      assert.match(res.html, /先に返金/);
      res = await act(id, 'refund', { amount: '100' });
      assert.equal(res.status, 200, res.html.slice(0, 500));
      let pay = await db().selectFrom('payments').selectAll().where('order_id', '=', id).where('status', '!=', 'failed').executeTakeFirstOrThrow();
      assert.deepEqual([pay.status, pay.refunded_yen], ['partially_refunded', 100]);
      res = await act(id, 'refund', { amount: String(o.total_yen) });
      assert.equal(res.status, 409, 'more than what is left');
      assert.match(res.html, /返金額は1円から/);
      res = await act(id, 'refund', { amount: '' });
      assert.equal(res.status, 200);
      pay = await db().selectFrom('payments').selectAll().where('id', '=', pay.id).executeTakeFirstOrThrow();
      assert.deepEqual([pay.status, pay.refunded_yen], ['refunded', o.total_yen]);
      assert.equal((await order(id)).payment_status, 'refunded');
      res = await act(id, 'cancel', {});
      assert.equal(res.status, 200);
      assert.equal((await order(id)).status, 'cancelled');
      // A non-card order cannot be refunded through the provider.
      const cod = await placeOrder(shop, { payment_method: 'cod' });
      assert.equal((await act(cod.id, 'refund', { amount: '' })).status, 409);
    });

    test('card: "refund and cancel" in one step', async () => {
      const { id } = await placeOrder(shop, { payment_method: 'card', orderer_email: 'refund-cancel@example.jp' }, [['kaga-bo-hojicha', '1']]);
      const res = await act(id, 'cancel', { refund: '1', reason: '在庫不足' });
      assert.equal(res.status, 200, res.html.slice(0, 500));
      const o = await order(id);
      assert.deepEqual([o.status, o.payment_status, o.stock_released], ['cancelled', 'refunded', 1]);
    });

    test('internal notes are shown newest first in the admin and never to the buyer', async () => {
      const { id, buyer, page } = await placeOrder(shop, { payment_method: 'bank_transfer', orderer_email: 'notes@example.jp' });
      assert.equal((await act(id, 'notes', { body: '最初のメモ' })).status, 200);
      const res = await act(id, 'notes', { body: '2件目 <script>alert("x")</script>\n電話で確認済み' });
      assert.equal(res.status, 200);
      assert.ok(res.html.indexOf('2件目') < res.html.indexOf('最初のメモ'), 'newest first');
      assert.doesNotMatch(res.html, /<script>alert/);
      assert.match(res.html, /&lt;script>alert/);
      assert.equal((await act(id, 'notes', { body: '   ' })).status, 422);
      assert.equal((await act(id, 'notes', { body: 'x'.repeat(2001) })).status, 422);
      const mine = await buyer.get(new URL(page.url).pathname + new URL(page.url).search);
      assert.equal(mine.status, 200);
      assert.doesNotMatch(mine.html, /最初のメモ|2件目/);
    });

    test('resending the confirmation queues a new mail each time', async () => {
      const { id } = await placeOrder(shop, { payment_method: 'bank_transfer', orderer_email: 'resend@example.jp' });
      assert.equal((await act(id, 'resend-confirmation')).status, 200);
      const res = await act(id, 'resend-confirmation');
      assert.equal(res.status, 200);
      const keys = (await db().selectFrom('outbox').select('dedupe_key').where('to_address', '=', 'resend@example.jp').orderBy('created_at').execute()).map((r) => r.dedupe_key);
      assert.deepEqual(keys.sort(), [`order-confirmation-resend:${id}:1`, `order-confirmation-resend:${id}:2`, `order-confirmation:${id}`].sort());
      // The page lists the mails sent for the order.
      assert.equal((res.html.match(/ご注文ありがとうございます/g) ?? []).length, 3);
      assert.equal((await act(id, 'resend-confirmation', { extra: '1' })).status, 422);
    });

    test('CSV exports: BOM, columns, rows per line or per parcel, filters, formula injection neutralised', async () => {
      const date = addDays(jstDate(), 5);
      const evil = await placeOrder(shop, {
        orderer_name: '出力 太郎', orderer_kana: 'シュツリョク タロウ', orderer_address2: '=HYPERLINK("http://evil.example/","click")', orderer_email: 'export@example.jp',
        payment_method: 'cod', delivery_date: date, delivery_slot: '14-16', note: '+cmd|calc',
      }, [['fukamushi-sencha', '1'], ['yame-matcha', '2']]);
      const o = await order(evil.id);
      const get = async (path: string) => {
        const res = await fetch(`${shop.url}${A}${path}`, { headers: { cookie: `mamori_admin=${staff.cookie('mamori_admin')}; mamori_sid=${staff.cookie('mamori_sid')}`, accept: 'text/html' } });
        // Decoded keeping the BOM (Response.text() would drop it).
        const body = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
        return { status: res.status, type: res.headers.get('content-type') ?? '', disposition: res.headers.get('content-disposition') ?? '', body };
      };
      const q = `q=${encodeURIComponent(o.order_number)}`;

      const csv = await get(`/orders/export/orders.csv?${q}`);
      assert.equal(csv.status, 200);
      assert.match(csv.type, /^text\/csv; charset=utf-8/);
      assert.match(csv.disposition, /attachment; filename="orders-\d{8}\.csv"/);
      assert.ok(csv.body.startsWith('\uFEFF'), 'UTF-8 BOM');
      assert.ok(csv.body.includes('\r\n'));
      const rows = parseCsv(csv.body.replace(/^\uFEFF/, ''));
      assert.deepEqual(rows[0], [...ORDER_CSV_HEADER]);
      assert.equal(rows.length, 3, 'header + one row per line item');
      const col = (name: string) => ORDER_CSV_HEADER.indexOf(name as (typeof ORDER_CSV_HEADER)[number]);
      assert.equal(rows[1]![col('注文者住所2')], `'=HYPERLINK("http://evil.example/","click")`);
      assert.equal(rows[1]![col('備考')], `'+cmd|calc`);
      const skus = (await db().selectFrom('order_lines').select('sku').where('order_id', '=', evil.id).orderBy('line_no').execute()).map((l) => l.sku);
      assert.deepEqual(rows.slice(1).map((r) => r[col('SKU')]), skus);
      assert.ok(csv.body.includes(`"'=HYPERLINK(""http://evil.example/"",""click"")"`), 'quoted, quotes doubled, prefixed');

      const b2 = await get(`/orders/export/yamato-b2.csv?${q}&ship_date=${jstDate()}&billing_code=012345678901&freight_no=01`);
      assert.equal(b2.status, 200);
      assert.ok(b2.body.startsWith('\uFEFF'));
      const b2rows = parseCsv(b2.body.replace(/^\uFEFF/, ''));
      assert.deepEqual(b2rows[0], [...B2_HEADER]);
      assert.equal(b2rows.length, 2, 'one row per parcel');
      const b2col = (name: (typeof B2_HEADER)[number]) => b2rows[1]![B2_HEADER.indexOf(name)];
      assert.equal(b2col('お客様管理番号'), o.order_number);
      assert.equal(b2col('送り状種類'), '2', 'コレクト for COD');
      assert.equal(b2col('配達時間帯'), '1416');
      assert.equal(b2col('お届け予定日'), date.replace(/-/g, '/'));
      assert.equal(b2col('お届け先アパートマンション名'), `'=HYPERLINK("http://evil.example/","click")`);
      assert.equal(b2col('ｺﾚｸﾄ代金引換額（税込)'), String(o.total_yen));
      assert.equal(b2col('請求先顧客コード'), '012345678901');
      assert.equal(b2col('お届け先名(ｶﾅ)'), 'ｼｭﾂﾘｮｸ ﾀﾛｳ');

      const sg = await get(`/orders/export/sagawa.csv?${q}`);
      assert.equal(sg.status, 200);
      const sgrows = parseCsv(sg.body.replace(/^\uFEFF/, ''));
      assert.deepEqual(sgrows[0], [...SAGAWA_HEADER]);
      assert.equal(sgrows.length, 2);
      assert.equal(sgrows[1]![SAGAWA_HEADER.indexOf('配達指定時間帯')], '14');
      assert.equal(sgrows[1]![SAGAWA_HEADER.indexOf('お届け先住所３')], `'=HYPERLINK("http://evil.example/","click")`);

      // Without a filter every order is exported; carrier files leave out cancelled orders.
      const allOrders = parseCsv((await get('/orders/export/yamato-b2.csv')).body.replace(/^\uFEFF/, ''));
      const shippable = await db().selectFrom('orders').select('id').where('status', 'not in', ['cancelled', 'pending_payment']).execute();
      assert.equal(allOrders.length - 1, shippable.length);
      // Bad export parameters are a 400.
      for (const bad of ['ship_date=2020-01-01', 'billing_code=abc', 'freight_no=1', 'status=evil', 'extra=1']) {
        assert.equal((await get(`/orders/export/yamato-b2.csv?${bad}`)).status, 400, bad);
      }
      assert.equal((await get('/orders/export/sagawa.csv?customer_code=x')).status, 400);

      // Packing slip: printable page, escaped.
      const slip = await staff.get(`${A}/orders/${evil.id}/packing-slip`);
      assert.equal(slip.status, 200);
      assert.match(slip.html, /納品書/);
      assert.match(slip.html, new RegExp(o.order_number));
      assert.ok(decodeEntities(slip.html).includes('=HYPERLINK("http://evil.example/","click")'));
      assert.doesNotMatch(slip.html, /<script/);
    });

    test('every action and export is in the audit log, and the chain verifies', async () => {
      const entries = await db().selectFrom('audit_log').selectAll().where('actor', '=', `staff:${staffEmail}`).execute();
      const actions = new Set(entries.map((e) => e.action));
      for (const a of ['order.status', 'order.ship', 'order.tracking', 'order.cancel', 'order.refund', 'order.bank_transfer_confirmed', 'order.note', 'order.resend_confirmation', 'order.export', 'order.packing_slip']) {
        assert.ok(actions.has(a), `audited: ${a}`);
      }
      const exportsLogged = entries.filter((e) => e.action === 'order.export').map((e) => JSON.parse(e.detail!) as { format: string; rows: number; filter: { q: string | null } });
      assert.ok(exportsLogged.some((e) => e.format === 'orders_csv' && e.rows === 2 && e.filter.q));
      assert.ok(exportsLogged.some((e) => e.format === 'yamato_b2' && e.rows === 1));
      assert.ok(exportsLogged.some((e) => e.format === 'sagawa_ehiden'));
      const cancel = entries.find((e) => e.action === 'order.cancel')!;
      assert.match(cancel.target ?? '', /^ord_/);
      const verify = await shop.shop.services.audit.verify();
      assert.equal(verify.ok, true);
    });

    test('what buyers typed is shown as text; forms need the CSRF token', async () => {
      const { id } = await placeOrder(shop, {
        orderer_name: '<img src=x onerror=alert(1)>', orderer_address2: '<script>alert(2)</script>', note: '"><svg onload=alert(3)>', payment_method: 'cod',
      });
      const detail = await staff.get(`${A}/orders/${id}`);
      assert.equal(detail.status, 200);
      assert.doesNotMatch(detail.html, /<img src=x|<script>alert|<svg onload/);
      assert.match(detail.html, /&lt;img src=x onerror=alert\(1\)>/);
      assert.match(detail.html, /&lt;script>alert\(2\)&lt;\/script>/);
      const list = await staff.get(`${A}/orders?q=${encodeURIComponent('<img')}`);
      assert.match(list.html, /&lt;img src=x/);
      assert.match(detail.headers.get('content-security-policy') ?? '', /require-trusted-types-for 'script'/);
      const noToken = await staff.request(`${A}/orders/${id}/status`, { form: { to: 'preparing' } });
      assert.equal(noToken.status, 403);
      assert.equal((await order(id)).status, 'new');
    });
  });
}
