import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { containsCardNumber, inspectFields, luhnValid as luhnValidForTest } from '../../src/payments/tripwire.js';
import { Client, guestForm } from '../helpers/browser-client.js';
import { cliEnv, DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

const run = promisify(execFile);

test('card-number detection: Luhn, separators, full-width digits, field names', () => {
  assert.equal(containsCardNumber('4242424242424242'), true);
  assert.equal(containsCardNumber('4242 4242 4242 4242'), true);
  assert.equal(containsCardNumber('4242-4242-4242-4242'), true);
  assert.equal(containsCardNumber('４２４２４２４２４２４２４２４２'), true);
  assert.equal(containsCardNumber('note: 378282246310005 please'), true);
  assert.equal(containsCardNumber('4242424242424243'), false, 'not Luhn-valid');
  assert.equal(containsCardNumber('03-1234-5678'), false);
  assert.equal(containsCardNumber('1000001 千代田区1-1-1'), false);
  assert.equal(containsCardNumber('424242424242'), false, '12 digits');
  assert.equal(containsCardNumber('4242424242424242123012'), true, 'number, expiry and code run together');
  // A millisecond timestamp in an e-mail address is no card, even when Luhn-valid.
  const luhnTimestamp = Array.from({ length: 100 }, (_, i) => String(1795614381200 + i)).find((n) => luhnValidForTest(n))!;
  assert.equal(containsCardNumber(`hanako.${luhnTimestamp}@example.jp`), false);
  assert.equal(containsCardNumber('"responseTime":3.226902999999993'), false, 'a decimal fraction');
  assert.deepEqual(inspectFields([['cc-number', '']]), { reason: 'card_field_name', field: 'cc-number' });
  assert.deepEqual(inspectFields([['securityCode', '123']]), { reason: 'card_field_name', field: 'securityCode' });
  assert.equal(inspectFields([['orderer_phone', '090-1234-5678'], ['checkout_token', '4242424242424242']]), null);
});

async function cardOrder(shop: TestShop, c: Client, email: string) {
  await c.get('/products/kaga-bo-hojicha');
  const variant = /name="variant_id" value="(var_[0-9A-Z]{16})"(?![^>]*disabled)/.exec(c.last!.html)![1]!;
  await c.post('/cart/add', { variant_id: variant, quantity: '1' });
  await c.get('/checkout');
  await c.post('/checkout/confirm', guestForm({ payment_method: 'card', orderer_email: email }));
  return c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
}

async function payOnPsp(c: Client, pspPage: { html: string }, pspUrl: string, card: string) {
  const action = /<form method="post" action="(\/pay\/[^"]+)"/.exec(pspPage.html)![1]!;
  return c.request(new URL(action, pspUrl).href, { form: { cardNumber: card, expiry: '12/30', cvc: '123', name: 'TARO YAMADA' } });
}

for (const { dialect, skip } of DIALECTS) {
  describe(`card payments on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    before(async () => {
      shop = await startTestShop({ dialect });
    });
    after(async () => {
      await shop?.close();
    });
    const db = () => shop.shop.services.handle.db;

    test('PAN tripwire: refused before routing and CSRF, alert raised, value never stored', async () => {
      const c = new Client(shop.url);
      await c.get('/products/fukamushi-sencha');
      const token = c.csrf();
      const cases: { path: string; form?: Record<string, string>; body?: string; type?: string; method?: string }[] = [
        { path: '/cart/add', form: { _csrf: token, variant_id: 'var_0000000000000000', quantity: '1', cardNumber: '' } },
        { path: '/checkout/confirm', form: { _csrf: token, ...guestForm({ orderer_address2: '4242 4242 4242 4242' }) } },
        { path: '/no/such/route', form: { note: '４２４２４２４２４２４２４２４２' } },
        { path: '/cart/add', form: { variant_id: 'x', cvc: '123' } },
        { path: '/payments/webhook/sandbox', body: JSON.stringify({ nested: { pan: '5555555555554444' } }), type: 'application/json' },
        { path: '/cart/add', body: 'card 378282246310005', type: 'text/plain' },
        { path: '/products?q=4242424242424242', method: 'GET' },
      ];
      for (const k of cases) {
        const res = await fetch(`${shop.url}${k.path}`, {
          method: k.method ?? 'POST',
          headers: { 'content-type': k.type ?? 'application/x-www-form-urlencoded', cookie: `mamori_sid=${c.cookie('mamori_sid')}` },
          body: k.method === 'GET' ? undefined : (k.body ?? new URLSearchParams(k.form).toString()),
        });
        assert.equal(res.status, 400, `${k.path}`);
        const text = await res.text();
        assert.match(text, /カード/);
        assert.doesNotMatch(text, /4242|5555|378282/);
      }
      const alerts = await db().selectFrom('alerts').selectAll().where('kind', '=', 'pan_tripwire').execute();
      assert.ok(alerts.length >= 5);
      assert.ok(alerts.every((a) => a.severity === 'critical' && a.status === 'open'));
      const stored = JSON.stringify(alerts);
      assert.equal(containsCardNumber(stored), false, 'no card number in alerts');
      // Ordinary input passes.
      const ok = await c.post('/cart/add', { variant_id: /name="variant_id" value="(var_[0-9A-Z]{16})"/.exec(c.last!.html)![1]!, quantity: '2' });
      assert.equal(ok.status, 200);
    });

    test('kill switch: checkout offers other methods, in-flight card payments are refused on return, every change recorded', async () => {
      const { killSwitch } = shop.shop.services;
      const c = new Client(shop.url);
      const toPsp = await cardOrder(shop, c, 'kill@example.jp');
      assert.match(toPsp.html, /name="cardNumber"/);
      await killSwitch.set('suspended', 'test:security', '決済画面の改ざん疑い');
      const back = await payOnPsp(c, toPsp, shop.pspUrl, '4242424242424242');
      // The provider session was cancelled on suspension: the buyer cannot pay by card.
      assert.notEqual(new URL(back.url).origin === shop.url && /ご注文ありがとうございました/.test(back.html), true);
      const orders = await db().selectFrom('orders').select(['payment_status', 'status']).where('orderer_email', '=', 'kill@example.jp').execute();
      assert.deepEqual(orders.map((o) => o.payment_status), ['failed']);
      assert.equal(orders[0]!.status, 'cancelled');
      // Checkout no longer offers card.
      const c2 = new Client(shop.url);
      await c2.get('/products/kaga-bo-hojicha');
      const variant = /name="variant_id" value="(var_[0-9A-Z]{16})"/.exec(c2.last!.html)![1]!;
      await c2.post('/cart/add', { variant_id: variant, quantity: '1' });
      const form = await c2.get('/checkout');
      assert.doesNotMatch(form.html, /value="card"/);
      assert.match(form.html, /一時停止/);
      const refused = await c2.post('/checkout/confirm', guestForm({ payment_method: 'card' }));
      assert.equal(refused.status, 422);
      assert.match(refused.html, /一時停止/);
      // Status as the CLI reports it.
      const env = cliEnv(shop);
      const st = JSON.parse((await run(process.execPath, ['bin/mamori.js', 'status', '--json'], { env })).stdout) as { cardPayments: string; alerts: { id: string; severity: string; kind: string; detectedAt: string; message: string }[] };
      assert.equal(st.cardPayments, 'suspended');
      assert.ok(Array.isArray(st.alerts));
      for (const a of st.alerts) for (const k of ['id', 'severity', 'kind', 'detectedAt', 'message']) assert.ok(k in a);
      // Resume from the CLI needs a reason.
      await assert.rejects(run(process.execPath, ['bin/mamori.js', 'payments', 'resume'], { env }));
      await run(process.execPath, ['bin/mamori.js', 'payments', 'resume', '--reason', '調査完了'], { env });
      assert.equal(await killSwitch.isSuspended(), false);
      const form2 = await c2.get('/checkout');
      assert.match(form2.html, /value="card"/);
      const log = await killSwitch.history();
      assert.deepEqual(log.slice(0, 2).map((l) => [l.state, l.reason]), [['enabled', '調査完了'], ['suspended', '決済画面の改ざん疑い']]);
      assert.match(log[0]!.actor, /^cli:/);
    });

    test('a decline then a successful retry; refund from the CLI, partial then full, never more', async () => {
      const c = new Client(shop.url);
      const toPsp = await cardOrder(shop, c, 'retry@example.jp');
      const declined = await payOnPsp(c, toPsp, shop.pspUrl, '4000000000000002');
      // The buyer is told, and can try again.
      assert.match(declined.html, /カード|declined|拒否|ご利用いただけません/);
      const retryPage = new URL(declined.url).origin === shop.url ? await c.request(declined.url) : declined;
      let back;
      if (new URL(retryPage.url).origin === shop.url) {
        const again = await c.post(new URL(retryPage.url).pathname + new URL(retryPage.url).search, {});
        back = await payOnPsp(c, again, shop.pspUrl, '5555555555554444');
      } else {
        back = await payOnPsp(c, retryPage, shop.pspUrl, '5555555555554444');
      }
      assert.match(back.html, /ご注文ありがとうございました/);
      const order = await db().selectFrom('orders').selectAll().where('orderer_email', '=', 'retry@example.jp').executeTakeFirstOrThrow();
      assert.equal(order.payment_status, 'paid');
      const env = cliEnv(shop);
      const part = await run(process.execPath, ['bin/mamori.js', 'payments', 'refund', order.order_number, '--amount', '100'], { env });
      assert.match(part.stdout, /100 yen \(partially_refunded\)/);
      await assert.rejects(run(process.execPath, ['bin/mamori.js', 'payments', 'refund', order.order_number, '--amount', String(order.total_yen)], { env }), /返金額は1円から/);
      const full = await run(process.execPath, ['bin/mamori.js', 'payments', 'refund', order.order_number], { env });
      assert.match(full.stdout, new RegExp(`${order.total_yen} yen \\(refunded\\)`));
      const after = await db().selectFrom('orders').select('payment_status').where('id', '=', order.id).executeTakeFirstOrThrow();
      assert.equal(after.payment_status, 'refunded');
    });

    test('card testing: attempts past the per-session limit are refused with an alert; a burst of declines alerts', async () => {
      const { payments, alerts } = shop.shop.services;
      const ctx = { ip: '203.0.113.9', sessionTokenHash: 'f'.repeat(64) };
      let refusedAt = -1;
      for (let i = 0; i < 7; i++) {
        // Orders placed (as COD, so no attempt is made for them), then card attempts from one session.
        const c = new Client(shop.url);
        await c.get('/products/kaga-bo-hojicha');
        await c.post('/cart/add', { variant_id: /name="variant_id" value="(var_[0-9A-Z]{16})"/.exec(c.last!.html)![1]!, quantity: '1' });
        await c.get('/checkout');
        await c.post('/checkout/confirm', guestForm({ payment_method: 'cod', orderer_email: `tester${i}@example.jp` }));
        await c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
        const order = await db().selectFrom('orders').selectAll().where('orderer_email', '=', `tester${i}@example.jp`).executeTakeFirstOrThrow();
        try {
          await payments.startCardPayment({ ...order, payment_method: 'card', status: 'pending_payment', payment_status: 'pending' }, ctx);
        } catch (err) {
          refusedAt = i;
          assert.match((err as Error).message, /上限/);
          break;
        }
      }
      assert.equal(refusedAt, 5, 'the sixth attempt in one session is refused');
      const open = await alerts.listOpen();
      assert.ok(open.some((a) => a.kind === 'card_attempt_limit'));
      // Decline velocity.
      for (let i = 0; i < 10; i++) {
        const c = new Client(shop.url);
        const toPsp = await cardOrder(shop, c, `decl${i}@example.jp`);
        await payOnPsp(c, toPsp, shop.pspUrl, '4000000000009995');
      }
      assert.ok((await alerts.listOpen()).some((a) => a.kind === 'card_decline_burst'));
    });
  });
}
