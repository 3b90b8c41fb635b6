import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WebhookEvent } from '../../src/payments/provider.js';
import {
  apiGet,
  payWith,
  sessionInput,
  startTestPsp,
  waitFor,
  WebhookReceiver,
  type ReceivedWebhook,
  type TestPsp,
} from './helpers.js';

let t: TestPsp;
let receiver: WebhookReceiver;
before(async () => {
  receiver = await new WebhookReceiver().start();
  t = await startTestPsp({ webhookRetryBaseMs: 30 });
});
after(async () => {
  await t.close();
  await receiver.close();
});

function parse(w: ReceivedWebhook): WebhookEvent {
  return t.client.parseWebhook(w.body, w.headers);
}

function forPayment(id: string): ReceivedWebhook[] {
  return receiver.received.filter((w) => w.body.includes(id));
}

describe('webhook delivery', () => {
  it('posts a signed event, retries after a 500 with the same eventId, then stops', async () => {
    let calls = 0;
    receiver.respond = (_n, body) => (body.includes('"payment.paid"') && calls++ === 0 ? 500 : 200);
    const session = await t.client.createSession(sessionInput({ webhookUrl: receiver.url }));
    await payWith(session.redirectUrl, { cardNumber: '4242424242424242' });

    const [first, second] = await waitFor('two deliveries', () => {
      const got = forPayment(session.providerPaymentId);
      return got.length >= 2 ? got : undefined;
    });
    assert.ok(first && second);
    assert.equal(first.status, 500);
    assert.equal(second.status, 200);
    assert.equal(second.body, first.body, 'a retry re-sends the same body');
    assert.match(String(first.headers['content-type']), /application\/json/);
    assert.match(String(first.headers['mamori-psp-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);

    const a = parse(first);
    const b = parse(second);
    assert.equal(a.eventId, b.eventId);
    assert.match(a.eventId, /^evt_/);
    assert.equal(a.type, 'payment.paid');
    assert.equal(a.payment.providerPaymentId, session.providerPaymentId);
    assert.equal(a.payment.status, 'paid');
    assert.equal(a.payment.last4, '4242');
    assert.ok(!first.body.includes('4242424242424242'));

    // Delivered: no third request.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(forPayment(session.providerPaymentId).length, 2);
    const h = (await (await apiGet(t, `/v1/payments/${session.providerPaymentId}/events`)).json()) as {
      events: { eventId: string; delivery: { state: string; attempts: number; lastStatus: number } }[];
    };
    assert.deepEqual(h.events[0]?.delivery, { state: 'delivered', attempts: 2, lastStatus: 200 });
    receiver.respond = () => 200;
  });

  it('sends one event per status change, each with a unique eventId', async () => {
    receiver.respond = () => 200;
    const session = await t.client.createSession(sessionInput({ webhookUrl: receiver.url, amountYen: 3000 }));
    await payWith(session.redirectUrl, { cardNumber: '4000000000009979' });
    await payWith(session.redirectUrl, { cardNumber: '378282246310005' });
    await t.client.refund(session.providerPaymentId, 1000, 'wh-r1');
    await t.client.refund(session.providerPaymentId, 2000, 'wh-r2');

    const events = await waitFor('four events', () => {
      const got = forPayment(session.providerPaymentId);
      return got.length >= 4 ? got.map(parse) : undefined;
    });
    events.sort((x, y) => x.createdAt.localeCompare(y.createdAt));
    assert.deepEqual(
      events.map((e) => [e.type, e.payment.status, e.payment.refundedYen, e.payment.failureCode]),
      [
        ['payment.failed', 'failed', 0, 'stolen_card'],
        ['payment.paid', 'paid', 0, null],
        ['payment.refunded', 'partially_refunded', 1000, null],
        ['payment.refunded', 'refunded', 3000, null],
      ],
    );
    assert.equal(new Set(events.map((e) => e.eventId)).size, 4);
  });

  it('sends payment.cancelled and payment.expired', async () => {
    receiver.respond = () => 200;
    const cancelled = await t.client.createSession(sessionInput({ webhookUrl: receiver.url }));
    await t.client.cancel(cancelled.providerPaymentId);
    const expiring = await t.client.createSession(sessionInput({ webhookUrl: receiver.url, expiresAt: new Date(Date.now() + 200) }));
    const c = await waitFor('cancel webhook', () => forPayment(cancelled.providerPaymentId)[0]);
    assert.equal(parse(c).type, 'payment.cancelled');
    // Nobody asks about the expiring session: the background worker expires it on time.
    const e = await waitFor('expiry webhook', () => forPayment(expiring.providerPaymentId)[0], 3000);
    const event = parse(e);
    assert.equal(event.type, 'payment.expired');
    assert.equal(event.payment.status, 'expired');
  });

  it('backs off exponentially and gives up after the maximum attempts', async () => {
    const failing = await new WebhookReceiver().start();
    failing.respond = () => 503;
    const times: number[] = [];
    const inner = failing.respond;
    failing.respond = (n, body) => {
      times.push(Date.now());
      return inner(n, body);
    };
    const local = await startTestPsp({ webhookRetryBaseMs: 40, webhookMaxAttempts: 4 });
    try {
      const session = await local.client.createSession(sessionInput({ webhookUrl: failing.url }));
      await local.client.cancel(session.providerPaymentId);
      await waitFor('four attempts', () => (failing.received.length >= 4 ? true : undefined));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(failing.received.length, 4, 'no fifth attempt');
      const gaps = times.slice(1).map((at, i) => at - (times[i] ?? at));
      // 40, 80, 160 ms (timers are never early; allow generous lateness).
      assert.ok(gaps[0]! >= 35 && gaps[1]! >= 75 && gaps[2]! >= 155, `gaps ${gaps.join(',')}`);
      assert.ok(gaps[2]! > gaps[0]!, `gaps grow: ${gaps.join(',')}`);
      const ids = new Set(failing.received.map((w) => local.client.parseWebhook(w.body, w.headers).eventId));
      assert.equal(ids.size, 1);
      const h = (await (await apiGet(local, `/v1/payments/${session.providerPaymentId}/events`)).json()) as {
        events: { delivery: { state: string; attempts: number; lastStatus: number } }[];
      };
      assert.deepEqual(h.events[0]?.delivery, { state: 'failed', attempts: 4, lastStatus: 503 });
    } finally {
      await local.close();
      await failing.close();
    }
  });

  it('stops the delivery loop on close, even with a receiver that never answers', async () => {
    const hanging = await new WebhookReceiver().start();
    hanging.respond = () => 0;
    const local = await startTestPsp({ webhookRetryBaseMs: 20 });
    try {
      const session = await local.client.createSession(sessionInput({ webhookUrl: hanging.url }));
      await local.client.cancel(session.providerPaymentId);
      await waitFor('the request to arrive', () => (hanging.received.length > 0 ? true : undefined));
      const started = Date.now();
      await local.close();
      assert.ok(Date.now() - started < 2000, 'close does not wait for the 10 s request timeout');
      const count = hanging.received.length;
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(hanging.received.length, count, 'nothing is sent after close');
    } finally {
      await local.close();
      await hanging.close();
    }
  });
});
