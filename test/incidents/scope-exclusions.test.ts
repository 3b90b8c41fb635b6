import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { importHistory } from '../../src/incidents/history/import.js';
import { scopeCounts } from '../../src/incidents/scope.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

const addr = { postalCode: '100-0001', prefecture: '東京都', address1: '千代田区千代田1-1', address2: null };
const order = (id: string, email: string, phone: string) => ({
  kind: 'order', id, orderedAt: '2024-05-02T12:00:00+09:00', customerId: null,
  orderer: { name: `客 ${id}`, email, phone, fax: null, ...addr }, shipping: null,
  payment: { method: 'card', status: 'failed', brand: 'visa', last4: '4242', providerRef: `pay_${id}` },
  lines: [{ sku: 'A-1', name: '緑茶', unitPriceYen: 1080, quantity: 1, taxRatePercent: 8 }], shippingFeeYen: 600, codFeeYen: 0, totalYen: 1680,
});
const windows = { card: { from: '2024-05-01', to: '2024-05-31' }, personal: { from: '2024-05-01', to: '2024-05-31' } };

for (const { dialect, skip } of DIALECTS) {
  describe(`scope exclusions on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    before(async () => {
      shop = await startTestShop({ dialect, seedDemo: false });
      const lines = ['X1', 'X2', 'X3'].map((id, i) => JSON.stringify(order(id, `guest${i}@example.jp`, `03-0000-000${i}`))).join('\n');
      assert.equal((await importHistory(shop.shop.services.handle.db, Readable.from([lines]))).refused, 0);
    });
    after(async () => {
      await shop?.close();
    });
    const db = () => shop.shop.services.handle.db;

    test('the external monitor\'s orders are nobody\'s data; orders anonymised by retention count for no person', async () => {
      const before = await scopeCounts(db(), windows);
      assert.deepEqual([before.card.persons, before.card.payments, before.personal.persons], [3, 3, 3]);
      await db().updateTable('orders').set({ is_monitor: 1 }).where('order_number', '=', 'X1').execute();
      const noMonitor = await scopeCounts(db(), windows);
      assert.deepEqual([noMonitor.card.persons, noMonitor.card.payments, noMonitor.personal.persons], [2, 2, 2]);
      // Retention anonymised X2: no member, no orderer key. Its card attempt still counts as a payment.
      await db().updateTable('orders').set({ orderer_key: null, orderer_email_key: null, orderer_name: '（削除済み）' }).where('order_number', '=', 'X2').execute();
      const anonymised = await scopeCounts(db(), windows);
      assert.deepEqual([anonymised.card.persons, anonymised.card.payments, anonymised.personal.persons], [1, 2, 1]);
    });
  });
}
