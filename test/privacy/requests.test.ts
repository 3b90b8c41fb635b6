import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ANONYMISED } from '../../src/privacy/retention.js';
import { addDays, jstDate } from '../../src/shared/time.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client, guestForm } from '../helpers/browser-client.js';
import { pdfText } from '../helpers/pdf.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

const A = '/admin';

async function placeOrder(shop: TestShop, form: Record<string, string>): Promise<string> {
  const c = new Client(shop.url);
  await c.get('/products/fukamushi-sencha');
  const m = /name="variant_id" value="(var_[0-9A-Z]{16})"(?![^>]*disabled)/.exec(c.last!.html);
  await c.post('/cart/add', { variant_id: m![1]!, quantity: '1' });
  await c.get('/checkout');
  assert.equal((await c.post('/checkout/confirm', guestForm(form))).status, 200);
  let page = await c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
  if (form.payment_method === 'card') {
    const action = /<form method="post" action="(\/pay\/[^"]+)"/.exec(page.html)![1]!;
    page = await c.request(new URL(action, shop.pspUrl).href, { form: { cardNumber: '4242 4242 4242 4242', expiry: '12/30', cvc: '123', name: 'HANAKO' } });
  }
  return /\/orders\/(ord_[0-9A-Z]{16})/.exec(page.url)![1]!;
}

for (const { dialect, skip } of DIALECTS) {
  describe(`APPI requests on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    let owner: Client;
    let ownerEmail: string;
    const db = () => shop.shop.services.handle.db;
    before(async () => {
      shop = await startTestShop({ dialect });
      owner = new Client(shop.url);
      ownerEmail = `appi-owner-${dialect}@example.jp`;
      await signedInStaff(shop.shop.services, owner, 'owner', ownerEmail);
    });
    after(async () => {
      await shop?.close();
    });

    const open = async (form: Record<string, string>) => {
      await owner.get(`${A}/privacy/requests`);
      return owner.post(`${A}/privacy/requests`, { received_on: jstDate(), detail: '電話で受付。運転免許証の写しで本人確認。', ...form });
    };
    const requestId = (url: string) => /\/privacy\/requests\/(apr_[0-9A-Z]{16})/.exec(url)![1]!;

    test('staff cannot open the requests; bad input gives field errors', async () => {
      const staff = new Client(shop.url);
      await signedInStaff(shop.shop.services, staff, 'staff', `appi-staff-${dialect}@example.jp`);
      assert.equal((await staff.get(`${A}/privacy/requests`)).status, 403);
      const bad = await open({ kind: 'disclosure', email: 'not-an-email', received_on: '2026-13-40' });
      assert.equal(bad.status, 422);
      assert.match(bad.html, /メールアドレスの形式が正しくありません/);
      assert.match(bad.html, /日付を正しく入力してください/);
      const nobody = await open({ kind: 'disclosure' });
      assert.equal(nobody.status, 422);
      assert.match(nobody.html, /会員ID、メールアドレス、電話番号のいずれか/);
    });

    test('disclosure by e-mail finds the orders through the identity keys, as JSON and PDF, audited; due date from the setting', async () => {
      const id = await placeOrder(shop, { orderer_name: '開示 花子', orderer_email: 'Kaiji.Hanako@Example.JP', orderer_phone: '03-2222-0001', payment_method: 'card' });
      await placeOrder(shop, { orderer_name: '他人 次郎', orderer_email: 'tanin@example.jp', orderer_phone: '03-2222-0009', payment_method: 'card' });
      const { order_number } = await db().selectFrom('orders').select('order_number').where('id', '=', id).executeTakeFirstOrThrow();
      // Typed differently from the order (case, full-width): the identity keys match anyway.
      const created = await open({ kind: 'disclosure', email: ' ｋａｉｊｉ.hanako@example.jp ' });
      assert.equal(created.status, 200, created.html.slice(0, 400));
      const rid = requestId(created.url);
      const row = await db().selectFrom('privacy_requests').selectAll().where('id', '=', rid).executeTakeFirstOrThrow();
      assert.equal(row.due_on, addDays(jstDate(), 14));
      assert.equal(row.status, 'open');
      assert.match(created.html, new RegExp(row.due_on));

      const json = await owner.download(`${A}/privacy/requests/${rid}/disclosure.json`);
      assert.equal(json.status, 200);
      const d = JSON.parse(json.body.toString('utf8')) as { orders: { order_number: string; orderer_name: string; lines: unknown[] }[]; mails: { to_address: string }[] };
      assert.deepEqual(d.orders.map((o) => o.order_number), [order_number]);
      assert.equal(d.orders[0]!.orderer_name, '開示 花子');
      assert.equal(d.orders[0]!.lines.length, 1);
      assert.ok(d.mails.length >= 1, 'the order mail is disclosed');
      assert.ok(!json.body.toString('utf8').includes('他人'), 'nobody else');
      assert.ok(!json.body.toString('utf8').includes('access_token_hash'));

      const pdf = await owner.download(`${A}/privacy/requests/${rid}/disclosure.pdf`);
      assert.equal(pdf.status, 200);
      assert.equal(pdf.headers.get('content-type'), 'application/pdf');
      const text = pdfText(pdf.body);
      assert.match(text, /保有個人データの開示/);
      assert.match(text, /開示 花子/);
      assert.match(text, new RegExp(order_number));

      const closed = await owner.post(`${A}/privacy/requests/${rid}/close`, { status: 'done', outcome: '簡易書留でPDFを郵送。' });
      assert.equal(closed.status, 200);
      const done = await db().selectFrom('privacy_requests').selectAll().where('id', '=', rid).executeTakeFirstOrThrow();
      assert.equal(done.status, 'done');
      assert.equal(done.handled_by, `staff:${ownerEmail}`);
      const again = await owner.post(`${A}/privacy/requests/${rid}/close`, { status: 'done', outcome: '二重' });
      assert.equal(again.status, 409);

      const actions = (await db().selectFrom('audit_log').select('action').where('target', '=', rid).execute()).map((r) => r.action);
      assert.deepEqual(actions.sort(), ['privacy.request.complete', 'privacy.request.create', 'privacy.request.disclose', 'privacy.request.disclose'].sort());
    });

    test('suspension is recorded; deletion anonymises completed orders, keeps open ones and the books', async () => {
      const s = shop.shop.services;
      const done = await placeOrder(shop, { orderer_name: '削除 三子', orderer_email: 'sakujo@example.jp', orderer_phone: '090-3333-0001', payment_method: 'card' });
      const pending = await placeOrder(shop, { orderer_name: '削除 三子', orderer_email: 'sakujo@example.jp', orderer_phone: '090-3333-0001', payment_method: 'bank_transfer' });
      await db().updateTable('orders').set({ status: 'delivered' }).where('id', '=', done).execute();
      await s.catalogRequests.create({ name: '削除 三子', kana: null, postalCode: '100-0001', prefecture: '東京都', address1: '千代田区1-1', address2: null, email: null, phone: '09033330001', lang: 'ja' });
      const before = await db().selectFrom('orders').selectAll().where('id', '=', done).executeTakeFirstOrThrow();

      assert.equal(await s.privacyRequests.isSuspendedContact({ phone: '090-3333-0001' }), false);
      const susp = await open({ kind: 'suspension', phone: '090-3333-0001' });
      await owner.post(`${A}/privacy/requests/${requestId(susp.url)}/close`, { status: 'done', outcome: 'カタログ送付を停止。' });
      assert.equal(await s.privacyRequests.isSuspendedContact({ phone: '０９０３３３３０００１' }), true);
      assert.equal(await s.privacyRequests.isSuspendedContact({ phone: '090-3333-0009' }), false);

      const del = await open({ kind: 'deletion', email: 'sakujo@example.jp', phone: '090-3333-0001' });
      const rid = requestId(del.url);
      const missing = await owner.post(`${A}/privacy/requests/${rid}/close`, { status: 'done', outcome: '' });
      assert.equal(missing.status, 422);
      assert.equal((await owner.post(`${A}/privacy/requests/${rid}/close`, { status: 'done', outcome: '消去を実施。' })).status, 200);

      const after = await db().selectFrom('orders').selectAll().where('id', '=', done).executeTakeFirstOrThrow();
      assert.equal(after.orderer_name, ANONYMISED);
      assert.equal(after.orderer_email, null);
      assert.equal(after.orderer_email_key, null);
      assert.equal(after.orderer_phone_key, null);
      for (const k of ['total_yen', 'tax_8_yen', 'tax_10_yen', 'taxable_8_yen', 'taxable_10_yen', 'status', 'payment_status'] as const) assert.equal(after[k], before[k], k);
      const kept = await db().selectFrom('orders').selectAll().where('id', '=', pending).executeTakeFirstOrThrow();
      assert.equal(kept.orderer_name, '削除 三子', 'the open order keeps its data until it is complete');
      assert.equal((await db().selectFrom('catalog_requests').select('id').where('phone', '=', '09033330001').execute()).length, 0);
      const entry = await db().selectFrom('audit_log').select('detail').where('target', '=', rid).where('action', '=', 'privacy.request.complete').executeTakeFirstOrThrow();
      assert.match(entry.detail ?? '', /"openOrdersKept":1/);
      assert.doesNotMatch(entry.detail ?? '', /削除 三子|sakujo/);
      assert.ok((await s.audit.verify()).ok);
    });
  });
}
