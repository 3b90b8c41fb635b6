import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SandboxApiError, SandboxProvider } from '../../src/payments/providers/sandbox.js';
import { API_KEY, WEBHOOK_SECRET, apiGet, apiPost, sessionInput, startTestPsp, type TestPsp } from './helpers.js';

let t: TestPsp;
before(async () => {
  t = await startTestPsp();
});
after(async () => {
  await t.close();
});

function sessionBody(overrides: Record<string, unknown> = {}) {
  const input = sessionInput();
  return { ...input, expiresAt: input.expiresAt.toISOString(), ...overrides };
}

describe('PSP server', () => {
  it('binds a real port and creates its own SQLite store', async () => {
    assert.match(t.psp.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.doesNotMatch(t.psp.url, /:0$/);
    assert.equal(t.psp.databaseFile, join(t.dir, 'psp', 'psp.sqlite'));
    assert.ok(existsSync(t.psp.databaseFile));
    const res = await fetch(`${t.psp.url}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'ok');
  });

  it('refuses API calls without the right bearer key', async () => {
    const none = await fetch(`${t.psp.url}/v1/payments/pay_0000000000000000`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
    const wrong = await apiPost(t, '/v1/sessions', sessionBody(), 'sk_sandbox_wrong_key_000000000');
    assert.equal(wrong.status, 401);
    const prefix = await apiPost(t, '/v1/sessions', sessionBody(), API_KEY.slice(0, -1));
    assert.equal(prefix.status, 401);
    const basic = await fetch(`${t.psp.url}/v1/payments/pay_0000000000000000`, { headers: { authorization: `Basic ${API_KEY}` } });
    assert.equal(basic.status, 401);
  });

  it('a client with the wrong key gets a clear error', async () => {
    const bad = new SandboxProvider({ apiUrl: t.psp.url, publicOrigin: t.psp.publicUrl, apiKey: 'nope-nope-nope', webhookSecret: WEBHOOK_SECRET });
    await assert.rejects(bad.createSession(sessionInput()), (err: unknown) => {
      assert.ok(err instanceof SandboxApiError);
      assert.equal(err.status, 401);
      assert.equal(err.code, 'unauthorized');
      assert.match(err.message, /POST \/v1\/sessions answered 401/);
      assert.doesNotMatch(err.message, /nope-nope/);
      return true;
    });
  });
});

describe('sessions', () => {
  it('creates a session with a redirect URL on the PSP origin', async () => {
    const input = sessionInput();
    const session = await t.client.createSession(input);
    assert.match(session.providerPaymentId, /^pay_[0-9A-Z]{16}$/);
    assert.equal(session.redirectUrl, `${t.psp.publicUrl}/pay/${session.providerPaymentId}`);
    assert.equal(session.expiresAt, input.expiresAt.toISOString());
    const payment = await t.client.fetchPayment(session.providerPaymentId);
    assert.deepEqual(payment, {
      providerPaymentId: session.providerPaymentId,
      orderReference: input.orderReference,
      status: 'pending',
      amountYen: 12_800,
      refundedYen: 0,
      brand: null,
      last4: null,
      threeDs: null,
      failureCode: null,
    });
  });

  it('returns the same session for the same idempotency key', async () => {
    const input = sessionInput();
    const first = await apiPost(t, '/v1/sessions', { ...input, expiresAt: input.expiresAt.toISOString() });
    assert.equal(first.status, 201);
    const again = await apiPost(t, '/v1/sessions', { ...input, expiresAt: input.expiresAt.toISOString() });
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), await first.json());
    const viaClient = await t.client.createSession(input);
    const a = (await (await apiPost(t, '/v1/sessions', { ...input, expiresAt: input.expiresAt.toISOString() })).json()) as {
      providerPaymentId: string;
    };
    assert.equal(viaClient.providerPaymentId, a.providerPaymentId);
  });

  it('answers 409 when the key comes back with another amount or order', async () => {
    const input = sessionInput();
    await t.client.createSession(input);
    await assert.rejects(t.client.createSession({ ...input, amountYen: input.amountYen + 1 }), (err: unknown) => {
      assert.ok(err instanceof SandboxApiError);
      assert.equal(err.status, 409);
      assert.equal(err.code, 'idempotency_conflict');
      return true;
    });
    const res = await apiPost(t, '/v1/sessions', { ...sessionBody(), idempotencyKey: input.idempotencyKey, amountYen: input.amountYen });
    assert.equal(res.status, 409, 'different orderReference');
  });

  it('answers 400 (never 500) for bad input', async () => {
    const bad: [string, unknown][] = [
      ['zero amount', sessionBody({ amountYen: 0 })],
      ['negative amount', sessionBody({ amountYen: -5 })],
      ['fractional amount', sessionBody({ amountYen: 10.5 })],
      ['amount as string', sessionBody({ amountYen: '1000' })],
      ['USD', sessionBody({ currency: 'USD' })],
      ['javascript: return URL', sessionBody({ returnUrl: 'javascript:alert(1)' })],
      ['relative cancel URL', sessionBody({ cancelUrl: '/cart' })],
      ['missing webhook URL', sessionBody({ webhookUrl: undefined })],
      ['bad email', sessionBody({ customerEmail: 'not-an-email' })],
      ['expiry in the past', sessionBody({ expiresAt: new Date(Date.now() - 1000).toISOString() })],
      ['expiry too far', sessionBody({ expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString() })],
      ['expiry not a date', sessionBody({ expiresAt: 'tomorrow' })],
      ['control character', sessionBody({ orderNumber: 'M-1\nX' })],
      ['empty idempotency key', sessionBody({ idempotencyKey: '' })],
      ['array body', []],
      ['malformed JSON', '{"amountYen": 4242424242424242'],
    ];
    for (const [what, body] of bad) {
      const res = await apiPost(t, '/v1/sessions', body);
      assert.equal(res.status, 400, what);
      const json = (await res.json()) as { error: string; message: string };
      assert.ok(json.error === 'invalid_request' || json.error === 'invalid_body' || json.error === 'invalid_expires_at', what);
      assert.doesNotMatch(json.message, /4242424242424242/, what);
    }
    const form = await fetch(`${t.psp.url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/xml' },
      body: '<hello/>',
    });
    assert.equal(form.status, 415);
  });

  it('answers 404 for unknown or malformed payment ids', async () => {
    assert.equal((await apiGet(t, '/v1/payments/pay_0000000000000000')).status, 404);
    assert.equal((await apiGet(t, '/v1/payments/../../etc/passwd')).status, 404);
    assert.equal((await apiGet(t, '/v1/payments/x')).status, 404);
    await assert.rejects(t.client.fetchPayment('pay_0000000000000000'), (err: unknown) => {
      assert.ok(err instanceof SandboxApiError);
      assert.equal(err.status, 404);
      return true;
    });
  });
});

describe('client transport', () => {
  it('times out a PSP that does not answer', async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const slow = new SandboxProvider({
      apiUrl: t.psp.url,
      publicOrigin: t.psp.publicUrl,
      apiKey: API_KEY,
      webhookSecret: WEBHOOK_SECRET,
      fetchImpl: hanging,
      timeoutMs: 50,
    });
    await assert.rejects(slow.fetchPayment('pay_0000000000000000'), (err: unknown) => {
      assert.ok(err instanceof SandboxApiError);
      assert.equal(err.code, 'network_error');
      assert.match(err.message, /timed out after 50 ms/);
      return true;
    });
  });

  it('refuses a redirect URL on another origin', async () => {
    const lying = new SandboxProvider({
      apiUrl: t.psp.url,
      publicOrigin: 'https://pay.example.com',
      apiKey: API_KEY,
      webhookSecret: WEBHOOK_SECRET,
    });
    await assert.rejects(lying.createSession(sessionInput()), /outside its origin/);
  });

  it('refuses an answer of the wrong shape', async () => {
    const weird: typeof fetch = async () => new Response(JSON.stringify({ hello: 'world' }), { status: 200 });
    const client = new SandboxProvider({
      apiUrl: t.psp.url,
      publicOrigin: t.psp.publicUrl,
      apiKey: API_KEY,
      webhookSecret: WEBHOOK_SECRET,
      fetchImpl: weird,
    });
    await assert.rejects(client.fetchPayment('pay_0000000000000000'), /unexpected answer/);
  });
});
