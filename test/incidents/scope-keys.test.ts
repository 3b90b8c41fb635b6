import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { openDatabase, type DbHandle } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { importHistory } from '../../src/incidents/history/import.js';
import { scopeCounts, scopeWithEntries, type ScopeEntry, type ScopeWindows } from '../../src/incidents/scope.js';
import { customerIdentityColumns, orderScopeKeys } from '../../src/shared/identity.js';
import { newId } from '../../src/shared/ids.js';
import { DIALECTS, freshPgSchema } from '../helpers/shop.js';

/** The scoping keys stored on orders, and the member that owns a guest order resolved at scope time. */

test('orderScopeKeys: the guest key by e-mail, else name + phone; a recipient only when shipping elsewhere to someone else', () => {
  const k = { orderer_email_key: 'a@b.jp', orderer_phone_key: '0311112222', orderer_name_key: '山田太郎', shipping_name_key: null, shipping_phone_key: null, shipping_postal_key: null };
  assert.deepEqual(orderScopeKeys({ ...k, ship_to_orderer: 1 }), { orderer_key: 'e:a@b.jp', recipient_key: null });
  assert.equal(orderScopeKeys({ ...k, orderer_email_key: null, ship_to_orderer: 1 }).orderer_key, 'n:山田太郎|0311112222');
  const gift = { ...k, ship_to_orderer: 0, shipping_name_key: '佐藤花子', shipping_phone_key: '0611112222', shipping_postal_key: '5300001' };
  assert.equal(orderScopeKeys(gift).recipient_key, 'r:佐藤花子|0611112222|5300001');
  assert.equal(orderScopeKeys({ ...gift, shipping_phone_key: null }).recipient_key, 'r:佐藤花子||5300001');
  // Shipping typed out as the orderer (same name and phone, another address) is no recipient.
  assert.equal(orderScopeKeys({ ...gift, shipping_name_key: '山田太郎', shipping_phone_key: '0311112222' }).recipient_key, null);
  assert.equal(orderScopeKeys({ ...gift, shipping_name_key: '山田太郎' }).recipient_key, 'r:山田太郎|0611112222|5300001', 'another phone: another person');
});

const address = { postalCode: '100-0001', prefecture: '東京都', address1: '千代田区千代田1-1' };
const WINDOWS: ScopeWindows = { card: { from: '2024-07-18', to: '2024-07-18' }, personal: { from: '2024-07-17', to: '2024-07-19' } };

for (const { dialect, skip } of DIALECTS) {
  describe(`stored scoping keys on ${dialect}`, { skip }, () => {
    let h: DbHandle | undefined;
    let cleanup = async () => {};
    after(() => cleanup());

    test('a member who registers after a guest order with their e-mail owns it from then on (the earliest registered)', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'mamori-scope-keys-'));
      const schema = dialect === 'postgres' ? await freshPgSchema() : null;
      h = openDatabase({ databaseUrl: schema?.url ?? null, dataDir });
      cleanup = async () => {
        await h?.close();
        await schema?.drop();
        rmSync(dataDir, { recursive: true, force: true });
      };
      await migrateToLatest(h.db);
      const order = {
        kind: 'order', id: 'O1', orderedAt: '2024-07-18T03:00:00.000Z', customerId: null,
        orderer: { name: '後 登録', phone: '03-1212-3434', email: ' Later@Example.JP ', ...address },
        shipping: { name: '佐藤 花子', phone: '06-1111-2222', postalCode: '530-0001', prefecture: '大阪府', address1: '大阪市北区梅田1-1' },
        payment: { method: 'card', status: 'paid', brand: 'visa', last4: '4242', providerRef: 'pay_1' },
        lines: [{ sku: 'A-1', name: '緑茶 100g', unitPriceYen: 1080, quantity: 1, taxRatePercent: 8 }], shippingFeeYen: 600, codFeeYen: 0, totalYen: 1680,
      };
      const r = await importHistory(h.db, Readable.from([JSON.stringify(order) + '\n']));
      assert.equal(r.refused, 0, JSON.stringify(r.refusals));
      const stored = await h.db.selectFrom('orders').select(['orderer_key', 'recipient_key']).executeTakeFirstOrThrow();
      assert.deepEqual(stored, { orderer_key: 'e:later@example.jp', recipient_key: 'r:佐藤花子|0611112222|5300001' });

      const keys = async () => {
        const out = new PassThrough();
        const chunks: string[] = [];
        out.on('data', (c: Buffer) => chunks.push(c.toString()));
        const counts = await scopeWithEntries(h!.db, WINDOWS, {}, out);
        out.end();
        assert.deepEqual(await scopeCounts(h!.db, WINDOWS), counts, 'the counts alone and with --out agree');
        return { counts, keys: chunks.join('').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as ScopeEntry).key) };
      };
      const before = await keys();
      assert.deepEqual(before.keys, ['e:later@example.jp', 'r:佐藤花子|0611112222|5300001']);
      assert.deepEqual(before.counts.personal, { persons: 1, members: 0, guests: 1 });
      assert.deepEqual(before.counts.card, { persons: 1, payments: 1 });

      const member = async (createdAt: string) => {
        const id = newId('cus');
        const email = 'later@example.jp';
        await h!.db.insertInto('customers').values({
          id, email, email_norm: `${email}:${id}`, password_hash: 'x', name: '後 登録', name_kana: 'アト トウロク', postal_code: '100-0001', prefecture: '東京都', address1: '千代田区千代田1-1',
          address2: null, phone: '03-1212-3434', fax: null, status: 'active', email_verified_at: createdAt, created_at: createdAt, updated_at: createdAt, withdrawn_at: null,
          ...customerIdentityColumns({ email: ` ${email.toUpperCase()}`, phone: '03-1212-3434', name: '後 登録', postal_code: '100-0001' }), source: 'shop', external_id: null,
        }).execute();
        return id;
      };
      const second = await member('2025-03-01T00:00:00.000Z');
      const first = await member('2025-01-01T00:00:00.000Z');
      const afterwards = await keys();
      assert.deepEqual(afterwards.keys, [`m:${first}`, 'r:佐藤花子|0611112222|5300001'], 'the earliest registered member owns the guest order');
      assert.ok(!afterwards.keys.includes(`m:${second}`));
      assert.deepEqual(afterwards.counts.personal, { persons: 1, members: 1, guests: 0 });
      assert.deepEqual(afterwards.counts.card, { persons: 1, payments: 1 });
      assert.equal((await h.db.selectFrom('orders').select('orderer_key').executeTakeFirstOrThrow()).orderer_key, 'e:later@example.jp', 'no order is rewritten');
    });
  });
}
