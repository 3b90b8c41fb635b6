import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codFee, computeTotals, includedTax, shippingFee } from '../../src/checkout/pricing.js';
import { DEFAULT_SETTINGS } from '../../src/settings/defaults.js';

const settings = DEFAULT_SETTINGS;

test('tax contained in a tax-inclusive amount, per rounding rule', () => {
  // 1,080 yen at 8% contains exactly 80 yen.
  assert.equal(includedTax(1080, 8, 'floor'), 80);
  // 1,000 yen at 10%: 90.909… → floor 90, ceil 91, round 91.
  assert.equal(includedTax(1000, 10, 'floor'), 90);
  assert.equal(includedTax(1000, 10, 'ceil'), 91);
  assert.equal(includedTax(1000, 10, 'round'), 91);
  // 1,001 yen at 8%: 74.148… → floor 74, round 74, ceil 75.
  assert.equal(includedTax(1001, 8, 'round'), 74);
  assert.equal(includedTax(1001, 8, 'ceil'), 75);
  // Half exactly: 27 yen at 8% = 2.0 → 2; 13.5 → round up (amount 14.58 × …) checked via 1,053 at 8% = 78.0
  assert.equal(includedTax(1053, 8, 'round'), 78);
});

test('tax is computed once per rate per order, not per line', () => {
  // Three lines of 1,001 yen at 8%: per line floor would give 74 × 3 = 222; per order gives floor(3003×8/108) = 222.44 → 222.
  // Choose values where the two differ: 3 × 999 yen at 10% → per line 90 × 3 = 270; per order floor(2997/11) = 272.
  const t = computeTotals({
    lines: [{ unitPriceYen: 999, quantity: 3, taxRate: 10 }],
    shipTo: '東京都',
    paymentMethod: 'card',
    settings: { ...settings, shipping: { ...settings.shipping, freeFromYen: 1 } },
  });
  assert.equal(t.taxable10Yen, 2997);
  assert.equal(t.tax10Yen, 272);
  assert.equal(t.taxable8Yen, 0);
  assert.equal(t.tax8Yen, 0);
});

test('8% food and 10% goods, shipping and COD fee are 10% items; total adds up', () => {
  const t = computeTotals({
    lines: [
      { unitPriceYen: 1080, quantity: 2, taxRate: 8 },
      { unitPriceYen: 3300, quantity: 1, taxRate: 10 },
    ],
    shipTo: '大阪府',
    paymentMethod: 'cod',
    settings,
  });
  assert.equal(t.itemsTotalYen, 5460);
  assert.equal(t.shippingFeeYen, settings.shipping.regionFeesYen.kinki);
  assert.equal(t.codFeeYen, 330);
  assert.equal(t.totalYen, 5460 + 880 + 330);
  assert.equal(t.taxable8Yen, 2160);
  assert.equal(t.tax8Yen, 160);
  assert.equal(t.taxable10Yen, 3300 + 880 + 330);
  assert.equal(t.tax10Yen, Math.floor((4510 * 10) / 110));
  assert.equal(t.rounding, 'floor');
});

test('shipping is free from the threshold and per prefecture override wins', () => {
  assert.equal(shippingFee(settings.shipping, '北海道', 10999), settings.shipping.regionFeesYen.hokkaido);
  assert.equal(shippingFee(settings.shipping, '北海道', 11000), 0);
  assert.equal(shippingFee(settings.shipping, '沖縄県', 100), 1650);
  assert.equal(shippingFee({ ...settings.shipping, prefectureFeesYen: { 沖縄県: 2000 } }, '沖縄県', 100), 2000);
});

test('COD fee follows the table and is refused above it', () => {
  assert.equal(codFee(settings.cod, 10000), 330);
  assert.equal(codFee(settings.cod, 10001), 440);
  assert.equal(codFee(settings.cod, 300000), 1100);
  assert.throws(() => codFee(settings.cod, 300001), /300000円まで/);
});

test('non-integer money is rejected', () => {
  assert.throws(() => computeTotals({ lines: [{ unitPriceYen: 10.5, quantity: 1, taxRate: 8 }], shipTo: '東京都', paymentMethod: 'card', settings }));
  assert.throws(() => computeTotals({ lines: [{ unitPriceYen: 100, quantity: 1, taxRate: 5 }], shipTo: '東京都', paymentMethod: 'card', settings }));
});
