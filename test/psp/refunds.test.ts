import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SandboxApiError } from '../../src/payments/providers/sandbox.js';
import { apiPost, history, paidPayment, payWith, sessionInput, startTestPsp, type TestPsp } from './helpers.js';

let t: TestPsp;
before(async () => {
  t = await startTestPsp();
});
after(async () => {
  await t.close();
});

function apiError(status: number, code: string) {
  return (err: unknown) => {
    assert.ok(err instanceof SandboxApiError, String(err));
    assert.equal(err.status, status);
    assert.equal(err.code, code);
    return true;
  };
}

describe('refunds', () => {
  it('refunds in full', async () => {
    const paid = await paidPayment(t, { amountYen: 5000 });
    const refunded = await t.client.refund(paid.providerPaymentId, 5000, 'refund-full-1');
    assert.equal(refunded.status, 'refunded');
    assert.equal(refunded.refundedYen, 5000);
    assert.equal(refunded.amountYen, 5000);
    assert.deepEqual(await t.client.fetchPayment(paid.providerPaymentId), refunded);
    await assert.rejects(t.client.refund(paid.providerPaymentId, 1, 'refund-full-2'), apiError(409, 'payment_not_refundable'));
  });

  it('refunds in parts, and never more than was paid', async () => {
    const paid = await paidPayment(t, { amountYen: 10_000 });
    const first = await t.client.refund(paid.providerPaymentId, 3000, 'part-1');
    assert.equal(first.status, 'partially_refunded');
    assert.equal(first.refundedYen, 3000);

    await assert.rejects(t.client.refund(paid.providerPaymentId, 7001, 'part-2'), apiError(422, 'amount_exceeds_refundable'));
    assert.equal((await t.client.fetchPayment(paid.providerPaymentId)).refundedYen, 3000, 'a refused refund changes nothing');

    const second = await t.client.refund(paid.providerPaymentId, 6999, 'part-3');
    assert.equal(second.status, 'partially_refunded');
    assert.equal(second.refundedYen, 9999);
    const last = await t.client.refund(paid.providerPaymentId, 1, 'part-4');
    assert.equal(last.status, 'refunded');
    assert.equal(last.refundedYen, 10_000);
    await assert.rejects(t.client.refund(paid.providerPaymentId, 1, 'part-5'), apiError(409, 'payment_not_refundable'));

    const types = (await history(t, paid.providerPaymentId)).events.map((e) => e.type);
    assert.deepEqual(types, ['payment.paid', 'payment.refunded', 'payment.refunded', 'payment.refunded']);
  });

  it('is idempotent: the same key gives the same refund, not a second one', async () => {
    const paid = await paidPayment(t, { amountYen: 8000 });
    const body = { amountYen: 2000, idempotencyKey: 'same-key' };
    const first = await apiPost(t, `/v1/payments/${paid.providerPaymentId}/refunds`, body);
    assert.equal(first.status, 201);
    const firstJson = (await first.json()) as { refundedYen: number; refund: { refundId: string } };
    const again = await apiPost(t, `/v1/payments/${paid.providerPaymentId}/refunds`, body);
    assert.equal(again.status, 200);
    const againJson = (await again.json()) as { refundedYen: number; refund: { refundId: string } };
    assert.equal(againJson.refund.refundId, firstJson.refund.refundId);
    assert.equal(againJson.refundedYen, 2000);
    const viaClient = await t.client.refund(paid.providerPaymentId, 2000, 'same-key');
    assert.equal(viaClient.refundedYen, 2000, 'still only one refund');
    await assert.rejects(t.client.refund(paid.providerPaymentId, 2500, 'same-key'), apiError(409, 'idempotency_conflict'));
    assert.equal((await history(t, paid.providerPaymentId)).events.filter((e) => e.type === 'payment.refunded').length, 1);
  });

  it('refuses refunds of unpaid payments and bad amounts', async () => {
    const session = await t.client.createSession(sessionInput());
    await assert.rejects(t.client.refund(session.providerPaymentId, 100, 'r1'), apiError(409, 'payment_not_refundable'));
    const paid = await paidPayment(t);
    for (const body of [{ amountYen: 0, idempotencyKey: 'x' }, { amountYen: 1.5, idempotencyKey: 'x' }, { amountYen: 100 }, {}]) {
      const res = await apiPost(t, `/v1/payments/${paid.providerPaymentId}/refunds`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.equal((await apiPost(t, '/v1/payments/pay_0000000000000000/refunds', { amountYen: 1, idempotencyKey: 'x' })).status, 404);
  });
});

describe('capture and cancel', () => {
  it('captures a manually captured payment, in part', async () => {
    const input = sessionInput({ amountYen: 9000 });
    const res = await apiPost(t, '/v1/sessions', { ...input, expiresAt: input.expiresAt.toISOString(), captureMethod: 'manual' });
    assert.equal(res.status, 201);
    const session = (await res.json()) as { providerPaymentId: string; redirectUrl: string };
    assert.equal((await payWith(session.redirectUrl, { cardNumber: '3566002020360505' })).status, 303);
    const authorized = await t.client.fetchPayment(session.providerPaymentId);
    assert.equal(authorized.status, 'authorized');
    assert.equal(authorized.brand, 'jcb');

    await assert.rejects(t.client.capture(session.providerPaymentId, 9001), apiError(422, 'amount_exceeds_authorized'));
    const captured = await t.client.capture(session.providerPaymentId, 7000);
    assert.equal(captured.status, 'paid');
    assert.equal(captured.amountYen, 7000);
    // Repeating the same capture is harmless; a different one is refused.
    assert.equal((await t.client.capture(session.providerPaymentId, 7000)).status, 'paid');
    await assert.rejects(t.client.capture(session.providerPaymentId, 6000), apiError(409, 'payment_not_capturable'));
    await assert.rejects(t.client.refund(session.providerPaymentId, 7001, 'over'), apiError(422, 'amount_exceeds_refundable'));
    assert.deepEqual(
      (await history(t, session.providerPaymentId)).events.map((e) => e.type),
      ['payment.authorized', 'payment.paid'],
    );
  });

  it('automatic capture: a paid payment needs no capture, and repeating it is harmless', async () => {
    const paid = await paidPayment(t);
    assert.equal((await t.client.capture(paid.providerPaymentId)).status, 'paid');
  });

  it('cancels an open session; the page then says so', async () => {
    const session = await t.client.createSession(sessionInput());
    const cancelled = await t.client.cancel(session.providerPaymentId);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal((await t.client.cancel(session.providerPaymentId)).status, 'cancelled', 'idempotent');
    const late = await payWith(session.redirectUrl, { cardNumber: '4242424242424242' });
    assert.equal(late.status, 303);
    assert.equal((await t.client.fetchPayment(session.providerPaymentId)).status, 'cancelled');
    assert.match(await (await fetch(session.redirectUrl)).text(), /キャンセルされました/);
  });

  it('does not cancel a paid payment', async () => {
    const paid = await paidPayment(t);
    await assert.rejects(t.client.cancel(paid.providerPaymentId), apiError(409, 'payment_not_cancellable'));
  });
});
