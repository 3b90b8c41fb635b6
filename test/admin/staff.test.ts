import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_COOKIE } from '../../src/admin/plugin.js';
import { sha256Hex } from '../../src/shared/ids.js';
import { freshCode, signedInStaff } from '../helpers/admin.js';
import { Client, decodeEntities } from '../helpers/browser-client.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';


const PASSWORD = 'kuki-cha-to-wagashi-9';

for (const { dialect, skip } of DIALECTS) {
  describe(`staff management on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    let owner: Client;
    let ownerId = '';
    let memberId = '';
    let memberSecret = '';
    let member: Client;
    before(async () => {
      shop = await startTestShop({ dialect, seedDemo: false });
      owner = new Client(shop.url);
      ownerId = (await signedInStaff(shop.shop.services, owner, 'owner', 'boss@example.jp')).staffId;
    });
    after(async () => {
      await shop?.close();
    });
    const db = () => shop.shop.services.handle.db;

    /** The setup link shown to the owner on the last page. */
    function linkOnPage(c: Client): string {
      const m = /<code class="pre setup-link">([^<]+)<\/code>/.exec(c.last!.html);
      assert.ok(m, 'a setup link is shown');
      return decodeEntities(m[1]!);
    }

    /** Setup through the link: password, TOTP enrolment; returns the client (signed in) and the secret. */
    async function completeSetup(link: string): Promise<{ c: Client; secret: string }> {
      const c = new Client(shop.url);
      await c.get(link);
      const token = new URL(link).searchParams.get('token')!;
      const enrol = await c.post('/admin/setup', { token, name: '茶屋 花子', password: PASSWORD, password_confirm: PASSWORD });
      const secret = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(enrol.html)![1]!.replace(/ /g, '');
      const done = await c.post('/admin/setup/2fa', { code: await freshCode(secret) });
      assert.match(done.html, /リカバリーコード/);
      return { c, secret };
    }

    async function login(email: string, secret: string, next = '/admin/staff/logins'): Promise<Client> {
      const c = new Client(shop.url);
      await c.get('/admin/login');
      await c.post('/admin/login', { email, password: PASSWORD, next });
      const page = await c.post('/admin/login/2fa', { code: await freshCode(secret), next });
      assert.match(page.url, new RegExp(`${next}$`));
      return c;
    }

    const noticesTo = async (to: string) =>
      db().selectFrom('outbox').select(['kind', 'subject', 'body_text']).where('to_address', '=', to).orderBy('created_at').execute();

    test('the owner invites a staff member: link shown and mailed, all owners told, audited; the invitee sets up the account', async () => {
      const list = await owner.get('/admin/staff');
      assert.equal(list.status, 200);
      assert.match(list.html, /boss@example\.jp/);
      assert.match(list.html, /あなた/);
      const bad = await owner.post('/admin/staff/invite', { email: 'not-an-address', name: '', role: 'root' });
      assert.equal(bad.status, 422);
      assert.match(bad.html, /メールアドレスの形式/);
      assert.match(bad.html, /権限を選択してください/);
      await owner.get('/admin/staff');
      const extra = await owner.post('/admin/staff/invite', { email: 'x@example.jp', name: 'x', role: 'staff', status: 'active' });
      assert.equal(extra.status, 422);
      await owner.get('/admin/staff');
      const invited = await owner.post('/admin/staff/invite', { email: 'Hanako@Example.jp', name: '茶屋 花子', role: 'staff' });
      assert.equal(invited.status, 200);
      assert.match(invited.html, /茶屋 花子 さんをスタッフとして招待しました/);
      const link = linkOnPage(owner);
      assert.match(link, new RegExp(`^${shop.url}/admin/setup\\?token=[A-Za-z0-9_-]{43}$`));
      const row = await db().selectFrom('staff').selectAll().where('email_norm', '=', 'hanako@example.jp').executeTakeFirstOrThrow();
      memberId = row.id;
      assert.equal(row.status, 'invited');
      assert.equal(row.role, 'staff');
      const invite = (await noticesTo('Hanako@Example.jp')).find((m) => m.kind === 'staff_invite');
      assert.ok(invite);
      assert.ok(invite.body_text.includes(link), 'the invitee gets the link');
      const ownerNotice = (await noticesTo('boss@example.jp')).find((m) => m.kind === 'staff_notice' && m.subject.includes('スタッフが追加されました'));
      assert.ok(ownerNotice);
      assert.match(ownerNotice.body_text, /Hanako@Example\.jp/);
      assert.ok(!ownerNotice.body_text.includes('token='), 'the owners\u2019 notice has no link');
      const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'staff.create').where('target', '=', memberId).executeTakeFirstOrThrow();
      assert.equal(audit.actor, 'staff:boss@example.jp');
      await owner.get('/admin/staff');
      const dup = await owner.post('/admin/staff/invite', { email: 'hanako@example.jp', name: '別人', role: 'owner' });
      assert.equal(dup.status, 422);
      assert.match(dup.html, /既に登録されています/);

      const { c, secret } = await completeSetup(link);
      memberSecret = secret;
      member = c;
      // A staff member does not manage staff.
      assert.equal((await c.get('/admin/staff')).status, 403);
      assert.equal((await c.get('/admin/staff/logins')).status, 200, 'but sees their own login history');
      const listed = await owner.get('/admin/staff');
      assert.match(listed.html, new RegExp(`data-staff="${memberId}"[\\s\\S]*?有効[\\s\\S]*?設定済み`));
    });

    test('login history with IP and user agent; last login in the list', async () => {
      member = await login('hanako@example.jp', memberSecret);
      const hist = await owner.get(`/admin/staff/${memberId}/logins`);
      assert.equal(hist.status, 200);
      assert.match(hist.html, /ログイン成功（認証アプリ）/);
      assert.match(hist.html, /パスワード確認（成功）/);
      assert.match(hist.html, /2要素認証を設定/);
      assert.match(hist.html, /127\.0\.0\.1/);
      assert.match(hist.html, /<td class="pre">node<\/td>/);
      const list = await owner.get('/admin/staff');
      assert.doesNotMatch(list.html.slice(list.html.indexOf(`data-staff="${memberId}"`)).split('</tr>')[0]!, /<td>—<\/td>/, 'last login shown');
    });

    test('role change: audited and mailed to the owners and the person; takes effect at once', async () => {
      const c = member;
      assert.equal((await c.get('/admin/security')).status, 403);
      await owner.get('/admin/staff');
      const bad = await owner.post(`/admin/staff/${memberId}/role`, { role: 'root' });
      assert.equal(bad.status, 422);
      const changed = await owner.post(`/admin/staff/${memberId}/role`, { role: 'security' });
      assert.match(changed.url, /\/admin\/staff\?done=role$/);
      assert.match(changed.html, /権限を変更しました/);
      assert.equal((await c.get('/admin/security')).status, 200);
      assert.equal((await c.get('/admin/audit')).status, 200);
      assert.equal((await c.get('/admin/staff')).status, 403);
      const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'staff.role_change').executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(audit.detail!), { email: 'Hanako@Example.jp', from: 'staff', to: 'security' });
      assert.ok((await noticesTo('boss@example.jp')).some((m) => m.subject.includes('権限が変更されました')));
      assert.ok((await noticesTo('Hanako@Example.jp')).some((m) => m.subject.includes('権限が変更されました') && /スタッフ → セキュリティ担当/.test(m.body_text)));
    });

    test('disable ends the sessions and refuses login; enable restores', async () => {
      const c = member;
      assert.equal((await c.get('/admin/security')).status, 200);
      await owner.get('/admin/staff');
      const done = await owner.post(`/admin/staff/${memberId}/disable`, {});
      assert.match(done.url, /done=disabled$/);
      assert.equal(await db().selectFrom('staff_sessions').select('token_hash').where('staff_id', '=', memberId).executeTakeFirst(), undefined);
      assert.match((await c.get('/admin/security')).url, /\/admin\/login\?next=/);
      const again = new Client(shop.url);
      await again.get('/admin/login');
      assert.equal((await again.post('/admin/login', { email: 'hanako@example.jp', password: PASSWORD })).status, 401);
      assert.ok((await noticesTo('boss@example.jp')).some((m) => m.subject.includes('無効にしました')));
      await owner.get('/admin/staff');
      await owner.post(`/admin/staff/${memberId}/enable`, {});
      member = await login('hanako@example.jp', memberSecret, '/admin/security');
      const actions = (await db().selectFrom('audit_log').select('action').where('target', '=', memberId).execute()).map((r) => r.action);
      assert.ok(actions.includes('staff.disable') && actions.includes('staff.enable'));
    });

    test('2FA reset: authenticator cleared, sessions end, new one-time link (shown, mailed), owners told; re-enrolment works', async () => {
      const c = member;
      await owner.get('/admin/staff');
      const reset = await owner.post(`/admin/staff/${memberId}/reset-2fa`, {});
      assert.equal(reset.status, 200);
      assert.match(reset.html, /2要素認証をリセットしました/);
      const link = linkOnPage(owner);
      const row = await db().selectFrom('staff').selectAll().where('id', '=', memberId).executeTakeFirstOrThrow();
      assert.equal(row.status, 'invited');
      assert.equal(row.totp_secret, null);
      assert.equal(row.totp_enabled_at, null);
      assert.equal(row.recovery_codes, '[]');
      assert.equal(row.setup_token_hash, sha256Hex(new URL(link).searchParams.get('token')!));
      assert.match((await c.get('/admin/security')).url, /\/admin\/login\?next=/, 'sessions ended');
      const mailed = (await noticesTo('Hanako@Example.jp')).find((m) => m.kind === 'staff_2fa_reset');
      assert.ok(mailed?.body_text.includes(link));
      assert.ok((await noticesTo('boss@example.jp')).some((m) => m.subject.includes('2要素認証がリセットされました')));
      assert.ok(await db().selectFrom('audit_log').select('seq').where('action', '=', 'staff.2fa_reset').where('target', '=', memberId).executeTakeFirst());
      // The old password and authenticator no longer log in.
      const old = new Client(shop.url);
      await old.get('/admin/login');
      assert.equal((await old.post('/admin/login', { email: 'hanako@example.jp', password: PASSWORD })).status, 401);
      const { secret } = await completeSetup(link);
      assert.notEqual(secret, memberSecret);
      memberSecret = secret;
      await login('hanako@example.jp', memberSecret, '/admin/security');
    });

    test('bad requests are 4xx: own account, unknown or malformed ids, unknown fields', async () => {
      await owner.get('/admin/staff');
      const self = await owner.post(`/admin/staff/${ownerId}/disable`, {});
      assert.equal(self.status, 422);
      assert.match(self.html, /自分自身/);
      const selfRole = await owner.post(`/admin/staff/${ownerId}/role`, { role: 'staff' });
      assert.equal(selfRole.status, 422);
      assert.equal((await owner.post('/admin/staff/stf_0000000000000000/disable', {})).status, 404);
      assert.equal((await owner.post('/admin/staff/..%2F..%2Fetc/role', { role: 'owner' })).status, 404);
      assert.equal((await owner.get('/admin/staff/not-an-id/logins')).status, 404);
      const extra = await owner.post(`/admin/staff/${memberId}/disable`, { evil: '1' });
      assert.equal(extra.status, 422);
      const row = await db().selectFrom('staff').select('status').where('id', '=', ownerId).executeTakeFirstOrThrow();
      assert.equal(row.status, 'active');
      // The owner's cookie is untouched by all of this.
      assert.ok(owner.cookie(ADMIN_COOKIE));
    });
  });
}
