import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signedInStaff } from '../helpers/admin.js';
import { Client, guestForm } from '../helpers/browser-client.js';
import { startTestShop, type TestShop } from '../helpers/shop.js';
import { launchBrowser, skip, type BrowserHandle } from './helpers.js';
import { XSS_HOST, XSS_MARKER, XSS_PAYLOADS } from './xss-corpus.js';

/**
 * Issue #4: every payload of the corpus is typed into checkout and registration fields; then staff
 * open the orders and customers in the admin console in Chromium. Nothing may run: no dialog, no
 * console marker, no request to another host, no `data-pwned` attribute — and every payload is
 * shown as the text that was typed.
 */
describe('script typed by buyers never runs in a staff browser', { skip }, () => {
  let shop: TestShop;
  let handle: BrowserHandle;
  const orders: { id: string; payload: string }[] = [];
  const customers: { id: string; payload: string }[] = [];

  before(async () => {
    shop = await startTestShop();
    handle = await launchBrowser();
    const db = shop.shop.services.handle.db;
    const variant = (await db.selectFrom('variants').select('id').where('sku', '=', 'WG-MNK-10').executeTakeFirstOrThrow()).id;
    await db.updateTable('variants').set({ stock: 10_000 }).where('id', '=', variant).execute();
    for (const [i, payload] of XSS_PAYLOADS.entries()) {
      const c = new Client(shop.url);
      await c.get('/products/mamori-monaka');
      await c.post('/cart/add', { variant_id: variant, quantity: '1' });
      await c.get('/checkout');
      const confirm = await c.post('/checkout/confirm', guestForm({
        orderer_name: payload.length <= 60 ? payload : `攻撃${i}`,
        orderer_address2: payload,
        orderer_email: `xss${i}@example.jp`,
        payment_method: 'cod',
        ship_to: 'other', ship_name: payload.length <= 60 ? payload : `受取${i}`, ship_postal: '530-0001', ship_prefecture: '大阪府',
        ship_address1: '大阪市北区梅田1-1', ship_address2: payload, ship_phone: '06-1111-2222',
        note: payload,
      }));
      assert.equal(confirm.status, 200, `payload ${i} accepted as text: ${confirm.html.slice(0, 200)}`);
      const done = await c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
      orders.push({ id: /\/orders\/(ord_[0-9A-Z]{16})/.exec(done.url)![1]!, payload });
      if (i % 12 === 0) {
        // Registration fields too, for every twelfth payload: registration is rate-limited to ten an
        // hour per address, and every request here comes from 127.0.0.1.
        const r = new Client(shop.url);
        await r.get('/register');
        await r.post('/register', {
          email: `xssreg${i}@example.jp`, password: 'kyusu-to-yunomi-2026', name: payload.length <= 60 ? payload : `登録${i}`, name_kana: 'テスト',
          postal: '100-0001', prefecture: '東京都', address1: payload, address2: payload, phone: '03-1234-5678', fax: '',
        });
        const row = await db.selectFrom('customers').select('id').where('email_norm', '=', `xssreg${i}@example.jp`).executeTakeFirstOrThrow();
        customers.push({ id: row.id, payload });
      }
    }
  });
  after(async () => {
    await handle?.close();
    await shop?.close();
  });

  test(`${XSS_PAYLOADS.length} payloads in order and customer pages of the admin console`, { timeout: 240_000 }, async () => {
    assert.ok(XSS_PAYLOADS.length >= 100);
    const client = new Client(shop.url);
    const { token } = await signedInStaff(shop.shop.services, client, 'owner');
    const context = await handle.browser.newContext({ locale: 'ja-JP' });
    await context.addCookies([{ name: 'mamori_admin', value: token, url: `${shop.url}/admin` }]);
    const executed: string[] = [];
    const outside: string[] = [];
    context.on('request', (req) => {
      const host = new URL(req.url()).hostname;
      if (host !== '127.0.0.1') outside.push(req.url());
    });
    const page = await context.newPage();
    page.on('dialog', async (d) => {
      executed.push(`dialog: ${d.message()}`);
      await d.dismiss();
    });
    page.on('console', (m) => {
      if (m.text().includes(XSS_MARKER)) executed.push(`console: ${m.text()}`);
    });
    const visit = async (path: string, payload: string) => {
      const res = await page.goto(`${shop.url}${path}`);
      assert.equal(res?.status(), 200, path);
      const pwned = await page.evaluate(() => document.querySelectorAll('[data-pwned]').length);
      assert.equal(pwned, 0, `data-pwned injected on ${path}`);
      const text = await page.locator('main').innerText();
      assert.ok(text.includes(payload.trim()), `payload shown as text on ${path}: ${payload}`);
    };
    for (const o of orders) await visit(`/admin/orders/${o.id}`, o.payload);
    await page.goto(`${shop.url}/admin/orders`);
    for (const c of customers) await visit(`/admin/customers/${c.id}`, c.payload);
    await page.waitForTimeout(500);
    await context.close();
    assert.deepEqual(executed, []);
    assert.deepEqual(outside.filter((u) => u.includes(XSS_HOST)), []);
    assert.deepEqual(outside, []);
  });
});
