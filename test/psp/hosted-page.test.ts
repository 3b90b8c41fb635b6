import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_CARDS } from '../../psp/cards.js';
import {
  history,
  payWith,
  postForm,
  sessionInput,
  startTestPsp,
  waitFor,
  type TestPsp,
} from './helpers.js';

let t: TestPsp;
before(async () => {
  t = await startTestPsp({ timeoutDelayMs: 300 });
});
after(async () => {
  await t.close();
});

async function newSession(overrides: Parameters<typeof sessionInput>[0] = {}) {
  return t.client.createSession(sessionInput(overrides));
}

function expectReturn(res: Response, paymentId: string) {
  assert.equal(res.status, 303);
  const location = new URL(res.headers.get('location') ?? '');
  assert.equal(location.origin, 'http://shop.test:3000');
  assert.equal(location.pathname, '/checkout/return');
  assert.equal(location.searchParams.get('step'), 'pay', 'keeps the existing query');
  assert.equal(location.searchParams.get('payment'), paymentId);
}

const EXPECTED_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' http://shop.test:3000; frame-ancestors 'none'; base-uri 'none'";

describe('hosted payment page', () => {
  it('shows order number, description and amount, with a strict CSP and no inline code', async () => {
    const session = await newSession({ amountYen: 1_234_567, orderNumber: 'M-2024-99999', description: '抹茶 <b>特選</b>' });
    const res = await fetch(session.redirectUrl);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(res.headers.get('content-security-policy'), EXPECTED_CSP);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const html = await res.text();
    assert.match(html, /<html lang="ja">/);
    assert.match(html, /M-2024-99999/);
    assert.match(html, /1,234,567/);
    assert.match(html, /抹茶 &lt;b>特選&lt;\/b>/, 'description is escaped');
    assert.match(html, /autocomplete="cc-number"/);
    assert.match(html, /autocomplete="cc-exp"/);
    assert.match(html, /autocomplete="cc-csc"/);
    assert.match(html, /autocomplete="cc-name"/);
    assert.match(html, /Card number/);
    assert.match(html, /href="http:\/\/shop.test:3000\/cart"/, 'cancel link');
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<style/i);
    assert.doesNotMatch(html, /\sstyle=/i);
    assert.doesNotMatch(html, /\son[a-z]+=/i);

    const cssHref = /<link rel="stylesheet" href="([^"]+)"/.exec(html)?.[1];
    assert.ok(cssHref);
    const css = await fetch(new URL(cssHref, t.psp.url));
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /text\/css/);
    assert.match(await css.text(), /\.panel/);
  });

  it('lists both shop origins in form-action when they differ', async () => {
    const session = await newSession({ cancelUrl: 'https://other.shop.test/cart' });
    const res = await fetch(session.redirectUrl);
    assert.match(res.headers.get('content-security-policy') ?? '', /form-action 'self' http:\/\/shop\.test:3000 https:\/\/other\.shop\.test;/);
  });

  it('answers 404 pages for unknown payments, still with the CSP', async () => {
    const res = await fetch(`${t.psp.url}/pay/pay_0000000000000000`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.match(await res.text(), /見つかりません/);
  });
});

describe('paying', () => {
  for (const card of TEST_CARDS.filter((c) => c.scenario.kind === 'approve')) {
    it(`approves ${card.brand} ${card.number} and returns to the shop`, async () => {
      const session = await newSession();
      const res = await payWith(session.redirectUrl, { cardNumber: card.number.replace(/(\d{4})/g, '$1 ').trim() });
      expectReturn(res, session.providerPaymentId);
      const payment = await t.client.fetchPayment(session.providerPaymentId);
      assert.equal(payment.status, 'paid');
      assert.equal(payment.brand, card.brand);
      assert.equal(payment.last4, card.number.slice(-4));
      assert.equal(payment.threeDs, 'frictionless');
      assert.equal(payment.failureCode, null);
      assert.equal(payment.amountYen, 12_800);
    });
  }

  const declines: [string, string, string][] = [
    ['4000000000000002', 'card_declined', 'frictionless'],
    ['4000000000009995', 'insufficient_funds', 'frictionless'],
    ['4000000000009979', 'stolen_card', 'frictionless'],
    ['4000000000000119', 'processing_error', 'frictionless'],
    ['4000008400001629', '3ds_failed', 'challenge_failed'],
  ];
  for (const [number, code, threeDs] of declines) {
    it(`declines ${number} with ${code}`, async () => {
      const session = await newSession();
      const res = await payWith(session.redirectUrl, { cardNumber: number });
      expectReturn(res, session.providerPaymentId);
      const payment = await t.client.fetchPayment(session.providerPaymentId);
      assert.equal(payment.status, 'failed');
      assert.equal(payment.failureCode, code);
      assert.equal(payment.threeDs, threeDs);
      assert.equal(payment.last4, number.slice(-4));
    });
  }

  it('lets the buyer retry with another card after a decline; every attempt is recorded', async () => {
    const session = await newSession();
    expectReturn(await payWith(session.redirectUrl, { cardNumber: '4000000000009995' }), session.providerPaymentId);
    assert.equal((await t.client.fetchPayment(session.providerPaymentId)).status, 'failed');

    const page = await (await fetch(session.redirectUrl)).text();
    assert.match(page, /ご利用可能額が不足しています/, 'the form explains the previous failure');

    expectReturn(await payWith(session.redirectUrl, { cardNumber: '5555555555554444' }), session.providerPaymentId);
    const payment = await t.client.fetchPayment(session.providerPaymentId);
    assert.equal(payment.status, 'paid');
    assert.equal(payment.brand, 'mastercard');
    assert.equal(payment.last4, '4444');
    assert.equal(payment.failureCode, null);

    const h = await history(t, session.providerPaymentId);
    assert.deepEqual(
      h.attempts.map((a) => [a.state, a.last4, a.failureCode]),
      [
        ['failed', '9995', 'insufficient_funds'],
        ['succeeded', '4444', null],
      ],
    );
    assert.deepEqual(
      h.events.map((e) => e.type),
      ['payment.failed', 'payment.paid'],
    );
  });

  it('does not take a second card once paid', async () => {
    const session = await newSession();
    await payWith(session.redirectUrl, { cardNumber: '4242424242424242' });
    const again = await payWith(session.redirectUrl, { cardNumber: '5555555555554444' });
    assert.equal(again.status, 303);
    assert.equal(again.headers.get('location'), `/pay/${session.providerPaymentId}`);
    const payment = await t.client.fetchPayment(session.providerPaymentId);
    assert.equal(payment.last4, '4242');
    const page = await (await fetch(session.redirectUrl)).text();
    assert.match(page, /お支払いが完了しました/);
    assert.doesNotMatch(page, /cc-number/);
    assert.equal((await history(t, session.providerPaymentId)).attempts.length, 1);
  });
});

describe('form validation', () => {
  it('re-renders errors next to the fields and never echoes the number', async () => {
    const session = await newSession();
    const cases: [Record<string, string>, string[]][] = [
      [{ cardNumber: '4242424242424241', expiry: '12/34', cvc: '123', name: 'TARO' }, ['cardNumber']],
      [{ cardNumber: '4242424242424242', expiry: '01/20', cvc: '123', name: 'TARO' }, ['expiry']],
      [{ cardNumber: '4242424242424242', expiry: '12/34', cvc: '12', name: 'TARO' }, ['cvc']],
      [{ cardNumber: '378282246310005', expiry: '12/34', cvc: '123', name: 'TARO' }, ['cvc']],
      [{ cardNumber: '6011111111111117', expiry: '12/34', cvc: '123', name: 'TARO' }, ['cardNumber']],
      [{ cardNumber: '4242424242424242', expiry: '12/34', cvc: '123', name: '' }, ['name']],
      [{}, ['cardNumber', 'cvc', 'expiry', 'name']],
    ];
    for (const [fields, errorFields] of cases) {
      const res = await postForm(session.redirectUrl, fields);
      assert.equal(res.status, 422, JSON.stringify(fields));
      assert.match(res.headers.get('content-security-policy') ?? '', /form-action 'self' http:\/\/shop\.test:3000/);
      const html = await res.text();
      const shown = [...html.matchAll(/id="(\w+)-error"/g)].map((m) => m[1]).sort();
      assert.deepEqual(shown, errorFields, JSON.stringify(fields));
      for (const f of errorFields) assert.match(html, new RegExp(`id="${f}"[^>]*aria-invalid="true"`));
      if (fields.cardNumber) {
        assert.ok(!html.includes(fields.cardNumber), 'card number echoed');
        assert.ok(!html.includes(fields.cardNumber.slice(0, 12)), 'card number prefix echoed');
      }
      assert.match(html, /<input id="cardNumber"[^>]* value required/, 'number field comes back empty');
      assert.match(html, /<input id="cvc"[^>]* value required/, 'security code comes back empty');
    }
    const payment = await t.client.fetchPayment(session.providerPaymentId);
    assert.equal(payment.status, 'pending', 'invalid input is not an attempt');
    assert.equal((await history(t, session.providerPaymentId)).attempts.length, 0);
  });

  it('keeps the name so the buyer does not retype it', async () => {
    const session = await newSession();
    const res = await postForm(session.redirectUrl, { cardNumber: '4242424242424241', expiry: '12/34', cvc: '123', name: 'HANAKO SATO' });
    assert.match(await res.text(), /value="HANAKO SATO"/);
  });

  it('answers 400 to absurd input, not 500', async () => {
    const session = await newSession();
    const res = await postForm(session.redirectUrl, { cardNumber: '4'.repeat(500), expiry: '12/34', cvc: '123', name: 'A' });
    assert.equal(res.status, 400);
    const html = await res.text();
    assert.ok(!html.includes('4'.repeat(16)));
    const repeated = await fetch(session.redirectUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'cardNumber=4242424242424242&cardNumber=4242424242424242&expiry=12/34&cvc=123&name=A',
    });
    assert.equal(repeated.status, 400);
    assert.ok(!(await repeated.text()).includes('4242424242424242'));
  });
});

describe('3-D Secure', () => {
  it('challenges the 3DS test card and passes with the code', async () => {
    const session = await newSession();
    const res = await payWith(session.redirectUrl, { cardNumber: '4000000000003220' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `/pay/${session.providerPaymentId}/3ds`);
    assert.equal((await t.client.fetchPayment(session.providerPaymentId)).status, 'pending');

    const challengeUrl = `${session.redirectUrl}/3ds`;
    const page = await fetch(challengeUrl);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-security-policy'), EXPECTED_CSP);
    const html = await page.text();
    assert.match(html, /3220/);
    assert.match(html, /autocomplete="one-time-code"/);

    const wrong = await postForm(challengeUrl, { code: '000000' });
    assert.equal(wrong.status, 422);
    assert.match(await wrong.text(), /残り2回/);

    const ok = await postForm(challengeUrl, { code: '123456' });
    expectReturn(ok, session.providerPaymentId);
    const payment = await t.client.fetchPayment(session.providerPaymentId);
    assert.equal(payment.status, 'paid');
    assert.equal(payment.threeDs, 'challenge_passed');
    assert.equal(payment.last4, '3220');

    const after = await fetch(challengeUrl, { redirect: 'manual' });
    assert.equal(after.status, 303, 'no challenge once paid');
  });

  it('fails with 3ds_failed after three wrong codes', async () => {
    const session = await newSession();
    await payWith(session.redirectUrl, { cardNumber: '4000000000003220' });
    const challengeUrl = `${session.redirectUrl}/3ds`;
    assert.match(await (await postForm(challengeUrl, { code: '111111' })).text(), /残り2回/);
    assert.match(await (await postForm(challengeUrl, { code: '' })).text(), /残り1回/);
    const last = await postForm(challengeUrl, { code: '222222' });
    expectReturn(last, session.providerPaymentId);
    const payment = await t.client.fetchPayment(session.providerPaymentId);
    assert.equal(payment.status, 'failed');
    assert.equal(payment.failureCode, '3ds_failed');
    assert.equal(payment.threeDs, 'challenge_failed');
    // The right code is too late now.
    const late = await postForm(challengeUrl, { code: '123456' });
    assert.equal(late.status, 303);
    assert.equal(late.headers.get('location'), `/pay/${session.providerPaymentId}`);
    assert.equal((await t.client.fetchPayment(session.providerPaymentId)).status, 'failed');
  });

  it('can be abandoned for another card', async () => {
    const session = await newSession();
    await payWith(session.redirectUrl, { cardNumber: '4000000000003220' });
    expectReturn(await payWith(session.redirectUrl, { cardNumber: '4242424242424242' }), session.providerPaymentId);
    const h = await history(t, session.providerPaymentId);
    assert.deepEqual(
      h.attempts.map((a) => a.state),
      ['abandoned', 'succeeded'],
    );
  });
});

describe('processing timeout', () => {
  it('stays pending while confirming, then fails with timeout', async () => {
    const session = await newSession();
    const res = await payWith(session.redirectUrl, { cardNumber: '4000000000000267' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `/pay/${session.providerPaymentId}`);
    assert.equal((await t.client.fetchPayment(session.providerPaymentId)).status, 'pending');

    const page = await (await fetch(session.redirectUrl)).text();
    assert.match(page, /確認しています/);
    assert.match(page, /http-equiv="refresh"/);

    // No second card while the first one is being confirmed.
    const meanwhile = await payWith(session.redirectUrl, { cardNumber: '4242424242424242' });
    assert.equal(meanwhile.status, 303);
    assert.equal(meanwhile.headers.get('location'), `/pay/${session.providerPaymentId}`);

    const failed = await waitFor('timeout to resolve', async () => {
      const p = await t.client.fetchPayment(session.providerPaymentId);
      return p.status === 'failed' ? p : undefined;
    });
    assert.equal(failed.failureCode, 'timeout');
    assert.equal(failed.last4, '0267');
    const h = await history(t, session.providerPaymentId);
    assert.deepEqual(
      h.events.map((e) => e.type),
      ['payment.failed'],
    );
    // The buyer can now try another card.
    expectReturn(await payWith(session.redirectUrl, { cardNumber: '4242424242424242' }), session.providerPaymentId);
    assert.equal((await t.client.fetchPayment(session.providerPaymentId)).status, 'paid');
  });
});

describe('expiry', () => {
  it('expires an unpaid session at expiresAt', async () => {
    const session = await newSession({ expiresAt: new Date(Date.now() + 300) });
    const expired = await waitFor(
      'the session to expire',
      async () => {
        const p = await t.client.fetchPayment(session.providerPaymentId);
        return p.status === 'expired' ? p : undefined;
      },
      3000,
    );
    assert.equal(expired.status, 'expired');
    const page = await fetch(session.redirectUrl);
    assert.match(await page.text(), /有効期限が切れました/);
    const late = await payWith(session.redirectUrl, { cardNumber: '4242424242424242' });
    assert.equal(late.status, 303);
    assert.equal(late.headers.get('location'), `/pay/${session.providerPaymentId}`);
    assert.equal((await t.client.fetchPayment(session.providerPaymentId)).status, 'expired');
    assert.deepEqual(
      (await history(t, session.providerPaymentId)).events.map((e) => e.type),
      ['payment.expired'],
    );
  });

  it('does not expire a paid session', async () => {
    const session = await newSession({ expiresAt: new Date(Date.now() + 300) });
    await payWith(session.redirectUrl, { cardNumber: '4242424242424242' });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await t.client.fetchPayment(session.providerPaymentId)).status, 'paid');
  });
});
