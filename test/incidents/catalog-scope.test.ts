import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { CatalogRequestService } from '../../src/catalog-requests/service.js';
import { openDatabase, type DbHandle } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { importHistory } from '../../src/incidents/history/import.js';
import { scopeCounts, scopeWithEntries, type ScopeEntry, type ScopeWindows } from '../../src/incidents/scope.js';
import { DIALECTS, freshPgSchema } from '../helpers/shop.js';

/** Catalog requesters (カタログ請求) are persons of the personal category, keyed as docs/incident-response.md says. */

const address = { postalCode: '100-0001', prefecture: '東京都', address1: '千代田区千代田1-1' };
const history = [
  { kind: 'customer', id: 'M1', registeredAt: '2020-01-01T00:00:00.000Z', name: '会員 一', phone: '03-0000-0001', email: 'm1@example.jp', ...address },
  // Guest orders: one by e-mail outside the window, one without e-mail inside it.
  ...[
    { id: 'O1', orderedAt: '2020-02-01T03:00:00.000Z', orderer: { name: '客 二', phone: '03-0000-0002', email: 'guest@example.jp', ...address } },
    { id: 'O2', orderedAt: '2024-07-18T03:00:00.000Z', orderer: { name: '鈴木 一郎', phone: '090-1111-2222', ...address } },
  ].map((o) => ({
    kind: 'order', customerId: null, shipping: null, payment: { method: 'cod', status: 'paid' },
    lines: [{ sku: 'A-1', name: '緑茶 100g', unitPriceYen: 1080, quantity: 1, taxRatePercent: 8 }], shippingFeeYen: 600, codFeeYen: 330, totalYen: 2010, ...o,
  })),
];
const WINDOWS: ScopeWindows = { card: null, personal: { from: '2024-07-17', to: '2024-07-19' } };

const request = (name: string, extra: { email?: string; phone?: string; postalCode?: string }) => ({
  name, kana: null, postalCode: extra.postalCode ?? '530-0001', prefecture: '大阪府', address1: '大阪市北区梅田1-1', address2: null,
  email: extra.email ?? null, phone: extra.phone ?? null, lang: 'ja' as const,
});

for (const { dialect, skip } of DIALECTS) {
  describe(`catalog requesters in the incident scope on ${dialect}`, { skip }, () => {
    let h: DbHandle | undefined;
    let cleanup = async () => {};
    after(() => cleanup());

    test('a requester is the member or guest with their e-mail, else their (name, phone) or (name, postal code); at request time', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'mamori-catalog-scope-'));
      const schema = dialect === 'postgres' ? await freshPgSchema() : null;
      h = openDatabase({ databaseUrl: schema?.url ?? null, dataDir });
      cleanup = async () => {
        await h?.close();
        await schema?.drop();
        rmSync(dataDir, { recursive: true, force: true });
      };
      await migrateToLatest(h.db);
      const r = await importHistory(h.db, Readable.from([history.map((x) => JSON.stringify(x)).join('\n') + '\n']));
      assert.equal(r.refused, 0, JSON.stringify(r.refusals));

      const before = await scopeCounts(h.db, WINDOWS);
      assert.deepEqual(before.personal, { persons: 1, members: 0, guests: 1 }, 'only the guest order in the window');

      const service = new CatalogRequestService(h.db);
      const at = async (iso: string, input: ReturnType<typeof request>) => {
        const row = await service.create(input);
        await h!.db.updateTable('catalog_requests').set({ created_at: iso }).where('id', '=', row.id).execute();
      };
      await at('2024-07-17T01:00:00.000Z', request('会員 一', { email: ' M1@Example.JP ' })); // the member, by e-mail
      await at('2024-07-18T01:00:00.000Z', request('客 二', { email: 'ＧＵＥＳＴ@example.jp' })); // the e-mail guest (order outside the window)
      await at('2024-07-19T01:00:00.000Z', request('鈴木　一郎', { phone: '０９０-1111-2222' })); // the guest without e-mail, by name + phone
      await at('2024-07-19T02:00:00.000Z', request('高橋 花子', { postalCode: '５３０-0001' })); // neither: name + postal code
      await at('2024-07-19T03:00:00.000Z', request('高橋花子', { postalCode: '530-0001' })); // the same person again
      await at('2024-07-19T15:00:00.000Z', request('後 日', { email: 'later@example.jp' })); // 2024-07-20 in Japan: outside

      const counts = await scopeCounts(h.db, WINDOWS);
      assert.deepEqual(counts.personal, { persons: 4, members: 1, guests: 3 });
      assert.equal(counts.total.personsExcludingRecipients, 4);

      const chunks: string[] = [];
      const out = new Writable({ write(c: Buffer, _e, cb) { chunks.push(c.toString()); cb(); } });
      const withEntries = await scopeWithEntries(h.db, WINDOWS, {}, out);
      assert.deepEqual(withEntries.personal, counts.personal);
      const byKey = new Map(chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as ScopeEntry).map((e) => [e.key, e]));
      assert.deepEqual([...byKey.keys()].sort(), ['e:guest@example.jp', 'm:' + (await h.db.selectFrom('customers').select('id').executeTakeFirstOrThrow()).id, 'n:鈴木一郎|09011112222', 'p:高橋花子|5300001'].sort());

      const member = [...byKey.values()].find((e) => e.memberId === 'M1')!;
      // What the request form held: the member's account (registered before the window) was not exposed.
      assert.deepEqual(member.personal, { items: ['name', 'address', 'email'], registeredOn: null, updatedOn: null, orders: 0, catalogRequests: 1 });
      assert.equal(member.contact.email, 'm1@example.jp', 'a member is written to at their account address');
      assert.equal(member.firstExposedOn, '2024-07-17');

      const guest = byKey.get('e:guest@example.jp')!;
      assert.deepEqual(guest.personal, { items: ['name', 'address', 'email'], registeredOn: null, updatedOn: null, orders: 0, catalogRequests: 1 });
      assert.equal(guest.contact.name, '客 二');
      assert.equal(guest.contact.email, 'GUEST@example.jp');

      const suzuki = byKey.get('n:鈴木一郎|09011112222')!;
      assert.deepEqual(suzuki.personal, { items: ['name', 'address', 'phone'], registeredOn: null, updatedOn: null, orders: 1, catalogRequests: 1 });
      assert.equal(suzuki.contact.prefecture, '東京都', 'the latest order gives the contact');
      assert.deepEqual([suzuki.firstExposedOn, suzuki.lastExposedOn], ['2024-07-18', '2024-07-19']);

      const takahashi = byKey.get('p:高橋花子|5300001')!;
      assert.deepEqual(takahashi.personal, { items: ['name', 'address'], registeredOn: null, updatedOn: null, orders: 0, catalogRequests: 2 });
      assert.equal(takahashi.contact.prefecture, '大阪府');
      assert.equal(takahashi.contact.email, null);

      // Requests count as web data: a scope of phone and FAX orders leaves them out.
      const phoneOnly = await scopeCounts(h.db, WINDOWS, { channels: ['phone', 'fax'] });
      assert.equal(phoneOnly.personal.persons, 0);
    });
  });
}
