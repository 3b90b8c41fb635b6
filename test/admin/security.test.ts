import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { ADMIN_CSP } from '../../src/admin/plugin.js';
import { signedInStaff } from '../helpers/admin.js';
import { Client } from '../helpers/browser-client.js';
import { DIALECTS, startTestShop, type TestShop } from '../helpers/shop.js';

/** The secret `signedInStaff` enrols every test account with. */
const HELPER_SECRET = 'JBSWY3DPEHPK3PXP';
const codeAt = (step: number) => TOTP.generate({ secret: Secret.fromBase32(HELPER_SECRET), algorithm: 'SHA1', digits: 6, period: 30, timestamp: step * 30_000 + 1000 });
const currentStep = () => Math.floor(Date.now() / 30_000);

for (const { dialect, skip } of DIALECTS) {
  describe(`security page, kill switch and roles on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    before(async () => {
      shop = await startTestShop({ dialect, seedDemo: false });
    });
    after(async () => {
      await shop?.close();
    });
    const db = () => shop.shop.services.handle.db;
    const services = () => shop.shop.services;

    test('roles: staff cannot reach security pages or staff management; security cannot manage staff', async () => {
      const staff = new Client(shop.url);
      await signedInStaff(services(), staff, 'staff', 'clerk@example.jp');
      for (const path of ['/admin/security', '/admin/audit', '/admin/staff', '/admin/staff/stf_0000000000000000/logins']) {
        const page = await staff.get(path);
        assert.equal(page.status, 403, path);
        assert.match(page.html, /権限がありません/);
        assert.equal(page.headers.get('content-security-policy'), ADMIN_CSP);
      }
      await staff.get('/admin/staff/logins');
      for (const [path, form] of [['/admin/security/card/suspend', { reason: '試し' }], ['/admin/staff/invite', { email: 'x@example.jp', name: 'x', role: 'owner' }]] as const) {
        assert.equal((await staff.post(path, form)).status, 403, path);
      }
      assert.equal(await services().killSwitch.isSuspended(), false);
      assert.equal(await db().selectFrom('staff').select('id').where('email_norm', '=', 'x@example.jp').executeTakeFirst(), undefined);
      const nav = await staff.get('/admin/staff/logins');
      assert.doesNotMatch(nav.html, /href="\/admin\/security"/);

      const sec = new Client(shop.url);
      await signedInStaff(services(), sec, 'security', 'sec@example.jp');
      assert.equal((await sec.get('/admin/staff')).status, 403);
      assert.equal((await sec.get('/admin/security')).status, 200);
      assert.equal((await sec.get('/admin/audit')).status, 200);

      const own = new Client(shop.url);
      await signedInStaff(services(), own, 'owner', 'own@example.jp');
      for (const path of ['/admin/security', '/admin/audit', '/admin/staff']) assert.equal((await own.get(path)).status, 200, path);
    });

    test('open alerts are listed as text (evidence escaped) and resolved with an audit entry', async () => {
      await services().alerts.raise({
        severity: 'critical', kind: 'script_changed', message: '決済ページのスクリプトが変わりました <script>alert(1)</script>',
        evidence: { payload: '<img src=x onerror=alert(1)>', url: 'javascript:alert(1)' },
      });
      const sec = new Client(shop.url);
      await signedInStaff(services(), sec, 'security', 'sec2@example.jp');
      const page = await sec.get('/admin/security');
      assert.equal(page.status, 200);
      assert.match(page.html, /script_changed/);
      assert.match(page.html, /重大/);
      assert.match(page.html, /&lt;script>alert\(1\)&lt;\/script>/);
      assert.match(page.html, /&lt;img src=x onerror=alert\(1\)>/);
      assert.doesNotMatch(page.html, /<script>alert|<img src=x/);
      const alert = await db().selectFrom('alerts').selectAll().where('kind', '=', 'script_changed').executeTakeFirstOrThrow();
      assert.ok(page.html.includes(`/admin/security/alerts/${alert.id}/resolve`));
      const done = await sec.post(`/admin/security/alerts/${alert.id}/resolve`, {});
      assert.match(done.url, /done=resolved$/);
      assert.match(done.html, /対応済みにしました/);
      const after = await db().selectFrom('alerts').selectAll().where('id', '=', alert.id).executeTakeFirstOrThrow();
      assert.equal(after.status, 'resolved');
      assert.equal(after.resolved_by, 'staff:sec2@example.jp');
      const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'alert.resolve').executeTakeFirstOrThrow();
      assert.equal(audit.target, alert.id);
      assert.equal(audit.actor, 'staff:sec2@example.jp');
      await sec.get('/admin/security');
      assert.match((await sec.post(`/admin/security/alerts/${alert.id}/resolve`, {})).url, /done=gone$/);
      assert.equal((await sec.post('/admin/security/alerts/alr_0000000000000000/resolve', {})).status, 404);
      assert.equal((await sec.post('/admin/security/alerts/<script>/resolve', {})).status, 404);
    });

    test('kill switch: suspend needs a reason; resume needs a reason and a current TOTP code; audited and mailed to owners', async () => {
      const owner = new Client(shop.url);
      await signedInStaff(services(), owner, 'owner', 'shop-owner@example.jp');
      const sec = new Client(shop.url);
      const { staffId: secId } = await signedInStaff(services(), sec, 'security', 'sec3@example.jp');
      const page = await sec.get('/admin/security');
      assert.match(page.html, /受付中/);
      const noReason = await sec.post('/admin/security/card/suspend', { reason: '  ' });
      assert.equal(noReason.status, 422);
      assert.equal(await services().killSwitch.isSuspended(), false);
      const suspended = await sec.post('/admin/security/card/suspend', { reason: '決済画面の改ざん疑い' });
      assert.match(suspended.url, /done=suspended$/);
      assert.match(suspended.html, /停止中/);
      const state = await services().killSwitch.state();
      assert.deepEqual([state.state, state.actor, state.reason], ['suspended', 'staff:sec3@example.jp', '決済画面の改ざん疑い']);
      // Resume: reason and a current code, both required.
      const noCode = await sec.post('/admin/security/card/resume', { reason: '調査完了', code: '' });
      assert.equal(noCode.status, 422);
      const wrong = await sec.post('/admin/security/card/resume', { reason: '調査完了', code: codeAt(currentStep() - 10) });
      assert.equal(wrong.status, 422);
      assert.match(wrong.html, /確認コードが正しくありません/);
      assert.match(wrong.html, /value="調査完了"/, 'the reason is kept');
      assert.equal(await services().killSwitch.isSuspended(), true);
      const code = codeAt(currentStep());
      const resumed = await sec.post('/admin/security/card/resume', { reason: '調査完了', code });
      assert.match(resumed.url, /done=resumed$/);
      assert.equal(await services().killSwitch.isSuspended(), false);
      // The same code cannot be used again.
      await sec.post('/admin/security/card/suspend', { reason: '再確認' });
      const replay = await sec.post('/admin/security/card/resume', { reason: 'もう一度', code });
      assert.equal(replay.status, 422);
      assert.equal(await services().killSwitch.isSuspended(), true);
      const outcomes = (await db().selectFrom('staff_logins').select('outcome').where('staff_id', '=', secId).execute()).map((r) => r.outcome);
      assert.equal(outcomes.filter((o) => o === 'reverify_bad').length, 2);
      assert.equal(outcomes.filter((o) => o.startsWith('reverify_ok:')).length, 1);
      const audit = await db().selectFrom('audit_log').select(['action', 'detail', 'actor']).where('action', 'like', 'payments.card_%').orderBy('seq').execute();
      assert.deepEqual(audit.map((a) => a.action), ['payments.card_suspend', 'payments.card_resume', 'payments.card_suspend']);
      for (const a of audit) assert.ok(!(a.detail ?? '').includes(code), 'no codes in the audit log');
      const mails = await db().selectFrom('outbox').select(['subject', 'body_text']).where('to_address', '=', 'shop-owner@example.jp').where('kind', '=', 'staff_notice').execute();
      assert.ok(mails.some((m) => m.subject.includes('カード決済を停止しました') && m.body_text.includes('決済画面の改ざん疑い')));
      assert.ok(mails.some((m) => m.subject.includes('カード決済を再開しました') && m.body_text.includes('調査完了')));
      // The owner can resume too (with their own code).
      await owner.get('/admin/security');
      const byOwner = await owner.post('/admin/security/card/resume', { reason: 'オーナー確認済み', code: codeAt(currentStep() + 1) });
      assert.match(byOwner.url, /done=resumed$/);
      assert.equal(await services().killSwitch.isSuspended(), false);
    });

    test('CSRF: a kill-switch POST without the token is refused', async () => {
      const sec = new Client(shop.url);
      await signedInStaff(services(), sec, 'security', 'sec4@example.jp');
      await sec.get('/admin/security');
      const res = await sec.request('/admin/security/card/suspend', { form: { reason: '偽の送信' }, follow: false });
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('content-security-policy'), ADMIN_CSP);
      assert.equal(await services().killSwitch.isSuspended(), false);
    });
  });

  describe(`IP allow-list on ${dialect}`, { skip }, () => {
    test('outside ADMIN_ALLOW_CIDRS every admin URL is 403 while the storefront works; inside it works', async () => {
      const closed = await startTestShop({ dialect, seedDemo: false, env: { ADMIN_ALLOW_CIDRS: '10.9.8.0/24' } });
      try {
        const c = new Client(closed.url);
        await signedInStaff(closed.shop.services, c, 'owner', 'far@example.jp');
        for (const path of ['/admin', '/admin/login', '/admin/setup?token=x', '/admin/staff', '/admin/security', '/admin/audit', '/admin/assets/admin.css', '/admin/no-such-page']) {
          const res = await c.request(path, { follow: false });
          assert.equal(res.status, 403, path);
        }
        const post = await c.request('/admin/login', { form: { email: 'far@example.jp', password: 'x' }, follow: false });
        assert.equal(post.status, 403);
        assert.equal((await c.get('/')).status, 200, 'the storefront still works');
      } finally {
        await closed.close();
      }
      const open = await startTestShop({ dialect, seedDemo: false, env: { ADMIN_ALLOW_CIDRS: '10.9.8.0/24, 127.0.0.1/32' } });
      try {
        const c = new Client(open.url);
        assert.equal((await c.get('/admin/login')).status, 200);
        await signedInStaff(open.shop.services, c, 'owner', 'near@example.jp');
        assert.equal((await c.get('/admin/staff')).status, 200);
      } finally {
        await open.close();
      }
    });
  });
}
