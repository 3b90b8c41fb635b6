import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_COOKIE } from '../../src/admin/plugin.js';
import { customerQueryTerms } from '../../src/customers/admin-service.js';
import { csvCell } from '../../src/shared/csv.js';
import { parseCsv } from '../helpers/csv.js';
import { nowIso } from '../../src/db/index.js';
import { newId } from '../../src/shared/ids.js';
import { customerIdentityColumns } from '../../src/shared/identity.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client } from '../helpers/browser-client.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

const A = '/admin';

describe('customer CSV cells and query terms', () => {
  test('formula-looking cells are neutralised, quoting is correct', () => {
    assert.equal(csvCell('=1+2'), `"'=1+2"`);
    assert.equal(csvCell('+81 3 1234'), `"'+81 3 1234"`);
    assert.equal(csvCell('-5'), `"'-5"`);
    assert.equal(csvCell('@SUM(A1)'), `"'@SUM(A1)"`);
    assert.equal(csvCell('\tx'), `"'\tx"`);
    assert.equal(csvCell('\rx'), `"'\rx"`);
    assert.equal(csvCell('＝1+2'), `"'＝1+2"`);
    assert.equal(csvCell('=HYPERLINK("http://evil.example/","x")'), `"'=HYPERLINK(""http://evil.example/"",""x"")"`);
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('line1\nline2'), '"line1\nline2"');
    assert.equal(csvCell(null), '""');
    assert.equal(csvCell('03-1234-5678'), '"03-1234-5678"');
  });

  test('a query is matched by name without spaces, kana in hiragana, e-mail and phone digits', () => {
    assert.deepEqual(customerQueryTerms(' 山田　花子 '), { name: '山田花子', kana: '山田花子', email: '山田 花子', digits: null });
    assert.equal(customerQueryTerms('やまだ')?.kana, 'ヤマダ');
    assert.equal(customerQueryTerms('０３−１２３４−５６７８')?.digits, '0312345678');
    assert.equal(customerQueryTerms('(03) 1234 5678')?.digits, '0312345678');
    assert.equal(customerQueryTerms('山田3')?.digits, null);
    assert.equal(customerQueryTerms('   '), null);
  });
});

for (const { dialect, skip } of DIALECTS) {
  describe(`admin customers on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    let c: Client;
    let email: string;
    const ids: Record<string, string> = {};
    const db = () => shop.shop.services.handle.db;

    async function customer(key: string, p: { name: string; kana: string; email: string; phone: string; address1?: string; address2?: string | null }) {
      const id = newId('cus');
      const now = nowIso();
      await db()
        .insertInto('customers')
        .values({
          id, email: p.email, email_norm: p.email.toLowerCase(), password_hash: 'x', name: p.name, name_kana: p.kana,
          postal_code: '100-0001', prefecture: '東京都', address1: p.address1 ?? '千代田区千代田1-1', address2: p.address2 ?? null,
          phone: p.phone, fax: null, status: 'active', email_verified_at: now, created_at: now, updated_at: now, withdrawn_at: null,
          ...customerIdentityColumns({ email: p.email, phone: p.phone, name: p.name, postal_code: '100-0001' }), source: 'shop', external_id: null,
        })
        .execute();
      ids[key] = id;
      return id;
    }

    before(async () => {
      shop = await startTestShop({ dialect });
      c = new Client(shop.url);
      email = `cust-staff-${dialect}@example.jp`;
      await signedInStaff(shop.shop.services, c, 'staff', email);
      const hanako = await customer('hanako', { name: '山田 花子', kana: 'ヤマダ ハナコ', email: 'hanako@example.jp', phone: '03-1234-5678', address2: 'まもりハイツ101' });
      await customer('jiro', { name: '鈴木　次郎', kana: 'スズキ ジロウ', email: 'Jiro.Suzuki@Example.JP', phone: '０９０−１１１１−２２２２' });
      await customer('evil', {
        name: '=HYPERLINK("http://evil.example/","請求書")', kana: 'イービル', email: 'evil@example.jp', phone: '(06) 9999-0000',
        address1: '+cmd|" /C calc"!A0', address2: '@SUM(1+1)',
      });
      await customer('xss', { name: '<script>alert("xss")</script>', kana: 'エックス', email: 'xss@example.jp', phone: '011-222-3333', address1: '<img src=x onerror=alert(1)>' });
      await db()
        .insertInto('customer_addresses')
        .values({ id: newId('adr'), customer_id: hanako, name: '山田 太郎', name_kana: 'ヤマダ タロウ', postal_code: '530-0001', prefecture: '大阪府', address1: '大阪市北区梅田1-1', address2: null, phone: '06-1111-2222', created_at: nowIso() })
        .execute();
      const now = nowIso();
      await db()
        .insertInto('orders')
        .values({
          id: newId('ord'), order_number: '261125-TEST01', checkout_token: newId('chk'), customer_id: hanako, channel: 'web', status: 'shipped',
          payment_method: 'bank_transfer', payment_status: 'paid', orderer_name: '山田 花子', orderer_kana: 'ヤマダ ハナコ', orderer_email: 'hanako@example.jp',
          orderer_phone: '03-1234-5678', orderer_fax: null, orderer_postal_code: '100-0001', orderer_prefecture: '東京都', orderer_address1: '千代田区千代田1-1',
          orderer_address2: null, ship_to_orderer: 1, shipping_name: null, shipping_kana: null, shipping_phone: null, shipping_postal_code: null,
          shipping_prefecture: null, shipping_address1: null, shipping_address2: null, delivery_date: null, delivery_slot: null, note: null,
          items_total_yen: 3240, shipping_fee_yen: 825, cod_fee_yen: 0, total_yen: 4065, taxable_8_yen: 3240, tax_8_yen: 240, taxable_10_yen: 825, tax_10_yen: 75,
          rounding: 'floor', lang: 'ja', access_token_hash: 'x', stock_released: 0, placed_at: now, updated_at: now,
          orderer_email_key: 'hanako@example.jp', orderer_phone_key: '0312345678', orderer_name_key: '山田花子', orderer_postal_key: '1000001',
          shipping_name_key: null, shipping_phone_key: null, shipping_postal_key: null, source: 'shop',
          orderer_key: 'e:hanako@example.jp', recipient_key: null,
        })
        .execute();
    });
    after(async () => {
      await shop?.close();
    });

    const found = (html: string) => Object.entries(ids).filter(([, id]) => html.includes(`/admin/customers/${id}"`)).map(([k]) => k).sort();
    const search = async (q: string) => {
      const page = await c.get(`${A}/customers?q=${encodeURIComponent(q)}`);
      assert.equal(page.status, 200, q);
      return found(page.html);
    };

    test('search by phone with or without hyphens, full-width digits on either side', async () => {
      assert.deepEqual(await search('03-1234-5678'), ['hanako']);
      assert.deepEqual(await search('0312345678'), ['hanako']);
      assert.deepEqual(await search('０３１２３４５６７８'), ['hanako']);
      assert.deepEqual(await search('5678'), ['hanako']);
      assert.deepEqual(await search('090-1111-2222'), ['jiro'], 'stored with full-width digits and hyphens');
      assert.deepEqual(await search('09011112222'), ['jiro']);
      assert.deepEqual(await search('0699990000'), ['evil'], 'stored with brackets');
    });

    test('search by name (spaces ignored), kana (hiragana too) and e-mail', async () => {
      assert.deepEqual(await search('山田花子'), ['hanako']);
      assert.deepEqual(await search('山田 花子'), ['hanako']);
      assert.deepEqual(await search('鈴木次郎'), ['jiro'], 'ideographic space in the stored name');
      assert.deepEqual(await search('すずき'), ['jiro']);
      assert.deepEqual(await search('ﾔﾏﾀﾞ'), ['hanako'], 'half-width kana');
      assert.deepEqual(await search('jiro.suzuki@'), ['jiro']);
      assert.deepEqual(await search('EXAMPLE.JP'), ['evil', 'hanako', 'jiro', 'xss']);
      assert.deepEqual(await search('100%_'), [], 'LIKE wildcards are literal');
      const empty = await c.get(`${A}/customers`);
      assert.equal(empty.status, 200);
      assert.deepEqual(found(empty.html), [], 'no personal data without a search');
      assert.equal((await c.get(`${A}/customers?q=${'あ'.repeat(101)}`)).status, 400);
      assert.equal((await c.get(`${A}/customers?q=a%00b`)).status, 400);
      assert.equal((await c.get(`${A}/customers?q=a&q=b`)).status, 400);
      assert.equal((await c.get(`${A}/customers?x=1`)).status, 400);
    });

    test('searches are audited with the customers shown, never the query', async () => {
      await search('03-1234-5678');
      const entries = await db().selectFrom('audit_log').selectAll().where('action', '=', 'customer.search').orderBy('seq', 'desc').execute();
      assert.ok(entries.length > 0);
      const last = entries[0]!;
      assert.equal(last.actor, `staff:${email}`);
      assert.deepEqual(JSON.parse(last.detail!), { results: 1, customers: [ids.hanako] });
      for (const e of entries) {
        assert.doesNotMatch(e.detail ?? '', /1234|山田|hanako@|すずき|鈴木/);
      }
    });

    test('customer detail shows orders and addresses, escaped, and records who viewed it', async () => {
      const before = await db().selectFrom('audit_log').select('seq').where('action', '=', 'customer.view').execute();
      const page = await c.get(`${A}/customers/${ids.hanako}`);
      assert.equal(page.status, 200);
      assert.match(page.html, /山田 花子/);
      assert.match(page.html, /まもりハイツ101/);
      assert.match(page.html, /261125-TEST01/);
      assert.match(page.html, /¥4,065/);
      assert.match(page.html, /発送済み/);
      assert.match(page.html, /大阪市北区梅田1-1/, 'saved destinations are shown');
      assert.doesNotMatch(page.html, /password_hash|value="x"/);
      const views = await db().selectFrom('audit_log').selectAll().where('action', '=', 'customer.view').orderBy('seq').execute();
      assert.equal(views.length, before.length + 1);
      const entry = views.at(-1)!;
      assert.equal(entry.actor, `staff:${email}`);
      assert.equal(entry.target, ids.hanako);
      assert.ok(entry.at);
      assert.doesNotMatch(entry.detail ?? '', /山田|hanako|1234|千代田|まもりハイツ/, 'no personal data in the audit entry');

      const xss = await c.get(`${A}/customers/${ids.xss}`);
      assert.equal(xss.status, 200);
      assert.doesNotMatch(xss.html, /<script>alert/);
      assert.doesNotMatch(xss.html, /<img src=x/);
      assert.match(xss.html, /&lt;script>alert/);

      assert.equal((await c.get(`${A}/customers/cus_0000000000000000`)).status, 404);
      assert.equal((await c.get(`${A}/customers/../../etc`)).status, 404);
    });

    test('CSV export of the search result: BOM, formulas neutralised, audited with the row count', async () => {
      await c.get(`${A}/customers?q=example.jp`);
      const token = c.csrf();
      const cookie = ['mamori_sid', ADMIN_COOKIE].map((n) => `${n}=${c.cookie(n) ?? ''}`).join('; ');
      const res = await fetch(`${shop.url}${A}/customers/export`, {
        method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: token, q: 'example.jp' }).toString(),
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/csv; charset=utf-8/);
      assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="customers-\d{8}\.csv"$/);
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
      const rows = parseCsv(bytes.subarray(3).toString('utf8'));
      assert.deepEqual(rows[0], ['会員ID', '氏名', 'フリガナ', 'メールアドレス', '電話番号', 'FAX', '郵便番号', '都道府県', '住所1', '住所2', '状態', '登録日時']);
      assert.equal(rows.length, 5, 'header and four customers');
      const evil = rows.find((r) => r[0] === ids.evil!)!;
      assert.ok(evil);
      assert.ok(evil.includes(`'=HYPERLINK("http://evil.example/","請求書")`), evil.join('|'));
      assert.ok(evil.includes(`'+cmd|" /C calc"!A0`), evil.join('|'));
      assert.ok(evil.includes(`'@SUM(1+1)`), evil.join('|'));
      for (const cell of evil) assert.doesNotMatch(cell, /^[=+@-]/, cell);

      const exports = await db().selectFrom('audit_log').selectAll().where('action', '=', 'customer.export').execute();
      assert.equal(exports.length, 1);
      const detail = JSON.parse(exports[0]!.detail!) as { rows: number; format: string; customers: string[] };
      assert.equal(detail.rows, 4);
      assert.equal(detail.format, 'csv');
      assert.equal(detail.customers.length, 4);
      assert.equal(exports[0]!.actor, `staff:${email}`);

      // Export is a POST with the token; without it, 403 and nothing is recorded.
      const forged = await c.request(`${A}/customers/export`, { form: { q: 'example.jp' } });
      assert.equal(forged.status, 403);
      const blank = await c.request(`${A}/customers/export`, { form: { _csrf: token, q: '' } });
      assert.equal(blank.status, 422);
      assert.equal((await db().selectFrom('audit_log').select('seq').where('action', '=', 'customer.export').execute()).length, 1);
    });

    test('roles: a security user gets 403 on customer pages and the export', async () => {
      const sec = new Client(shop.url);
      await signedInStaff(shop.shop.services, sec, 'security', `sec-cust-${dialect}@example.jp`);
      const seqBefore = (await db().selectFrom('audit_log').select('seq').where('action', 'like', 'customer.%').execute()).length;
      assert.equal((await sec.get(`${A}/customers`)).status, 403);
      assert.equal((await sec.get(`${A}/customers?q=example`)).status, 403);
      assert.equal((await sec.get(`${A}/customers/${ids.hanako}`)).status, 403);
      const res = await sec.request(`${A}/customers/export`, { form: { _csrf: sec.csrf(), q: 'example' } });
      assert.equal(res.status, 403);
      assert.doesNotMatch(res.html, /hanako@example.jp/);
      assert.equal((await db().selectFrom('audit_log').select('seq').where('action', 'like', 'customer.%').execute()).length, seqBefore);
      const owner = new Client(shop.url);
      await signedInStaff(shop.shop.services, owner, 'owner', `owner-cust-${dialect}@example.jp`);
      assert.equal((await owner.get(`${A}/customers/${ids.hanako}`)).status, 200);
    });
  });
}
