import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareCsp, compareObservations } from '../../src/integrity/monitor/compare.js';
import { looksLikeCardField, normalisePath, normaliseHeader, type Observation, type StepFact } from '../../src/integrity/monitor/observation.js';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self' https://psp.example; frame-ancestors 'none'; object-src 'none'; base-uri 'none'; report-uri /csp-report; report-to csp";

function step(over: Partial<StepFact> & Pick<StepFact, 'step'>): StepFact {
  return {
    origin: 'https://shop.example', path: `/${over.step}`, status: 200, headers: { 'content-security-policy': CSP, 'referrer-policy': 'strict-origin-when-cross-origin' },
    scripts: [{ kind: 'external', src: 'https://shop.example/static/js/shop.js', sha384: 'AAA', sample: null }],
    iframes: [], forms: [{ action: 'https://shop.example/checkout/confirm', method: 'post' }],
    inputs: [{ form: 'https://shop.example/checkout/confirm', name: 'orderer_name', type: 'text', autocomplete: 'name', hints: '氏名' }],
    requestOrigins: ['https://shop.example'], blocked: [], ...over,
  };
}

function obs(steps: StepFact[], over: Partial<Observation> = {}): Observation {
  return {
    version: 1, startedAt: '2025-01-01T00:00:00.000Z', finishedAt: '2025-01-01T00:00:05.000Z', shopOrigin: 'https://shop.example', cardUnavailable: false, error: null,
    steps, redirects: [{ from: 'https://shop.example/checkout/place', status: 303, to: 'https://psp.example/pay/*' }], providerOrigin: 'https://psp.example', ...over,
  };
}

const base = () => obs([step({ step: 'product' }), step({ step: 'checkout' }), step({ step: 'confirm' }), step({ step: 'provider', origin: 'https://psp.example', path: '/pay/*' })]);

test('a walk identical to the baseline has no difference', () => {
  assert.deepEqual(compareObservations(base(), base()), []);
});

test('CSP: removal and loosening are told from tightening', () => {
  assert.deepEqual(compareCsp(CSP, undefined).loosened, ['the Content-Security-Policy header is gone']);
  assert.match(compareCsp(CSP, CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")).loosened.join(), /script-src now also allows 'unsafe-inline'/);
  assert.match(compareCsp(CSP, CSP.replace("; base-uri 'none'", '')).loosened.join(), /base-uri removed/);
  assert.match(compareCsp(CSP, CSP.replace("; frame-ancestors 'none'", '')).loosened.join(), /frame-ancestors removed/);
  // object-src removed: default-src 'none' still covers it as strictly.
  assert.deepEqual(compareCsp(CSP, CSP.replace("; object-src 'none'", '')).loosened, []);
  assert.match(compareCsp(CSP, CSP.replace('; report-uri /csp-report', '')).loosened.join(), /report-uri removed/);
  // script-src removed but default-src 'none' covers it as strictly: not a loosening.
  assert.deepEqual(compareCsp(CSP, CSP.replace("script-src 'self'; ", '')).loosened, []);
  const t = compareCsp(CSP, CSP.replace(" https://psp.example", ''));
  assert.deepEqual(t.loosened, []);
  assert.match(t.tightened.join(), /form-action no longer allows https:\/\/psp.example/);
  assert.equal(normaliseHeader('content-security-policy', "script-src 'nonce-abc123' 'strict-dynamic'"), "script-src 'nonce-*' 'strict-dynamic'");
});

test('kinds and severities: payment-path steps are critical, product and cart warnings', () => {
  const b = base();
  const evil = { kind: 'external' as const, src: 'https://evil.example/s.js', sha384: null, sample: null };
  const cur = obs([
    step({ step: 'product', scripts: [...step({ step: 'product' }).scripts, evil] }),
    step({ step: 'checkout', scripts: [...step({ step: 'checkout' }).scripts, evil], requestOrigins: ['https://shop.example', 'https://evil.example'] }),
    step({ step: 'confirm', forms: [{ action: 'https://evil.example/collect', method: 'post' }], headers: { 'referrer-policy': 'strict-origin-when-cross-origin' } }),
    step({ step: 'provider', origin: 'https://psp.example', path: '/pay/*' }),
  ]);
  const d = compareObservations(b, cur).map((x) => `${x.kind}:${x.severity}:${x.step}`).sort();
  assert.deepEqual(d, [
    'form_action_changed:critical:confirm',
    'security_header_changed:critical:confirm',
    'unknown_host_payment_path:critical:checkout',
    'unknown_script_payment_path:critical:checkout',
    'unknown_script_payment_path:warning:product',
  ]);
});

test('a changed script body under a known URL, a look-alike provider, a fake interstitial page', () => {
  const cur = base();
  cur.steps[1]!.scripts = [{ kind: 'external', src: 'https://shop.example/static/js/shop.js', sha384: 'BBB', sample: null }];
  const changed = compareObservations(base(), cur);
  assert.equal(changed.length, 1);
  assert.equal(changed[0]!.kind, 'unknown_script_payment_path');
  assert.deepEqual(changed[0]!.diff, ['- script https://shop.example/static/js/shop.js sha384-AAA', '+ script https://shop.example/static/js/shop.js sha384-BBB']);

  const moved = compareObservations(base(), obs(base().steps.slice(0, 3).concat(step({ step: 'provider', origin: 'https://psp-example.example', path: '/pay/*' })), { providerOrigin: 'https://psp-example.example' }));
  assert.deepEqual(moved.map((x) => `${x.kind}:${x.severity}`), ['redirect_target_changed:critical']);

  const fake = step({ step: 'interstitial', path: '/checkout/retry', forms: [{ action: 'https://shop.example/checkout/place', method: 'post' }], inputs: [{ form: 'https://shop.example/checkout/place', name: 'cc', type: 'tel', autocomplete: 'cc-number', hints: 'カード番号' }] });
  const withFake = compareObservations(base(), obs([...base().steps.slice(0, 3), fake, step({ step: 'provider', origin: 'https://psp.example', path: '/pay/*' })]));
  const kinds = withFake.map((x) => x.kind).sort();
  assert.deepEqual(kinds, ['card_field_on_shop_page', 'form_action_changed', 'redirect_target_changed']);
});

test('while card payments are unavailable the unreachable steps are not differences', () => {
  const cur = obs(base().steps.slice(0, 2), { cardUnavailable: true, providerOrigin: null, redirects: [] });
  assert.deepEqual(compareObservations(base(), cur), []);
});

test('card fields and id-like path segments', () => {
  assert.equal(looksLikeCardField({ name: 'x', type: 'text', autocomplete: 'cc-number', hints: '' }), true);
  assert.equal(looksLikeCardField({ name: 'cvv', type: 'password', autocomplete: '', hints: '' }), true);
  assert.equal(looksLikeCardField({ name: 'f1', type: 'text', autocomplete: 'off', hints: 'セキュリティコード' }), true);
  assert.equal(looksLikeCardField({ name: 'payment_method', type: 'radio', autocomplete: '', hints: 'クレジットカード' }), false);
  assert.equal(looksLikeCardField({ name: 'orderer_name', type: 'text', autocomplete: 'name', hints: '氏名' }), false);
  assert.equal(normalisePath('/orders/ord_7K3Q9W2X4Y6Z8A1B/pay'), '/orders/*/pay');
  assert.equal(normalisePath('/pay/cs_test_a1b2c3d4e5f6g7h8'), '/pay/*');
  assert.equal(normalisePath('/products/fukamushi-sencha'), '/products/fukamushi-sencha');
});
