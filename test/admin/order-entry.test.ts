import { customerIdentityColumns } from '../../src/shared/identity.js';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { containsCardNumber } from '../../src/payments/tripwire.js';
import { ORDER_CSV_HEADER } from '../../src/checkout/exports.js';
import { qtyField } from '../../src/checkout/form.js';
import { nowIso } from '../../src/db/index.js';
import { newId } from '../../src/shared/ids.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client, decodeEntities, guestForm, type Page } from '../helpers/browser-client.js';
import { parseCsv } from '../helpers/csv.js';
import { pdfRectangles, pdfText } from '../helpers/pdf.js';
import { ADMIN_COOKIE } from '../../src/admin/plugin.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

const A = '/admin';

test('the tripwire sees a grouped card number followed by its expiry, as staff would type it from the phone', () => {
  assert.equal(containsCardNumber('4242 4242 4242 4242 12/30'), true);
  assert.equal(containsCardNumber('カード 4242-4242-4242-4242-1230 123'), true);
  assert.equal(containsCardNumber('３７８２ ８２２４６３ １０００５ 0830'), true, 'Amex grouping, full-width');
  assert.equal(containsCardNumber('4242 4242 4242 4243 12/30'), false, 'not Luhn-valid');
  assert.equal(containsCardNumber('追跡 1234 5678 9012 / 電話 03 1234 5678'), false);
});
const CARD = '4242 4242 4242 4242';

for (const { dialect, skip } of DIALECTS) {
  describe(`staff order entry and payment links on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    let staff: Client;
    let staffId: string;
    let v8: { id: string; sku: string };
    let v10: { id: string; sku: string };
    /** A storefront page with a form (for a CSRF token). */
    let productPage: string;
    before(async () => {
      shop = await startTestShop({ dialect });
      staff = new Client(shop.url);
      ({ staffId } = await signedInStaff(shop.shop.services, staff, 'staff', `entry-${dialect}@example.jp`));
      const variants = await shop.shop.services.catalog.listVariantsForSale();
      const pick = (rate: number) => variants.filter((v) => v.tax_rate === rate && v.stock >= 20).sort((a, b) => b.price_yen - a.price_yen)[0];
      v8 = pick(8)!;
      v10 = pick(10)!;
      assert.ok(v8 && v10, 'the demo catalog has an 8% and a 10% item in stock');
      productPage = `/products/${(await shop.shop.services.catalog.getVariantsForSale([v8.id]))[0]!.slug}`;
    });
    after(async () => {
      await shop?.close();
    });
    const db = () => shop.shop.services.handle.db;
    const order = (id: string) => db().selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const stockOf = async (id: string) => (await db().selectFrom('variants').select('stock').where('id', '=', id).executeTakeFirstOrThrow()).stock;
    const orderCount = async () => Number((await db().selectFrom('orders').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

    /** Hidden fields of the entry form (the page also has the GET search form with the same action). */
    function entryHidden(page: Page): Record<string, string> {
      const start = page.html.indexOf(`<form method="post" action="${A}/orders/new"`);
      assert.ok(start >= 0, 'the entry form');
      const html = page.html.slice(start, page.html.indexOf('</form>', start));
      const out: Record<string, string> = {};
      for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) out[m[1]!] = decodeEntities(m[2]!);
      return out;
    }

    function entryForm(overrides: Record<string, string> = {}, items: [string, number][] = [[v8.id, 2], [v10.id, 1]]): Record<string, string> {
      // As the browser posts it: the hidden fields of the first render included (customer, total blank).
      const base = guestForm({ orderer_email: '', orderer_fax: '', channel: 'phone', payment_method: 'cod', staff_note: '', customer_id: '', expected_total: '', ...overrides });
      for (const [id, q] of items) base[qtyField(id)] = String(q);
      return base;
    }

    /** Recalculates (no JS) and then places with the token and total the page showed. Returns the order id. */
    async function enter(form: Record<string, string>): Promise<{ id: string; recalc: Page; placed: Page }> {
      await staff.get(`${A}/orders/new`);
      const recalc = await staff.post(`${A}/orders/new`, { ...form, action: 'recalc' });
      assert.equal(recalc.status, 200, [...recalc.html.matchAll(/class="(?:field-error|notice[^"]*)"[^>]*>([^<]*)/g)].map((m) => m[1]).join(" / ") || recalc.html.slice(0, 2000));
      const hidden = entryHidden(recalc);
      assert.match(hidden.entry_token ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.match(hidden.expected_total ?? '', /^\d+$/);
      const placed = await staff.post(`${A}/orders/new`, { ...form, entry_token: hidden.entry_token!, expected_total: hidden.expected_total!, action: 'place' });
      assert.equal(placed.status, 200, placed.html.slice(0, 2000));
      const m = /\/admin\/orders\/(ord_[0-9A-Z]{16})\?done=entered/.exec(placed.url);
      assert.ok(m, `redirected to the new order (${placed.url})`);
      return { id: m[1]!, recalc, placed };
    }

    test('bad input: field errors like the storefront, nothing stored; a quantity above stock is refused', async () => {
      const before = await orderCount();
      await staff.get(`${A}/orders/new`);
      let p = await staff.post(`${A}/orders/new`, entryForm({ orderer_phone: '12345', orderer_kana: 'やまだ123', orderer_postal: '12', orderer_email: 'not-an-email', action: 'place' }));
      assert.equal(p.status, 422);
      const html = decodeEntities(p.html);
      assert.match(html, /電話番号は市外局番から数字で入力してください/);
      assert.match(html, /フリガナはカタカナで入力してください/);
      assert.match(html, /郵便番号は7桁の数字で入力してください/);
      assert.match(html, /メールアドレスの形式が正しくありません/);
      // The typed values come back.
      assert.match(html, /value="12345"/);

      p = await staff.post(`${A}/orders/new`, entryForm({ action: 'recalc' }, []));
      assert.equal(p.status, 422);
      assert.match(p.html, /商品の数量を1つ以上入力してください/);
      p = await staff.post(`${A}/orders/new`, entryForm({ action: 'recalc' }, [[v8.id, -1]]));
      assert.equal(p.status, 422);
      assert.match(p.html, /数量は0〜999の整数で入力してください/);
      p = await staff.post(`${A}/orders/new`, entryForm({ action: 'recalc', channel: 'web' }));
      assert.equal(p.status, 422, 'web is not a channel staff can enter');
      assert.match(p.html, /受付経路を選択してください/);
      p = await staff.post(`${A}/orders/new`, entryForm({ action: 'recalc', ship_to: 'other', ship_name: '' }));
      assert.equal(p.status, 422);
      assert.match(p.html, /入力してください/);
      p = await staff.post(`${A}/orders/new`, entryForm({ action: 'recalc', delivery_date: '2000-01-01' }));
      assert.equal(p.status, 422);
      assert.match(p.html, /お届け日は/);
      p = await staff.post(`${A}/orders/new`, { ...entryForm({ action: 'recalc' }), evil: '1' });
      assert.equal(p.status, 422);
      assert.match(p.html, /想定外の項目/);
      const stock = await stockOf(v10.id);
      p = await staff.post(`${A}/orders/new`, entryForm({ action: 'recalc' }, [[v10.id, stock + 1]]));
      assert.equal(p.status, 422);
      assert.match(decodeEntities(p.html), new RegExp(`在庫は残り${stock}点`));
      // Placing without having seen the totals first only shows them.
      p = await staff.post(`${A}/orders/new`, entryForm({ action: 'place' }));
      assert.equal(p.status, 409);
      assert.match(p.html, /金額を計算しました/);
      assert.equal(await orderCount(), before, 'nothing was stored');
    });

    test('totals equal the storefront\'s for the same items, destination and method; channel, entered_by, stock and mail recorded', async () => {
      // A storefront order: same items, to Hokkaido, cash on delivery.
      const buyer = new Client(shop.url);
      await buyer.get(productPage);
      await buyer.post('/cart/add', { variant_id: v8.id, quantity: '2' });
      await buyer.post('/cart/add', { variant_id: v10.id, quantity: '1' });
      await buyer.get('/checkout');
      const dest = { orderer_postal: '060-0001', orderer_prefecture: '北海道', orderer_address1: '札幌市中央区北1条西1-1', payment_method: 'cod' };
      const confirm = await buyer.post('/checkout/confirm', guestForm({ ...dest, orderer_email: 'web-same@example.jp' }));
      assert.equal(confirm.status, 200, confirm.html.slice(0, 500));
      const placedWeb = await buyer.request('/checkout/place', { form: buyer.hiddenFields('/checkout/place') });
      const webId = /\/orders\/(ord_[0-9A-Z]{16})/.exec(placedWeb.url)![1]!;
      const web = await order(webId);

      // The live quote (JSON) of the staff form.
      await staff.get(`${A}/orders/new`);
      const form = entryForm({ ...dest, orderer_email: 'Phone.Buyer@Example.JP', staff_note: '午前中に電話あり' });
      const q = await staff.request(`${A}/orders/new/quote`, { form: { _csrf: staff.csrf(), ...form }, headers: { accept: 'application/json' } });
      assert.equal(q.status, 200, q.html);
      const live = JSON.parse(q.html) as { ok: boolean; totals: Record<string, number> };
      assert.equal(live.ok, true);
      assert.equal(live.totals.totalYen, web.total_yen);

      const s8 = await stockOf(v8.id);
      const { id } = await enter(form);
      const o = await order(id);
      for (const k of ['items_total_yen', 'shipping_fee_yen', 'cod_fee_yen', 'total_yen', 'taxable_8_yen', 'tax_8_yen', 'taxable_10_yen', 'tax_10_yen'] as const) {
        assert.equal(o[k], web[k], k);
      }
      assert.ok(o.cod_fee_yen > 0 && o.shipping_fee_yen >= 0 && o.tax_8_yen > 0 && o.tax_10_yen > 0);
      assert.equal(o.channel, 'phone');
      assert.equal(o.entered_by, staffId);
      assert.equal(web.channel, 'web');
      assert.equal(web.entered_by, null);
      assert.equal(o.status, 'new');
      assert.equal(await stockOf(v8.id), s8 - 2, 'stock reserved like a web order');
      const mail = await db().selectFrom('outbox').selectAll().where('dedupe_key', '=', `order-confirmation:${id}`).executeTakeFirst();
      assert.equal(mail?.to_address, 'Phone.Buyer@Example.JP');
      const note = await db().selectFrom('order_notes').selectAll().where('order_id', '=', id).executeTakeFirst();
      assert.equal(note?.body, '午前中に電話あり');
      const audit = await db().selectFrom('audit_log').select(['action']).where('target', '=', id).execute();
      assert.ok(audit.some((a) => a.action === 'order.enter'));

      // The order page shows channel and who entered it.
      const detail = await staff.get(`${A}/orders/${id}`);
      assert.match(detail.html, /受付経路<\/dt><dd>電話/);
      assert.match(detail.html, new RegExp(`入力スタッフ</dt><dd>[^<]*entry-${dialect}@example.jp`));
    });

    test('a double submit places one order; postal transfer mails the postal account; no e-mail means no mail', async () => {
      const form = entryForm({ payment_method: 'postal_transfer', orderer_email: 'postal@example.jp', channel: 'postcard' });
      await staff.get(`${A}/orders/new`);
      const hidden = entryHidden(await staff.post(`${A}/orders/new`, { ...form, action: 'recalc' }));
      const body = { ...form, entry_token: hidden.entry_token!, expected_total: hidden.expected_total!, action: 'place' };
      const [a, b] = await Promise.all([staff.post(`${A}/orders/new`, body), staff.post(`${A}/orders/new`, body)]);
      const ids = [a, b].map((p) => /\/admin\/orders\/(ord_[0-9A-Z]{16})/.exec(p.url)?.[1]);
      assert.ok(ids[0]);
      assert.equal(ids[0], ids[1], 'the same order');
      const rows = await db().selectFrom('orders').select('id').where('checkout_token', '=', hidden.entry_token!).execute();
      assert.equal(rows.length, 1);
      const mail = await db().selectFrom('outbox').selectAll().where('dedupe_key', '=', `order-confirmation:${ids[0]!}`).executeTakeFirstOrThrow();
      assert.match(mail.body_text, /郵便振替のお払込先/);
      assert.match(mail.body_text, /00100-0-123456/);
      assert.equal((await order(ids[0]!)).channel, 'postcard');
      // The buyer's order page (the mail's link) shows the postal account; staff record the payment like a bank transfer.
      const orders = shop.shop.services.orders;
      const buyerPage = await new Client(shop.url).get(orders.orderUrl(ids[0]!, orders.orderToken(ids[0]!)));
      assert.match(buyerPage.html, /郵便振替のお払込先/);
      assert.match(buyerPage.html, /00100-0-123456/);
      const total = (await order(ids[0]!)).total_yen;
      await staff.get(`${A}/orders/${ids[0]!}`);
      const paid = await staff.post(`${A}/orders/${ids[0]!}/bank-transfer`, { amount: String(total), received_on: (await import('../../src/shared/time.js')).jstDate() });
      assert.match(paid.url, /done=bank/);
      assert.equal((await order(ids[0]!)).payment_status, 'paid');

      const { id } = await enter(entryForm({ channel: 'fax' }));
      assert.equal(await db().selectFrom('outbox').select('id').where('dedupe_key', '=', `order-confirmation:${id}`).executeTakeFirst(), undefined);
    });

    test('customer search by phone, FAX, name or e-mail finds members and earlier orderers, and prefills the form', async () => {
      const services = shop.shop.services;
      const now = nowIso();
      const cid = newId('cus');
      await db().insertInto('customers').values({
        id: cid, email: `Member.${dialect}@Example.JP`, email_norm: `member.${dialect}@example.jp`, password_hash: 'x', name: '会員 花子', name_kana: 'カイイン ハナコ',
        postal_code: '530-0001', prefecture: '大阪府', address1: '大阪市北区梅田1-1', address2: null, phone: '06-1111-2222', fax: '06-1111-3333',
        status: 'active', email_verified_at: now, created_at: now, updated_at: now, withdrawn_at: null,
        source: 'shop', external_id: null,
        ...customerIdentityColumns({ email: `Member.${dialect}@Example.JP`, phone: '06-1111-2222', name: '会員 花子', postal_code: '530-0001' }),
      }).execute();
      for (const q of ['０６１１１１３３３３', '06-1111-2222', '会員花子', `MEMBER.${dialect}@example.jp`]) {
        const p = await staff.get(`${A}/orders/new?${new URLSearchParams({ q })}`);
        assert.equal(p.status, 200);
        assert.match(p.html, new RegExp(`customer=${cid}`), q);
      }
      const pre = await staff.get(`${A}/orders/new?customer=${cid}`);
      assert.match(pre.html, /value="会員 花子"/);
      assert.match(pre.html, new RegExp(`name="customer_id" value="${cid}"`));
      const { id } = await enter(entryForm({ customer_id: cid, orderer_name: '会員 花子', orderer_email: `member.${dialect}@example.jp` }));
      assert.equal((await order(id)).customer_id, cid);
      // An earlier guest orderer, found by FAX number.
      const { id: guestId } = await enter(entryForm({ orderer_name: '過去 注文', orderer_fax: '0471-99-8877' }));
      const found = await staff.get(`${A}/orders/new?q=${encodeURIComponent('0471998877')}`);
      assert.match(found.html, new RegExp(`from_order=${guestId}`));
      const searches = await services.handle.db.selectFrom('audit_log').select('detail').where('action', '=', 'order_entry.customer_search').execute();
      assert.ok(searches.length >= 4, 'customer searches are audited');
    });

    test('payment link: issued and mailed on entry, single use, no second charge; paid through the sandbox', async () => {
      const { id } = await enter(entryForm({ payment_method: 'card', orderer_email: 'linkbuyer@example.jp' }));
      const o = await order(id);
      assert.equal(o.status, 'pending_payment');
      const links = shop.shop.services.paymentLinks;
      const current = await links.currentLinkFor(id);
      assert.ok(current, 'a link was issued');
      assert.match(current.url, new RegExp(`^${shop.url}/pay/[A-Za-z0-9_-]{43}$`));
      const stored = await db().selectFrom('payment_links').selectAll().where('order_id', '=', id).execute();
      assert.equal(stored.length, 1);
      assert.ok(!JSON.stringify(stored).includes(current.url.split('/pay/')[1]!), 'the token itself is not stored');
      const mail = await db().selectFrom('outbox').selectAll().where('kind', '=', 'payment_link').where('to_address', '=', 'linkbuyer@example.jp').executeTakeFirstOrThrow();
      assert.ok(mail.body_text.includes(current.url));
      assert.equal(await db().selectFrom('outbox').select('id').where('dedupe_key', '=', `order-confirmation:${id}`).executeTakeFirst(), undefined, 'confirmation waits for the payment');
      // The staff page shows it.
      assert.ok((await staff.get(`${A}/orders/${id}`)).html.includes(current.url));

      const buyer = new Client(shop.url);
      let page = await buyer.get(current.url);
      assert.equal(page.status, 200);
      assert.match(page.html, /カード決済ページへ進む/);
      assert.ok(page.html.includes(o.order_number));
      page = await buyer.post(new URL(current.url).pathname, {});
      assert.ok(page.url.startsWith(shop.pspUrl), `sent to the provider (${page.url})`);
      const action = /<form method="post" action="(\/pay\/[^"]+)"/.exec(page.html)![1]!;
      page = await buyer.request(new URL(action, shop.pspUrl).href, { form: { cardNumber: CARD, expiry: '12/30', cvc: '123', name: 'TARO YAMADA' } });
      assert.match(page.html, /ご注文ありがとうございました/);
      const paid = await order(id);
      assert.equal(paid.payment_status, 'paid');
      assert.equal(paid.status, 'paid');
      assert.ok(await db().selectFrom('outbox').select('id').where('dedupe_key', '=', `order-confirmation:${id}`).executeTakeFirst(), 'confirmation mailed once paid');

      // The link is used up: it says so and never starts a second payment.
      page = await buyer.get(current.url);
      assert.match(page.html, /お支払い済みです/);
      assert.doesNotMatch(page.html, /カード決済ページへ進む/);
      await buyer.get(productPage);
      page = await buyer.post(new URL(current.url).pathname, {});
      assert.equal(page.status, 409);
      const payments = await db().selectFrom('payments').select('id').where('order_id', '=', id).execute();
      assert.equal(payments.length, 1, 'one charge');
      assert.equal(await links.currentLinkFor(id), null);
      assert.ok((await db().selectFrom('payment_links').select('used_at').where('order_id', '=', id).executeTakeFirstOrThrow()).used_at);
      // Issuing for a paid order is refused.
      const again = await staff.post(`${A}/orders/${id}/payment-link/issue`, {});
      assert.equal(again.status, 409);
      assert.match(again.html, /お支払い済み/);
    });

    test('payment link: reissue revokes the previous link, resend mails again, expiry and revoke refuse, lapsed orders are cancelled with stock back; all audited', async () => {
      const { id } = await enter(entryForm({ payment_method: 'card', orderer_email: 'relink@example.jp' }, [[v10.id, 3]]));
      const links = shop.shop.services.paymentLinks;
      const first = (await links.currentLinkFor(id))!;
      await staff.get(`${A}/orders/${id}`);
      let res = await staff.post(`${A}/orders/${id}/payment-link/issue`, {});
      assert.match(res.url, /done=link_issued/);
      const second = (await links.currentLinkFor(id))!;
      assert.notEqual(second.url, first.url);
      const buyer = new Client(shop.url);
      let page = await buyer.get(first.url);
      assert.match(page.html, /このリンクは使えません/);
      await buyer.get(productPage);
      page = await buyer.post(new URL(first.url).pathname, {});
      assert.equal(page.status, 409);
      assert.equal((await db().selectFrom('payments').select('id').where('order_id', '=', id).execute()).length, 0, 'no attempt from a revoked link');

      res = await staff.post(`${A}/orders/${id}/payment-link/send`, {});
      assert.match(res.url, /done=link_sent/);
      res = await staff.post(`${A}/orders/${id}/payment-link/send`, {});
      const mails = await db().selectFrom('outbox').select('body_text').where('kind', '=', 'payment_link').where('to_address', '=', 'relink@example.jp').execute();
      assert.equal(mails.length, 3, 'the mail on entry and two resends');
      // (No ORDER BY: PostgreSQL returns the rows in any order.)
      assert.equal(mails.filter((m) => m.body_text.includes(second.url)).length, 2, 'both resends carry the new link');
      assert.equal(mails.filter((m) => m.body_text.includes(first.url)).length, 1, 'the mail on entry carried the first');

      // Expired: refused, no attempt.
      await db().updateTable('payment_links').set({ expires_at: nowIso(new Date(Date.now() - 1000)) }).where('order_id', '=', id).where('revoked_at', 'is', null).execute();
      page = await buyer.get(second.url);
      assert.match(page.html, /有効期限が切れています/);
      await buyer.get(productPage);
      page = await buyer.post(new URL(second.url).pathname, {});
      assert.equal(page.status, 409);
      assert.equal((await db().selectFrom('payments').select('id').where('order_id', '=', id).execute()).length, 0);
      // Reconciliation cancels the lapsed order and gives the stock back.
      const stock = await stockOf(v10.id);
      await shop.shop.services.payments.reconcile({ olderThanMs: 0 });
      const o = await order(id);
      assert.equal(o.status, 'cancelled');
      assert.equal(await stockOf(v10.id), stock + 3);

      // Revoke on another order.
      const { id: id2 } = await enter(entryForm({ payment_method: 'card', orderer_email: '' }));
      const third = (await links.currentLinkFor(id2))!;
      await staff.get(`${A}/orders/${id2}`);
      res = await staff.post(`${A}/orders/${id2}/payment-link/send`, {});
      assert.equal(res.status, 409, 'no e-mail to send to');
      assert.match(res.html, /メールアドレスがありません/);
      res = await staff.post(`${A}/orders/${id2}/cancel`, {});
      assert.equal(res.status, 409);
      assert.match(decodeEntities(res.html), /リンクを無効にする/);
      res = await staff.post(`${A}/orders/${id2}/payment-link/revoke`, {});
      assert.match(res.url, /done=link_revoked/);
      assert.match((await buyer.get(third.url)).html, /このリンクは使えません/);
      assert.equal((await buyer.get(`/pay/${'A'.repeat(43)}`)).status, 404);
      assert.equal((await buyer.get('/pay/short')).status, 404);

      const actions = (await db().selectFrom('audit_log').select('action').where('target', 'in', [id, id2]).execute()).map((a) => a.action);
      for (const a of ['payment_link.issue', 'payment_link.send', 'payment_link.resend', 'payment_link.revoke']) assert.ok(actions.includes(a), a);
    });

    test('a card number typed into an admin note is refused with the payment-link message; nothing stored, no digits echoed', async () => {
      const { id } = await enter(entryForm());
      await staff.get(`${A}/orders/${id}`);
      const res = await staff.post(`${A}/orders/${id}/notes`, { body: `お客様のカード ${CARD} 12/30` });
      assert.equal(res.status, 400);
      const html = decodeEntities(res.html);
      assert.match(html, /お支払いリンク/);
      assert.match(html, /何も保存していません/);
      assert.doesNotMatch(html.replace(/\s|-/g, ''), /4242424242424242/);
      assert.equal((await db().selectFrom('order_notes').select('id').where('order_id', '=', id).execute()).length, 0);
      const alert = await db().selectFrom('alerts').selectAll().where('kind', '=', 'pan_tripwire_admin').executeTakeFirstOrThrow();
      assert.equal(alert.severity, 'warning');
      assert.doesNotMatch(JSON.stringify(alert).replace(/\s|-/g, ''), /4242424242424242/);
      assert.equal(await shop.shop.services.killSwitch.isSuspended(), false, 'a staff mistake does not suspend card payments');
      // The order entry's staff note too.
      await staff.get(`${A}/orders/new`);
      const before = await db().selectFrom('orders').select('id').execute();
      const entry = await staff.post(`${A}/orders/new`, entryForm({ staff_note: `カード番号 ${CARD.replace(/ /g, '-')}`, action: 'recalc' }));
      assert.equal(entry.status, 400);
      assert.match(decodeEntities(entry.html), /お支払いリンク/);
      assert.equal((await db().selectFrom('orders').select('id').execute()).length, before.length);
      // The customer search box (a GET query), and any other admin field: the same message, nothing echoed.
      for (const path of [`${A}/orders/new?q=${encodeURIComponent(CARD)}`, `${A}/orders?q=${encodeURIComponent(`${CARD} 12/30`)}`]) {
        const p = await staff.get(path);
        assert.equal(p.status, 400, path);
        const text = decodeEntities(p.html);
        assert.match(text, /クレジットカード（お支払いリンク）」で登録し、お支払いリンクをメール、または注文確認書（FAX返信票）でお送りしてください/, path);
        assert.match(p.html, /^<!doctype html>/i, 'a page, not JSON');
        assert.doesNotMatch(text.replace(/\s|-/g, ''), /4242424242424242/);
      }
      const customers = await staff.get(`${A}/customers?q=${encodeURIComponent(CARD)}`);
      assert.equal(customers.status, 400);
      assert.match(decodeEntities(customers.html), /お支払いリンク/);
    });

    test('owner settings: the postal account and the link validity are validated and used', async () => {
      const owner = new Client(shop.url);
      await signedInStaff(shop.shop.services, owner, 'owner', `entry-owner-${dialect}@example.jp`);
      await owner.get(`${A}/settings`);
      let res = await owner.post(`${A}/settings/postal`, { accountNumber: '12345', accountHolder: 'テスト', dueDays: '7' });
      assert.equal(res.status, 422);
      assert.match(decodeEntities(res.html), /口座記号番号は「00100-0-123456」の形式/);
      res = await owner.post(`${A}/settings/postal`, { accountNumber: '００２００－１－７６５４３２', accountHolder: 'カ）マモリ', dueDays: '10' });
      assert.ok(res.status < 400, res.html.slice(0, 300));
      res = await owner.post(`${A}/settings/paymentLinks`, { validDays: '0' });
      assert.equal(res.status, 422);
      res = await owner.post(`${A}/settings/paymentLinks`, { validDays: '3' });
      assert.ok(res.status < 400);
      const settings = await shop.shop.services.settings.get(shop.shop.services.handle.db);
      assert.equal(settings.postal.accountNumber, '00200-1-765432');
      assert.equal(settings.paymentLinks.validDays, 3);
      // A new link lives 3 days (saving a section clears the settings cache).
      const { id } = await enter(entryForm({ payment_method: 'card' }));
      const link = (await shop.shop.services.paymentLinks.currentLinkFor(id))!;
      const days = (Date.parse(link.expiresAt) - Date.now()) / 86_400_000;
      assert.ok(days > 2.9 && days <= 3, `expires in 3 days (${days})`);
    });

    test('only owner and staff may enter orders; the security role gets 403', async () => {
      const sec = new Client(shop.url);
      await signedInStaff(shop.shop.services, sec, 'security', `entry-sec-${dialect}@example.jp`);
      assert.equal((await sec.get(`${A}/orders/new`)).status, 403);
      const post = await sec.request(`${A}/orders/new`, { form: { _csrf: sec.csrf(), ...entryForm({ action: 'recalc' }) } });
      assert.equal(post.status, 403);
      const anon = new Client(shop.url);
      const p = await anon.request(`${A}/orders/new`, { follow: false });
      assert.equal(p.status, 303);
    });

    test('channel filters the order list and the order CSV', async () => {
      const { id } = await enter(entryForm({ channel: 'fax', orderer_name: '経路 確認' }));
      const ids = (p: Page) => [...p.html.matchAll(/href="\/admin\/orders\/(ord_[0-9A-Z]{16})"/g)].map((m) => m[1]!);
      const fax = await staff.get(`${A}/orders?channel=fax&q=${encodeURIComponent('経路')}`);
      assert.deepEqual(ids(fax), [id]);
      const phone = await staff.get(`${A}/orders?channel=phone&q=${encodeURIComponent('経路')}`);
      assert.deepEqual(ids(phone), []);
      assert.equal((await staff.get(`${A}/orders?channel=carrier-pigeon`)).status, 400);
      const csv = await staff.get(`${A}/orders/export/orders.csv?channel=fax`);
      assert.equal(csv.status, 200);
      const rows = parseCsv(csv.html.replace(/^\uFEFF/, ''));
      const header = rows[0]!;
      assert.deepEqual(header, [...ORDER_CSV_HEADER]);
      const body = rows.slice(1).filter((r) => r.length > 1);
      assert.ok(body.length > 0);
      assert.ok(body.every((r) => r[header.indexOf('受付経路')] === 'FAX'));
      assert.ok(body.every((r) => r[header.indexOf('入力スタッフID')] === staffId));
      // The carriers' files take the same filter: only FAX orders in a FAX-only export.
      const faxNumbers = new Set((await db().selectFrom('orders').select('order_number').where('channel', '=', 'fax').execute()).map((o) => o.order_number));
      const ours = (await order(id)).order_number;
      for (const path of ['yamato-b2.csv', 'sagawa.csv']) {
        const all = await staff.get(`${A}/orders/export/${path}`);
        assert.equal(all.status, 200, path);
        const faxOnly = await staff.get(`${A}/orders/export/${path}?channel=fax`);
        assert.equal(faxOnly.status, 200, path);
        const numbers = (p: Page) => [...p.html.matchAll(/\b(\d{6}-[0-9A-HJKMNP-TV-Z]{6})\b/g)].map((m) => m[1]!);
        assert.ok(numbers(faxOnly).includes(ours), `${path}: the FAX order`);
        assert.ok(numbers(faxOnly).every((n) => faxNumbers.has(n)), `${path}: FAX orders only`);
        assert.ok(numbers(all).some((n) => !faxNumbers.has(n)), `${path}: other channels without the filter`);
      }
    });
    /** The FAX reply sheet of an order as staff download it, read back as text (runs of spaces squeezed). */
    async function replySheet(id: string): Promise<{ text: string; rects: number }> {
      const res = await fetch(`${shop.url}${A}/orders/${id}/reply-sheet.pdf`, { headers: { cookie: `${ADMIN_COOKIE}=${staff.cookie(ADMIN_COOKIE)}` } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/pdf');
      const pdf = Buffer.from(await res.arrayBuffer());
      return { text: pdfText(pdf).replace(/[ \t]+/g, ' '), rects: pdfRectangles(pdf) };
    }
    /** The URL printed whole: on one line, or broken only after its last '/', never inside the token. */
    const printed = (text: string, url: string) => {
      const cut = url.lastIndexOf('/') + 1;
      return text.includes(url) || new RegExp(`${url.slice(0, cut).replace(/[.?/]/g, '\\$&')}\\s*\\n\\s*${url.slice(cut)}(?![A-Za-z0-9_-])`).test(text);
    };
    /** One item each of two variants the earlier tests have not sold out. */
    async function inStock(): Promise<[string, number][]> {
      const variants = (await shop.shop.services.catalog.listVariantsForSale()).filter((v) => v.stock >= 5 && v.id !== v8.id && v.id !== v10.id);
      assert.ok(variants.length >= 2);
      return [[variants[0]!.id, 1], [variants[1]!.id, 1]];
    }

    test('the reply sheet of a card order prints its open payment link and QR code; none once paid or revoked', async () => {
      const links = shop.shop.services.paymentLinks;
      // Paid through the link: the sheet printed before carries the link, the one after says paid.
      const { id } = await enter(entryForm({ payment_method: 'card', channel: 'fax', orderer_email: '', orderer_fax: '0263-44-5566' }, await inStock()));
      const current = (await links.currentLinkFor(id))!;
      assert.ok(current);
      const open = await replySheet(id);
      assert.ok(printed(open.text, current.url), `the link on the sheet, no break inside the token\n${open.text}`);
      assert.ok(open.text.includes('カード番号は、FAX・お電話・この用紙には決して書かないでください'));
      assert.ok(open.text.includes('受付方法 FAX'));
      // A new link (reissue) replaces the printed one: the sheet follows the current link.
      await staff.get(`${A}/orders/${id}`);
      assert.match((await staff.post(`${A}/orders/${id}/payment-link/issue`, {})).url, /done=link_issued/);
      const reissued = (await links.currentLinkFor(id))!;
      assert.notEqual(reissued.url, current.url);
      const again = await replySheet(id);
      assert.ok(printed(again.text, reissued.url) && !printed(again.text, current.url), 'only the current link');

      const buyer = new Client(shop.url);
      await buyer.get(reissued.url);
      let page = await buyer.post(new URL(reissued.url).pathname, {});
      const action = /<form method="post" action="(\/pay\/[^"]+)"/.exec(page.html)![1]!;
      page = await buyer.request(new URL(action, shop.pspUrl).href, { form: { cardNumber: CARD, expiry: '12/30', cvc: '123', name: 'FUMI MATSUMOTO' } });
      assert.equal((await order(id)).payment_status, 'paid');
      const paid = await replySheet(id);
      assert.ok(!paid.text.includes('/pay/'), `no link on a paid order\n${paid.text}`);
      assert.ok(!paid.text.includes('お支払いリンクを別途お送りします'), 'a paid order is not promised a link');
      assert.ok(paid.text.includes('お支払いを確認しました（お支払い済み）'), paid.text);
      assert.ok(open.rects - paid.rects > 300, `the QR code is gone (${open.rects} vs ${paid.rects} rectangles)`);

      // Revoked: no link, no QR code, the link is to come.
      const { id: id2 } = await enter(entryForm({ payment_method: 'card', channel: 'phone', orderer_email: '' }, await inStock()));
      const before = await replySheet(id2);
      assert.ok(printed(before.text, (await links.currentLinkFor(id2))!.url));
      await staff.get(`${A}/orders/${id2}`);
      assert.match((await staff.post(`${A}/orders/${id2}/payment-link/revoke`, {})).url, /done=link_revoked/);
      assert.equal(await links.currentLinkFor(id2), null);
      const revoked = await replySheet(id2);
      assert.ok(!revoked.text.includes('/pay/'), `no link once revoked\n${revoked.text}`);
      assert.ok(revoked.text.includes('カード払いのお支払いリンクを別途お送りします'));
      assert.ok(before.rects - revoked.rects > 300, `the QR code is gone (${before.rects} vs ${revoked.rects} rectangles)`);
    });

    test('the reply sheet of a postal transfer order shows the postal account from the settings', async () => {
      const { id } = await enter(entryForm({ payment_method: 'postal_transfer', channel: 'postcard', orderer_email: '' }, await inStock()));
      const o = await order(id);
      const { postal } = await shop.shop.services.settings.get();
      const { text } = await replySheet(id);
      for (const expected of [
        'お支払い方法 郵便振替', '郵便振替のお払込先', `口座記号番号: ${postal.accountNumber}`, `加入者名: ${postal.accountHolder}`,
        `お払込金額: ${o.total_yen.toLocaleString('en-US')}円`, `ご注文番号（${o.order_number}）`, '受付方法 はがき・郵便',
      ]) {
        assert.ok(text.includes(expected), `the sheet shows ${JSON.stringify(expected)}\n${text}`);
      }
      assert.ok(!text.includes('/pay/'));
    });
  });
}
