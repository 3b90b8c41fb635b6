import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { jstDate } from '../../src/shared/time.js';
import { Client, guestForm } from '../helpers/browser-client.js';
import { cliEnv, DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

const run = promisify(execFile);

async function checkout(c: Client, form: Record<string, string>) {
  await c.get('/products/kaga-bo-hojicha');
  const variant = /name="variant_id" value="(var_[0-9A-Z]{16})"(?![^>]*disabled)/.exec(c.last!.html)![1]!;
  await c.post('/cart/add', { variant_id: variant, quantity: '1' });
  await c.get('/checkout');
  await c.post('/checkout/confirm', guestForm(form));
  return c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
}

async function payOnPsp(c: Client, pspPage: { html: string }, pspUrl: string, card: string) {
  const action = /<form method="post" action="(\/pay\/[^"]+)"/.exec(pspPage.html)![1]!;
  return c.request(new URL(action, pspUrl).href, { form: { cardNumber: card, expiry: '12/30', cvc: '123', name: 'TARO YAMADA' } });
}

for (const { dialect, skip } of DIALECTS) {
  describe(`incident CLI on ${dialect} (orders placed in the shop)`, { skip }, () => {
    let shop: TestShop;
    before(async () => {
      shop = await startTestShop({ dialect });
    });
    after(async () => {
      await shop?.close();
    });
    const db = () => shop.shop.services.handle.db;
    const mamori = (args: string[]) => run(process.execPath, ['bin/mamori.js', ...args], { env: cliEnv(shop) });
    const failing = async (args: string[]) => {
      try {
        await mamori(args);
      } catch (err) {
        return err as { code: number; stdout: string; stderr: string };
      }
      throw new Error(`mamori ${args.join(' ')} succeeded`);
    };

    test('native members and orders carry identity keys; the scope counts every card attempt; the CLI contract', async () => {
      const { customers } = shop.shop.services;
      const reg = await customers.register({
        email: 'Native.Member@Example.jp', password: 'kyusu-to-yunomi-2026', name: '会員　花子', nameKana: 'カイイン ハナコ', postalCode: '100-0001',
        prefecture: '東京都', address1: '千代田区千代田1-1', address2: null, phone: '０３-1234-0000', fax: null,
      });
      assert.ok(reg.ok);
      const memberId = reg.customerId;
      const keys = await db().selectFrom('customers').select(['email_key', 'phone_key', 'name_key', 'postal_key', 'updated_at', 'source']).where('id', '=', memberId).executeTakeFirstOrThrow();
      assert.deepEqual({ ...keys, updated_at: undefined }, { email_key: 'native.member@example.jp', phone_key: '0312340000', name_key: '会員花子', postal_key: '1000001', updated_at: undefined, source: 'shop' });
      // Changing the profile changes the keys and the time of the change; adding an address is a change too.
      await new Promise((r) => setTimeout(r, 5));
      await customers.updateProfile(memberId, { name: '会員 花子', nameKana: 'カイイン ハナコ', postalCode: '530-0001', prefecture: '大阪府', address1: '大阪市北区梅田1-1', address2: null, phone: '06-1234-0000', fax: '06-1234-0001' });
      const changed = await db().selectFrom('customers').select(['phone_key', 'postal_key', 'updated_at']).where('id', '=', memberId).executeTakeFirstOrThrow();
      assert.deepEqual([changed.phone_key, changed.postal_key], ['0612340000', '5300001']);
      assert.ok(changed.updated_at > keys.updated_at);
      await new Promise((r) => setTimeout(r, 5));
      await customers.addAddress(memberId, { name: '友人 一郎', kana: null, postalCode: '150-0001', prefecture: '東京都', address1: '渋谷区神宮前1-1', address2: null, phone: '03-9999-0000' });
      const afterAddress = await db().selectFrom('customers').select('updated_at').where('id', '=', memberId).executeTakeFirstOrThrow();
      assert.ok(afterAddress.updated_at > changed.updated_at);

      // A guest card order: declined, then paid on a new attempt — two attempts, both in scope.
      const c = new Client(shop.url);
      const toPsp = await checkout(c, { payment_method: 'card', orderer_email: 'card.guest@example.jp', orderer_name: '客 一', orderer_phone: '090-1111-0000' });
      const declined = await payOnPsp(c, toPsp, shop.pspUrl, '4000000000000002');
      const retryPage = new URL(declined.url).origin === shop.url ? await c.request(declined.url) : declined;
      const again = new URL(retryPage.url).origin === shop.url ? await c.post(new URL(retryPage.url).pathname + new URL(retryPage.url).search, {}) : retryPage;
      const paid = await payOnPsp(c, again, shop.pspUrl, '5555555555554444');
      assert.match(paid.html, /ご注文ありがとうございました/);
      const cardOrder = await db().selectFrom('orders').selectAll().where('orderer_email', '=', 'card.guest@example.jp').executeTakeFirstOrThrow();
      const attempts = await db().selectFrom('payments').select(['status', 'last4']).where('order_id', '=', cardOrder.id).orderBy('created_at').execute();
      assert.equal(attempts.length, 2, 'the declined session and the paid one');
      assert.equal(cardOrder.orderer_email_key, 'card.guest@example.jp');

      // A guest order typed with the member's e-mail in capitals, sent as a gift: the member's, with a recipient.
      const g = new Client(shop.url);
      await checkout(g, {
        payment_method: 'cod', orderer_email: 'NATIVE.MEMBER@EXAMPLE.JP', orderer_name: '会員 花子', orderer_phone: '06-1234-0000', orderer_fax: '',
        ship_to: 'other', ship_name: '贈り先 太郎', ship_kana: 'オクリサキ タロウ', ship_postal: '060-0001', ship_prefecture: '北海道', ship_address1: '札幌市中央区北一条西1-1', ship_phone: '011-222-3333',
      });
      const gift = await db().selectFrom('orders').selectAll().where('orderer_email', '=', 'NATIVE.MEMBER@EXAMPLE.JP').executeTakeFirstOrThrow();
      assert.equal(gift.customer_id, null);
      assert.deepEqual([gift.shipping_name_key, gift.shipping_phone_key, gift.shipping_postal_key], ['贈り先太郎', '0112223333', '0600001']);

      const today = jstDate();
      const window = ['--card-from', today, '--card-to', today, '--personal-from', today, '--personal-to', today];
      const json = JSON.parse((await mamori(['incident', 'scope', ...window, '--json'])).stdout) as Record<string, Record<string, number>>;
      assert.deepEqual(json.card, { persons: 1, payments: 2 });
      assert.equal(json.personal!.persons, 2, 'the member (registered, and the guest order) and the card guest');
      assert.deepEqual(json.recipients, { persons: 1 });
      assert.equal(json.total!.persons, 3);

      const out = join(shop.dataDir, 'scope.jsonl');
      const text = await mamori(['incident', 'scope', ...window, '--out', out]);
      assert.match(text.stdout, /Card data .*: 1 persons, 2 payment attempts/);
      assert.equal(statSync(out).mode & 0o777, 0o600, 'personal data: owner only');
      const entries = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; key: string; categories: string[]; card: { last4: string; status: string; date: string }[]; personal: { items: string[]; registeredOn: string | null; orders: number } | null });
      assert.equal(entries.length, 3);
      const guest = entries.find((e) => e.key === 'e:card.guest@example.jp')!;
      assert.deepEqual(guest.card.map((a) => a.last4).sort(), ['0002', '4444']);
      assert.ok(guest.card.every((a) => a.date === today));
      const member = entries.find((e) => e.key === `m:${memberId}`)!;
      assert.deepEqual(member.personal, { items: ['name', 'address', 'email', 'phone', 'fax'], registeredOn: today, updatedOn: today, orders: 1 } as never);
      assert.equal(entries.filter((e) => e.type === 'recipient').length, 1);
      // The channel filter: no phone orders today.
      const phone = JSON.parse((await mamori(['incident', 'scope', ...window, '--channel', 'phone', '--json'])).stdout) as Record<string, Record<string, number>>;
      assert.deepEqual([phone.card!.persons, phone.personal!.persons, phone.recipients!.persons], [0, 0, 0]);

      // Bad arguments: a clear message and exit code 2.
      const bad = await failing(['incident', 'scope', '--card-from', '2024-07-20', '--card-to', '2024-07-19', '--json']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /must not be after/);
      assert.equal((await failing(['incident', 'scope', '--channel', 'web'])).code, 2);
      assert.equal((await failing(['incident', 'scope', '--card-from', '2024-07-01', '--card-to', '2024-07-19', '--channel', 'email'])).code, 2);
    });

    test('export, import of the export (nothing changes), and a refused card number on the command line', async () => {
      const file = join(shop.dataDir, 'history.jsonl');
      const exp = await mamori(['export', file]);
      assert.match(exp.stdout, /Exported 1 customers and 2 orders/);
      const exported = readFileSync(file, 'utf8');
      assert.ok(exported.includes('"providerRef"'));
      assert.ok(!/4444|0002/.test(exported.replace(/"last4":"\d{4}"/g, '')), 'the last 4 digits only where they belong');
      const before = (await mamori(['incident', 'scope', '--card-from', jstDate(), '--card-to', jstDate(), '--json'])).stdout;
      const imp = await mamori(['import', file]);
      assert.match(imp.stdout, /3 lines: 3 accepted \(new: 0 customers, 0 orders; already present: 1 customers, 2 orders\), 0 refused/);
      assert.equal((await mamori(['incident', 'scope', '--card-from', jstDate(), '--card-to', jstDate(), '--json'])).stdout, before);

      const bad = join(shop.dataDir, 'bad.jsonl');
      const line = exported.split('\n')[0]!.replace(/"address1":"[^"]*"/, '"address1":"4111 1111 1111 1111"').replace(/"id":"[^"]*"/, '"id":"X1"');
      writeFileSync(bad, `${line}\n`);
      const refused = await failing(['import', bad]);
      assert.equal(refused.code, 3, 'committed, with a refused line');
      assert.match(refused.stderr, /line 1: refused: contains what looks like a card number \(in "address1"\)/);
      assert.ok(!refused.stderr.includes('4111') && !refused.stdout.includes('4111'));
      const strict = await failing(['import', bad, '--strict', '--json']);
      assert.equal(strict.code, 1);
      assert.equal((JSON.parse(strict.stdout) as { committed: boolean }).committed, false);
      assert.equal((await failing(['import', join(shop.dataDir, 'missing.jsonl')])).code, 2);
    });
  });
}
