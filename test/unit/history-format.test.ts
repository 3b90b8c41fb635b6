import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatInstant, parseInstant, parseLine } from '../../src/incidents/history/format.js';
import { parseDayWindow, windowInstants } from '../../src/incidents/scope.js';
import { identityKeys, orderIdentityColumns } from '../../src/shared/identity.js';

test('identity keys: NFKC, e-mail trimmed and lower-cased, phone and postal code digits only, name without white space', () => {
  // Full-width letters, digits and symbols become ASCII before the rules apply.
  assert.equal(identityKeys({ email: 'ＴＡＲＯ＠ＥＸＡＭＰＬＥ．ＪＰ' }).email, 'taro@example.jp');
  assert.equal(identityKeys({ email: '  Taro@Example.JP  ' }).email, 'taro@example.jp');
  assert.equal(identityKeys({ email: '\u3000taro@example.jp\u3000' }).email, 'taro@example.jp', 'ideographic spaces are trimmed too');
  // Only trimmed: a space inside stays, so it is another address.
  assert.notEqual(identityKeys({ email: 'taro @example.jp' }).email, 'taro@example.jp');
  assert.equal(identityKeys({ phone: '０３−１２３４−５６７８' }).phone, '0312345678', 'full-width digits and minus');
  assert.equal(identityKeys({ phone: '(03) 1234-5678' }).phone, '0312345678');
  assert.equal(identityKeys({ phone: '03-1234-5678' }).phone, identityKeys({ phone: '0312345678' }).phone);
  assert.equal(identityKeys({ postalCode: '〒１００−０００１' }).postal, '1000001');
  assert.equal(identityKeys({ postalCode: '100-0001' }).postal, '1000001');
  assert.equal(identityKeys({ name: '山田　太郎' }).name, '山田太郎', 'ideographic space');
  assert.equal(identityKeys({ name: ' 山田 太郎 ' }).name, '山田太郎');
  assert.equal(identityKeys({ name: 'ﾔﾏﾀﾞ ﾀﾛｳ' }).name, 'ヤマダタロウ', 'half-width kana become full-width');
  assert.equal(identityKeys({ name: 'Ｙａｍａｄａ Taro' }).name, 'YamadaTaro', 'case is kept for names');
  // Absent or empty: no key (so no two empty values ever match).
  assert.equal(identityKeys({ email: null }).email, null);
  assert.equal(identityKeys({ email: '   ' }).email, null);
  assert.equal(identityKeys({}).phone, null);
});

test('order identity columns: shipping keys only when there is a shipping destination', () => {
  const base = { orderer_email: 'A@B.JP', orderer_phone: '03-1111-2222', orderer_name: '山田 太郎', orderer_postal_code: '100-0001' };
  const own = orderIdentityColumns({ ...base, shipping_name: null, shipping_phone: null, shipping_postal_code: null });
  assert.deepEqual(own, {
    orderer_email_key: 'a@b.jp', orderer_phone_key: '0311112222', orderer_name_key: '山田太郎', orderer_postal_key: '1000001',
    shipping_name_key: null, shipping_phone_key: null, shipping_postal_key: null,
  });
  const gift = orderIdentityColumns({ ...base, shipping_name: '佐藤　花子', shipping_phone: '０６-1111-2222', shipping_postal_code: '530-0001' });
  assert.equal(gift.shipping_name_key, '佐藤花子');
  assert.equal(gift.shipping_phone_key, '0611112222');
  assert.equal(gift.shipping_postal_key, '5300001');
});

test('windows are Japan calendar days, both ends inclusive', () => {
  const w = windowInstants({ from: '2024-07-17', to: '2024-07-19' });
  // 2024-07-17 00:00 JST is 2024-07-16T15:00Z; the day after the end starts at 2024-07-19T15:00Z.
  assert.equal(w.start, '2024-07-16T15:00:00.000Z');
  assert.equal(w.end, '2024-07-19T15:00:00.000Z');
  const inside = (t: string) => t >= w.start && t < w.end;
  assert.equal(inside(parseInstant('2024-07-16T15:00:00Z')!), true, '2024-07-16T15:00Z is 2024-07-17 in Japan');
  assert.equal(inside(parseInstant('2024-07-16T14:59:59.999Z')!), false, 'one millisecond earlier is 2024-07-16 in Japan');
  assert.equal(inside(parseInstant('2024-07-17T00:00:00+09:00')!), true);
  assert.equal(inside(parseInstant('2024-07-19T23:59:59+09:00')!), true, 'the last day counts to its end');
  assert.equal(inside(parseInstant('2024-07-19T15:00:00Z')!), false, '2024-07-20 00:00 in Japan');
  assert.equal(inside(parseInstant('2024-07-19T10:00:00-05:00')!), false, 'any offset: this is 2024-07-20 00:00 in Japan');
  assert.equal(inside(parseInstant('2024-07-19T09:59:59-05:00')!), true);
  assert.throws(() => parseDayWindow('2024-07-20', '2024-07-19', 'card'), /must not be after/);
  assert.throws(() => parseDayWindow('2024-02-30', '2024-03-01', 'card'), /dates/);
  assert.throws(() => parseDayWindow('2024-07-01', undefined, 'card'), /both/);
  assert.equal(parseDayWindow(undefined, undefined, 'card'), null);
});

test('instants: any offset in, stored as UTC, written back in Japan time', () => {
  assert.equal(parseInstant('2016-02-03T10:20:00+09:00'), '2016-02-03T01:20:00.000Z');
  assert.equal(parseInstant('2016-02-03T01:20:00Z'), '2016-02-03T01:20:00.000Z');
  assert.equal(parseInstant('2016-02-03T10:20+09:00'), '2016-02-03T01:20:00.000Z');
  assert.equal(parseInstant('2016-02-03T10:20:00.123456+09:00'), '2016-02-03T01:20:00.123Z');
  for (const bad of ['2016-02-03', '2016-02-03T10:20:00', '2023-02-29T00:00:00Z', '2016-13-01T00:00:00Z', '2016-02-03 10:20:00+09:00', 'yesterday']) {
    assert.equal(parseInstant(bad), null, bad);
  }
  assert.equal(formatInstant('2016-02-03T01:20:00.000Z'), '2016-02-03T10:20:00+09:00');
  assert.equal(formatInstant('2016-02-03T01:20:00.123Z'), '2016-02-03T10:20:00.123+09:00');
  assert.equal(parseInstant(formatInstant('2024-07-16T15:00:00.000Z')), '2024-07-16T15:00:00.000Z');
});

const customer = (extra: Record<string, unknown> = {}) => JSON.stringify({
  kind: 'customer', id: 'C1', registeredAt: '2016-02-03T10:20:00+09:00', name: '山田 太郎', phone: '03-1234-5678',
  postalCode: '100-0001', prefecture: '東京都', address1: '千代田区千代田1-1', ...extra,
});

test('a line with card data is refused without echoing the value', () => {
  const cases: [string, RegExp][] = [
    [customer({ address2: '4242 4242 4242 4242' }), /card number \(in "address2"\)/],
    [customer({ address2: '４２４２４２４２４２４２４２４２' }), /card number/],
    [customer({ name: '山田 5555-5555-5555-4444 太郎' }), /card number \(in "name"\)/],
    [customer({ cvv: '123' }), /field named like card data \("cvv"\)/],
    [customer({ cardNumber: 'x' }), /field named like card data/],
    [customer({ expiry: '12/30' }), /field named like card data \("expiry"\)/],
    [customer({ address2: '有効期限 12/30' }), /expiry date \(in "address2"\)/],
    [customer({ extra: { securityCode: '999' } }), /field named like card data \("extra.securityCode"\)/],
    // A number too large for JSON to keep exactly is still seen in the raw line.
    [customer({ memo: 4111111111111111 }), /card number/],
    ['{"kind":"customer","id":"C1" 4242424242424242', /card number/],
  ];
  for (const [line, reason] of cases) {
    const r = parseLine(line);
    assert.equal(r.ok, false, line);
    if (r.ok) continue;
    assert.match(r.reason, reason);
    for (const secret of ['4242', '５５５５', '5555', '4111', '12/30', '123', '999']) assert.ok(!r.reason.includes(secret), `${r.reason} echoes ${secret}`);
  }
  // Not card data: a phone number, a Luhn-invalid run, a date with slashes, a product named for a day.
  assert.equal(parseLine(customer({ address2: '4242424242424241', fax: '03-1234-5679' })).ok, true);
  assert.equal(parseLine(customer({ address2: '2022/12/30 転居' })).ok, true);
});

test('validation: field-level reasons for bad lines; an order may omit customerId, shipping and channel', () => {
  const bad = (line: string, reason: RegExp) => {
    const r = parseLine(line);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.reason, reason);
  };
  bad('not json', /not valid JSON/);
  bad('[1,2]', /not a JSON object/);
  bad('{"kind":"product"}', /kind: must be "customer" or "order"/);
  bad(customer({ postalCode: '100-001' }), /postalCode: must have 7 digits/);
  bad(customer({ prefecture: '東京' }), /prefecture: must be one of the 47 prefectures/);
  bad(customer({ registeredAt: '2016-02-03' }), /registeredAt: must be an ISO 8601 timestamp/);
  bad(customer({ email: 'no-at-sign' }), /email: must be an e-mail address/);
  bad(customer({ nickname: 'x' }), /unknown field "nickname"/);
  bad(customer({ name: '' }), /name: must not be empty/);
  bad(customer({ name: 'a\u0007b' }), /name: contains control characters/);
  const order = {
    kind: 'order', id: 'O1', orderedAt: '2022-01-05T09:00:00+09:00',
    orderer: { name: '山田 太郎', phone: '03-1234-5678', postalCode: '100-0001', prefecture: '東京都', address1: '千代田区千代田1-1' },
    payment: { method: 'cod', status: 'paid' },
    lines: [{ sku: 'A-1', name: '緑茶', unitPriceYen: 1080, quantity: 1, taxRatePercent: 8 }],
    shippingFeeYen: 600, codFeeYen: 330, totalYen: 2010,
  };
  const ok = parseLine(JSON.stringify(order));
  assert.ok(ok.ok);
  if (ok.ok && ok.record.kind === 'order') {
    assert.equal(ok.record.customerId, null);
    assert.equal(ok.record.shipping, null);
    assert.equal(ok.record.channel, 'web');
    assert.equal(ok.record.orderer.email, null);
  }
  bad(JSON.stringify({ ...order, payment: { method: 'cod', status: 'paid', last4: '4242' } }), /payment.last4: only for card payments/);
  bad(JSON.stringify({ ...order, payment: { method: 'card', status: 'declined' } }), /payment.status: must be/);
  bad(JSON.stringify({ ...order, lines: [] }), /lines: needs at least 1/);
  bad(JSON.stringify({ ...order, totalYen: 10.5 }), /totalYen/);
  bad(JSON.stringify({ ...order, channel: 'telegram' }), /channel: must be/);
  assert.ok(parseLine(JSON.stringify({ ...order, channel: 'fax' })).ok);
});
