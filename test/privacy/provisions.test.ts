import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jstDate } from '../../src/shared/time.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client, guestForm } from '../helpers/browser-client.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

const A = '/admin';

async function placeCardOrder(shop: TestShop, name: string): Promise<string> {
  const c = new Client(shop.url);
  await c.get('/products/fukamushi-sencha');
  const m = /name="variant_id" value="(var_[0-9A-Z]{16})"(?![^>]*disabled)/.exec(c.last!.html);
  await c.post('/cart/add', { variant_id: m![1]!, quantity: '1' });
  await c.get('/checkout');
  assert.equal((await c.post('/checkout/confirm', guestForm({ orderer_name: name, payment_method: 'card' }))).status, 200);
  const page = await c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
  const action = /<form method="post" action="(\/pay\/[^"]+)"/.exec(page.html)![1]!;
  const done = await c.request(new URL(action, shop.pspUrl).href, { form: { cardNumber: '4242 4242 4242 4242', expiry: '12/30', cvc: '123', name: 'TARO YAMADA' } });
  return /\/orders\/(ord_[0-9A-Z]{16})/.exec(done.url)![1]!;
}

for (const { dialect, skip } of DIALECTS) {
  describe(`third-party provision records on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    let staff: Client;
    let owner: Client;
    before(async () => {
      shop = await startTestShop({ dialect });
      staff = new Client(shop.url);
      owner = new Client(shop.url);
      await signedInStaff(shop.shop.services, staff, 'staff', `prv-staff-${dialect}@example.jp`);
      await signedInStaff(shop.shop.services, owner, 'owner', `prv-owner-${dialect}@example.jp`);
    });
    after(async () => {
      await shop?.close();
    });
    const db = () => shop.shop.services.handle.db;

    test('each carrier CSV export records recipient, orders and items; the owner lists them, staff cannot', async () => {
      const id = await placeCardOrder(shop, '提供 記録子');
      const { order_number } = await db().selectFrom('orders').select('order_number').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal((await staff.get(`${A}/orders/export/yamato-b2.csv?ship_date=${jstDate()}`)).status, 200);
      assert.equal((await staff.get(`${A}/orders/export/sagawa.csv?ship_date=${jstDate()}`)).status, 200);
      // The plain order CSV stays in the shop: no provision.
      assert.equal((await staff.get(`${A}/orders/export/orders.csv`)).status, 200);

      const rows = await db().selectFrom('privacy_provisions').selectAll().orderBy('at').execute();
      assert.deepEqual(rows.map((r) => r.format), ['yamato_b2', 'sagawa_ehiden']);
      for (const r of rows) {
        assert.ok((JSON.parse(r.order_numbers) as string[]).includes(order_number));
        assert.equal(r.order_count, (JSON.parse(r.order_numbers) as string[]).length);
        assert.ok((JSON.parse(r.items) as string[]).includes('お届け先の住所'));
        assert.equal(r.actor, `staff:prv-staff-${dialect}@example.jp`);
      }
      assert.match(rows[0]!.recipient, /ヤマト運輸/);
      assert.match(rows[1]!.recipient, /佐川急便/);

      assert.equal((await staff.get(`${A}/privacy`)).status, 403);
      const page = await owner.get(`${A}/privacy`);
      assert.equal(page.status, 200);
      assert.match(page.html, /第三者提供記録/);
      assert.match(page.html, /ヤマト運輸株式会社/);
      assert.match(page.html, new RegExp(order_number));
      assert.doesNotMatch(page.html, /提供 記録子/, 'the page shows order numbers, not names');
      const list = await db().selectFrom('audit_log').select('detail').where('action', '=', 'privacy.provisions.list').execute();
      assert.equal(list.length, 1);

      // The retention plan is on the same page; 「今すぐ実行する」 runs it as the owner, audited.
      assert.match(page.html, /ゲスト注文の匿名化/);
      const ran = await owner.post(`${A}/privacy/retention/run`, {});
      assert.equal(ran.status, 200);
      assert.match(ran.html, /保存期間の処理を実行しました/);
      const runs = await db().selectFrom('audit_log').select('actor').where('action', '=', 'privacy.retention.run').execute();
      assert.deepEqual(runs.map((r) => r.actor), [`staff:prv-owner-${dialect}@example.jp`]);
      assert.equal((await staff.post(`${A}/privacy/retention/run`, {})).status, 403);
    });
  });
}
