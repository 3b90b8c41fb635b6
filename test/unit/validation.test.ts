import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { checkoutSchema } from '../../src/checkout/form.js';
import { DEFAULT_SETTINGS } from '../../src/settings/defaults.js';
import { normalise, toKatakana } from '../../src/shared/jp.js';
import { lookupPostalCode } from '../../src/shared/postal.js';
import { addDays, jstDate } from '../../src/shared/time.js';
import { field, isWeakPassword, parseForm } from '../../src/shared/validation.js';
import { guestForm } from '../helpers/browser-client.js';

test('postal codes: 7 digits, full-width and hyphen forms accepted and normalised', () => {
  const s = field.postalCode();
  assert.equal(s.parse('1000001'), '100-0001');
  assert.equal(s.parse('１００－０００１'), '100-0001');
  assert.equal(s.parse(' 100-0001 '), '100-0001');
  assert.equal(s.safeParse('100-001').success, false);
  assert.equal(s.safeParse('abc-defg').success, false);
});

test('phone numbers: Japanese 10/11 digits starting with 0', () => {
  const s = field.phone();
  assert.equal(s.safeParse('03-1234-5678').success, true);
  assert.equal(s.safeParse('090-1234-5678').success, true);
  assert.equal(s.safeParse('０３（１２３４）５６７８').success, true);
  assert.equal(s.safeParse('1234').success, false);
  assert.equal(s.safeParse('03-1234-5678 x').success, false);
});

test('kana: hiragana becomes katakana, latin refused', () => {
  assert.equal(field.kana().parse('やまだ たろう'), 'ヤマダ タロウ');
  assert.equal(field.kana().parse('ﾔﾏﾀﾞ ﾀﾛｳ'), 'ヤマダ タロウ');
  assert.equal(field.kana().safeParse('Yamada').success, false);
  assert.equal(toKatakana('ぁゖ'), 'ァヶ');
});

test('text fields refuse control characters, broken UTF-8 and overlong input with a field message', () => {
  const schema = z.object({ name: field.name() }).strict();
  for (const bad of ['a\u0000b', 'x\u202Ey', 'broken\uFFFD', 'a'.repeat(61), '   ']) {
    const r = parseForm(schema, { name: bad });
    assert.equal(r.ok, false, JSON.stringify(bad));
    if (!r.ok) assert.ok(r.errors.name && /文字|入力/.test(r.errors.name));
  }
  const arr = parseForm(schema, { name: ['a', 'b'] });
  assert.equal(arr.ok, false);
  if (!arr.ok) assert.equal(arr.errors.name, '同じ項目が複数送信されました。');
  const unknown = parseForm(schema, { name: '山田', isAdmin: '1' });
  assert.equal(unknown.ok, false);
  if (!unknown.ok) assert.match(unknown.errors._form ?? '', /想定外/);
});

test('weak passwords are refused', () => {
  assert.equal(isWeakPassword('password123'), true);
  assert.equal(isWeakPassword('aaaaaaaaaaaa'), true);
  assert.equal(isWeakPassword('1234567890'), true);
  assert.equal(isWeakPassword('correct horse battery'), false);
});

test('identity normalisation of docs/history-format.md', () => {
  assert.equal(normalise.email('  Taro@Example.JP '), 'taro@example.jp');
  assert.equal(normalise.email('ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ'), 'taro@example.jp');
  assert.equal(normalise.phone('０３−１２３４−５６７８'), '0312345678');
  assert.equal(normalise.name('山田　太郎 '), '山田太郎');
  assert.equal(normalise.postalCode('〒１００-０００１'), '1000001');
});

test('offline postal-code lookup fills prefecture and town', () => {
  const [hit] = lookupPostalCode('100-0001');
  assert.equal(hit?.prefecture, '東京都');
  assert.match(hit?.address1 ?? '', /^千代田区千代田/);
  assert.deepEqual(lookupPostalCode('0000000'), []);
  assert.deepEqual(lookupPostalCode('12'), []);
});

test('checkout form: delivery date window, slots, other destination required only when chosen', () => {
  const schema = checkoutSchema(DEFAULT_SETTINGS, '2026-11-25');
  const ok = parseForm(schema, guestForm({ delivery_date: addDays('2026-11-25', 3), delivery_slot: '午前中' }));
  assert.equal(ok.ok, true);
  const early = parseForm(schema, guestForm({ delivery_date: addDays('2026-11-25', 2) }));
  assert.equal(early.ok, false);
  if (!early.ok) assert.match(early.errors.delivery_date ?? '', /お届け日/);
  const badSlot = parseForm(schema, guestForm({ delivery_slot: '深夜' }));
  assert.equal(badSlot.ok, false);
  const gift = parseForm(schema, guestForm({ ship_to: 'other' }));
  assert.equal(gift.ok, false);
  if (!gift.ok) {
    assert.ok(gift.errors.ship_name);
    assert.ok(gift.errors.ship_postal);
    assert.ok(gift.errors.ship_phone);
  }
  const giftOk = parseForm(schema, guestForm({ ship_to: 'other', ship_name: '佐藤 花子', ship_postal: '530-0001', ship_prefecture: '大阪府', ship_address1: '大阪市北区梅田1-1', ship_phone: '06-1111-2222' }));
  assert.equal(giftOk.ok, true);
  const noEmail = parseForm(schema, guestForm({ orderer_email: 'not-an-email' }));
  assert.equal(noEmail.ok, false);
  assert.equal(jstDate(new Date('2026-11-24T15:00:00Z')), '2026-11-25');
  assert.equal(jstDate(new Date('2026-11-24T14:59:59Z')), '2026-11-24');
});
