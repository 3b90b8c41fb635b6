import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, guestForm } from '../helpers/browser-client.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

const PASSWORD = 'kyusu-to-yunomi-2026';

function profile(email: string, overrides: Record<string, string> = {}) {
  return {
    email, password: PASSWORD, name: '鈴木 一郎', name_kana: 'スズキ イチロウ', postal: '530-0001', prefecture: '大阪府',
    address1: '大阪市北区梅田1-1', address2: '', phone: '06-1234-5678', fax: '06-1234-5679', ...overrides,
  };
}

for (const { dialect, skip } of DIALECTS) {
  describe(`members on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    before(async () => {
      shop = await startTestShop({ dialect });
    });
    after(async () => {
      await shop?.close();
    });
    const db = () => shop.shop.services.handle.db;

    /** The link of the newest queued mail of that kind to that address. */
    async function linkFromMail(to: string, kind: string): Promise<string> {
      const mail = await db().selectFrom('outbox').select('body_text').where('to_address', '=', to).where('kind', '=', kind).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
      const m = /(http:\/\/[^\s]+)/.exec(mail.body_text);
      assert.ok(m, `a link in the ${kind} mail`);
      return m[1]!;
    }

    async function registerAndLogin(email: string): Promise<Client> {
      const c = new Client(shop.url);
      await c.get('/register');
      const reg = await c.post('/register', profile(email));
      assert.equal(reg.status, 200);
      assert.match(reg.html, /確認メールをお送りしました/);
      // Not verified yet: login is refused with a clear message.
      await c.get('/login');
      const early = await c.post('/login', { email, password: PASSWORD });
      assert.equal(early.status, 401);
      assert.match(early.html, /確認が完了していません/);
      const verify = await c.get(await linkFromMail(email, 'verify_email'));
      assert.equal(verify.status, 200);
      assert.match(verify.html, /登録が完了しました/);
      await c.get('/login');
      const sidBefore = c.cookie('mamori_sid');
      const login = await c.post('/login', { email: email.toUpperCase(), password: PASSWORD });
      assert.equal(login.status, 200);
      assert.match(login.url, /\/account$/);
      assert.notEqual(c.cookie('mamori_sid'), sidBefore, 'a new session token after login');
      return c;
    }

    test('register, verify, log in, buy with a saved gift address, see only own orders', async () => {
      const c = await registerAndLogin('ichiro@example.jp');
      // Address book.
      await c.get('/account/addresses');
      const added = await c.post('/account/addresses', {
        ship_name: '鈴木 花子', ship_kana: '', ship_postal: '060-0001', ship_prefecture: '北海道', ship_address1: '札幌市中央区北一条西1-1', ship_address2: '', ship_phone: '011-111-2222',
      });
      assert.match(added.html, /鈴木 花子/);
      const addressId = /\/account\/addresses\/(adr_[0-9A-Z]{16})\/delete/.exec(added.html)![1]!;
      // Checkout is prefilled from the profile.
      await c.get('/products/fukamushi-sencha');
      const variant = /name="variant_id" value="(var_[0-9A-Z]{16})"/.exec(c.last!.html)![1]!;
      await c.post('/cart/add', { variant_id: variant, quantity: '1' });
      const form = await c.get('/checkout');
      assert.match(form.html, /value="鈴木 一郎"/);
      assert.match(form.html, /value="06-1234-5679"/);
      const confirm = await c.post('/checkout/confirm', guestForm({
        orderer_name: '鈴木 一郎', orderer_email: 'ichiro@example.jp', ship_to: 'saved', saved_address_id: addressId, payment_method: 'cod',
      }));
      assert.equal(confirm.status, 200, confirm.html.slice(-2000));
      assert.match(confirm.html, /鈴木 花子/);
      const placed = await c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
      assert.match(placed.html, /ご注文ありがとうございました/);
      const orderId = /\/orders\/(ord_[0-9A-Z]{16})/.exec(placed.url)![1]!;
      const order = await db().selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
      assert.ok(order.customer_id);
      assert.equal(order.shipping_prefecture, '北海道');
      assert.equal(order.shipping_fee_yen, 1210);
      const account = await c.get('/account');
      assert.match(account.html, new RegExp(order.order_number));
      assert.equal((await c.get(`/account/orders/${orderId}`)).status, 200);
      // Another member: the first member's order and address are not found.
      const other = await registerAndLogin('jiro@example.jp');
      assert.equal((await other.get(`/account/orders/${orderId}`)).status, 404);
      assert.equal((await other.get(`/account/orders/${orderId}/receipt`)).status, 404);
      await other.get('/account/addresses');
      assert.equal((await other.post(`/account/addresses/${addressId}/delete`, {})).status, 404);
      await other.get('/products/fukamushi-sencha');
      await other.post('/cart/add', { variant_id: variant, quantity: '1' });
      await other.get('/checkout');
      const steal = await other.post('/checkout/confirm', guestForm({ ship_to: 'saved', saved_address_id: addressId }));
      assert.equal(steal.status, 422);
      assert.doesNotMatch(steal.html, /鈴木 花子/);
      // Logged out: the account redirects to login.
      await c.get('/account');
      await c.post('/logout', {});
      const afterLogout = await c.get('/account');
      assert.match(afterLogout.url, /\/login\?next=%2Faccount/);
    });

    test('registration does not reveal whether an e-mail is taken; weak passwords are refused', async () => {
      await registerAndLogin('saburo@example.jp');
      const c = new Client(shop.url);
      await c.get('/register');
      const again = await c.post('/register', profile('Saburo@Example.jp'));
      assert.equal(again.status, 200);
      assert.match(again.html, /確認メールをお送りしました/);
      const n = await db().selectFrom('customers').select('id').where('email_norm', '=', 'saburo@example.jp').execute();
      assert.equal(n.length, 1);
      await c.get('/register');
      const weak = await c.post('/register', profile('weak@example.jp', { password: 'password123' }));
      assert.equal(weak.status, 422);
      assert.match(weak.html, /よく使われるパスワード/);
      const bad = await c.post('/register', profile('bad@example.jp', { postal: '12345', phone: 'abc' }));
      assert.equal(bad.status, 422);
      assert.match(bad.html, /郵便番号は7桁/);
      assert.match(bad.html, /電話番号は/);
    });

    test('password reset by one-time link, change notices by mail, e-mail change, withdrawal', async () => {
      const c = await registerAndLogin('shiro@example.jp');
      const anon = new Client(shop.url);
      await anon.get('/password/forgot');
      const asked = await anon.post('/password/forgot', { email: 'shiro@example.jp' });
      assert.match(asked.html, /ご登録のアドレスであれば/);
      await anon.get('/password/forgot');
      const unknown = await anon.post('/password/forgot', { email: 'nobody@example.jp' });
      assert.equal(unknown.html.includes('ご登録のアドレスであれば'), true);
      assert.equal(unknown.status, 200, 'same answer for unknown addresses');
      const link = await linkFromMail('shiro@example.jp', 'reset_password');
      const form = await anon.get(link);
      assert.equal(form.status, 200);
      const token = new URL(link).searchParams.get('token')!;
      const done = await anon.post('/password/reset', { token, password: 'atarashii-pass-2026' });
      assert.match(done.url, /\/login\?reset=1/);
      // The link works once.
      assert.equal((await anon.get(link)).status, 400);
      // The old session no longer counts as logged in; the change was mailed.
      const acc = await c.get('/account');
      assert.match(acc.url, /\/login/);
      const notice = await db().selectFrom('outbox').select('subject').where('to_address', '=', 'shiro@example.jp').where('kind', '=', 'password_changed').execute();
      assert.equal(notice.length, 1);
      await c.get('/login');
      const relog = await c.post('/login', { email: 'shiro@example.jp', password: 'atarashii-pass-2026' });
      assert.match(relog.url, /\/account$/);
      // E-mail change: confirmed from the new address, the old one is told.
      await c.get('/account/email');
      const ch = await c.post('/account/email', { email: 'shiro.new@example.jp', password: 'atarashii-pass-2026' });
      assert.match(ch.url, /done=email/);
      const confirmed = await c.get(await linkFromMail('shiro.new@example.jp', 'change_email'));
      assert.match(confirmed.url, /done=emailChanged/);
      const told = await db().selectFrom('outbox').select('body_text').where('to_address', '=', 'shiro@example.jp').where('kind', '=', 'email_changed').executeTakeFirstOrThrow();
      assert.match(told.body_text, /shiro\.new@example\.jp/);
      // Withdrawal with the password; the address can register again.
      await c.get('/account/withdraw');
      const wrong = await c.post('/account/withdraw', { password: 'wrong-password-1' });
      assert.equal(wrong.status, 422);
      const bye = await c.post('/account/withdraw', { password: 'atarashii-pass-2026' });
      assert.match(bye.html, /退会手続きが完了しました/);
      const row = await db().selectFrom('customers').select(['status', 'password_hash']).where('email', '=', 'shiro.new@example.jp').executeTakeFirstOrThrow();
      assert.deepEqual(row, { status: 'withdrawn', password_hash: '' });
      await c.get('/login');
      assert.equal((await c.post('/login', { email: 'shiro.new@example.jp', password: 'atarashii-pass-2026' })).status, 401);
    });

    test('login is rate-limited per e-mail', async () => {
      const c = new Client(shop.url);
      await c.get('/login');
      let last = 0;
      for (let i = 0; i < 12; i++) {
        last = (await c.post('/login', { email: 'victim@example.jp', password: `guess-${i}-xxxxxx` })).status;
        if (last === 429) break;
        await c.get('/login');
      }
      assert.equal(last, 429);
    });
  });
}
