/**
 * Contract tests of StripeProvider through the official SDK against a local fake of the Stripe API
 * (test/payments/stripe-fake.ts). Nothing leaves the loopback interface: the last test checks that
 * every HTTP request and socket of this process went to 127.0.0.1.
 *
 * Run: node --import tsx --test test/payments/stripe.test.ts
 */
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { WebhookVerificationError, type CreateSessionInput, type ProviderPayment } from '../../src/payments/provider.js';
import {
  STRIPE_CHECKOUT_ORIGIN,
  StripeProvider,
  StripeProviderError,
  UnsupportedWebhookEvent,
  stripeExpiresAt,
  withSessionIdPlaceholder,
} from '../../src/payments/providers/stripe.js';
import { startFakeStripe, type FakeStripe, type SeenRequest, type ThreeDsFlow } from './stripe-fake.js';

// ---- every outgoing connection of this process is recorded ---------------------------------
const httpTargets: string[] = [];
const socketPeers: string[] = [];
const onRequest = (msg: unknown): void => {
  const { request } = msg as { request: ClientRequest };
  httpTargets.push(`${request.host}`);
};
const onSocket = (msg: unknown): void => {
  const { socket } = msg as { socket: Socket };
  socket.once('connect', () => socketPeers.push(socket.remoteAddress ?? '?'));
};
diagnostics_channel.subscribe('http.client.request.start', onRequest);
diagnostics_channel.subscribe('net.client.socket', onSocket);

let fake: FakeStripe;
let stripe: StripeProvider;

before(async () => {
  fake = await startFakeStripe();
  stripe = new StripeProvider(fake.providerOptions);
});
after(async () => {
  await fake.close();
  diagnostics_channel.unsubscribe('http.client.request.start', onRequest);
  diagnostics_channel.unsubscribe('net.client.socket', onSocket);
});

let counter = 0;
function input(overrides: Partial<CreateSessionInput> = {}): CreateSessionInput {
  counter += 1;
  const ref = `ord_TEST${String(counter).padStart(12, '0')}`;
  return {
    orderReference: ref,
    orderNumber: `M-2025-${String(counter).padStart(5, '0')}`,
    amountYen: 12_800,
    currency: 'JPY',
    idempotencyKey: `${ref}:1`,
    returnUrl: `https://shop.example.jp/checkout/return/${ref}?t=tok_${counter}`,
    cancelUrl: `https://shop.example.jp/orders/${ref}/pay?t=tok_${counter}&cancelled=1`,
    webhookUrl: 'https://shop.example.jp/payments/webhook/stripe',
    description: `ご注文番号 M-2025-${String(counter).padStart(5, '0')}`,
    customerEmail: 'buyer@example.jp',
    expiresAt: new Date(Date.now() + 30 * 60_000),
    ...overrides,
  };
}

async function newSession(overrides: Partial<CreateSessionInput> = {}, provider: StripeProvider = stripe) {
  const inp = input(overrides);
  const session = await provider.createSession(inp);
  return { inp, session, id: session.providerPaymentId };
}

function providerError(code: string, status?: number) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof StripeProviderError, `expected StripeProviderError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (status !== undefined) assert.equal(err.status, status);
    return true;
  };
}

function requestsSince(mark: number): SeenRequest[] {
  return fake.requests.slice(mark);
}

const PAYMENT_KEYS = ['amountYen', 'brand', 'failureCode', 'last4', 'orderReference', 'providerPaymentId', 'refundedYen', 'status', 'threeDs'];

describe('StripeProvider: Checkout Session creation', () => {
  it('creates a payment-mode session for the amount in yen, with references, card only', async () => {
    const mark = fake.requests.length;
    const { inp, session, id } = await newSession();
    assert.match(id, /^cs_test_[A-Za-z0-9]+$/);
    assert.equal(stripe.name, 'stripe');
    assert.equal(stripe.origin, STRIPE_CHECKOUT_ORIGIN);
    assert.ok(session.redirectUrl.startsWith(`${STRIPE_CHECKOUT_ORIGIN}/c/pay/${id}`));

    const s = fake.session(id);
    assert.equal(s.amountTotal, 12_800, 'JPY is zero-decimal: the yen amount goes unchanged');
    assert.equal(s.currency, 'jpy');
    assert.deepEqual(s.lineItems, [{ name: inp.description, unitAmount: 12_800, quantity: 1, currency: 'jpy' }]);
    assert.equal(s.clientReferenceId, inp.orderReference);
    assert.deepEqual(s.metadata, { orderReference: inp.orderReference, orderNumber: inp.orderNumber });
    assert.deepEqual(s.paymentIntentMetadata, { orderReference: inp.orderReference, orderNumber: inp.orderNumber });
    assert.deepEqual(s.allowedPaymentMethodTypes, ['card']);
    assert.equal(s.captureMethod, 'automatic');
    assert.equal(s.customerEmail, 'buyer@example.jp');
    assert.equal(s.cancelUrl, inp.cancelUrl);

    // The SDK's form encoding, nested keys and all, as the real API receives it.
    const [create] = requestsSince(mark);
    assert.ok(create);
    assert.equal(create.method, 'POST');
    assert.equal(create.path, '/v1/checkout/sessions');
    assert.match(create.body, /(^|&)line_items\[0\]\[price_data\]\[unit_amount\]=12800(&|$)/);
    assert.match(create.body, /(^|&)mode=payment(&|$)/);
    assert.equal(create.idempotencyKey, `mamori-session:${inp.idempotencyKey}`);
    assert.match(create.stripeVersion ?? '', /^\d{4}-\d{2}-\d{2}\./);
  });

  it('omits customer_email when the order has none', async () => {
    const { id } = await newSession({ customerEmail: null });
    assert.equal(fake.session(id).customerEmail, null);
    assert.equal('customer_email' in fake.session(id).params, false);
  });

  it('keeps the return URL and appends payment={CHECKOUT_SESSION_ID}, which Stripe fills in on redirect', async () => {
    const { inp, id } = await newSession();
    const s = fake.session(id);
    assert.equal(s.successUrl, `${inp.returnUrl}&payment={CHECKOUT_SESSION_ID}`, 'the placeholder is sent literally, braces unencoded');

    fake.completePayment(id);
    const back = new URL(fake.successRedirect(id));
    assert.equal(back.origin + back.pathname, `https://shop.example.jp/checkout/return/${inp.orderReference}`);
    assert.equal(back.searchParams.get('t'), `tok_${counter}`);
    assert.equal(back.searchParams.get('payment'), id);
    // What the shop's return route accepts (src/payments/routes.tsx, returnQuery).
    assert.match(back.searchParams.get('payment') ?? '', /^[A-Za-z0-9_-]{1,100}$/);
  });

  it('the same idempotency key gives the same session; another key another one', async () => {
    const inp = input();
    const before = fake.sessions.size;
    const a = await stripe.createSession(inp);
    const mark = fake.requests.length;
    const b = await stripe.createSession(inp);
    assert.equal(b.providerPaymentId, a.providerPaymentId);
    assert.equal(b.redirectUrl, a.redirectUrl);
    assert.equal(fake.sessions.size, before + 1);
    assert.equal(requestsSince(mark)[0]?.replayed, true, 'Stripe answered with the saved result');

    const c = await stripe.createSession({ ...inp, idempotencyKey: `${inp.orderReference}:2` });
    assert.notEqual(c.providerPaymentId, a.providerPaymentId);
  });

  it('a request retried after a 5xx keeps its idempotency key and makes one session', async () => {
    const before = fake.sessions.size;
    const mark = fake.requests.length;
    fake.failNext(1, 500);
    const { id } = await newSession();
    const posts = requestsSince(mark).filter((r) => r.method === 'POST');
    assert.equal(posts.length, 2);
    assert.equal(posts[0]?.status, 500);
    assert.equal(posts[1]?.status, 200);
    assert.equal(posts[0]?.idempotencyKey, posts[1]?.idempotencyKey);
    assert.equal(fake.sessions.size, before + 1);
    assert.ok(fake.sessions.has(id));
  });

  it('sends expires_at inside Stripe\'s 30 min – 24 h window and reports it', async () => {
    // The shop asks for exactly 30 minutes, which Stripe (and the fake) would refuse by arrival.
    const { session, id } = await newSession({ expiresAt: new Date(Date.now() + 30 * 60_000) });
    const s = fake.session(id);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(s.expiresAt >= now + 30 * 60 && s.expiresAt <= now + 24 * 3600);
    assert.equal(session.expiresAt, new Date(s.expiresAt * 1000).toISOString());

    const far = await newSession({ expiresAt: new Date(Date.now() + 3 * 24 * 3600_000) });
    assert.ok(fake.session(far.id).expiresAt <= now + 24 * 3600);
  });

  it('refuses a redirect URL outside the checkout origin', async () => {
    const elsewhere = new StripeProvider({ ...fake.providerOptions, checkoutOrigin: 'https://pay.mamori.example' });
    await assert.rejects(elsewhere.createSession(input()), providerError('redirect_origin_mismatch'));
  });

  it('refuses what Stripe cannot take before calling it', async () => {
    const mark = fake.requests.length;
    await assert.rejects(stripe.createSession(input({ amountYen: 0 })), providerError('invalid_amount'));
    await assert.rejects(stripe.createSession(input({ amountYen: 12.5 })), providerError('invalid_amount'));
    await assert.rejects(stripe.createSession(input({ returnUrl: 'https://shop.example.jp/r?payment=x' })), providerError('invalid_request'));
    assert.equal(fake.requests.length, mark);
  });
});

describe('StripeProvider: pure helpers', () => {
  it('withSessionIdPlaceholder keeps the existing query byte for byte', () => {
    assert.equal(withSessionIdPlaceholder('https://s.example/r'), 'https://s.example/r?payment={CHECKOUT_SESSION_ID}');
    assert.equal(withSessionIdPlaceholder('https://s.example/r?t=a%2Bb~c'), 'https://s.example/r?t=a%2Bb~c&payment={CHECKOUT_SESSION_ID}');
    assert.equal(withSessionIdPlaceholder('https://s.example/r?'), 'https://s.example/r?payment={CHECKOUT_SESSION_ID}');
    assert.equal(withSessionIdPlaceholder('https://s.example/r?t=1#top'), 'https://s.example/r?t=1&payment={CHECKOUT_SESSION_ID}#top');
    assert.throws(() => withSessionIdPlaceholder('/relative'), StripeProviderError);
    assert.throws(() => withSessionIdPlaceholder('javascript:alert(1)'), StripeProviderError);
  });

  it('stripeExpiresAt clamps into the window by whole minutes, stable across a retry', () => {
    const now = new Date('2025-06-15T12:00:00Z');
    const s = (d: Date) => Math.floor(d.getTime() / 1000);
    const in30 = new Date(now.getTime() + 30 * 60_000);
    assert.equal(stripeExpiresAt(in30, now), s(in30) + 120);
    assert.equal(stripeExpiresAt(in30, new Date(now.getTime() + 5_000)), s(in30) + 120, 'a retry seconds later sends the same value');
    const in2h = new Date(now.getTime() + 2 * 3600_000);
    assert.equal(stripeExpiresAt(in2h, now), s(in2h));
    const in3d = new Date(now.getTime() + 3 * 24 * 3600_000);
    const clampedFar = stripeExpiresAt(in3d, now);
    assert.ok(clampedFar <= s(now) + 24 * 3600 - 60 && clampedFar >= s(now) + 24 * 3600 - 150);
    const past = new Date(now.getTime() - 3600_000);
    assert.ok(stripeExpiresAt(past, now) >= s(now) + 30 * 60 + 60);
  });
});

describe('StripeProvider: fetching a payment', () => {
  it('is pending while the buyer has not paid, and carries no card data', async () => {
    const { inp, id } = await newSession();
    const mark = fake.requests.length;
    const pp = await stripe.fetchPayment(id);
    assert.deepEqual(pp, {
      providerPaymentId: id,
      orderReference: inp.orderReference,
      status: 'pending',
      amountYen: 12_800,
      refundedYen: 0,
      brand: null,
      last4: null,
      threeDs: null,
      failureCode: null,
    } satisfies ProviderPayment);
    const [get] = requestsSince(mark);
    assert.equal(get?.method, 'GET');
    assert.equal(get?.path, `/v1/checkout/sessions/${id}`);
    assert.equal(new URLSearchParams(get?.query ?? '').get('expand[0]'), 'payment_intent.latest_charge');
  });

  it('is paid after a successful payment, with brand, last 4 and the 3-D Secure outcome', async () => {
    const { inp, id } = await newSession();
    fake.completePayment(id, { brand: 'jcb', last4: '0505', threeDs: 'challenge' });
    const pp = await stripe.fetchPayment(id);
    assert.deepEqual(pp, {
      providerPaymentId: id,
      orderReference: inp.orderReference,
      status: 'paid',
      amountYen: 12_800,
      refundedYen: 0,
      brand: 'jcb',
      last4: '0505',
      threeDs: 'challenge_passed',
      failureCode: null,
    } satisfies ProviderPayment);
    // Stripe's charge carries the expiry month and year; none of it reaches Mamori.
    assert.deepEqual(Object.keys(pp).sort(), PAYMENT_KEYS);
    assert.doesNotMatch(JSON.stringify(pp), /exp_|2034|fingerprint/);
  });

  for (const [flow, outcome] of [
    ['frictionless', 'frictionless'],
    ['challenge', 'challenge_passed'],
    ['attempted', 'frictionless'],
    ['none', 'not_attempted'],
  ] as const satisfies ReadonlyArray<readonly [ThreeDsFlow, ProviderPayment['threeDs']]>) {
    it(`maps 3-D Secure ${flow} to ${outcome}`, async () => {
      const { id } = await newSession();
      fake.completePayment(id, { brand: 'visa', last4: '4242', threeDs: flow });
      const pp = await stripe.fetchPayment(id);
      assert.equal(pp.status, 'paid');
      assert.equal(pp.threeDs, outcome);
    });
  }

  it('is failed with the decline code after a decline, and paid when another card then succeeds', async () => {
    const { id } = await newSession();
    fake.declinePayment(id, 'insufficient_funds', { brand: 'visa', last4: '9995' });
    const declined = await stripe.fetchPayment(id);
    assert.equal(declined.status, 'failed');
    assert.equal(declined.failureCode, 'insufficient_funds');
    assert.equal(declined.brand, 'visa');
    assert.equal(declined.last4, '9995');
    assert.equal(declined.amountYen, 12_800);

    fake.completePayment(id, { brand: 'mastercard', last4: '4444', threeDs: 'frictionless' });
    const paid = await stripe.fetchPayment(id);
    assert.equal(paid.status, 'paid');
    assert.equal(paid.failureCode, null);
    assert.equal(paid.brand, 'mastercard');
    assert.equal(paid.last4, '4444');
  });

  it('reports decline codes the shop explains (stolen_card, processing_error)', async () => {
    const a = await newSession();
    fake.declinePayment(a.id, 'stolen_card');
    assert.equal((await stripe.fetchPayment(a.id)).failureCode, 'stolen_card');
    const b = await newSession();
    fake.declinePayment(b.id, 'processing_error');
    assert.equal((await stripe.fetchPayment(b.id)).failureCode, 'processing_error');
  });

  it('is failed with 3ds_failed / challenge_failed when 3-D Secure authentication fails', async () => {
    const { id } = await newSession();
    fake.failAuthentication(id);
    const pp = await stripe.fetchPayment(id);
    assert.equal(pp.status, 'failed');
    assert.equal(pp.failureCode, '3ds_failed');
    assert.equal(pp.threeDs, 'challenge_failed');
  });

  it('is expired when the session expires, also after a declined attempt', async () => {
    const a = await newSession();
    fake.expireSession(a.id);
    assert.equal((await stripe.fetchPayment(a.id)).status, 'expired');
    const b = await newSession();
    fake.declinePayment(b.id, 'card_declined');
    fake.expireSession(b.id);
    const pp = await stripe.fetchPayment(b.id);
    assert.equal(pp.status, 'expired');
    assert.equal(fake.paymentIntentOf(b.id).status, 'canceled');
  });

  it('reports Stripe errors as StripeProviderError without Stripe\'s text in the message', async () => {
    await assert.rejects(stripe.fetchPayment('cs_test_doesnotexist'), providerError('resource_missing', 404));
    const mark = fake.requests.length;
    await assert.rejects(stripe.fetchPayment('cs_test_x/../../v1/refunds'), providerError('invalid_request'));
    await assert.rejects(stripe.fetchPayment('pi_123'), providerError('invalid_request'));
    assert.equal(fake.requests.length, mark, 'a malformed id never reaches Stripe');

    const wrongKey = new StripeProvider({ ...fake.providerOptions, secretKey: 'sk_test_wrong_key_000000000000' });
    const { id } = await newSession();
    await assert.rejects(wrongKey.fetchPayment(id), (err: unknown) => {
      assert.ok(err instanceof StripeProviderError);
      assert.equal(err.status, 401);
      assert.doesNotMatch(err.message, /sk_test/);
      assert.match(err.stripeMessage ?? '', /Invalid API Key/);
      return true;
    });
  });
});

describe('StripeProvider: capture, cancel, refund', () => {
  const manual = () => new StripeProvider({ ...fake.providerOptions, captureMethod: 'manual' });

  it('manual capture: authorized until captured; repeating the capture is harmless', async () => {
    const provider = manual();
    const { id } = await newSession({}, provider);
    assert.equal(fake.session(id).captureMethod, 'manual');
    fake.completePayment(id, { brand: 'amex', last4: '0005' });
    const authorized = await provider.fetchPayment(id);
    assert.equal(authorized.status, 'authorized');
    assert.equal(authorized.brand, 'amex');

    const paid = await provider.capture(id);
    assert.equal(paid.status, 'paid');
    assert.equal(paid.amountYen, 12_800);
    const pi = fake.paymentIntentOf(id);
    assert.equal(pi.status, 'succeeded');

    const mark = fake.requests.length;
    const again = await provider.capture(id);
    assert.equal(again.status, 'paid');
    assert.equal(requestsSince(mark).filter((r) => r.path.endsWith('/capture')).length, 0);
  });

  it('a partial capture is paid for the captured amount; the released rest is not a refund', async () => {
    const provider = manual();
    const { id } = await newSession({}, provider);
    fake.completePayment(id);
    await assert.rejects(provider.capture(id, 20_000), providerError('invalid_amount', 422));
    const paid = await provider.capture(id, 10_000);
    assert.equal(paid.status, 'paid');
    assert.equal(paid.amountYen, 10_000);
    assert.equal(paid.refundedYen, 0);
    const refunded = await provider.refund(id, 4_000, `${id}:r1`);
    assert.equal(refunded.status, 'partially_refunded');
    assert.equal(refunded.refundedYen, 4_000);
  });

  it('capture refuses a payment that is not authorized', async () => {
    const { id } = await newSession();
    await assert.rejects(stripe.capture(id), providerError('payment_not_capturable', 409));
  });

  it('cancel expires an open session; repeating it is harmless', async () => {
    const { id } = await newSession();
    fake.declinePayment(id, 'card_declined');
    const mark = fake.requests.length;
    const cancelled = await stripe.cancel(id);
    assert.equal(cancelled.status, 'expired');
    assert.equal(fake.session(id).status, 'expired');
    assert.ok(requestsSince(mark).some((r) => r.method === 'POST' && r.path === `/v1/checkout/sessions/${id}/expire`));
    const again = await stripe.cancel(id);
    assert.equal(again.status, 'expired');
  });

  it('cancel voids an authorized payment', async () => {
    const provider = manual();
    const { id } = await newSession({}, provider);
    fake.completePayment(id);
    const cancelled = await provider.cancel(id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(fake.paymentIntentOf(id).status, 'canceled');
    assert.equal((await provider.cancel(id)).status, 'cancelled');
    await assert.rejects(provider.capture(id), providerError('payment_not_capturable'));
  });

  it('cancel refuses a captured payment (refund it instead)', async () => {
    const { id } = await newSession();
    fake.completePayment(id);
    await assert.rejects(stripe.cancel(id), providerError('payment_not_cancellable', 409));
  });

  it('partial then full refund, idempotent with the same key', async () => {
    const { inp, id } = await newSession();
    fake.completePayment(id, { brand: 'visa', last4: '4242' });
    const refundsBefore = fake.refunds.size;

    const mark = fake.requests.length;
    const partial = await stripe.refund(id, 5_000, 'refund-a');
    assert.equal(partial.status, 'partially_refunded');
    assert.equal(partial.refundedYen, 5_000);
    assert.equal(partial.amountYen, 12_800);
    const post = requestsSince(mark).find((r) => r.path === '/v1/refunds');
    assert.equal(post?.idempotencyKey, 'mamori-refund:refund-a');
    const refund = [...fake.refunds.values()].at(-1);
    assert.equal(refund?.amount, 5_000);
    assert.equal(refund?.paymentIntentId, fake.paymentIntentOf(id).id);
    assert.deepEqual(refund?.metadata, { orderReference: inp.orderReference });

    const replay = await stripe.refund(id, 5_000, 'refund-a');
    assert.equal(replay.refundedYen, 5_000, 'the same key refunds once');
    assert.equal(fake.refunds.size, refundsBefore + 1);

    await assert.rejects(stripe.refund(id, 4_000, 'refund-a'), providerError('idempotency_error', 400));
    await assert.rejects(stripe.refund(id, 7_801, 'refund-too-much'), providerError('amount_too_large', 400));

    const full = await stripe.refund(id, 7_800, 'refund-b');
    assert.equal(full.status, 'refunded');
    assert.equal(full.refundedYen, 12_800);
    assert.equal(fake.refunds.size, refundsBefore + 2);

    const replayFull = await stripe.refund(id, 7_800, 'refund-b');
    assert.equal(replayFull.status, 'refunded');
    assert.equal(fake.refunds.size, refundsBefore + 2);
    await assert.rejects(stripe.refund(id, 1, 'refund-c'), providerError('charge_already_refunded', 400));
  });

  it('refund refuses a payment that was not captured', async () => {
    const { id } = await newSession();
    await assert.rejects(stripe.refund(id, 1_000, 'r-unpaid'), providerError('payment_not_refundable', 409));
    fake.declinePayment(id, 'card_declined');
    await assert.rejects(stripe.refund(id, 1_000, 'r-declined'), providerError('payment_not_refundable', 409));
    await assert.rejects(stripe.refund(id, -5, 'r-negative'), providerError('invalid_amount'));
  });
});

describe('StripeProvider: webhooks', () => {
  it('parses a verified checkout.session.completed into the shop\'s event', async () => {
    const { inp, id } = await newSession();
    fake.completePayment(id, { brand: 'visa', last4: '4242' });
    const wh = fake.sessionWebhook('checkout.session.completed', id);
    const event = stripe.parseWebhook(wh.rawBody, wh.headers);
    assert.equal(event.eventId, wh.eventId);
    assert.match(event.eventId, /^evt_/);
    assert.equal(event.type, 'checkout.session.completed');
    assert.ok(!Number.isNaN(Date.parse(event.createdAt)));
    assert.deepEqual(event.payment, {
      providerPaymentId: id,
      orderReference: inp.orderReference,
      status: 'paid',
      amountYen: 12_800,
      refundedYen: 0,
      // Webhooks carry nothing expanded: the shop keeps what it fetched.
      brand: null,
      last4: null,
      threeDs: null,
      failureCode: null,
    } satisfies ProviderPayment);
    // A replay carries the same event id (the shop de-duplicates on it).
    assert.equal(stripe.parseWebhook(wh.rawBody, wh.headers).eventId, event.eventId);
  });

  it('reads the signature header whatever its case, as Node or a proxy may pass it', async () => {
    const { id } = await newSession();
    const wh = fake.sessionWebhook('checkout.session.expired', id);
    const sig = wh.headers['stripe-signature'];
    assert.ok(sig);
    assert.equal(stripe.parseWebhook(wh.rawBody, { 'Stripe-Signature': sig }).type, 'checkout.session.expired');
    assert.equal(stripe.parseWebhook(wh.rawBody, { 'stripe-signature': [sig] }).type, 'checkout.session.expired');
  });

  it('maps expired, async success and async failure events', async () => {
    const a = await newSession();
    fake.expireSession(a.id);
    const expired = fake.sessionWebhook('checkout.session.expired', a.id);
    assert.equal(stripe.parseWebhook(expired.rawBody, expired.headers).payment.status, 'expired');

    const b = await newSession();
    fake.completePayment(b.id);
    const ok = fake.sessionWebhook('checkout.session.async_payment_succeeded', b.id);
    assert.equal(stripe.parseWebhook(ok.rawBody, ok.headers).payment.status, 'paid');

    // Shape of an async failure: session complete, payment unpaid.
    const c = await newSession();
    const session = fake.session(c.id);
    session.status = 'complete';
    const failed = fake.sessionWebhook('checkout.session.async_payment_failed', c.id);
    const pp = stripe.parseWebhook(failed.rawBody, failed.headers).payment;
    assert.equal(pp.status, 'failed');
    assert.equal(pp.failureCode, 'async_payment_failed');
  });

  it('a completed session whose payment is not captured yet is pending (the shop re-fetches)', async () => {
    const provider = new StripeProvider({ ...fake.providerOptions, captureMethod: 'manual' });
    const { id } = await newSession({}, provider);
    fake.completePayment(id);
    const wh = fake.sessionWebhook('checkout.session.completed', id);
    assert.equal(provider.parseWebhook(wh.rawBody, wh.headers).payment.status, 'pending');
    assert.equal((await provider.fetchPayment(id)).status, 'authorized');
  });

  it('rejects a tampered body, a wrong secret, an old timestamp and a missing or malformed header', async () => {
    const { id } = await newSession();
    fake.completePayment(id);
    const good = fake.sessionWebhook('checkout.session.completed', id);
    const rejects = (rawBody: string, headers: Record<string, string | string[] | undefined>, why: RegExp) =>
      assert.throws(() => stripe.parseWebhook(rawBody, headers), (err: unknown) => {
        assert.ok(err instanceof WebhookVerificationError, String(err));
        assert.match(err.message, why);
        return true;
      });

    const tampered = good.rawBody.replace('"amount_total": 12800', '"amount_total": 128');
    assert.notEqual(tampered, good.rawBody);
    rejects(tampered, good.headers, /signature/i);
    rejects(`${good.rawBody} `, good.headers, /signature/i);
    const wrongSecret = fake.sessionWebhook('checkout.session.completed', id, { secret: 'whsec_not_the_endpoint_secret' });
    rejects(wrongSecret.rawBody, wrongSecret.headers, /signature/i);
    const old = fake.sessionWebhook('checkout.session.completed', id, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    rejects(old.rawBody, old.headers, /tolerance/i);
    rejects(good.rawBody, {}, /Missing/);
    rejects(good.rawBody, { 'stripe-signature': 'garbage' }, /timestamp|signature/i);
    const sig = good.headers['stripe-signature'] ?? '';
    rejects(good.rawBody, { 'stripe-signature': [sig, sig] }, /one stripe-signature/i);
    rejects(good.rawBody, { 'stripe-signature': sig.replace(/v1=[0-9a-f]+/, 'v0=00') }, /signature/i);

    // Signed, but not a Stripe event.
    const t = Math.floor(Date.now() / 1000);
    const notJson = 'not json';
    rejects(notJson, { 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: notJson, secret: fake.webhookSecret, timestamp: t }) }, /not a Stripe event/);
    const notSession = JSON.stringify({ id: 'evt_1', object: 'event', created: t, type: 'checkout.session.completed', data: { object: { object: 'charge', id: 'ch_1' } } });
    rejects(notSession, { 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: notSession, secret: fake.webhookSecret, timestamp: t }) }, /Checkout Session/);
  });

  it('signals a verified charge.refunded as UnsupportedWebhookEvent, resolvable through its PaymentIntent', async () => {
    const { id } = await newSession();
    fake.completePayment(id);
    await stripe.refund(id, 2_800, 'wh-refund');
    const wh = fake.chargeWebhook('charge.refunded', id);
    assert.throws(() => stripe.parseWebhook(wh.rawBody, wh.headers), (err: unknown) => {
      assert.ok(err instanceof UnsupportedWebhookEvent);
      assert.ok(!(err instanceof WebhookVerificationError), 'an authentic event must not be answered 400');
      assert.equal(err.eventId, wh.eventId);
      assert.equal(err.eventType, 'charge.refunded');
      assert.equal(err.paymentIntentId, fake.paymentIntentOf(id).id);
      return true;
    });
    const pp = await stripe.fetchPaymentByPaymentIntent(fake.paymentIntentOf(id).id);
    assert.equal(pp?.providerPaymentId, id);
    assert.equal(pp?.status, 'partially_refunded');
    assert.equal(pp?.refundedYen, 2_800);
    assert.equal(await stripe.fetchPaymentByPaymentIntent('pi_unknown0000'), null);
  });

  it('signals other verified event types as UnsupportedWebhookEvent, and unverified ones as WebhookVerificationError', () => {
    const wh = fake.webhook('customer.created', { id: 'cus_123', object: 'customer' });
    assert.throws(() => stripe.parseWebhook(wh.rawBody, wh.headers), (err: unknown) => {
      assert.ok(err instanceof UnsupportedWebhookEvent);
      assert.equal(err.paymentIntentId, null);
      return true;
    });
    const forged = fake.webhook('customer.created', { id: 'cus_123', object: 'customer' }, { secret: 'whsec_forged' });
    assert.throws(() => stripe.parseWebhook(forged.rawBody, forged.headers), WebhookVerificationError);
  });
});

describe('StripeProvider: configuration', () => {
  it('refuses keys that are not a secret key and a signing secret', () => {
    const o = fake.providerOptions;
    assert.throws(() => new StripeProvider({ ...o, secretKey: 'pk_test_123' }), /STRIPE_SECRET_KEY/);
    assert.throws(() => new StripeProvider({ ...o, secretKey: '' }), /STRIPE_SECRET_KEY/);
    assert.throws(() => new StripeProvider({ ...o, webhookSecret: 'sk_test_123' }), /STRIPE_WEBHOOK_SECRET/);
    assert.equal(new StripeProvider({ secretKey: 'sk_live_x', webhookSecret: 'whsec_x' }).origin, 'https://checkout.stripe.com');
  });
});

describe('no network beyond loopback', () => {
  it('every request of the SDK went to the fake on 127.0.0.1', () => {
    assert.ok(fake.requests.length > 20, 'the fake saw the SDK\'s requests');
    for (const r of fake.requests) {
      assert.equal(r.remoteAddress, '127.0.0.1');
      assert.match(r.userAgent ?? '', /^Stripe\/v1 NodeBindings\//);
    }
    assert.ok(httpTargets.length >= fake.requests.length);
    assert.deepEqual([...new Set(httpTargets)], ['127.0.0.1']);
    assert.ok(socketPeers.length > 0);
    assert.deepEqual([...new Set(socketPeers)], ['127.0.0.1']);
  });
});
