import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { WebhookVerificationError } from '../../src/payments/provider.js';
import { SandboxProvider, signSandboxWebhook } from '../../src/payments/providers/sandbox.js';
import { verifySandboxSignature } from '../../src/payments/providers/sandbox-signature.js';

const SECRET = 'whsec_signature_test_secret';
const client = new SandboxProvider({
  apiUrl: 'http://127.0.0.1:1',
  publicOrigin: 'http://127.0.0.1:1',
  apiKey: 'unused-api-key-123',
  webhookSecret: SECRET,
});

const event = {
  eventId: 'evt_0123456789ABCDEF',
  type: 'payment.paid',
  createdAt: '2025-06-15T12:00:00.000Z',
  payment: {
    providerPaymentId: 'pay_0123456789ABCDEF',
    orderReference: 'ord_1',
    status: 'paid',
    amountYen: 12800,
    refundedYen: 0,
    brand: 'visa',
    last4: '4242',
    threeDs: 'frictionless',
    failureCode: null,
  },
};
const body = JSON.stringify(event);
const nowSeconds = () => Math.floor(Date.now() / 1000);

function headers(value: string | string[] | undefined): Record<string, string | string[] | undefined> {
  return { 'content-type': 'application/json', 'mamori-psp-signature': value };
}

function rejects(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WebhookVerificationError, `expected WebhookVerificationError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('webhook signature scheme', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>', () => {
    const t = 1_750_000_000;
    const expected = createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex');
    assert.equal(signSandboxWebhook(SECRET, body, t), `t=${t},v1=${expected}`);
  });

  it('accepts a fresh, correct signature and returns the parsed event', () => {
    const parsed = client.parseWebhook(body, headers(signSandboxWebhook(SECRET, body, nowSeconds())));
    assert.deepEqual(parsed, event);
  });

  it('finds the header whatever its case', () => {
    const parsed = client.parseWebhook(body, { 'Mamori-Psp-Signature': signSandboxWebhook(SECRET, body, nowSeconds()) });
    assert.equal(parsed.eventId, event.eventId);
  });

  it('rejects a tampered body', () => {
    const header = signSandboxWebhook(SECRET, body, nowSeconds());
    const tampered = body.replace('"amountYen":12800', '"amountYen":1');
    assert.notEqual(tampered, body);
    rejects(() => client.parseWebhook(tampered, headers(header)), /does not match/);
  });

  it('rejects a signature made with another secret', () => {
    rejects(() => client.parseWebhook(body, headers(signSandboxWebhook('whsec_someone_else', body, nowSeconds()))), /does not match/);
  });

  it('rejects a timestamp older than five minutes', () => {
    rejects(() => client.parseWebhook(body, headers(signSandboxWebhook(SECRET, body, nowSeconds() - 301))), /too old/);
    // Still inside the window:
    assert.equal(client.parseWebhook(body, headers(signSandboxWebhook(SECRET, body, nowSeconds() - 250))).eventId, event.eventId);
  });

  it('rejects a timestamp more than five minutes in the future', () => {
    rejects(() => client.parseWebhook(body, headers(signSandboxWebhook(SECRET, body, nowSeconds() + 301))), /future/);
  });

  it('rejects a re-dated signature (the timestamp is signed)', () => {
    const old = nowSeconds() - 3600;
    const sig = signSandboxWebhook(SECRET, body, old).split('v1=')[1];
    rejects(() => client.parseWebhook(body, headers(`t=${nowSeconds()},v1=${sig}`)), /does not match/);
  });

  it('rejects missing and malformed headers', () => {
    const valid = signSandboxWebhook(SECRET, body, nowSeconds());
    const v1 = valid.split('v1=')[1] ?? '';
    rejects(() => client.parseWebhook(body, headers(undefined)), /Missing/);
    rejects(() => client.parseWebhook(body, {}), /Missing/);
    rejects(() => client.parseWebhook(body, headers('')), /Missing/);
    rejects(() => client.parseWebhook(body, headers('garbage')), /Malformed/);
    rejects(() => client.parseWebhook(body, headers(`v1=${v1}`)), /no timestamp/);
    rejects(() => client.parseWebhook(body, headers(`t=${nowSeconds()}`)), /no v1/);
    rejects(() => client.parseWebhook(body, headers(`t=abc,v1=${v1}`)), /timestamp/);
    rejects(() => client.parseWebhook(body, headers(`t=${nowSeconds()},v1=${v1.toUpperCase()}zz`)), /Malformed/);
    rejects(() => client.parseWebhook(body, headers(`t=${nowSeconds()},t=${nowSeconds()},v1=${v1}`)), /Malformed/);
    rejects(() => client.parseWebhook(body, headers([valid, valid])), /one/);
  });

  it('accepts any one matching v1 among several (secret rotation)', () => {
    const t = nowSeconds();
    const good = signSandboxWebhook(SECRET, body, t).split('v1=')[1] ?? '';
    const other = signSandboxWebhook('whsec_old_secret', body, t).split('v1=')[1] ?? '';
    assert.doesNotThrow(() => verifySandboxSignature(SECRET, body, `t=${t},v1=${other},v1=${good}`));
  });

  it('rejects a correctly signed body of the wrong shape', () => {
    const bad = JSON.stringify({ ...event, payment: { ...event.payment, last4: '4242424242424242' } });
    rejects(() => client.parseWebhook(bad, headers(signSandboxWebhook(SECRET, bad, nowSeconds()))), /unexpected shape/);
    const notJson = 'not json';
    rejects(() => client.parseWebhook(notJson, headers(signSandboxWebhook(SECRET, notJson, nowSeconds()))), /not valid JSON/);
    const unknownType = JSON.stringify({ ...event, type: 'payment.exploded' });
    rejects(() => client.parseWebhook(unknownType, headers(signSandboxWebhook(SECRET, unknownType, nowSeconds()))), /type/);
  });
});
