import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { ANONYMISED } from '../../src/privacy/retention.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client, guestForm } from '../helpers/browser-client.js';
import { cliEnv, DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

const run = promisify(execFile);
const A = '/admin';
const DAY = 86_400_000;
const later = (days: number) => new Date(Date.now() + days * DAY);

async function placeOrder(shop: TestShop, form: Record<string, string>): Promise<string> {
  const c = new Client(shop.url);
  await c.get('/products/fukamushi-sencha');
  const m = /name="variant_id" value="(var_[0-9A-Z]{16})"(?![^>]*disabled)/.exec(c.last!.html);
  assert.ok(m);
  await c.post('/cart/add', { variant_id: m[1]!, quantity: '2' });
  await c.get('/checkout');
  const confirm = await c.post('/checkout/confirm', guestForm(form));
  assert.equal(confirm.status, 200, confirm.html.slice(0, 500));
  let page = await c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
  if (form.payment_method === 'card') {
    const action = /<form method="post" action="(\/pay\/[^"]+)"/.exec(page.html)![1]!;
    page = await c.request(new URL(action, shop.pspUrl).href, { form: { cardNumber: '4242 4242 4242 4242', expiry: '12/30', cvc: '123', name: 'TARO YAMADA' } });
  }
  assert.match(page.html, /ご注文ありがとうございました/);
  return /\/orders\/(ord_[0-9A-Z]{16})/.exec(page.url)![1]!;
}

for (const { dialect, skip } of DIALECTS) {
  describe(`retention on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    const db = () => shop.shop.services.handle.db;
    const order = (id: string) => db().selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

    before(async () => {
      shop = await startTestShop({ dialect });
    });
    after(async () => {
      await shop?.close();
    });

    test('plan counts, run anonymises only what is due, keeps the books and open orders, and is audited', async () => {
      const s = shop.shop.services;
      // A completed guest order (card, paid, delivered) and an open one (bank transfer not paid).
      const done = await placeOrder(shop, {
        orderer_name: '保存 期限子', orderer_email: 'kigen@example.jp', orderer_phone: '03-7777-0001', payment_method: 'card',
        ship_to: 'other', ship_name: '受取 花子', ship_kana: 'ウケトリ ハナコ', ship_postal: '530-0001', ship_prefecture: '大阪府', ship_address1: '大阪市北区梅田1-1', ship_phone: '06-4444-0303',
      });
      const open = await placeOrder(shop, { orderer_name: '未払 一郎', orderer_email: 'mibarai@example.jp', payment_method: 'bank_transfer' });
      // Fixture: the goods were delivered (the status flow itself is tested with the order admin).
      await db().updateTable('orders').set({ status: 'delivered' }).where('id', '=', done).execute();
      const before = await order(done);
      assert.equal(before.payment_status, 'paid');
      const linesBefore = await db().selectFrom('order_lines').selectAll().where('order_id', '=', done).orderBy('line_no').execute();
      const stockBefore = await db().selectFrom('variants').select(['id', 'stock']).orderBy('id').execute();

      // A withdrawn member with an address.
      const reg = await s.customers.register({
        email: 'taikai@example.jp', password: 'correct horse battery staple 9', name: '退会 三郎', nameKana: 'タイカイ サブロウ', postalCode: '150-0001',
        prefecture: '東京都', address1: '渋谷区神宮前1-1', address2: null, phone: '090-1111-2222', fax: null,
      });
      assert.ok(reg.ok);
      const memberId = reg.customerId;
      await db().updateTable('customers').set({ status: 'active', email_verified_at: new Date().toISOString() }).where('id', '=', memberId).execute();
      assert.ok(await s.customers.withdraw(memberId, 'correct horse battery staple 9'));

      // A catalog request; the mails above are in the outbox — sent by the worker.
      await s.catalogRequests.create({ name: 'カタログ 請子', kana: null, postalCode: '060-0001', prefecture: '北海道', address1: '札幌市中央区1-1', address2: null, email: 'catalog@example.jp', phone: null, lang: 'ja' });
      await s.outbox.runOnce();
      const sent = await db().selectFrom('outbox').select('id').where('status', '=', 'sent').execute();
      assert.ok(sent.length >= 2, 'order and withdrawal mails were sent');

      // Today nothing is due.
      const today = await s.retention.plan();
      assert.deepEqual(today.counts, { guestOrders: 0, withdrawnMembers: 0, memberOrders: 0, catalogRequests: 0, outboxMails: 0 });

      // In 100 days: only the mail bodies (90 days by default).
      const in100 = await s.retention.plan(later(100));
      assert.equal(in100.counts.outboxMails, sent.length);
      assert.equal(in100.counts.guestOrders, 0);
      assert.equal(in100.counts.withdrawnMembers, 0);

      // In 3 years: everything. The plan and the run agree.
      const at = later(3 * 366);
      const plan = await s.retention.plan(at);
      assert.deepEqual(plan.counts, { guestOrders: 1, withdrawnMembers: 1, memberOrders: 0, catalogRequests: 1, outboxMails: sent.length });
      const counts = await s.retention.run('test:retention', at);
      assert.deepEqual(counts, plan.counts);

      const after = await order(done);
      assert.equal(after.orderer_name, ANONYMISED);
      assert.equal(after.shipping_name, ANONYMISED);
      for (const k of ['orderer_email', 'orderer_kana', 'orderer_fax', 'orderer_address2', 'shipping_kana', 'note',
        'orderer_email_key', 'orderer_phone_key', 'orderer_name_key', 'orderer_postal_key', 'shipping_name_key', 'shipping_phone_key', 'shipping_postal_key'] as const) {
        assert.equal(after[k], null, k);
      }
      assert.equal(after.orderer_phone, '');
      assert.equal(after.orderer_address1, '');
      assert.equal(after.shipping_phone, '');
      // The books: totals, tax per rate, lines and stock are untouched.
      for (const k of ['items_total_yen', 'shipping_fee_yen', 'cod_fee_yen', 'total_yen', 'taxable_8_yen', 'tax_8_yen', 'taxable_10_yen', 'tax_10_yen', 'status', 'payment_status', 'order_number', 'placed_at', 'orderer_prefecture'] as const) {
        assert.equal(after[k], before[k], k);
      }
      assert.deepEqual(await db().selectFrom('order_lines').selectAll().where('order_id', '=', done).orderBy('line_no').execute(), linesBefore);
      assert.deepEqual(await db().selectFrom('variants').select(['id', 'stock']).orderBy('id').execute(), stockBefore);

      // The open order keeps everything.
      const stillOpen = await order(open);
      assert.equal(stillOpen.orderer_name, '未払 一郎');
      assert.equal(stillOpen.orderer_email, 'mibarai@example.jp');
      assert.ok(stillOpen.orderer_email_key);

      const member = await db().selectFrom('customers').selectAll().where('id', '=', memberId).executeTakeFirstOrThrow();
      assert.equal(member.name, ANONYMISED);
      assert.equal(member.phone, '');
      assert.equal(member.address1, '');
      assert.ok(!member.email.includes('taikai'));
      assert.deepEqual([member.email_key, member.phone_key, member.name_key, member.postal_key], [null, null, null, null]);
      assert.equal((await db().selectFrom('customer_addresses').select('id').where('customer_id', '=', memberId).execute()).length, 0);

      assert.equal((await db().selectFrom('catalog_requests').select('id').execute()).length, 0);
      const mails = await db().selectFrom('outbox').selectAll().where('status', '=', 'sent').execute();
      for (const m of mails) assert.deepEqual([m.to_address, m.subject, m.body_text], ['', '', '']);

      // An order the member left open is anonymised once it is complete and its time has passed.
      await db().updateTable('orders').set({ customer_id: memberId }).where('id', '=', open).execute();
      assert.equal((await s.retention.plan(later(6 * 366))).counts.guestOrders, 0, 'still open');
      await db().updateTable('orders').set({ status: 'delivered', payment_status: 'paid' }).where('id', '=', open).execute();
      assert.equal((await s.retention.plan(later(100))).counts.guestOrders, 0, 'completed just now');
      assert.equal((await s.retention.run('test:retention', later(6 * 366))).guestOrders, 1);
      assert.equal((await order(open)).orderer_name, ANONYMISED);

      // Nothing is left to do; the audit entry has the counts and no personal data.
      assert.deepEqual((await s.retention.plan(later(6 * 366))).counts, { guestOrders: 0, withdrawnMembers: 0, memberOrders: 0, catalogRequests: 0, outboxMails: 0 });
      const entry = await db().selectFrom('audit_log').selectAll().where('action', '=', 'privacy.retention.run').orderBy('seq').executeTakeFirstOrThrow();
      assert.equal(entry.actor, 'test:retention');
      assert.match(entry.detail ?? '', /"guestOrders":1/);
      assert.doesNotMatch(entry.detail ?? '', /保存|退会|kigen|taikai/);
      assert.ok((await s.audit.verify()).ok);
    });

    test('the daily job runs once per day across processes (lease)', async () => {
      const s = shop.shop.services;
      // startShop without workers never took the lease; two instances race for it.
      const { RetentionService } = await import('../../src/privacy/retention.js');
      const other = new RetentionService(db(), s.settings, s.audit);
      const results = await Promise.all([s.retention.runIfDue(), other.runIfDue()]);
      assert.equal(results.filter((r) => r !== null).length, 1, 'exactly one ran');
      assert.equal(await other.runIfDue(), null, 'not again the same day');
      assert.notEqual(await other.runIfDue(later(1.01)), null, 'runs again the next day');
    });

    test('CLI: plan prints counts without personal data, run applies and audits', async () => {
      await placeOrder(shop, { orderer_name: '端末 四郎', orderer_email: 'cli-order@example.jp', payment_method: 'card' });
      const env = cliEnv(shop);
      const plan = await run('node', ['bin/mamori.js', 'retention', 'plan'], { env });
      assert.match(plan.stdout, /guest orders to anonymise: 0/);
      assert.doesNotMatch(plan.stdout, /端末|cli-order/);
      const done = await run('node', ['bin/mamori.js', 'retention', 'run'], { env });
      assert.match(done.stdout, /Retention applied/);
      const actions = (await db().selectFrom('audit_log').select('action').where('actor', 'like', 'cli:%').execute()).map((r) => r.action);
      assert.ok(actions.includes('privacy.retention.plan'));
      assert.ok(actions.includes('privacy.retention.run'));
      const bad = await run('node', ['bin/mamori.js', 'retention', 'purge'], { env }).catch((e: { code: number }) => e);
      assert.equal((bad as { code: number }).code, 2);
    });

    test('settings: the owner edits the policy; out-of-range values are field errors', async () => {
      const owner = new Client(shop.url);
      await signedInStaff(shop.shop.services, owner, 'owner', `ret-owner-${dialect}@example.jp`);
      const page = await owner.get(`${A}/settings`);
      assert.match(page.html, new RegExp(`action="${A}/settings/privacy"`));
      const form = {
        _csrf: owner.csrf(), guestOrderYears: '3', withdrawnMonths: '12', catalogRequestMonths: '36', outboxDays: '30', accountingYears: '7', requestDueDays: '14',
      };
      const bad = await owner.post(`${A}/settings/privacy`, form);
      assert.equal(bad.status, 422);
      assert.match(bad.html, /1〜24の範囲で入力してください/);
      assert.equal((await shop.shop.services.settings.get()).privacy.catalogRequestMonths, 24);
      const tooShort = await owner.post(`${A}/settings/privacy`, { ...form, _csrf: owner.csrf(), catalogRequestMonths: '12', accountingYears: '5' });
      assert.equal(tooShort.status, 422);
      assert.match(tooShort.html, /7〜10の範囲/);
      const ok = await owner.post(`${A}/settings/privacy`, { ...form, _csrf: owner.csrf(), catalogRequestMonths: '12' });
      assert.ok(ok.status < 400, ok.html.slice(0, 300));
      const saved = await new (await import('../../src/settings/service.js')).SettingsService(db(), 0).get();
      assert.deepEqual(saved.privacy, { guestOrderYears: 3, withdrawnMonths: 12, catalogRequestMonths: 12, outboxDays: 30, accountingYears: 7, requestDueDays: 14 });
      const audit = await db().selectFrom('audit_log').select('detail').where('action', '=', 'settings.update').where('target', '=', 'privacy').executeTakeFirstOrThrow();
      assert.match(audit.detail ?? '', /catalogRequestMonths/);
    });
  });
}
