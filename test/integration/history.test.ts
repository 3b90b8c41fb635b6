import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { openDatabase, type DbHandle } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { generateDemoHistory } from '../../src/incidents/history/demo.js';
import { exportHistory } from '../../src/incidents/history/export.js';
import { importHistory } from '../../src/incidents/history/import.js';
import { scopeCounts, scopeWithEntries, type ScopeEntry, type ScopeWindows } from '../../src/incidents/scope.js';
import { DIALECTS, freshPgSchema } from '../helpers/shop.js';

/** A migrated, empty database of the dialect; closed and removed by `cleanup`. */
async function freshDb(dialect: 'sqlite' | 'postgres'): Promise<DbHandle & { cleanup(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mamori-history-'));
  const schema = dialect === 'postgres' ? await freshPgSchema() : null;
  const handle = openDatabase({ databaseUrl: schema?.url ?? null, dataDir });
  await migrateToLatest(handle.db);
  return {
    ...handle,
    async cleanup() {
      await handle.close();
      await schema?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const jsonl = (records: object[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
const lines = (text: string) => Readable.from([text]);

async function exportText(h: DbHandle): Promise<string> {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  await exportHistory(h.db, out);
  return chunks.join('');
}

const sorted = (text: string) => text.split('\n').filter(Boolean).sort();

const T = (name: string, phone: string, extra: Record<string, unknown> = {}) => ({
  name, phone, postalCode: '100-0001', prefecture: '東京都', address1: '千代田区千代田1-1', ...extra,
});
const member = (id: string, registeredAt: string, extra: Record<string, unknown> = {}) => ({
  kind: 'customer', id, registeredAt, ...T(`会員 ${id}`, `03-0000-${id.slice(1).padStart(4, '0')}`), email: `${id.toLowerCase()}@example.jp`, ...extra,
});
let orderSeq = 0;
const order = (orderedAt: string, orderer: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  kind: 'order', id: `O${++orderSeq}`, orderedAt, customerId: null, orderer, shipping: null,
  payment: { method: 'cod', status: 'paid' },
  lines: [{ sku: 'A-1', name: '緑茶 100g', unitPriceYen: 1080, quantity: 1, taxRatePercent: 8 }],
  shippingFeeYen: 600, codFeeYen: 330, totalYen: 2010, ...extra,
});
const card = (status: string, last4: string, brand = 'visa') => ({ method: 'card', status, brand, last4, providerRef: `pay_${last4}_${status}` });

/**
 * One history pinning every identity and window rule. Windows: card 2024-07-18 – 2024-07-19,
 * personal (and recipients) 2024-07-17 – 2024-07-19, Japan days.
 */
function rulesHistory() {
  orderSeq = 0;
  return [
    member('C1', '2016-01-01T10:00:00+09:00', { email: 'Taro@Example.jp', name: '山田 太郎' }),
    member('C2', '2024-07-16T15:00:00Z'), // 2024-07-17 00:00 in Japan: registered in the window
    member('C3', '2024-07-16T14:59:59Z'), // 2024-07-16 23:59:59 in Japan: not
    member('C4', '2016-01-01T10:00:00+09:00', { updatedAt: '2024-07-19T23:59:59+09:00' }), // updated on the last day
    member('C5', '2016-01-01T10:00:00+09:00', { updatedAt: '2024-07-20T00:00:00+09:00' }), // the day after
    // A guest typing a member's e-mail differently belongs to the member; so does the member's own order.
    order('2024-07-18T12:00:00+09:00', T('山田 太郎', '03-1111-1111', { email: ' ＴＡＲＯ＠example.JP ' }), { payment: card('paid', '4242') }),
    order('2024-07-18T11:50:00+09:00', T('山田 太郎', '03-1111-1111', { email: 'taro@example.jp' }), { customerId: 'C1', payment: card('failed', '0002') }),
    // Guests grouped by e-mail; one card order the day before the card window.
    order('2024-07-17T23:00:00+09:00', T('田中 花子', '06-2222-2222', { email: 'hanako@example.jp' }), { payment: card('paid', '1111', 'jcb') }),
    order('2024-07-19T09:00:00+09:00', T('田中 花子', '06-2222-2222', { email: 'HANAKO@example.jp ' }), { payment: { method: 'bank_transfer', status: 'pending' } }),
    // Guests without e-mail: (name, phone), after NFKC; another phone is another person.
    order('2024-07-18T09:00:00+09:00', T('鈴木　一郎', '090-1234-5678'), { channel: 'phone' }),
    order('2024-07-18T10:00:00+09:00', T('鈴木一郎', '０９０１２３４５６７８')),
    order('2024-07-18T11:00:00+09:00', T('鈴木一郎', '090-9999-9999')),
    // A gift twice to the same recipient, typed differently; shipping typed out equal to the orderer is no recipient.
    order('2024-07-18T13:00:00+09:00', T('贈り主 一', '03-3333-3333', { email: 'gift@example.jp' }), {
      shipping: { name: '佐藤 花子', phone: '06-1111-2222', postalCode: '530-0001', prefecture: '大阪府', address1: '大阪市北区梅田1-1' },
      payment: card('paid', '5555', 'mastercard'),
    }),
    order('2024-07-19T13:00:00+09:00', T('贈り主 二', '03-4444-4444', { email: 'gift2@example.jp' }), {
      shipping: { name: '佐藤　花子', phone: '０６-1111-2222', postalCode: '〒530-0001', prefecture: '大阪府', address1: '大阪市北区梅田1-1-1' },
    }),
    order('2024-07-18T14:00:00+09:00', T('自分 宛', '03-5555-5555', { email: 'self@example.jp' }), {
      shipping: { name: '自分　宛', phone: '03-5555-5555', postalCode: '150-0001', prefecture: '東京都', address1: '渋谷区神宮前1-1' },
    }),
    // Time-zone boundaries of the card window (2024-07-18 – 2024-07-19 in Japan).
    order('2024-07-19T15:00:00Z', T('境界 後', '03-6666-6666', { email: 'after@example.jp' }), { payment: card('failed', '6666') }),
    order('2024-07-17T14:59:59Z', T('境界 前', '03-7777-7777', { email: 'early@example.jp' }), { payment: card('failed', '7777') }),
    order('2024-07-17T15:00:00Z', T('境界 始', '03-8888-8888', { email: 'edge@example.jp' }), { payment: card('cancelled', '8888') }),
    // FAX typed: part of what was exposed.
    order('2024-07-18T15:00:00+09:00', T('FAX 利用', '03-9999-0000', { email: 'fax@example.jp', fax: '03-9999-0001' })),
    // Long before every window.
    order('2016-05-01T10:00:00+09:00', T('昔 の人', '03-1212-1212', { email: 'old@example.jp' }), { payment: card('paid', '1212') }),
  ];
}

const WINDOWS: ScopeWindows = { card: { from: '2024-07-18', to: '2024-07-19' }, personal: { from: '2024-07-17', to: '2024-07-19' } };

async function entries(h: DbHandle, windows: ScopeWindows, channels: ('web' | 'phone')[] | null = null) {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString()));
  const counts = await scopeWithEntries(h.db, windows, { channels }, out);
  out.end();
  const list = chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ScopeEntry);
  return { counts, list, byKey: new Map(list.map((e) => [e.key, e])) };
}

for (const { dialect, skip } of DIALECTS) {
  describe(`history and scoping on ${dialect}`, { skip }, () => {
    const open: { cleanup(): Promise<void> }[] = [];
    const db = async () => {
      const h = await freshDb(dialect);
      open.push(h);
      return h;
    };
    after(async () => {
      for (const h of open) await h.cleanup();
    });

    test('scoping follows every identity and window rule of history-format.md', async () => {
      const h = await db();
      const r = await importHistory(h.db, lines(jsonl(rulesHistory())));
      assert.equal(r.refused, 0, JSON.stringify(r.refusals));
      const { counts, list, byKey } = await entries(h, WINDOWS);
      assert.deepEqual(counts.card, { persons: 3, payments: 4 }, 'C1 (its own failed attempt and its guest order), gift, edge');
      assert.deepEqual(counts.personal, { persons: 12, members: 3, guests: 9 });
      assert.deepEqual(counts.recipients, { persons: 1 });
      assert.deepEqual(counts.total, { persons: 13, personsExcludingRecipients: 12 });

      const c1 = await h.db.selectFrom('customers').select('id').where('external_id', '=', 'C1').executeTakeFirstOrThrow();
      const taro = byKey.get(`m:${c1.id}`)!;
      assert.equal(taro.memberId, 'C1');
      assert.deepEqual(taro.categories, ['card', 'personal']);
      assert.deepEqual(taro.card.map((a) => [a.date, a.brand, a.last4, a.status]), [['2024-07-18', 'visa', '0002', 'expired'], ['2024-07-18', 'visa', '4242', 'paid']]);
      assert.deepEqual(taro.personal, { items: ['name', 'address', 'email', 'phone'], registeredOn: null, updatedOn: null, orders: 2 });
      assert.equal(taro.contact.email, 'Taro@Example.jp');

      const keys = list.map((e) => e.key);
      const memberKey = async (id: string) => `m:${(await h.db.selectFrom('customers').select('id').where('external_id', '=', id).executeTakeFirstOrThrow()).id}`;
      assert.ok(keys.includes(await memberKey('C2')), 'registered on the first day of the window');
      assert.ok(!keys.includes(await memberKey('C3')), 'registered the day before');
      assert.equal(byKey.get(await memberKey('C4'))!.personal!.updatedOn, '2024-07-19');
      assert.ok(!keys.includes(await memberKey('C5')), 'updated the day after');
      assert.ok(!keys.some((k) => k.includes('taro')), 'no separate guest for the member\'s e-mail');

      const hanako = byKey.get('e:hanako@example.jp')!;
      assert.deepEqual(hanako.categories, ['personal'], 'her card order was placed the day before the card window');
      assert.equal(hanako.personal!.orders, 2);
      assert.deepEqual(byKey.get('n:鈴木一郎|09012345678')!.personal, { items: ['name', 'address', 'phone'], registeredOn: null, updatedOn: null, orders: 2 });
      assert.ok(byKey.has('n:鈴木一郎|09099999999'));
      assert.deepEqual(byKey.get('e:fax@example.jp')!.personal!.items, ['name', 'address', 'email', 'phone', 'fax']);
      assert.deepEqual(byKey.get('e:edge@example.jp')!.card.map((a) => a.orderedOn), ['2024-07-18'], '2024-07-17T15:00Z is the 18th in Japan');
      assert.deepEqual(byKey.get('e:early@example.jp')!.categories, ['personal'], '2024-07-17T14:59:59Z is still the 17th');
      assert.ok(!byKey.has('e:after@example.jp'), '2024-07-19T15:00Z is the 20th');
      assert.ok(!byKey.has('e:old@example.jp'));
      assert.ok(byKey.has('e:self@example.jp') && !keys.some((k) => k.startsWith('r:自分')), 'explicit shipping equal to the orderer is no recipient');

      const recipient = list.find((e) => e.type === 'recipient')!;
      assert.equal(recipient.key, 'r:佐藤花子|0611112222|5300001');
      assert.deepEqual(recipient.recipient!.orders.map((o) => o.orderedOn), ['2024-07-18', '2024-07-19']);
      assert.deepEqual(recipient.recipient!.items, ['name', 'address', 'phone']);
      assert.equal(recipient.contact.address1, '大阪市北区梅田1-1-1', 'the latest address');

      // Counts alone give the same numbers.
      assert.deepEqual(await scopeCounts(h.db, WINDOWS), counts);
      // Windows per category: recipients in their own window; card only.
      assert.equal((await scopeCounts(h.db, { ...WINDOWS, recipients: { from: '2024-07-19', to: '2024-07-19' } })).recipients.persons, 1);
      assert.equal((await scopeCounts(h.db, { ...WINDOWS, recipients: { from: '2024-07-20', to: '2024-07-31' } })).recipients.persons, 0);
      const cardOnly = await scopeCounts(h.db, { card: WINDOWS.card, personal: null });
      assert.deepEqual([cardOnly.card.persons, cardOnly.personal.persons, cardOnly.recipients.persons], [3, 0, 0]);
      // A channel filter keeps that channel's orders (registrations count as web).
      const phone = await entries(h, WINDOWS, ['phone']);
      assert.deepEqual(phone.list.map((e) => e.key), ['n:鈴木一郎|09012345678']);
      assert.equal(phone.list[0]!.personal!.orders, 1);
    });

    test('import: refusals with line numbers, orders before their customer, idempotent, all or nothing', async () => {
      const h = await db();
      orderSeq = 100;
      const text = jsonl([
        order('2024-01-01T10:00:00+09:00', T('後 登録', '03-1000-0001'), { customerId: 'C9' }),
        order('2024-01-02T10:00:00+09:00', T('幽霊', '03-1000-0002'), { customerId: 'C404' }),
        { ...member('C9', '2023-12-01T10:00:00+09:00'), address2: '4242-4242-4242-4242' },
        member('C9', '2023-12-01T10:00:00+09:00'),
        order('2024-01-03T10:00:00+09:00', T('重複', '03-1000-0003'), { payment: card('paid', '1234') }),
        order('2024-01-04T10:00:00+09:00', T('重複', '03-1000-0003'), { payment: card('paid', '1234') }),
        { kind: 'customer', id: 'C10' },
      ]) + '\n{broken\n';
      const refused: number[] = [];
      const r = await importHistory(h.db, lines(text), { batchSize: 2, onRefused: (x) => refused.push(x.line) });
      assert.deepEqual(r.refusals.map((x) => x.line).sort((a, b) => a - b), [2, 3, 6, 7, 9]);
      assert.deepEqual(refused.sort((a, b) => a - b), [2, 3, 6, 7, 9]);
      const reason = (line: number) => r.refusals.find((x) => x.line === line)!.reason;
      assert.match(reason(2), /customerId "C404" is neither in the file nor in the shop/);
      assert.match(reason(3), /card number \(in "address2"\)/);
      assert.ok(!reason(3).includes('4242'));
      assert.match(reason(6), /providerRef "pay_1234_paid" is already used/);
      assert.match(reason(7), /id: is required|registeredAt: is required/);
      assert.match(reason(9), /not valid JSON/);
      assert.deepEqual([r.lines, r.accepted, r.refused, r.inserted.customers, r.inserted.orders], [9, 3, 5, 1, 2]);
      assert.equal(r.committed, true);
      const late = await h.db.selectFrom('orders').innerJoin('customers', 'customers.id', 'orders.customer_id').select('customers.external_id').where('order_number', '=', 'O101').executeTakeFirstOrThrow();
      assert.equal(late.external_id, 'C9', 'the order found its customer that came later in the file');
      assert.equal(await h.db.selectFrom('orders').select('id').where('order_number', '=', 'O102').executeTakeFirst(), undefined);

      // The same file again changes nothing.
      const before = sorted(await exportText(h));
      const again = await importHistory(h.db, lines(text), { batchSize: 2 });
      assert.deepEqual([again.inserted.customers, again.inserted.orders, again.alreadyPresent.customers, again.alreadyPresent.orders], [0, 0, 1, 2]);
      assert.deepEqual(sorted(await exportText(h)), before);
      const count = async () => Number((await h.db.selectFrom('orders').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      assert.equal(await count(), 2);

      // Strict: one refused line and nothing is written; dry run: nothing either.
      orderSeq = 200;
      const more = jsonl([order('2024-02-01T10:00:00+09:00', T('新規', '03-2000-0001')), { kind: 'order', id: 'bad' }]);
      const strict = await importHistory(h.db, lines(more), { strict: true });
      assert.deepEqual([strict.committed, strict.inserted.orders, strict.refused], [false, 1, 1]);
      const dry = await importHistory(h.db, lines(more), { dryRun: true });
      assert.equal(dry.committed, false);
      assert.equal(await count(), 2);

      // A failure in the middle of a run (the file cannot be read to its end) leaves nothing behind.
      orderSeq = 300;
      const head = jsonl(Array.from({ length: 7 }, (_, i) => order(`2024-03-0${i + 1}T10:00:00+09:00`, T('途中', '03-3000-0001'))));
      let reads = 0;
      const failing = new Readable({
        read() {
          if (reads++ === 0) this.push(head);
          else this.destroy(new Error('disk read error'));
        },
      });
      await assert.rejects(importHistory(h.db, failing, { batchSize: 2 }), /disk read error/);
      assert.equal(await count(), 2);
      // A file that fails before its first line is read.
      const broken = new Readable({ read() {} });
      broken.destroy(new Error('no such device'));
      await assert.rejects(importHistory(h.db, broken), /no such device/);
      assert.equal(await count(), 2);
      assert.equal((await importHistory(h.db, lines(head), { batchSize: 2 })).inserted.orders, 7, 'the connection is usable again');
    });

    test('round trip: import → export → import gives the same data; the export is the imported file', async () => {
      const chunks: string[] = [];
      const sink = new Writable({ write(c: Buffer, _e, cb) { chunks.push(c.toString()); cb(); } });
      await generateDemoHistory({ customers: 40, orders: 200, from: '2015-08-28', to: '2024-07-19', seed: 42 }, sink);
      const original = chunks.join('') + jsonl(rulesHistory());
      const a = await db();
      const ra = await importHistory(a.db, lines(original), { batchSize: 64 });
      assert.equal(ra.refused, 0, JSON.stringify(ra.refusals.slice(0, 3)));
      const exported = await exportText(a);
      // Same records (line order is free), down to the e-mails as typed and the instants.
      const canon = (text: string) => sorted(text).map((l) => JSON.stringify(JSON.parse(l), Object.keys(JSON.parse(l)).sort()));
      assert.deepEqual(sorted(exported).map((l) => JSON.parse(l) as unknown).sort(byId), sorted(original).map((l) => normaliseOriginal(JSON.parse(l))).sort(byId));
      const b = await db();
      await importHistory(b.db, lines(exported));
      assert.deepEqual(canon(await exportText(b)), canon(exported));
      assert.deepEqual(await scopeCounts(b.db, WINDOWS), await scopeCounts(a.db, WINDOWS));
      const wide: ScopeWindows = { card: { from: '2021-05-26', to: '2024-07-19' }, personal: { from: '2015-08-28', to: '2024-07-19' } };
      assert.deepEqual(await scopeCounts(b.db, wide), await scopeCounts(a.db, wide));
    });

    test('demo history: reproducible, with every feature the drills need', async () => {
      const gen = async (seed: number) => {
        const chunks: string[] = [];
        const sink = new Writable({ write(c: Buffer, _e, cb) { chunks.push(c.toString()); cb(); } });
        await generateDemoHistory({ customers: 100, orders: 600, from: '2020-01-01', to: '2024-12-31', seed }, sink);
        return chunks.join('');
      };
      const one = await gen(7);
      assert.equal(await gen(7), one, 'same seed, same file');
      assert.notEqual(await gen(8), one);
      const records = one.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, never>);
      const orders = records.filter((r) => r.kind === 'order') as unknown as { customerId: string | null; orderedAt: string; orderer: { email: string | null }; shipping: { name: string } | null; payment: { method: string; status: string } }[];
      assert.equal(orders.length, 600);
      assert.equal(records.filter((r) => r.kind === 'customer').length, 100);
      assert.ok(orders.every((o) => o.orderedAt >= '2020-01-01T00:00:00+09:00' && o.orderedAt <= '2024-12-31T23:59:59.999+09:00'));
      for (const m of ['card', 'bank_transfer', 'cod']) assert.ok(orders.some((o) => o.payment.method === m), m);
      for (const s of ['paid', 'failed', 'refunded', 'pending', 'cancelled']) assert.ok(orders.some((o) => o.payment.status === s), s);
      assert.ok(orders.some((o) => o.customerId === null) && orders.some((o) => o.customerId !== null));
      assert.ok(orders.some((o) => o.orderer.email === null), 'guests without e-mail');
      assert.ok(orders.some((o) => o.orderer.email && /[Ａ-Ｚａ-ｚ＠]/.test(o.orderer.email)), 'full-width e-mail');
      assert.ok(orders.some((o) => o.orderer.email && /^\s|\s$/.test(o.orderer.email)), 'e-mail with spaces');
      assert.ok(orders.some((o) => o.orderer.email && /[A-Z]/.test(o.orderer.email)), 'e-mail in capitals');
      assert.ok(orders.some((o) => o.shipping !== null), 'gifts');
      const perMember = new Map<string, number>();
      for (const o of orders) if (o.customerId) perMember.set(o.customerId, (perMember.get(o.customerId) ?? 0) + 1);
      assert.ok(Math.max(...perMember.values()) >= 5, 'repeat buyers');
      // It imports without a refusal, and guests typing a member's e-mail join the member.
      const h = await db();
      const r = await importHistory(h.db, lines(one));
      assert.equal(r.refused, 0, JSON.stringify(r.refusals.slice(0, 3)));
      const s = await entries(h, { card: { from: '2020-01-01', to: '2024-12-31' }, personal: { from: '2020-01-01', to: '2024-12-31' } });
      assert.ok(s.counts.recipients.persons > 0);
      assert.ok(s.list.some((e) => e.card.some((a) => a.status === 'expired')), 'failed attempts are counted');
    });
  });
}

const byId = (a: unknown, b: unknown) => {
  const k = (x: unknown) => `${(x as { kind: string }).kind}:${(x as { id: string }).id}`;
  return k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0;
};

/** What the export writes for an input record: the format's defaults filled in, "none" spelled one way. */
function normaliseOriginal(r: Record<string, unknown>): unknown {
  const none = (v: unknown) => (v === undefined || v === '' ? null : v);
  if (r.kind === 'customer') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) if (v !== null && v !== undefined && v !== '') out[k] = k.endsWith('At') ? reformat(v as string) : v;
    return out;
  }
  const o = r as Record<string, Record<string, unknown> | null | unknown>;
  const person = (p: Record<string, unknown>, keys: string[]) => {
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      if (k === 'nameKana') {
        if (p.nameKana) out.nameKana = p.nameKana;
      } else out[k] = none(p[k]);
    }
    return out;
  };
  const payment = { ...(o.payment as Record<string, unknown>) };
  for (const k of Object.keys(payment)) if (payment[k] === null) delete payment[k];
  return {
    kind: 'order', id: o.id, orderedAt: reformat(o.orderedAt as string), customerId: o.customerId ?? null,
    ...(o.channel && o.channel !== 'web' ? { channel: o.channel } : {}),
    orderer: person(o.orderer as Record<string, unknown>, ['name', 'nameKana', 'email', 'phone', 'fax', 'postalCode', 'prefecture', 'address1', 'address2']),
    shipping: o.shipping ? person(o.shipping as Record<string, unknown>, ['name', 'nameKana', 'phone', 'postalCode', 'prefecture', 'address1', 'address2']) : null,
    payment, lines: o.lines, shippingFeeYen: o.shippingFeeYen, codFeeYen: o.codFeeYen, totalYen: o.totalYen,
  };
}

function reformat(ts: string): string {
  const jst = new Date(new Date(ts).getTime() + 9 * 3600_000).toISOString();
  return `${jst.endsWith('.000Z') ? jst.slice(0, 19) : jst.slice(0, 23)}+09:00`;
}
