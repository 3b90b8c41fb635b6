import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { nowIso } from '../../src/db/index.js';
import { changedKeys, parseSection } from '../../src/settings/admin-service.js';
import { newId } from '../../src/shared/ids.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client, guestForm } from '../helpers/browser-client.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

const A = '/admin';

/** Every field of a section as the settings page shows it (hidden and visible inputs, selects, text areas). */
function sectionForm(html: string, section: string): Record<string, string> {
  const start = html.indexOf(`action="${A}/settings/${section}"`);
  assert.ok(start > 0, `form for ${section}`);
  const form = html.slice(start, html.indexOf('</form>', start));
  const out: Record<string, string> = {};
  const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  for (const m of form.matchAll(/<input ([^>]*)>/g)) {
    const attrs = m[1]!;
    const name = /name="([^"]+)"/.exec(attrs)?.[1];
    if (!name || name === '_csrf') continue;
    const value = decode(/value="([^"]*)"/.exec(attrs)?.[1] ?? '');
    if (/type="checkbox"/.test(attrs)) {
      if (/ checked/.test(attrs)) out[name] = out[name] ? `${out[name]}\n${value}` : value;
    } else out[name] = value;
  }
  for (const m of form.matchAll(/<textarea [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g)) out[m[1]!] = decode(m[2]!);
  for (const m of form.matchAll(/<select [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) {
    out[m[1]!] = decode(/<option value="([^"]*)" selected/.exec(m[2]!)?.[1] ?? '');
  }
  return out;
}

async function addToCart(c: Client, slug = 'fukamushi-sencha'): Promise<void> {
  await c.get(`/products/${slug}`);
  const m = /name="variant_id" value="(var_[0-9A-Z]{16})"(?![^>]*disabled)/.exec(c.last!.html);
  assert.ok(m, 'product page offers a variant');
  const res = await c.post('/cart/add', { variant_id: m[1]!, quantity: '1' });
  assert.equal(res.status, 200);
}

const offered = (html: string) => [...html.matchAll(/name="payment_method" value="([a-z_]+)"/g)].map((m) => m[1]!).sort();

describe('settings parsing', () => {
  test('invoice number: T + 13 digits, full-width and hyphens normalised', () => {
    const base = { name: 'a', nameEn: 'a', company: 'a', representative: 'a', postalCode: '100-0001', address: 'a', phone: '03-1234-5678', email: 'a@example.jp', hours: 'a' };
    const good = parseSection('shop', { ...base, invoiceRegistrationNumber: 'ｔ１２３４-５６７８-９０１２３' });
    assert.ok(good.ok);
    assert.equal(good.data.invoiceRegistrationNumber, 'T1234567890123');
    for (const bad of ['T123456789012', 'T12345678901234', '1234567890123', 'X1234567890123', 'T12345678901a3', '']) {
      const r = parseSection('shop', { ...base, invoiceRegistrationNumber: bad });
      assert.ok(!r.ok, bad);
      assert.ok(r.errors.invoiceRegistrationNumber, bad);
    }
  });

  test('shop FAX number: optional (blank = no FAX orders), a phone number when given', () => {
    const base = { name: 'a', nameEn: 'a', company: 'a', representative: 'a', postalCode: '100-0001', address: 'a', phone: '03-1234-5678', email: 'a@example.jp', hours: 'a', invoiceRegistrationNumber: 'T1234567890123' };
    const none = parseSection('shop', base);
    assert.ok(none.ok);
    assert.equal(none.data.fax, '');
    const blank = parseSection('shop', { ...base, fax: '  ' });
    assert.ok(blank.ok && blank.data.fax === '');
    const fax = parseSection('shop', { ...base, fax: '03-1234-5679' });
    assert.ok(fax.ok && fax.data.fax === '03-1234-5679');
    for (const bad of ['12', 'FAX', '03-1234-5679-00000']) {
      const r = parseSection('shop', { ...base, fax: bad });
      assert.ok(!r.ok && r.errors.fax, bad);
    }
  });

  test('COD fee table: ascending brackets, complete rows, at least one', () => {
    const rows = (pairs: [string, string][]) => Object.fromEntries(Array.from({ length: 10 }, (_, i) => [[`up_${i}`, pairs[i]?.[0] ?? ''], [`fee_${i}`, pairs[i]?.[1] ?? '']]).flat());
    const ok = parseSection('cod', rows([['10000', '330'], ['30,000'.replace(',', ''), '440']]));
    assert.ok(ok.ok);
    assert.deepEqual(ok.data.feeTable, [{ upToYen: 10000, feeYen: 330 }, { upToYen: 30000, feeYen: 440 }]);
    const desc = parseSection('cod', rows([['30000', '440'], ['10000', '330']]));
    assert.ok(!desc.ok);
    assert.match(desc.errors.up_1!, /小さい順/);
    const half = parseSection('cod', rows([['10000', '']]));
    assert.ok(!half.ok);
    assert.match(half.errors.fee_0!, /手数料を入力/);
    const none = parseSection('cod', rows([]));
    assert.ok(!none.ok);
    assert.match(none.errors.up_0!, /少なくとも1行/);
    const negative = parseSection('cod', rows([['10000', '-1']]));
    assert.ok(!negative.ok);
  });

  test('changed keys only, with before and after', () => {
    assert.deepEqual(changedKeys({ card: true, cod: true }, { card: true, cod: false }), { cod: { before: true, after: false } });
  });
});

for (const { dialect, skip } of DIALECTS) {
  describe(`admin settings on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    let owner: Client;
    let ownerEmail: string;
    const db = () => shop.shop.services.handle.db;

    before(async () => {
      shop = await startTestShop({ dialect });
      owner = new Client(shop.url);
      ownerEmail = `owner-${dialect}@example.jp`;
      await signedInStaff(shop.shop.services, owner, 'owner', ownerEmail);
    });
    after(async () => {
      await shop?.close();
    });

    const save = async (section: string, changes: Record<string, string | null>) => {
      const page = await owner.get(`${A}/settings`);
      assert.equal(page.status, 200);
      const form = sectionForm(page.html, section);
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) delete form[k];
        else form[k] = v;
      }
      const body = new URLSearchParams({ _csrf: owner.csrf() });
      for (const [k, v] of Object.entries(form)) for (const line of k === 'slots' ? v.split('\n') : [v]) body.append(k, line);
      return owner.request(`${A}/settings/${section}`, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    };

    test('the settings page shows every section with the current values', async () => {
      const page = await owner.get(`${A}/settings`);
      assert.equal(page.status, 200);
      for (const s of ['shop', 'legal', 'tax', 'shipping', 'cod', 'bank', 'delivery', 'payments']) assert.match(page.html, new RegExp(`action="${A}/settings/${s}"`));
      assert.match(page.html, /value="T1234567890123"/);
      assert.match(page.html, new RegExp(`href="${A}/security"`), 'links to the kill switch');
      assert.equal(sectionForm(page.html, 'delivery').slots, '午前中\n14-16\n16-18\n18-20\n19-21');
    });

    test('invoice number: invalid is a field error; valid is shown on the legal page and receipts', async () => {
      const bad = await save('shop', { invoiceRegistrationNumber: 'T12345' });
      assert.equal(bad.status, 422);
      assert.match(bad.html, /登録番号は「T」に続けて13桁の数字で入力してください/);
      assert.match(bad.html, /value="T12345"/, 'the typed value is kept');
      assert.equal((await shop.shop.services.settings.get()).shop.invoiceRegistrationNumber, 'T1234567890123');

      const good = await save('shop', { invoiceRegistrationNumber: 'Ｔ９８７６５４３２１０９８７', hours: '平日 9:00〜18:00' });
      assert.equal(good.status, 200);
      assert.match(good.html, /ショップ情報を保存しました/);
      const legal = await new Client(shop.url).get('/legal/tokushoho');
      assert.match(legal.html, /T9876543210987/);
      assert.match(legal.html, /平日 9:00〜18:00/);

      const buyer = new Client(shop.url);
      await addToCart(buyer);
      await buyer.get('/checkout');
      const confirm = await buyer.post('/checkout/confirm', guestForm());
      assert.equal(confirm.status, 200, confirm.html.slice(0, 300));
      const done = await buyer.request('/checkout/place', { form: buyer.hiddenFields('/checkout/place') });
      const receiptUrl = /href="(\/orders\/[^"]+\/receipt\?t=[^"]+)"/.exec(done.html)![1]!.replace(/&amp;/g, '&');
      assert.match((await buyer.get(receiptUrl)).html, /登録番号: T9876543210987/);

      const entry = await db().selectFrom('audit_log').selectAll().where('action', '=', 'settings.update').where('target', '=', 'shop').executeTakeFirstOrThrow();
      assert.equal(entry.actor, `staff:${ownerEmail}`);
      assert.deepEqual(JSON.parse(entry.detail!), {
        changes: {
          hours: { before: '平日 10:00〜17:00（土日祝・年末年始を除く）', after: '平日 9:00〜18:00' },
          invoiceRegistrationNumber: { before: 'T1234567890123', after: 'T9876543210987' },
        },
      });
    });

    test('payment method off: checkout no longer offers it; audited and mailed to every active owner', async () => {
      const db_ = db();
      const now = nowIso();
      const staffRow = (email: string, role: 'owner' | 'staff', status: 'active' | 'disabled') => ({
        id: newId('stf'), email, email_norm: email, name: `${role}-${status}`, role, status, password_hash: 'x', totp_secret: null, totp_enabled_at: null,
        recovery_codes: '[]', failed_attempts: 0, locked_until: null, setup_token_hash: null, setup_expires_at: null, created_at: now, updated_at: now,
      });
      await db_.insertInto('staff').values([
        staffRow(`second-owner-${dialect}@example.jp`, 'owner', 'active'),
        staffRow(`old-owner-${dialect}@example.jp`, 'owner', 'disabled'),
        staffRow(`clerk-${dialect}@example.jp`, 'staff', 'active'),
      ]).execute();

      const buyer = new Client(shop.url);
      await addToCart(buyer);
      assert.deepEqual(offered((await buyer.get('/checkout')).html), ['bank_transfer', 'card', 'cod']);

      const allOff = await save('payments', { card: null, bankTransfer: null, cod: null });
      assert.equal(allOff.status, 422);
      assert.match(allOff.html, /少なくとも1つ有効に/);

      const res = await save('payments', { cod: null });
      assert.equal(res.status, 200);
      assert.match(res.html, /お支払い方法を保存しました/);
      assert.deepEqual(offered((await buyer.get('/checkout')).html), ['bank_transfer', 'card']);
      // A hand-made form with the method switched off is refused by the server too.
      const refused = await buyer.post('/checkout/confirm', guestForm({ payment_method: 'cod' }));
      assert.equal(refused.status, 422);

      const entry = await db_.selectFrom('audit_log').selectAll().where('action', '=', 'settings.update').where('target', '=', 'payments').executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(entry.detail!), { changes: { cod: { before: true, after: false } } });
      const mails = await db_.selectFrom('outbox').selectAll().where('kind', '=', 'admin_settings_changed').execute();
      assert.deepEqual(mails.map((m) => m.to_address).sort(), [ownerEmail, `second-owner-${dialect}@example.jp`].sort());
      for (const m of mails) {
        assert.match(m.subject, /お支払い方法の設定が変更されました/);
        assert.match(m.body_text, /代金引換: 有効 → 無効/);
        assert.match(m.body_text, new RegExp(`staff:${ownerEmail}`));
      }

      // Saving again without a change writes nothing.
      await save('payments', {});
      assert.equal((await db_.selectFrom('audit_log').select('seq').where('target', '=', 'payments').execute()).length, 1);

      // Bank account changes are mailed too.
      const bank = await save('bank', { accountNumber: '７６５４３２１' });
      assert.equal(bank.status, 200);
      assert.equal((await shop.shop.services.settings.get()).bank.accountNumber, '7654321');
      const bankMails = await db_.selectFrom('outbox').selectAll().where('subject', 'like', '%振込先口座%').execute();
      assert.equal(bankMails.length, 2);
      assert.match(bankMails[0]!.body_text, /口座番号: 1234567 → 7654321/);
      const badBank = await save('bank', { accountNumber: '12345', accountType: '外貨' });
      assert.equal(badBank.status, 422);
      assert.match(badBank.html, /口座番号は7桁の数字/);
      assert.match(badBank.html, /口座種別を選択してください/);
    });

    test('shipping, COD, delivery, tax and legal sections validate and save', async () => {
      const okinawaIndex = 46;
      const ship = await save('shipping', { region_kanto: '900', [`pref_${okinawaIndex}`]: '2000', freeFromYen: '15000' });
      assert.equal(ship.status, 200);
      const s = await shop.shop.services.settings.get();
      assert.equal(s.shipping.regionFeesYen.kanto, 900);
      assert.deepEqual(s.shipping.prefectureFeesYen, { 沖縄県: 2000 });
      assert.equal(s.shipping.freeFromYen, 15000);
      const badShip = await save('shipping', { region_kanto: '-1', pref_0: 'abc' });
      assert.equal(badShip.status, 422);
      assert.match(badShip.html, /id="f-shipping-region_kanto-err">0以上の整数（円）で入力してください。/);
      assert.match(badShip.html, /id="f-shipping-pref_0-err">0以上の整数（円）で入力してください。/);
      const tooMuch = await save('shipping', { region_kanto: '１００，００１' });
      assert.equal(tooMuch.status, 422);
      assert.match(tooMuch.html, /100,000円以下で入力してください/);

      const cod = await save('cod', { up_0: '30000', fee_0: '440', up_1: '10000', fee_1: '330' });
      assert.equal(cod.status, 422);
      assert.match(cod.html, /小さい順/);
      const codOk = await save('cod', { up_3: '', fee_3: '', up_2: '50000', fee_2: '770' });
      assert.equal(codOk.status, 200);
      assert.deepEqual((await shop.shop.services.settings.get()).cod.feeTable.map((b) => b.upToYen), [10000, 30000, 50000]);

      const delivery = await save('delivery', { minDaysAhead: '5', maxDaysAhead: '3' });
      assert.equal(delivery.status, 422);
      assert.match(delivery.html, /最短日以降の日数/);
      const deliveryOk = await save('delivery', { minDaysAhead: '2', maxDaysAhead: '14', slots: '午前中\n19-21' });
      assert.equal(deliveryOk.status, 200);
      assert.deepEqual((await shop.shop.services.settings.get()).delivery, { minDaysAhead: 2, maxDaysAhead: 14, slots: ['午前中', '19-21'] });
      const badSlot = await save('delivery', { slots: '深夜' });
      assert.equal(badSlot.status, 422);

      const tax = await save('tax', { rounding: 'ceil' });
      assert.equal(tax.status, 200);
      assert.equal((await shop.shop.services.settings.get()).tax.rounding, 'ceil');
      assert.equal((await save('tax', { rounding: 'banker' })).status, 422);

      const legal = await save('legal', { terms: '第1条 <script>alert(1)</script>\n第2条 本規約は日本法に準拠します。' });
      assert.equal(legal.status, 200);
      const terms = await new Client(shop.url).get('/legal/terms');
      assert.match(terms.html, /第2条 本規約は日本法に準拠します。/);
      assert.doesNotMatch(terms.html, /<script>alert/);
      const empty = await save('legal', { terms: '' });
      assert.equal(empty.status, 422);
      assert.match(empty.html, /入力してください/);

      const extra = await save('tax', { rounding: 'floor', evil: '1' });
      assert.equal(extra.status, 422);
      assert.match(extra.html, /想定外の項目/);
      const unknown = await owner.request(`${A}/settings/secrets`, { form: { _csrf: owner.csrf() } });
      assert.equal(unknown.status, 404);
    });

    test('mail templates: only their own placeholders, the essential ones kept; the next mail uses the new text', async () => {
      const unknown = await save('mail', { order_confirmation__body: '{{name}} 様 {{orderNumber}} {{lines}} {{total}} {{paymentInstructions}} {{constructor}}' });
      assert.equal(unknown.status, 422);
      assert.match(unknown.html, /使えない差し込み項目があります: \{\{constructor\}\}/);
      const missing = await save('mail', { verify_email__body: '{{name}} 様、ようこそ。' });
      assert.equal(missing.status, 422);
      assert.match(missing.html, /省けません: \{\{link\}\}/);
      const ok = await save('mail', {
        order_confirmation__subject: '【{{shopName}}】ご注文承りました {{orderNumber}}',
        order_confirmation__body: '{{name}} 様\nいつもありがとうございます。新しい文面です。\n{{orderNumber}}\n{{lines}}\n合計 {{total}}\n{{paymentInstructions}}',
      });
      assert.equal(ok.status, 200);
      const buyer = new Client(shop.url);
      await addToCart(buyer);
      await buyer.get('/checkout');
      await buyer.post('/checkout/confirm', guestForm({ payment_method: 'bank_transfer', orderer_email: `tpl-${dialect}@example.jp` }));
      await buyer.request('/checkout/place', { form: buyer.hiddenFields('/checkout/place') });
      const mail = await db().selectFrom('outbox').select(['subject', 'body_text']).where('to_address', '=', `tpl-${dialect}@example.jp`).executeTakeFirstOrThrow();
      assert.match(mail.subject, /ご注文承りました \d{6}-[0-9A-Z]{6}/);
      assert.match(mail.body_text, /新しい文面です。/);
      assert.match(mail.body_text, /お振込先/);
      const audit = await db().selectFrom('audit_log').select('action').where('target', '=', 'mail').execute();
      assert.ok(audit.some((a) => a.action === 'settings.update'));
      const notices = await db().selectFrom('outbox').select('subject').where('kind', '=', 'admin_settings_changed').execute();
      assert.ok(notices.some((n) => n.subject.includes('メールの文面')));
      // Emptying the fields restores the default text.
      const reset = await save('mail', { order_confirmation__subject: '', order_confirmation__body: '' });
      assert.equal(reset.status, 200);
      assert.deepEqual((await shop.shop.services.settings.get(db())).mail.overrides, {});
    });

    test('roles: staff and security users get 403 on settings; CSRF is required', async () => {
      for (const role of ['staff', 'security'] as const) {
        const c = new Client(shop.url);
        await signedInStaff(shop.shop.services, c, role, `${role}-settings-${dialect}@example.jp`);
        const page = await c.get(`${A}/settings`);
        assert.equal(page.status, 403, role);
        assert.doesNotMatch(page.html, /振込先口座/);
        const post = await c.request(`${A}/settings/payments`, { form: { _csrf: c.csrf(), card: '1' } });
        assert.equal(post.status, 403, role);
      }
      assert.equal((await shop.shop.services.settings.get()).payments.bankTransfer, true, 'nothing changed');
      const forged = await owner.request(`${A}/settings/payments`, { form: { card: '1' } });
      assert.equal(forged.status, 403);
      assert.equal((await shop.shop.services.settings.get()).payments.bankTransfer, true);
    });
  });
}
