import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startPsp, type PspHandle } from '../../psp/server.js';
import { openDatabase, type DbHandle } from '../../src/db/index.js';
import { Client, guestForm } from '../helpers/browser-client.js';
import { CHILD_SECRETS, ChildShop } from '../helpers/child-shop.js';
import { freePort } from '../helpers/shop.js';

/**
 * The shop runs as a real child process and is killed with SIGKILL at each step of a payment;
 * the sandbox provider keeps running, as a real one would. After a restart: no paid order lost, no
 * order paid without a successful payment, no second charge, stock consistent.
 */
describe('payments survive kill -9 at every step (SQLite)', () => {
  let dir: string;
  let psp: PspHandle;
  let shop: ChildShop;
  let url: string;
  const startShop = () => shop.start();
  const kill9 = () => shop.kill9();

  function withDb<T>(fn: (h: DbHandle) => Promise<T>): Promise<T> {
    const h = openDatabase({ databaseUrl: null, dataDir: dir });
    return fn(h).finally(() => h.close());
  }

  async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('condition not reached');
  }

  async function toProvider(c: Client, email: string) {
    await c.get('/products/kaga-bo-hojicha');
    const variant = /name="variant_id" value="(var_[0-9A-Z]{16})"(?![^>]*disabled)/.exec(c.last!.html)![1]!;
    await c.post('/cart/add', { variant_id: variant, quantity: '1' });
    await c.get('/checkout');
    await c.post('/checkout/confirm', guestForm({ payment_method: 'card', orderer_email: email }));
    const page = await c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
    const action = /<form method="post" action="(\/pay\/[^"]+)"/.exec(page.html)![1]!;
    return { pay: new URL(action, psp.url).href, page };
  }

  const orderOf = (email: string) =>
    withDb((h) => h.db.selectFrom('orders').selectAll().where('orderer_email', '=', email).executeTakeFirstOrThrow());

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mamori-crash-'));
    psp = await startPsp({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'provider'), apiKey: CHILD_SECRETS.PSP_API_KEY, webhookSecret: CHILD_SECRETS.PSP_WEBHOOK_SECRET, logLevel: 'silent', webhookRetryBaseMs: 100 });
    shop = new ChildShop(dir, await freePort(), psp);
    url = shop.url;
    await startShop();
  });
  after(async () => {
    await kill9();
    await psp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('killed after sending the buyer to the provider; paid while the shop is down → paid once after restart', async () => {
    const c = new Client(url);
    const { pay } = await toProvider(c, 'down@example.jp');
    await kill9();
    // The buyer pays; the provider's redirect back fails (the shop is down) and its webhooks fail too.
    await c.request(pay, { form: { cardNumber: '4242424242424242', expiry: '12/30', cvc: '123', name: 'A B' } }).catch(() => null);
    await startShop();
    await waitFor(async () => (await orderOf('down@example.jp')).payment_status === 'paid');
    const order = await orderOf('down@example.jp');
    await new Promise((r) => setTimeout(r, 1500)); // let the provider's webhook retries arrive too
    await withDb(async (h) => {
      const paid = await h.db.selectFrom('order_events').select('id').where('order_id', '=', order.id).where('type', '=', 'paid').execute();
      assert.equal(paid.length, 1);
      const mails = await h.db.selectFrom('outbox').select('id').where('dedupe_key', '=', `order-confirmation:${order.id}`).execute();
      assert.equal(mails.length, 1);
      const pays = await h.db.selectFrom('payments').select('id').where('order_id', '=', order.id).execute();
      assert.equal(pays.length, 1, 'one attempt, one charge');
    });
    // The buyer opens the payment page again: already paid, no new session.
    const again = await c.get(`/orders/${order.id}/pay?t=${new URL(c.last?.url ?? url).searchParams.get('t') ?? ''}`);
    assert.notEqual(again.status, 500);
  });

  test('killed after a decline → never paid; the retry after restart reuses the same session', async () => {
    const c = new Client(url);
    const { pay } = await toProvider(c, 'declined@example.jp');
    await c.request(pay, { form: { cardNumber: '4000000000000002', expiry: '12/30', cvc: '123', name: 'A B' } });
    await kill9();
    await startShop();
    await new Promise((r) => setTimeout(r, 500));
    const order = await orderOf('declined@example.jp');
    assert.equal(order.payment_status, 'pending');
    assert.equal(order.status, 'pending_payment');
    await withDb(async (h) => {
      const pays = await h.db.selectFrom('payments').select(['status']).where('order_id', '=', order.id).execute();
      assert.deepEqual(pays.map((p) => p.status), ['failed']);
    });
  });

  test('killed while many orders are being placed → stock and orders agree, every order complete', async () => {
    const before = await withDb((h) => h.db.selectFrom('variants').select(['id', 'stock']).where('sku', '=', 'WG-MNK-5').executeTakeFirstOrThrow());
    const clients = Array.from({ length: 12 }, () => new Client(url));
    const forms: Record<string, string>[] = [];
    for (const [i, c] of clients.entries()) {
      await c.get('/products/mamori-monaka');
      await c.post('/cart/add', { variant_id: before.id, quantity: '1' });
      await c.get('/checkout');
      await c.post('/checkout/confirm', guestForm({ payment_method: 'cod', orderer_email: `rush${i}@example.jp` }));
      forms.push(c.hiddenFields('/checkout/place'));
    }
    const inflight = clients.map((c, i) => c.request('/checkout/place', { form: forms[i]! }).catch(() => null));
    await new Promise((r) => setTimeout(r, 30));
    await kill9();
    await Promise.all(inflight);
    await startShop();
    await withDb(async (h) => {
      const stock = (await h.db.selectFrom('variants').select('stock').where('id', '=', before.id).executeTakeFirstOrThrow()).stock;
      const lines = await h.db.selectFrom('order_lines').innerJoin('orders', 'orders.id', 'order_lines.order_id').select(['order_lines.quantity', 'orders.id']).where('order_lines.variant_id', '=', before.id).where('orders.orderer_email', 'like', 'rush%').execute();
      assert.equal(stock + lines.reduce((s, l) => s + l.quantity, 0), before.stock, 'no unit lost or invented');
      for (const l of lines) {
        const mail = await h.db.selectFrom('outbox').select('id').where('dedupe_key', '=', `order-confirmation:${l.id}`).execute();
        assert.equal(mail.length, 1, 'each placed order has its mail');
      }
    });
    // Placing again (the buyer retries) completes exactly the ones that did not commit.
    await Promise.all(clients.map((c, i) => c.request('/checkout/place', { form: forms[i]! })));
    await withDb(async (h) => {
      const n = await h.db.selectFrom('orders').select('id').where('orderer_email', 'like', 'rush%').execute();
      assert.equal(n.length, 12);
    });
  });
});
