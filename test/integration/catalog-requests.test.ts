import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REQUESTS_PER_IP_PER_HOUR } from '../../src/catalog-requests/routes.js';
import { CONSENT_VERSION } from '../../src/catalog-requests/service.js';
import { nowIso } from '../../src/db/index.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client } from '../helpers/browser-client.js';
import { parseCsv } from '../helpers/csv.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

/**
 * カタログ請求: the storefront form (validation, storage, consent, rate limit, PAN tripwire) and the
 * admin side (list, search, paging, mark sent, mailing-label CSV, audit), on both databases.
 *
 *   node --import tsx --test test/integration/catalog-requests.test.ts
 */

const A = '/admin';

function requestForm(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    name: '茶野 花子', kana: 'ちゃの はなこ', postal: '５３０－０００１', prefecture: '大阪府', address1: '大阪市北区梅田1-1', address2: '梅田ハイツ202',
    email: 'hanako@example.jp', phone: '06-1111-2222', consent: '1',
    ...overrides,
  };
}

for (const { dialect, skip } of DIALECTS) {
  describe(`catalog requests on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    const db = () => shop.shop.services.handle.db;
    const clearLimits = () => db().deleteFrom('rate_limits').execute();
    const count = async () => Number((await db().selectFrom('catalog_requests').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

    before(async () => {
      shop = await startTestShop({ dialect });
    });
    after(async () => {
      await shop?.close();
    });

    test('the shop links to the form; it asks for consent and autofills from the postal code, in Japanese or English', async () => {
      const c = new Client(shop.url);
      const home = await c.get('/');
      assert.match(home.html, /<a href="\/catalog-request">カタログ請求/);
      const page = await c.get('/catalog-request');
      assert.equal(page.status, 200);
      assert.match(page.html, /<h1>カタログ請求<\/h1>/);
      assert.match(page.html, /name="_csrf"/);
      assert.match(page.html, /<input[^>]*name="postal"[^>]*data-postal[\s/>=]/, 'the checkout form’s postal-code autofill hooks onto this field');
      assert.match(page.html, /name="consent" value="1"/);
      assert.match(page.html, /2年間保管し、その後削除します/);
      assert.match(page.html, /href="\/order-form.pdf"/);
      const en = await c.get('/catalog-request?lang=en');
      assert.match(en.html, /<h1>Request a catalog<\/h1>/);
      assert.match(en.html, /keep them for 2 years/);
      assert.match(en.html, /Request a paper catalog/, 'footer link in English');
      await c.get('/catalog-request?lang=ja');
    });

    test('a request is stored normalised, with its request time and consent version, then thanked', async () => {
      await clearLimits();
      const c = new Client(shop.url);
      await c.get('/catalog-request');
      const before = nowIso();
      const res = await c.post('/catalog-request', requestForm(), { follow: false });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/catalog-request/thanks');
      const thanks = await c.get('/catalog-request/thanks');
      assert.match(thanks.html, /カタログのご請求を承りました/);
      assert.doesNotMatch(thanks.html, /茶野/, 'the thank-you page shows no personal data');
      const row = await db().selectFrom('catalog_requests').selectAll().where('name', '=', '茶野 花子').executeTakeFirstOrThrow();
      assert.match(row.id, /^crq_[0-9A-Z]{16}$/);
      assert.equal(row.kana, 'チャノ ハナコ', 'hiragana becomes katakana');
      assert.equal(row.postal_code, '530-0001', 'full-width digits normalised');
      assert.equal(row.prefecture, '大阪府');
      assert.equal(row.address2, '梅田ハイツ202');
      assert.equal(row.email, 'hanako@example.jp');
      assert.equal(row.phone, '06-1111-2222');
      assert.equal(row.status, 'new');
      assert.equal(row.sent_at, null);
      assert.equal(row.consent_version, CONSENT_VERSION);
      assert.ok(row.created_at >= before && row.created_at <= nowIso(), 'registered at the request time');

      // Optional fields may be left empty.
      await c.get('/catalog-request');
      const bare = await c.post('/catalog-request', requestForm({ name: '空欄 太郎', kana: '', address2: '', email: '', phone: '' }), { follow: false });
      assert.equal(bare.status, 303);
      const r2 = await db().selectFrom('catalog_requests').selectAll().where('name', '=', '空欄 太郎').executeTakeFirstOrThrow();
      assert.deepEqual([r2.kana, r2.address2, r2.email, r2.phone], [null, null, null, null]);
    });

    test('bad input gets field-level errors next to the fields, keeps what was typed, and stores nothing', async () => {
      await clearLimits();
      const c = new Client(shop.url);
      await c.get('/catalog-request');
      const n = await count();
      const empty = await c.post('/catalog-request', { name: '', kana: '', postal: '', prefecture: '', address1: '', address2: '', email: '', phone: '' });
      assert.equal(empty.status, 422);
      for (const f of ['name', 'postal', 'prefecture', 'address1', 'consent']) assert.match(empty.html, new RegExp(`id="f-${f}-err"`), f);
      assert.match(empty.html, /同意してください/);
      assert.match(empty.html, /都道府県を選択してください/);
      const bad = await c.post('/catalog-request', requestForm({ postal: '12345', kana: 'Hanako', email: 'not-an-address', phone: '12', prefecture: 'ニューヨーク', name: '<b>太郎</b>' }));
      assert.equal(bad.status, 422);
      assert.match(bad.html, /郵便番号は7桁の数字で入力してください/);
      assert.match(bad.html, /フリガナはカタカナで入力してください/);
      assert.match(bad.html, /メールアドレスの形式が正しくありません/);
      assert.match(bad.html, /電話番号は市外局番から数字で入力してください/);
      assert.match(bad.html, /都道府県を選択してください/);
      assert.match(bad.html, /value="&lt;b>太郎&lt;\/b>"|value="&lt;b&gt;太郎&lt;\/b&gt;"/, 'typed text comes back escaped');
      assert.doesNotMatch(bad.html, /<b>太郎<\/b>/);
      const extra = await c.post('/catalog-request', requestForm({ admin: '1' }));
      assert.equal(extra.status, 422, 'unknown fields are refused');
      assert.equal(await count(), n);
    });

    test('CSRF is required, and a card number in any field trips the PAN tripwire', async () => {
      await clearLimits();
      const c = new Client(shop.url);
      await c.get('/catalog-request');
      const n = await count();
      const noToken = await c.request('/catalog-request', { form: requestForm() });
      assert.equal(noToken.status, 403);
      await c.get('/catalog-request');
      const card = await c.post('/catalog-request', requestForm({ address2: '4111 1111 1111 1111' }));
      assert.equal(card.status, 400);
      assert.match(card.html, /カード情報は当店では受け付けていません/);
      assert.equal(await count(), n);
      const alerts = await db().selectFrom('alerts').select('kind').execute();
      assert.ok(alerts.some((a) => a.kind === 'pan_tripwire'), 'the tripwire raised an alert');
    });

    test(`one address may post ${REQUESTS_PER_IP_PER_HOUR} requests an hour`, async () => {
      await clearLimits();
      const c = new Client(shop.url);
      await c.get('/catalog-request');
      for (let i = 0; i < REQUESTS_PER_IP_PER_HOUR; i++) {
        await c.get('/catalog-request');
        const r = await c.post('/catalog-request', requestForm({ name: `連投 ${i}` }), { follow: false });
        assert.equal(r.status, 303, `request ${i + 1}`);
      }
      await c.get('/catalog-request');
      const refused = await c.post('/catalog-request', requestForm({ name: '連投 超過' }), { follow: false });
      assert.equal(refused.status, 429);
      assert.equal(await db().selectFrom('catalog_requests').select('id').where('name', '=', '連投 超過').executeTakeFirst(), undefined);
      await clearLimits();
    });

    test('incident scoping reads the requesters registered in a time window', async () => {
      const svc = shop.shop.services.catalogRequests;
      const from = nowIso();
      const r = await svc.create({ name: '範囲 内子', kana: null, postalCode: '100-0001', prefecture: '東京都', address1: '千代田区1-1', address2: null, email: 'uchi@example.jp', phone: null, lang: 'ja' });
      const to = nowIso(new Date(Date.now() + 1000));
      const inside = await svc.requestsBetween(from, to);
      assert.deepEqual(inside.map((x) => x.id), [r.id]);
      assert.equal(inside[0]!.email, 'uchi@example.jp');
      assert.deepEqual(await svc.requestsBetween(to, nowIso(new Date(Date.now() + 60_000))), []);
      assert.ok(!(await svc.requestsBetween('2000-01-01T00:00:00.000Z', from)).some((x) => x.id === r.id), 'the end is exclusive of later requests');
    });

    describe('in the admin console', () => {
      let staff: Client;
      const email = `paper-staff-${dialect}@example.jp`;
      const ids: Record<string, string> = {};

      before(async () => {
        staff = new Client(shop.url);
        await signedInStaff(shop.shop.services, staff, 'staff', email);
        const svc = shop.shop.services.catalogRequests;
        const make = async (key: string, name: string, extra: Partial<Parameters<typeof svc.create>[0]> = {}) => {
          ids[key] = (await svc.create({ name, kana: 'ラベル タロウ', postalCode: '060-0001', prefecture: '北海道', address1: '札幌市中央区北1条西1', address2: 'ラベル荘3号', email: null, phone: '011-222-3333', lang: 'ja', ...extra })).id;
        };
        await make('label', 'ラベル 太郎');
        await make('evil', '=HYPERLINK("http://evil.example/","x")', { kana: null, phone: null, address2: null });
        await make('xss', '<script>alert(1)</script>', { kana: null });
      });

      const listed = (html: string) => Object.entries(ids).filter(([, id]) => html.includes(`value="${id}"`)).map(([k]) => k).sort();

      test('the list is for staff and owners, shows requests escaped, and is audited without the data', async () => {
        const page = await staff.get(`${A}/catalog-requests?status=new`);
        assert.equal(page.status, 200);
        assert.match(page.html, /<a href="\/admin\/catalog-requests"[^>]*>カタログ請求<\/a>/, 'a nav entry');
        assert.deepEqual(listed(page.html), ['evil', 'label', 'xss']);
        assert.match(page.html, /ラベル 太郎 様/);
        assert.match(page.html, /〒060-0001 北海道札幌市中央区北1条西1/);
        assert.match(page.html, /&lt;script>alert\(1\)&lt;\/script>|&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
        assert.doesNotMatch(page.html, /<script>alert\(1\)/);
        const entry = await db().selectFrom('audit_log').selectAll().where('action', '=', 'catalog_request.list').orderBy('seq', 'desc').executeTakeFirstOrThrow();
        assert.equal(entry.actor, `staff:${email}`);
        const detail = JSON.parse(entry.detail!) as { shown: string[]; status: string };
        assert.equal(detail.status, 'new');
        assert.ok(detail.shown.includes(ids.label!));
        assert.doesNotMatch(entry.detail!, /ラベル|札幌|011-222/);

        const security = new Client(shop.url);
        await signedInStaff(shop.shop.services, security, 'security');
        assert.equal((await security.get(`${A}/catalog-requests`)).status, 403);
        assert.equal((await new Client(shop.url).get(`${A}/catalog-requests`)).status, 200, 'anonymous: the login page');
        assert.match((await new Client(shop.url).request(`${A}/catalog-requests`, { follow: false })).headers.get('location') ?? '', /\/admin\/login/);
        assert.equal((await staff.get(`${A}/catalog-requests?status=maybe`)).status, 400);
        assert.equal((await staff.get(`${A}/catalog-requests?page=0`)).status, 400);
        assert.equal((await staff.get(`${A}/catalog-requests?x=1`)).status, 400);
      });

      test('staff type in requests taken by phone, FAX or postcard: consent confirmed by staff, channel and staff recorded, no per-IP limit', async () => {
        const form = { channel: 'postcard', name: 'はがき 花子', kana: 'はがき はなこ', postal: '９８０−０８１１', prefecture: '宮城県', address1: '仙台市青葉区一番町1-1', address2: '', phone: '022-111-2222', email: '' };
        const page = await staff.get(`${A}/catalog-requests/new`);
        assert.equal(page.status, 200);
        assert.match(page.html, /保管期間/);
        const before = (await db().selectFrom('catalog_requests').select('id').execute()).length;
        const refused = await staff.post(`${A}/catalog-requests/new`, { ...form, channel: 'telepathy' });
        assert.equal(refused.status, 422);
        assert.match(refused.html, /受付経路を選択してください/);
        assert.match(refused.html, /同意を得たことを確認してください/);
        assert.match(refused.html, /はがき 花子/, 'keeps what was typed');
        assert.equal((await db().selectFrom('catalog_requests').select('id').execute()).length, before);
        for (let i = 0; i <= REQUESTS_PER_IP_PER_HOUR; i++) {
          const done = await staff.post(`${A}/catalog-requests/new`, { ...form, name: `はがき 花子${i}`, consent: '1' });
          assert.equal(done.status, 200);
          assert.match(done.url, /catalog-requests\?q=crq_/);
          assert.ok(done.html.includes(`はがき 花子${i}`));
        }
        const row = await db().selectFrom('catalog_requests').selectAll().where('name', '=', 'はがき 花子0').executeTakeFirstOrThrow();
        assert.deepEqual([row.channel, row.postal_code, row.kana, row.status], ['postcard', '980-0811', 'ハガキ ハナコ', 'new']);
        assert.match(row.entered_by ?? '', /^stf_/);
        const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'catalog_request.enter').where('target', '=', row.id).executeTakeFirstOrThrow();
        assert.equal(audit.actor, `staff:${email}`);
        await db().deleteFrom('catalog_requests').where('name', 'like', 'はがき 花子%').execute();
      });

      test('search by name without spaces, kana in hiragana, phone digits and postal code; paging', async () => {
        const search = async (q: string) => listed((await staff.get(`${A}/catalog-requests?q=${encodeURIComponent(q)}`)).html);
        assert.deepEqual(await search('ラベル太郎'), ['label']);
        assert.deepEqual(await search('らべる'), ['label']);
        assert.deepEqual(await search('0112223333'), ['label', 'xss']);
        assert.deepEqual(await search('060-0001'), ['evil', 'label', 'xss']);
        assert.deepEqual(await search('100%'), []);
        const svc = shop.shop.services.catalogRequests;
        for (let i = 0; i < 51; i++) await svc.create({ name: `ページ ${i}`, kana: null, postalCode: '100-0001', prefecture: '東京都', address1: '千代田区', address2: null, email: null, phone: null, lang: 'ja' });
        const p1 = await staff.get(`${A}/catalog-requests`);
        assert.match(p1.html, /（1 \/ \d+ページ）/);
        assert.match(p1.html, /rel="next" href="\/admin\/catalog-requests\?page=2"/);
        const p2 = await staff.get(`${A}/catalog-requests?page=2`);
        assert.equal(p2.status, 200);
        assert.match(p2.html, /rel="prev"/);
      });

      test('a second request with the same name and postal code is flagged as a likely duplicate', async () => {
        const svc = shop.shop.services.catalogRequests;
        const again = await svc.create({ name: '茶野　花子', kana: null, postalCode: '530-0001', prefecture: '大阪府', address1: '大阪市北区梅田1-1', address2: null, email: null, phone: null, lang: 'ja' });
        const page = await staff.get(`${A}/catalog-requests?q=${encodeURIComponent('茶野')}`);
        const rows = page.html.split('<tr>').filter((r) => /茶野[ \u3000]花子 様/.test(r));
        assert.equal(rows.length, 2);
        for (const r of rows) assert.match(r, /同じ氏名・郵便番号の請求が他に1件/);
        const other = await staff.get(`${A}/catalog-requests?q=${encodeURIComponent('空欄')}`);
        assert.match(other.html, /空欄 太郎/);
        assert.doesNotMatch(other.html, /同じ氏名・郵便番号の請求/, 'same postal code, another name: no flag');
        await db().deleteFrom('catalog_requests').where('id', '=', again.id).execute();
      });

      test('the mailing-label CSV: BOM, label columns, 様, formulas neutralised, audited', async () => {
        const res = await fetch(`${shop.url}${A}/catalog-requests/labels.csv?status=new&q=${encodeURIComponent('060')}`, { headers: { cookie: `mamori_admin=${staff.cookie('mamori_admin')}` } });
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^text\/csv; charset=utf-8/);
        assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="catalog-labels-\d{8}\.csv"/);
        const bytes = new Uint8Array(await res.arrayBuffer());
        assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
        const rows = parseCsv(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes).slice(1));
        assert.deepEqual(rows[0], ['郵便番号', '住所1', '住所2', '宛名', 'フリガナ', '電話番号', '請求日', '請求ID']);
        const label = rows.find((r) => r[7] === ids.label);
        assert.deepEqual(label?.slice(0, 6), ['060-0001', '北海道札幌市中央区北1条西1', 'ラベル荘3号', 'ラベル 太郎 様', 'ラベル タロウ', '011-222-3333']);
        assert.match(label![6]!, /^\d{4}-\d{2}-\d{2}$/);
        const evil = rows.find((r) => r[7] === ids.evil);
        assert.equal(evil?.[3], `'=HYPERLINK("http://evil.example/","x") 様`, 'a formula-looking name is neutralised');
        assert.equal(rows.length, 4, 'header + the three matching requests');
        const entry = await db().selectFrom('audit_log').selectAll().where('action', '=', 'catalog_request.export').orderBy('seq', 'desc').executeTakeFirstOrThrow();
        const detail = JSON.parse(entry.detail!) as { rows: number; requests: string[]; search: boolean };
        assert.equal(detail.rows, 3);
        assert.equal(detail.search, true);
        assert.deepEqual([...detail.requests].sort(), [ids.label, ids.evil, ids.xss].sort());
        assert.doesNotMatch(entry.detail!, /ラベル|060/);
        assert.equal((await staff.get(`${A}/catalog-requests/labels.csv?status=x`)).status, 400);
      });

      test('mark sent: chosen requests become sent with date and staff, once; audited', async () => {
        await staff.get(`${A}/catalog-requests?q=060`);
        const body = new URLSearchParams([['_csrf', staff.csrf()], ['ids', ids.label!], ['ids', ids.evil!], ['q', '060']]);
        const res = await staff.request(`${A}/catalog-requests/mark-sent`, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        assert.equal(res.status, 200);
        assert.match(res.url, /\/admin\/catalog-requests\?q=060&done=2$/);
        assert.match(res.html, /2件を発送済みにしました/);
        const rows = await db().selectFrom('catalog_requests').selectAll().where('id', 'in', [ids.label!, ids.evil!, ids.xss!]).execute();
        for (const r of rows) {
          if (r.id === ids.xss) {
            assert.equal(r.status, 'new');
            continue;
          }
          assert.equal(r.status, 'sent');
          assert.equal(r.sent_by, `staff:${email}`);
          assert.ok(r.sent_at && r.sent_at <= nowIso());
        }
        const entry = await db().selectFrom('audit_log').selectAll().where('action', '=', 'catalog_request.mark_sent').orderBy('seq', 'desc').executeTakeFirstOrThrow();
        assert.deepEqual((JSON.parse(entry.detail!) as { changed: string[] }).changed.sort(), [ids.label, ids.evil].sort());
        // Sent requests leave the "new" label export and show their sent date in the list.
        const csv = await (await fetch(`${shop.url}${A}/catalog-requests/labels.csv?status=new&q=060`, { headers: { cookie: `mamori_admin=${staff.cookie('mamori_admin')}` } })).text();
        assert.ok(!csv.includes(ids.label!) && csv.includes(ids.xss!));
        const sentList = await staff.get(`${A}/catalog-requests?status=sent&q=060`);
        assert.match(sentList.html, /発送済み<\/span><br\/><small class="hint">\d{4}年/);
        // Again: nothing changes.
        await staff.get(`${A}/catalog-requests`);
        const again = await staff.post(`${A}/catalog-requests/mark-sent`, { ids: ids.label! });
        assert.match(again.html, /0件を発送済みにしました/);
        // Bad input is a message, not a 500; no CSRF token is a 403.
        await staff.get(`${A}/catalog-requests`);
        assert.equal((await staff.post(`${A}/catalog-requests/mark-sent`, { ids: 'crq_nope' })).status, 422);
        await staff.get(`${A}/catalog-requests`);
        assert.equal((await staff.post(`${A}/catalog-requests/mark-sent`, {})).status, 422);
        assert.equal((await staff.request(`${A}/catalog-requests/mark-sent`, { form: { ids: ids.xss! } })).status, 403);
        assert.equal((await db().selectFrom('catalog_requests').select('status').where('id', '=', ids.xss!).executeTakeFirstOrThrow()).status, 'new');
      });
    });
  });
}
