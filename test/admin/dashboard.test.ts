import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { niceMax } from '../../src/admin/dashboard-routes.js';
import { formatDateJa, jstDate } from '../../src/shared/time.js';
import { formatYen } from '../../src/web/i18n.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client, guestForm } from '../helpers/browser-client.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

const A = '/admin';

async function placeOrder(shop: TestShop, form: Record<string, string>): Promise<string> {
  const c = new Client(shop.url);
  await c.get('/products/fukamushi-sencha');
  const variant = /name="variant_id" value="(var_[0-9A-Z]{16})"(?![^>]*disabled)/.exec(c.last!.html)![1]!;
  await c.post('/cart/add', { variant_id: variant, quantity: '1' });
  await c.get('/checkout');
  await c.post('/checkout/confirm', guestForm(form));
  const done = await c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
  assert.match(done.html, /ご注文ありがとうございました/);
  return /\/orders\/(ord_[0-9A-Z]{16})/.exec(done.url)![1]!;
}

test('the chart axis rounds up to 1, 2 or 5 × 10^n', () => {
  assert.equal(niceMax(0), 1000);
  assert.equal(niceMax(1001), 2000);
  assert.equal(niceMax(4200), 5000);
  assert.equal(niceMax(5000), 5000);
  assert.equal(niceMax(73_000), 100_000);
});

for (const { dialect, skip } of DIALECTS) {
  describe(`admin dashboard on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    let staff: Client;
    before(async () => {
      shop = await startTestShop({ dialect });
      staff = new Client(shop.url);
      await signedInStaff(shop.shop.services, staff, 'staff');
    });
    after(async () => {
      await shop?.close();
    });
    const db = () => shop.shop.services.handle.db;

    test("today's orders, unpaid transfers, and one bar per day of sales", async () => {
      await placeOrder(shop, { payment_method: 'cod' });
      await placeOrder(shop, { payment_method: 'cod' });
      const bankId = await placeOrder(shop, { payment_method: 'bank_transfer' });
      const page = await staff.get(`${A}/`);
      assert.equal(page.status, 200);
      const expected = await db().selectFrom('orders').select(['total_yen', 'payment_method']).where('status', 'not in', ['pending_payment', 'cancelled']).execute();
      assert.equal(expected.length, 3);
      assert.match(page.html, /data-testid="today-count">3件</);
      assert.ok(page.html.includes(formatYen(expected.reduce((s, o) => s + o.total_yen, 0))));
      // Unpaid bank transfers: one, linked.
      assert.match(page.html, /入金待ちの銀行振込<\/h2><p class="stat">1件/);
      const bank = await db().selectFrom('orders').select('order_number').where('id', '=', bankId).executeTakeFirstOrThrow();
      assert.ok(page.html.includes(`href="/admin/orders/${bankId}">${bank.order_number}</a>`));
      // The chart: server-side SVG with a title, a label, one bar per day, no script.
      assert.match(page.html, /<svg[^>]*role="img"[^>]*aria-label="日別売上（過去30日間）/);
      assert.match(page.html, /<title>日別売上（過去30日間）<\/title>/);
      assert.equal((page.html.match(/<rect class="bar"/g) ?? []).length, 30);
      assert.doesNotMatch(page.html, /<script(?![^>]*src="\/admin\/assets\/admin\.js)/);
      // Today's bar: the two COD orders count, the unpaid transfer does not.
      const cod = expected.filter((o) => o.payment_method === 'cod');
      const bar = new RegExp(`data-date="${jstDate()}"[^>]*height="([\\d.]+)"[^>]*><title>${formatDateJa(jstDate()).replace(/[()]/g, '\\$&')}: ${formatYen(cod.reduce((s, o) => s + o.total_yen, 0))}（2件）</title>`).exec(page.html);
      assert.ok(bar, 'today has its bar with the COD sales');
      assert.ok(Number(bar[1]) > 0);
      // Axis labels.
      assert.match(page.html, /日付（日本時間）/);
      assert.match(page.html, /売上（税込）/);

      const ninety = await staff.get(`${A}/?days=90`);
      assert.equal(ninety.status, 200);
      assert.equal((ninety.html.match(/<rect class="bar"/g) ?? []).length, 90);
      assert.match(ninety.html, /過去90日間/);
      for (const bad of ['days=7', 'days=30&days=90', 'days=', 'extra=1', 'days=%00']) {
        assert.equal((await staff.get(`${A}/?${bad}`)).status, 400, bad);
      }
    });

    test('low stock, open security alerts and the card-payment state are shown, escaped', async () => {
      const variant = await db().selectFrom('variants').select(['id', 'product_id', 'sku']).where('active', '=', 1).orderBy('sku').executeTakeFirstOrThrow();
      await db().updateTable('variants').set({ stock: 3 }).where('id', '=', variant.id).execute();
      await shop.shop.services.alerts.raise({ severity: 'critical', kind: 'test_alert', message: '改ざんの疑い <script>alert(1)</script>' });
      await shop.shop.services.killSwitch.set('suspended', 'test', '<b>調査中</b>');
      const page = await staff.get(`${A}/`);
      assert.equal(page.status, 200);
      assert.ok(page.html.includes(variant.sku));
      assert.ok(page.html.includes(`href="/admin/products/${variant.product_id}"`));
      assert.match(page.html, /未対応のセキュリティアラート<\/h2><p class="stat">1件/);
      assert.match(page.html, /改ざんの疑い &lt;script>alert\(1\)&lt;\/script>/);
      assert.doesNotMatch(page.html, /<script>alert/);
      assert.match(page.html, /<p class="stat">停止中<\/p>/);
      assert.match(page.html, /&lt;b>調査中&lt;\/b>/);
      await shop.shop.services.killSwitch.set('enabled', 'test', '再開');
      assert.match((await staff.get(`${A}/`)).html, /<p class="stat">受付中<\/p>/);
    });

    test('security staff see the dashboard without links into orders; no session is sent to login', async () => {
      const sec = new Client(shop.url);
      await signedInStaff(shop.shop.services, sec, 'security');
      const page = await sec.get(`${A}/`);
      assert.equal(page.status, 200);
      assert.match(page.html, /<rect class="bar"/);
      assert.doesNotMatch(page.html, /href="\/admin\/orders/);
      const anon = await new Client(shop.url).request(`${A}/`, { follow: false });
      assert.equal(anon.status, 303);
    });
  });
}
