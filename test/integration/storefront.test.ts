import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addDays, jstDate } from '../../src/shared/time.js';
import { sha256Hex } from '../../src/shared/ids.js';
import { Client, guestForm } from '../helpers/browser-client.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

/** Puts one unit of the product's first in-stock variant into the client's cart; returns the variant id. */
async function addToCart(c: Client, slug = 'fukamushi-sencha', quantity = '1'): Promise<string> {
  await c.get(`/products/${slug}`);
  const m = /name="variant_id" value="(var_[0-9A-Z]{16})"(?![^>]*disabled)/.exec(c.last!.html);
  assert.ok(m, 'product page offers a variant');
  const res = await c.post('/cart/add', { variant_id: m[1]!, quantity });
  assert.equal(res.status, 200);
  return m[1]!;
}

async function checkout(c: Client, form: Record<string, string>) {
  await c.get('/checkout');
  const confirm = await c.post('/checkout/confirm', form);
  return confirm;
}

async function place(c: Client) {
  const hidden = c.hiddenFields('/checkout/place');
  return c.request('/checkout/place', { form: hidden });
}

for (const { dialect, skip } of DIALECTS) {
  describe(`storefront on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    before(async () => {
      shop = await startTestShop({ dialect });
    });
    after(async () => {
      await shop?.close();
    });
    const db = () => shop.shop.services.handle.db;

    test('browsing: top, list with paging and sort, category, product, search, 404 and 400', async () => {
      const c = new Client(shop.url);
      const home = await c.get('/');
      assert.equal(home.status, 200);
      assert.match(home.html, /まもり茶舗/);
      const list = await c.get('/products');
      assert.match(list.html, /14件/);
      assert.match(list.html, /rel="next"/);
      const page2 = await c.get('/products?page=2');
      assert.equal(page2.status, 200);
      assert.equal((page2.html.match(/class="card"/g) ?? []).length, 2);
      const cheap = await c.get('/products?sort=price_asc');
      const prices = [...cheap.html.matchAll(/class="price">¥([\d,]+)/g)].map((m) => Number(m[1]!.replace(/,/g, '')));
      assert.deepEqual(prices, [...prices].sort((a, b) => a - b));
      const cat = await c.get('/categories/green-tea');
      assert.equal(cat.status, 200);
      assert.match(cat.html, /緑茶/);
      const product = await c.get('/products/fukamushi-sencha');
      assert.equal(product.status, 200);
      assert.match(product.html, /GT-SEN-100/);
      assert.match(product.html, /<h3>/, 'markdown description is rendered');
      assert.match(product.html, /軽減税率/);
      const search = await c.get(`/products?q=${encodeURIComponent('ＧＴ-ＳＥＮ')}`);
      assert.match(search.html, /fukamushi-sencha/, 'full-width query is normalised');
      assert.equal((await c.get('/products/no-such-thing')).status, 404);
      assert.equal((await c.get('/products?sort=evil')).status, 400);
      assert.equal((await c.get('/products?page=999')).status, 404);
      assert.equal((await c.get('/products?page=1&extra=1')).status, 400);
      const en = await c.get('/products/fukamushi-sencha?lang=en');
      assert.match(en.html, /lang="en"/);
    });

    test('pages shared between visitors still carry each visitor\'s own token, cart badge and account link', async () => {
      const a = new Client(shop.url);
      const b = new Client(shop.url);
      await a.get('/products/fukamushi-sencha');
      await b.get('/products/fukamushi-sencha');
      assert.notEqual(a.csrf(), b.csrf());
      assert.doesNotMatch(a.last!.html, /mamori-(csrf|cart|account)-/, 'no marker left in the page');
      const variant = /name="variant_id" value="(var_[0-9A-Z]{16})"/.exec(a.last!.html)![1]!;
      await a.post('/cart/add', { variant_id: variant, quantity: '3' });
      const again = await a.get('/products/fukamushi-sencha');
      assert.match(again.html, /class="badge" aria-label="3点">3</);
      const other = await b.get('/products/fukamushi-sencha');
      assert.doesNotMatch(other.html, /class="badge"/);
      assert.match(other.html, /href="\/login"/);
      const list = await a.get('/categories/green-tea');
      assert.match(list.html, /class="badge"/);
      // The token in the shared page is accepted for that visitor only.
      await b.get('/products/fukamushi-sencha');
      assert.equal((await b.post('/cart/add', { variant_id: variant, quantity: '1' })).status, 200);
    });

    test('every page carries the security headers', async () => {
      const res = await fetch(`${shop.url}/`);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, new RegExp(`form-action 'self' ${new URL(shop.pspUrl).origin}`));
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.ok(res.headers.get('referrer-policy'));
      const cookie = res.headers.getSetCookie().find((l) => l.startsWith('mamori_sid='));
      assert.match(cookie ?? '', /HttpOnly/);
      assert.match(cookie ?? '', /SameSite=Lax/);
      const health = await (await fetch(`${shop.url}/healthz`)).json() as { status: string; database: string };
      assert.deepEqual([health.status, health.database], ['ok', dialect]);
    });

    test('guest buys by bank transfer, as a gift to another person, with a FAX number', async () => {
      const c = new Client(shop.url);
      const variantId = await addToCart(c, 'fukamushi-sencha', '2');
      const before = await db().selectFrom('variants').select('stock').where('id', '=', variantId).executeTakeFirstOrThrow();
      const date = addDays(jstDate(), 5);
      const confirm = await checkout(c, guestForm({
        ship_to: 'other', ship_name: '佐藤 花子', ship_kana: 'さとう はなこ', ship_postal: '530-0001', ship_prefecture: '大阪府',
        ship_address1: '大阪市北区梅田1-1', ship_phone: '06-1111-2222', delivery_date: date, delivery_slot: '14-16',
      }));
      assert.equal(confirm.status, 200, confirm.html.slice(0, 300));
      assert.match(confirm.html, /佐藤 花子/);
      assert.match(confirm.html, /ご注文内容の確認/);
      const done = await place(c);
      assert.equal(done.status, 200);
      assert.match(done.html, /ご注文ありがとうございました/);
      assert.match(done.html, /お振込先/);
      assert.match(done.url, /\/orders\/ord_[0-9A-Z]{16}\?t=/);
      const orderId = /\/orders\/(ord_[0-9A-Z]{16})/.exec(done.url)![1]!;
      const order = await db().selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
      assert.equal(order.orderer_fax, '03-1234-5679');
      assert.equal(order.ship_to_orderer, 0);
      assert.equal(order.shipping_name, '佐藤 花子');
      assert.equal(order.shipping_kana, 'サトウ ハナコ');
      assert.equal(order.shipping_prefecture, '大阪府');
      assert.equal(order.delivery_date, date);
      assert.equal(order.payment_method, 'bank_transfer');
      assert.equal(order.status, 'new');
      assert.equal(order.items_total_yen + order.shipping_fee_yen + order.cod_fee_yen, order.total_yen);
      assert.equal(order.taxable_8_yen + order.taxable_10_yen, order.total_yen);
      assert.match(order.order_number, /^\d{6}-[0-9A-Z]{6}$/);
      const after = await db().selectFrom('variants').select('stock').where('id', '=', variantId).executeTakeFirstOrThrow();
      assert.equal(after.stock, before.stock - 2);
      const mails = await db().selectFrom('outbox').selectAll().where('dedupe_key', '=', `order-confirmation:${orderId}`).execute();
      assert.equal(mails.length, 1);
      assert.match(mails[0]!.body_text, new RegExp(order.order_number));
      assert.match(mails[0]!.body_text, /FAX 03-1234-5679/);
      assert.match(mails[0]!.body_text, /お振込先/);
      const session = await db().selectFrom('sessions').select('cart_id').where('token_hash', '=', sha256Hex(c.cookie('mamori_sid')!)).executeTakeFirstOrThrow();
      assert.equal(await shop.shop.services.cart.count(session.cart_id), 0, 'the cart is empty after the order');
      // Receipt (適格請求書): registration number and per-rate totals.
      const receiptUrl = /href="(\/orders\/[^"]+\/receipt\?t=[^"]+)"/.exec(done.html)![1]!.replace(/&amp;/g, '&');
      const receipt = await c.get(receiptUrl);
      assert.match(receipt.html, /登録番号: T\d{13}/);
      assert.match(receipt.html, /8%対象/);
      // The order link without its token is not found.
      assert.equal((await c.get(`/orders/${orderId}?t=${'x'.repeat(43)}`)).status, 404);
      // Sent once by the worker: as a .eml file under data/mail.
      await shop.shop.services.outbox.runOnce();
      const files = readdirSync(join(shop.dataDir, 'mail'));
      assert.ok(files.some((f) => readFileSync(join(shop.dataDir, 'mail', f), 'utf8').includes('taro@example.jp')));
    });

    test('placing the same confirmation twice creates one order', async () => {
      const c = new Client(shop.url);
      await addToCart(c);
      await checkout(c, guestForm({ payment_method: 'cod' }));
      const hidden = c.hiddenFields('/checkout/place');
      const [a, b] = await Promise.all([c.request('/checkout/place', { form: hidden }), c.request('/checkout/place', { form: hidden })]);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      const orders = await db().selectFrom('orders').select(['id', 'cod_fee_yen']).where('checkout_token', '=', hidden.checkout_token!).execute();
      assert.equal(orders.length, 1);
      assert.equal(orders[0]!.cod_fee_yen, 330);
    });

    test('stock that ran out between confirmation and payment gives a clear message and no order', async () => {
      const c = new Client(shop.url);
      const variantId = await addToCart(c, 'yame-matcha');
      await checkout(c, guestForm());
      await db().updateTable('variants').set({ stock: 0 }).where('id', '=', variantId).execute();
      const hidden = c.hiddenFields('/checkout/place');
      const res = await c.request('/checkout/place', { form: hidden });
      assert.equal(res.status, 409);
      assert.match(res.html, /在庫切れ/);
      const n = await db().selectFrom('orders').select('id').where('checkout_token', '=', hidden.checkout_token!).execute();
      assert.equal(n.length, 0);
    });

    test('50 concurrent checkouts for an item with 10 in stock give exactly 10 orders', async () => {
      const variant = await db().selectFrom('variants').select(['id', 'product_id']).where('sku', '=', 'WG-YOK-1').executeTakeFirstOrThrow();
      await db().updateTable('variants').set({ stock: 10 }).where('id', '=', variant.id).execute();
      const clients = Array.from({ length: 50 }, () => new Client(shop.url));
      const forms: Record<string, string>[] = [];
      for (const c of clients) {
        await c.get('/products/ogura-yokan');
        await c.post('/cart/add', { variant_id: variant.id, quantity: '1' });
        await checkout(c, guestForm({ payment_method: 'cod' }));
        forms.push(c.hiddenFields('/checkout/place'));
      }
      const results = await Promise.all(clients.map((c, i) => c.request('/checkout/place', { form: forms[i]! })));
      const ok = results.filter((r) => r.status === 200).length;
      const refused = results.filter((r) => r.status === 409).length;
      assert.equal(ok, 10);
      assert.equal(refused, 40);
      const stock = await db().selectFrom('variants').select('stock').where('id', '=', variant.id).executeTakeFirstOrThrow();
      assert.equal(stock.stock, 0);
      const lines = await db().selectFrom('order_lines').select('quantity').where('variant_id', '=', variant.id).execute();
      assert.equal(lines.reduce((s, l) => s + l.quantity, 0), 10);
    });

    test('a card order goes to the provider, comes back paid once, whatever arrives twice', async () => {
      const c = new Client(shop.url);
      await addToCart(c, 'kaga-bo-hojicha');
      await checkout(c, guestForm({ payment_method: 'card', orderer_email: 'card@example.jp' }));
      const hidden = c.hiddenFields('/checkout/place');
      const toPsp = await c.request('/checkout/place', { form: hidden });
      assert.equal(new URL(toPsp.url).origin, new URL(shop.pspUrl).origin, 'buyer is on the provider origin');
      assert.match(toPsp.html, /name="cardNumber"/);
      // Refreshing the confirmation (placing again) leads to the same provider session: no second charge.
      const again = await c.request(`${shop.url}/checkout/place`, { form: hidden });
      assert.equal(again.url, toPsp.url, 'the same provider session');
      const orderId = (await db().selectFrom('orders').select('id').where('checkout_token', '=', hidden.checkout_token!).executeTakeFirstOrThrow()).id;
      const pending = await db().selectFrom('payments').selectAll().where('order_id', '=', orderId).execute();
      assert.equal(pending.length, 1);
      const action = /<form method="post" action="(\/pay\/[^"]+)"/.exec(toPsp.html)![1]!;
      const back = await c.request(new URL(action, shop.pspUrl).href, { form: { cardNumber: '4242 4242 4242 4242', expiry: '12/30', cvc: '123', name: 'TARO YAMADA' } });
      assert.equal(new URL(back.url).origin, shop.url);
      assert.match(back.html, /ご注文ありがとうございました/);
      assert.match(back.html, /末尾 4242/);
      const order = await db().selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
      assert.equal(order.payment_status, 'paid');
      assert.equal(order.status, 'paid');
      const payment = await db().selectFrom('payments').selectAll().where('order_id', '=', orderId).executeTakeFirstOrThrow();
      assert.equal(payment.last4, '4242');
      assert.equal(payment.brand, 'visa');
      // The provider's webhook arrives too (retried until accepted): still one paid transition, one mail.
      for (let i = 0; i < 50; i++) {
        const ev = await db().selectFrom('payment_events').select('id').where('payment_id', '=', payment.id).where('source', '=', 'webhook').execute();
        if (ev.length > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const webhookEvents = await db().selectFrom('payment_events').select('provider_event_id').where('payment_id', '=', payment.id).where('source', '=', 'webhook').execute();
      assert.ok(webhookEvents.length >= 1, 'webhook was received');
      const paidEvents = await db().selectFrom('order_events').select('id').where('order_id', '=', orderId).where('type', '=', 'paid').execute();
      assert.equal(paidEvents.length, 1);
      const mails = await db().selectFrom('outbox').select('id').where('dedupe_key', '=', `order-confirmation:${orderId}`).execute();
      assert.equal(mails.length, 1);
      // Coming back a second time changes nothing.
      await c.get(back.url);
      assert.equal((await db().selectFrom('order_events').select('id').where('order_id', '=', orderId).where('type', '=', 'paid').execute()).length, 1);
      // An unsigned webhook is refused.
      const forged = await fetch(`${shop.url}/payments/webhook/sandbox`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ eventId: 'evt_x', type: 'payment.paid' }) });
      assert.equal(forged.status, 400);
    });

    test('CSRF: state changes need the token and a same-site request', async () => {
      const c = new Client(shop.url);
      await c.get('/products/fukamushi-sencha');
      const variant = /name="variant_id" value="(var_[0-9A-Z]{16})"/.exec(c.last!.html)![1]!;
      const token = c.csrf();
      const noToken = await c.request('/cart/add', { form: { variant_id: variant, quantity: '1' } });
      assert.equal(noToken.status, 403);
      const wrong = await c.request('/cart/add', { form: { _csrf: 'x'.repeat(43), variant_id: variant, quantity: '1' } });
      assert.equal(wrong.status, 403);
      const cross = await c.request('/cart/add', { form: { _csrf: token, variant_id: variant, quantity: '1' }, headers: { 'sec-fetch-site': 'cross-site' } });
      assert.equal(cross.status, 403);
      // Another visitor's token does not work with this visitor's cookie.
      const other = new Client(shop.url);
      await other.get('/products/fukamushi-sencha');
      const stolen = await c.request('/cart/add', { form: { _csrf: other.csrf(), variant_id: variant, quantity: '1' } });
      assert.equal(stolen.status, 403);
      const fine = await c.request('/cart/add', { form: { _csrf: token, variant_id: variant, quantity: '1' }, headers: { 'sec-fetch-site': 'same-origin' } });
      assert.equal(fine.status, 200);
    });

    test('hostile input gets a 4xx with a message, never a 500', async () => {
      const c = new Client(shop.url);
      await addToCart(c);
      await c.get('/checkout');
      const token = c.csrf();
      const cases: { body: string; type?: string }[] = [
        { body: new URLSearchParams({ _csrf: token, ...guestForm(), isAdmin: '1' }).toString() },
        { body: new URLSearchParams({ _csrf: token, ...guestForm({ orderer_name: 'x'.repeat(5000) }) }).toString() },
        { body: new URLSearchParams({ _csrf: token, ...guestForm({ orderer_name: 'a\u0000b' }) }).toString() },
        { body: `_csrf=${token}&orderer_name=%FF%FE&orderer_name=%C3` },
        { body: `_csrf=${token}&orderer_name=a&orderer_name=b` },
        { body: `_csrf=${token}&${'a'.repeat(70 * 1024)}=1` },
        { body: JSON.stringify({ _csrf: token }), type: 'application/json' },
        { body: '<xml/>', type: 'application/xml' },
      ];
      for (const k of cases) {
        const res = await fetch(`${shop.url}/checkout/confirm`, {
          method: 'POST',
          headers: { 'content-type': k.type ?? 'application/x-www-form-urlencoded', accept: 'text/html', cookie: `mamori_sid=${c.cookie('mamori_sid')}` },
          body: k.body,
        });
        const html = await res.text();
        assert.ok(res.status >= 400 && res.status < 500, `${res.status} for ${k.body.slice(0, 60)}`);
        assert.doesNotMatch(html, /at .*\.ts:\d+/, 'no stack trace');
      }
      const overlong = await c.post('/checkout/confirm', guestForm({ orderer_name: 'x'.repeat(61) }));
      assert.equal(overlong.status, 422);
      assert.match(overlong.html, /60文字以内/);
      assert.match(overlong.html, /aria-invalid="true"/);
      // What was typed is kept.
      assert.match(overlong.html, /taro@example\.jp/);
      const query = await fetch(`${shop.url}/products?q=${'x'.repeat(500)}`);
      assert.equal(query.status, 400);
      const postal = await fetch(`${shop.url}/api/postal?code=%00`);
      assert.equal(postal.status, 400);
    });

    test('script typed into fields is shown as text', async () => {
      const c = new Client(shop.url);
      await addToCart(c);
      await c.get('/checkout');
      const res = await c.post('/checkout/confirm', guestForm({ orderer_address2: '<script>alert(1)</script>', note: '"><img src=x onerror=alert(1)>' }));
      assert.equal(res.status, 200);
      assert.doesNotMatch(res.html, /<script>alert/);
      assert.doesNotMatch(res.html, /<img src=x/);
      assert.match(res.html, /&lt;script>alert\(1\)&lt;\/script>/);
      assert.match(res.html, /&quot;>&lt;img src=x onerror=alert\(1\)>/);
    });
  });
}
