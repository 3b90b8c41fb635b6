import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  TEST_CARDS,
  cvcLengthFor,
  detectBrand,
  expiryInFuture,
  luhnValid,
  normalizeCardNumber,
  parseExpiry,
  validLengthFor,
  validateCard,
} from '../../psp/cards.js';
import { redactCardLike } from '../../psp/security.js';

describe('Luhn', () => {
  it('accepts valid numbers', () => {
    for (const n of ['4242424242424242', '5555555555554444', '378282246310005', '36227206271667', '79927398713', '0']) {
      assert.equal(luhnValid(n), true, n);
    }
  });

  it('rejects numbers with a wrong check digit or a swapped pair', () => {
    for (const n of ['4242424242424241', '5555555555554445', '378282246310006', '79927398710', '2424424242424242']) {
      assert.equal(luhnValid(n), false, n);
    }
  });

  it('rejects non-digits and empty input', () => {
    assert.equal(luhnValid(''), false);
    assert.equal(luhnValid('4242 4242 4242 4242'), false);
    assert.equal(luhnValid('42424242424242a2'), false);
  });
});

describe('brand detection from the IIN', () => {
  const cases: [string, string | null][] = [
    ['4242424242424242', 'visa'],
    ['4000000000000002', 'visa'],
    ['5100000000000000', 'mastercard'],
    ['5555555555554444', 'mastercard'],
    ['5500000000000000', 'mastercard'],
    ['5000000000000000', null],
    ['5600000000000000', null],
    ['2221000000000000', 'mastercard'],
    ['2720990000000000', 'mastercard'],
    ['2220990000000000', null],
    ['2721000000000000', null],
    ['3528000000000000', 'jcb'],
    ['3566002020360505', 'jcb'],
    ['3589990000000000', 'jcb'],
    ['3527990000000000', null],
    ['3590000000000000', null],
    ['340000000000000', 'amex'],
    ['378282246310005', 'amex'],
    ['36227206271667', 'diners'],
    ['30000000000000', 'diners'],
    ['30500000000000', 'diners'],
    ['30600000000000', null],
    ['38000000000000', 'diners'],
    ['39000000000000', 'diners'],
    ['6011000000000000', null],
    ['1234', null],
    ['', null],
  ];
  for (const [number, brand] of cases) {
    it(`${number || '(empty)'} → ${brand ?? 'unknown'}`, () => {
      assert.equal(detectBrand(number), brand);
    });
  }

  it('knows the lengths and security-code lengths per brand', () => {
    assert.equal(validLengthFor('visa', 16), true);
    assert.equal(validLengthFor('visa', 15), false);
    assert.equal(validLengthFor('amex', 15), true);
    assert.equal(validLengthFor('amex', 16), false);
    assert.equal(validLengthFor('mastercard', 16), true);
    assert.equal(validLengthFor('mastercard', 19), false);
    assert.equal(validLengthFor('diners', 14), true);
    assert.equal(validLengthFor('jcb', 19), true);
    assert.equal(cvcLengthFor('amex'), 4);
    assert.equal(cvcLengthFor('visa'), 3);
    assert.equal(cvcLengthFor('jcb'), 3);
  });
});

describe('documented test cards', () => {
  it('are Luhn-valid, of the documented brand and of a valid length', () => {
    for (const card of TEST_CARDS) {
      assert.equal(luhnValid(card.number), true, card.number);
      assert.equal(detectBrand(card.number), card.brand, card.number);
      assert.equal(validLengthFor(card.brand, card.number.length), true, card.number);
    }
  });

  it('covers success for every brand and each decline scenario', () => {
    const approved = new Set(TEST_CARDS.filter((c) => c.scenario.kind === 'approve').map((c) => c.brand));
    assert.deepEqual([...approved].sort(), ['amex', 'diners', 'jcb', 'mastercard', 'visa']);
    const kinds = TEST_CARDS.map((c) => (c.scenario.kind === 'decline' ? c.scenario.failureCode : c.scenario.kind));
    for (const k of ['insufficient_funds', 'stolen_card', 'processing_error', 'challenge', '3ds_fail', 'timeout']) {
      assert.ok(kinds.includes(k), k);
    }
  });
});

describe('expiry and form validation', () => {
  const now = new Date('2025-06-15T12:00:00Z');

  it('parses MM/YY and friends', () => {
    assert.deepEqual(parseExpiry('12/30'), { month: 12, year: 2030 });
    assert.deepEqual(parseExpiry('1/27'), { month: 1, year: 2027 });
    assert.deepEqual(parseExpiry(' 03 / 29 '), { month: 3, year: 2029 });
    assert.deepEqual(parseExpiry('0329'), { month: 3, year: 2029 });
    assert.deepEqual(parseExpiry('03/2029'), { month: 3, year: 2029 });
    assert.equal(parseExpiry('13/29'), null);
    assert.equal(parseExpiry('00/29'), null);
    assert.equal(parseExpiry('12/3'), null);
    assert.equal(parseExpiry('soon'), null);
  });

  it('treats a card as valid through the end of its expiry month', () => {
    assert.equal(expiryInFuture({ month: 6, year: 2025 }, now), true);
    assert.equal(expiryInFuture({ month: 5, year: 2025 }, now), false);
    assert.equal(expiryInFuture({ month: 1, year: 2030 }, now), true);
    assert.equal(expiryInFuture({ month: 1, year: 2099 }, now), false, 'absurdly far ahead');
  });

  it('normalizes spaces and hyphens, refuses other characters', () => {
    assert.equal(normalizeCardNumber('4242 4242-4242 4242'), '4242424242424242');
    assert.equal(normalizeCardNumber('4242.4242'), null);
  });

  it('accepts a valid card and returns only brand, last 4 and scenario', () => {
    const result = validateCard({ cardNumber: '4242 4242 4242 4242', expiry: '12/30', cvc: '123', name: 'TARO' }, now);
    assert.equal(result.ok, true);
    assert.ok(result.ok);
    assert.deepEqual(result.card, { brand: 'visa', last4: '4242', scenario: { kind: 'approve' } });
    assert.doesNotMatch(JSON.stringify(result), /4242424242424242/);
  });

  it('reports each field separately', () => {
    const cases: [Parameters<typeof validateCard>[0], string[]][] = [
      [{ cardNumber: '', expiry: '', cvc: '', name: '' }, ['cardNumber', 'cvc', 'expiry', 'name']],
      [{ cardNumber: '4242424242424241', expiry: '12/30', cvc: '123', name: 'A' }, ['cardNumber']],
      [{ cardNumber: '424242424242424', expiry: '12/30', cvc: '123', name: 'A' }, ['cardNumber']],
      [{ cardNumber: '6011111111111117', expiry: '12/30', cvc: '123', name: 'A' }, ['cardNumber']],
      [{ cardNumber: '4242424242424242', expiry: '05/25', cvc: '123', name: 'A' }, ['expiry']],
      [{ cardNumber: '4242424242424242', expiry: '12/30', cvc: '1234', name: 'A' }, ['cvc']],
      [{ cardNumber: '378282246310005', expiry: '12/30', cvc: '123', name: 'A' }, ['cvc']],
      [{ cardNumber: '4242424242424242', expiry: '12/30', cvc: '12a', name: 'A' }, ['cvc']],
      [{ cardNumber: '4242424242424242', expiry: '12/30', cvc: '123', name: '   ' }, ['name']],
    ];
    for (const [input, fields] of cases) {
      const result = validateCard(input, now);
      assert.equal(result.ok, false, JSON.stringify(input));
      assert.ok(!result.ok);
      assert.deepEqual(Object.keys(result.errors).sort(), fields, JSON.stringify(input));
      // Error messages never quote the number.
      assert.doesNotMatch(JSON.stringify(result.errors), /\d{6,}/);
    }
  });

  it('accepts a 4-digit code for Amex', () => {
    const result = validateCard({ cardNumber: '378282246310005', expiry: '12/30', cvc: '1234', name: 'A' }, now);
    assert.equal(result.ok, true);
  });
});

describe('log redaction', () => {
  it('masks anything card-like', () => {
    assert.equal(redactCardLike('/pay?n=4242424242424242'), '/pay?n=[redacted]');
    assert.equal(redactCardLike('card 4242 4242 4242 4242 ok'), 'card [redacted] ok');
    assert.equal(redactCardLike('order 12345 ok'), 'order 12345 ok');
  });
});
