import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, beforeEach, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Algorithm, hash } from '@node-rs/argon2';
import { Secret } from 'otpauth';
import { ADMIN_COOKIE, ADMIN_CSP } from '../../src/admin/plugin.js';
import { nowIso } from '../../src/db/index.js';
import { newId, sha256Hex } from '../../src/shared/ids.js';
import { Client, decodeEntities } from '../helpers/browser-client.js';
import { DIALECTS, type TestShop, cliEnv, startTestShop } from '../helpers/shop.js';
import { codeAt, freshCode } from '../helpers/admin.js';

const run = promisify(execFile);
const MAX_FAILED = 5;
const OWNER = 'owner@example.jp';
const OWNER_PASSWORD = 'cha-no-ma-de-ocha-2026';
const GENERIC_LOGIN_ERROR = 'メールアドレスまたはパスワードが正しくないか、現在ログインできないアカウントです。';



function assertAdminHeaders(headers: Headers, what: string): void {
  assert.equal(headers.get('content-security-policy'), ADMIN_CSP, `CSP on ${what}`);
  assert.match(headers.get('content-security-policy') ?? '', /require-trusted-types-for 'script'/);
  assert.equal(headers.get('cache-control'), 'no-store', `no-store on ${what}`);
}

for (const { dialect, skip } of DIALECTS) {
  describe(`admin login on ${dialect}`, { skip }, () => {
    let shop: TestShop;
    let ownerSecret = '';
    let recoveryCodes: string[] = [];
    let setupLink = '';
    before(async () => {
      shop = await startTestShop({ dialect, seedDemo: false, env: { ADMIN_MAX_FAILED_LOGINS: String(MAX_FAILED) } });
    });
    after(async () => {
      await shop?.close();
    });
    beforeEach(async () => {
      await db().deleteFrom('rate_limits').execute();
    });
    const db = () => shop.shop.services.handle.db;

    /** Password step then TOTP step, landing on `next`. */
    async function login(c: Client, email: string, password: string, secret: string, next = '/admin/staff') {
      await c.get(`/admin/login?next=${encodeURIComponent(next)}`);
      const first = await c.post('/admin/login', { email, password, next });
      assert.match(first.url, /\/admin\/login\/2fa/, `password step for ${email}: ${first.status}`);
      return c.post('/admin/login/2fa', { code: await freshCode(secret), next });
    }

    /** A staff member with a known password and TOTP secret, straight into the database. */
    async function staffWithPassword(email: string, role: 'owner' | 'staff' | 'security', password: string) {
      const secret = new Secret({ size: 20 }).base32;
      const now = nowIso();
      const id = newId('stf');
      await db()
        .insertInto('staff')
        .values({
          id, email, email_norm: email, name: `テスト ${role}`, role, status: 'active',
          password_hash: await hash(password, { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 }),
          totp_secret: secret, totp_enabled_at: now, recovery_codes: '[]', failed_attempts: 0, locked_until: null,
          setup_token_hash: null, setup_expires_at: null, created_at: now, updated_at: now,
        })
        .execute();
      return { id, secret };
    }

    test('bootstrap: `mamori admin create` prints a one-time link; setup sets a password, enrols TOTP, shows recovery codes once', async () => {
      const { stdout } = await run(process.execPath, ['bin/mamori.js', 'admin', 'create', '--email', OWNER, '--name', '店主 太郎'], { env: cliEnv(shop) });
      const m = new RegExp(`(${shop.url}/admin/setup\\?token=[A-Za-z0-9_-]{43})`).exec(stdout);
      assert.ok(m, stdout);
      setupLink = m[1]!;
      const row = await db().selectFrom('staff').selectAll().where('email_norm', '=', OWNER).executeTakeFirstOrThrow();
      assert.equal(row.status, 'invited');
      assert.equal(row.role, 'owner');
      assert.equal(row.password_hash, '', 'never a default password');
      assert.equal(row.setup_token_hash, sha256Hex(new URL(setupLink).searchParams.get('token')!), 'only the hash is stored');
      assert.ok(Date.parse(row.setup_expires_at!) - Date.now() > 23.9 * 3600_000);
      const created = await db().selectFrom('audit_log').selectAll().where('action', '=', 'staff.create').executeTakeFirstOrThrow();
      assert.match(created.actor, /^cli:/);
      assert.equal(created.target, row.id);
      // Asking again for an unfinished owner replaces the link; an active account is refused later.
      const again = await run(process.execPath, ['bin/mamori.js', 'admin', 'create', '--email', OWNER], { env: cliEnv(shop) });
      const m2 = /(http:\/\/\S+\/admin\/setup\?token=[A-Za-z0-9_-]{43})/.exec(again.stdout);
      assert.ok(m2);
      assert.equal((await new Client(shop.url).get(setupLink)).status, 400, 'the replaced link no longer works');
      setupLink = m2[1]!;
      await assert.rejects(run(process.execPath, ['bin/mamori.js', 'admin', 'create', '--email', 'not-an-address'], { env: cliEnv(shop) }), (e: { code?: number }) => e.code === 2);

      const c = new Client(shop.url);
      const form = await c.get(setupLink);
      assert.equal(form.status, 200);
      assert.match(form.html, /owner@example\.jp/);
      assertAdminHeaders(form.headers, 'setup');
      const token = new URL(setupLink).searchParams.get('token')!;
      const attempt = async (password: string, confirm = password) => {
        await c.get(setupLink);
        return c.post('/admin/setup', { token, name: '店主 太郎', password, password_confirm: confirm });
      };
      const short = await attempt('Tea-2026-ok');
      assert.equal(short.status, 422);
      assert.match(short.html, /12文字以上/);
      const weak = await attempt('aaaaaaaaaaaaaaaa');
      assert.equal(weak.status, 422);
      assert.match(weak.html, /よく使われるパスワード/);
      const local = await attempt('my-Owner-password-9');
      assert.equal(local.status, 422);
      assert.match(local.html, /メールアドレスの一部/);
      const mismatch = await attempt(OWNER_PASSWORD, `${OWNER_PASSWORD}x`);
      assert.equal(mismatch.status, 422);
      assert.match(mismatch.html, /一致しません/);
      const extra = await c.post('/admin/setup', { token, name: '店主', password: OWNER_PASSWORD, password_confirm: OWNER_PASSWORD, role: 'owner' });
      assert.equal(extra.status, 422, 'unknown fields are refused');

      const enrol = await attempt(OWNER_PASSWORD);
      assert.match(enrol.url, /\/admin\/setup\/2fa$/);
      assert.equal(enrol.status, 200);
      assert.match(enrol.html, /<div class="qr"><svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      const secretText = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(enrol.html);
      assert.ok(secretText, 'the secret is shown as text');
      ownerSecret = secretText[1]!.replace(/ /g, '');
      assertAdminHeaders(enrol.headers, 'enrolment');
      // The link worked once.
      assert.equal((await new Client(shop.url).get(setupLink)).status, 400);
      // Reloading shows the same secret (an app that already scanned it keeps working).
      const reload = await c.get('/admin/setup/2fa');
      assert.ok(reload.html.includes(secretText[1]!));
      // Not yet active: the password alone does not log in, and the setup session opens no page.
      const other = new Client(shop.url);
      await other.get('/admin/login');
      assert.equal((await other.post('/admin/login', { email: OWNER, password: OWNER_PASSWORD })).status, 401);
      const notYet = await c.get('/admin/staff');
      assert.match(notYet.url, /\/admin\/login\?next=/);

      await c.get('/admin/setup/2fa');
      const wrong = await c.post('/admin/setup/2fa', { code: codeAt(ownerSecret, Math.floor(Date.now() / 30_000) + 5) });
      assert.equal(wrong.status, 422);
      assert.match(wrong.html, /確認コードが正しくありません/);
      const done = await c.post('/admin/setup/2fa', { code: await freshCode(ownerSecret) });
      assert.equal(done.status, 200);
      recoveryCodes = [...done.html.matchAll(/<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})<\/code><\/li>/g)].map((x) => x[1]!);
      assert.equal(recoveryCodes.length, 10);
      assert.equal(new Set(recoveryCodes).size, 10);
      const active = await db().selectFrom('staff').selectAll().where('email_norm', '=', OWNER).executeTakeFirstOrThrow();
      assert.equal(active.status, 'active');
      assert.ok(active.totp_enabled_at);
      assert.equal(active.setup_token_hash, null);
      const stored = JSON.parse(active.recovery_codes) as string[];
      assert.equal(stored.length, 10);
      for (const code of recoveryCodes) assert.ok(!active.recovery_codes.includes(code) && !active.recovery_codes.includes(code.replace('-', '')), 'only hashes are stored');
      // The console is open now; the codes are not shown again.
      const dashboard = await c.get('/admin');
      assert.equal(dashboard.status, 200);
      assert.equal(dashboard.url, `${shop.url}/admin`);
      const staffPage = await c.get('/admin/staff');
      assert.equal(staffPage.status, 200);
      assert.match(staffPage.html, /owner@example\.jp/);
      const back = await c.request('/admin/setup/2fa', { follow: false });
      assert.equal(back.status, 303);
      const actions = (await db().selectFrom('audit_log').select('action').where('target', '=', active.id).orderBy('seq').execute()).map((r) => r.action);
      assert.deepEqual(actions.filter((a) => a.startsWith('staff.')), ['staff.create', 'staff.setup_link_reissued', 'staff.setup_password', 'staff.2fa_enrolled']);
      // Once active, the CLI does not hand out another link for the account.
      await assert.rejects(run(process.execPath, ['bin/mamori.js', 'admin', 'create', '--email', OWNER], { env: cliEnv(shop) }), (e: { code?: number }) => e.code === 1);
    });

    test('login needs both factors: a password-only session opens nothing; fresh cookie token; logout ends the session', async () => {
      const c = new Client(shop.url);
      await c.get('/admin/login');
      const before = c.cookie(ADMIN_COOKIE);
      const first = await c.request('/admin/login', { form: { _csrf: c.csrf(), email: 'Owner@Example.jp', password: OWNER_PASSWORD, next: '/admin/audit' }, follow: false });
      assert.equal(first.status, 303);
      assert.equal(first.headers.get('location'), '/admin/login/2fa?next=%2Fadmin%2Faudit');
      const setCookie = first.headers.getSetCookie().find((l) => l.startsWith(`${ADMIN_COOKIE}=`));
      assert.ok(setCookie);
      assert.match(setCookie, /HttpOnly/i);
      assert.match(setCookie, /SameSite=Strict/i);
      assert.match(setCookie, /Path=\/admin/);
      assert.doesNotMatch(setCookie, /Secure/i, 'no Secure flag without TLS');
      const passwordOnly = c.cookie(ADMIN_COOKIE)!;
      assert.notEqual(passwordOnly, before);
      for (const path of ['/admin', '/admin/orders', '/admin/staff', '/admin/security', '/admin/audit']) {
        const page = await c.get(path);
        assert.match(page.url, /\/admin\/login\/2fa$/, `${path} needs the second factor`);
      }
      await c.get('/admin/login/2fa?next=%2Fadmin%2Faudit');
      const ok = await c.post('/admin/login/2fa', { code: await freshCode(ownerSecret), next: '/admin/audit' });
      assert.match(ok.url, /\/admin\/audit$/);
      assert.equal(ok.status, 200);
      const full = c.cookie(ADMIN_COOKIE)!;
      assert.notEqual(full, passwordOnly, 'a new token once the second factor is passed');
      assert.equal(await db().selectFrom('staff_sessions').select('token_hash').where('token_hash', '=', sha256Hex(passwordOnly)).executeTakeFirst(), undefined);
      // A redirect target outside the console is ignored.
      const other = await staffWithPassword('redirect@example.jp', 'staff', 'sencha-to-gyokuro-1');
      const d = new Client(shop.url);
      await d.get('/admin/login');
      await d.post('/admin/login', { email: 'redirect@example.jp', password: 'sencha-to-gyokuro-1', next: 'https://evil.example/' });
      const evil = await d.request('/admin/login/2fa', { form: { _csrf: d.csrf(), code: await freshCode(other.secret), next: '//evil.example/x' }, follow: false });
      assert.equal(evil.headers.get('location'), '/admin');
      // Logout.
      await c.get('/admin/staff');
      const out = await c.post('/admin/logout', {});
      assert.match(out.url, /\/admin\/login\?done=logout$/);
      assert.match(out.html, /ログアウトしました/);
      assert.equal(await db().selectFrom('staff_sessions').select('token_hash').where('token_hash', '=', sha256Hex(full)).executeTakeFirst(), undefined);
      const replayCookie = new Client(shop.url);
      replayCookie.setCookie(ADMIN_COOKIE, full);
      assert.match((await replayCookie.get('/admin/staff')).url, /\/admin\/login\?next=/, 'the old cookie is worthless');
      const actions = (await db().selectFrom('audit_log').select('action').orderBy('seq').execute()).map((r) => r.action);
      assert.ok(actions.includes('auth.login') && actions.includes('auth.logout'));
    });

    test('a TOTP code is accepted once: replay within its window is refused', async () => {
      const r = await staffWithPassword('replay@example.jp', 'owner', 'houjicha-latte-42');
      const c = new Client(shop.url);
      const code = await freshCode(r.secret);
      await c.get('/admin/login');
      await c.post('/admin/login', { email: 'replay@example.jp', password: 'houjicha-latte-42', next: '/admin/staff' });
      const first = await c.post('/admin/login/2fa', { code, next: '/admin/staff' });
      assert.match(first.url, /\/admin\/staff$/);
      const attacker = new Client(shop.url);
      await attacker.get('/admin/login');
      await attacker.post('/admin/login', { email: 'replay@example.jp', password: 'houjicha-latte-42', next: '/admin/staff' });
      const replay = await attacker.post('/admin/login/2fa', { code, next: '/admin/staff' });
      assert.equal(replay.status, 401);
      assert.match(replay.html, /既に使用されました/);
      const malformed = await attacker.post('/admin/login/2fa', { code: '12ab', next: '/admin/staff' });
      assert.equal(malformed.status, 422);
      // Full-width digits from a Japanese IME are fine.
      const fresh = (await freshCode(r.secret)).replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
      const ok = await attacker.post('/admin/login/2fa', { code: fresh, next: '/admin/staff' });
      assert.match(ok.url, /\/admin\/staff$/);
      const outcomes = (await db().selectFrom('staff_logins').select('outcome').orderBy('at').execute()).map((r) => r.outcome);
      assert.ok(outcomes.includes('totp_replay'));
    });

    test('a recovery code works once, in any letter case, and its use is mailed', async () => {
      const use = async (code: string) => {
        const c = new Client(shop.url);
        await c.get('/admin/login');
        await c.post('/admin/login', { email: OWNER, password: OWNER_PASSWORD, next: '/admin/staff' });
        return { c, page: await c.post('/admin/login/2fa', { code, next: '/admin/staff' }) };
      };
      const first = await use(recoveryCodes[0]!);
      assert.match(first.page.url, /\/admin\/staff$/);
      const again = await use(recoveryCodes[0]!);
      assert.equal(again.page.status, 401);
      const spaced = await use(` ${recoveryCodes[1]!.toLowerCase().replace('-', ' ')} `);
      assert.match(spaced.page.url, /\/admin\/staff$/);
      const row = await db().selectFrom('staff').select('recovery_codes').where('email_norm', '=', OWNER).executeTakeFirstOrThrow();
      assert.equal((JSON.parse(row.recovery_codes) as string[]).length, 8);
      const mails = await db().selectFrom('outbox').select('body_text').where('kind', '=', 'staff_recovery_used').where('to_address', '=', OWNER).execute();
      assert.equal(mails.length, 2);
      assert.match(mails[0]!.body_text, /残りのリカバリーコード: [89] 個/);
      const audit = await db().selectFrom('audit_log').select('detail').where('action', '=', 'auth.login').execute();
      for (const a of audit) for (const code of recoveryCodes) assert.ok(!(a.detail ?? '').includes(code.slice(0, 5)), 'codes never in the audit log');
    });

    test('unknown e-mail, wrong password and disabled account all get the same answer; every attempt is recorded; per-IP rate limit', async () => {
      const c = new Client(shop.url);
      await c.get('/admin/login');
      const unknown = await c.request('/admin/login', { form: { _csrf: c.csrf(), email: 'nobody@example.jp', password: 'whatever-password' }, headers: { 'user-agent': 'TestAgent/1.0' } });
      assert.equal(unknown.status, 401);
      assert.ok(unknown.html.includes(GENERIC_LOGIN_ERROR));
      await c.get('/admin/login');
      const wrong = await c.post('/admin/login', { email: OWNER, password: 'wrong-password-123' });
      assert.equal(wrong.status, 401);
      assert.ok(wrong.html.includes(GENERIC_LOGIN_ERROR));
      assert.equal(unknown.html.replace(/value="[^"]*"/g, ''), wrong.html.replace(/value="[^"]*"/g, '').replace(OWNER, 'nobody@example.jp'));
      const rec = await db().selectFrom('staff_logins').selectAll().where('outcome', '=', 'unknown_email').executeTakeFirstOrThrow();
      assert.equal(rec.ip, '127.0.0.1');
      assert.equal(rec.user_agent, 'TestAgent/1.0');
      assert.equal(rec.staff_id, null);
      const failedAudit = await db().selectFrom('audit_log').select(['detail', 'actor']).where('action', '=', 'auth.login_failed').execute();
      assert.ok(failedAudit.length >= 2);
      for (const a of failedAudit) assert.ok(!(a.detail ?? '').includes('wrong-password') && !(a.detail ?? '').includes('whatever'), 'no passwords in the audit log');
      // A successful login resets the counter of consecutive failures.
      const counted = await staffWithPassword('counter@example.jp', 'security', 'mugicha-no-natsu-3');
      for (let i = 0; i < 2; i++) {
        await c.get('/admin/login');
        assert.equal((await c.post('/admin/login', { email: 'counter@example.jp', password: `nope-${i}-password` })).status, 401);
      }
      const failures = () => db().selectFrom('staff').select('failed_attempts').where('id', '=', counted.id).executeTakeFirstOrThrow();
      assert.equal((await failures()).failed_attempts, 2);
      const ok = await login(new Client(shop.url), 'counter@example.jp', 'mugicha-no-natsu-3', counted.secret, '/admin/security');
      assert.match(ok.url, /\/admin\/security$/);
      assert.equal((await failures()).failed_attempts, 0);
      await db().updateTable('staff').set({ status: 'disabled' }).where('id', '=', counted.id).execute();
      await c.get('/admin/login');
      const disabled = await c.post('/admin/login', { email: 'counter@example.jp', password: 'mugicha-no-natsu-3' });
      assert.equal(disabled.status, 401);
      assert.ok(disabled.html.includes(GENERIC_LOGIN_ERROR));
      assert.ok(await db().selectFrom('staff_logins').select('id').where('staff_id', '=', counted.id).where('outcome', '=', 'inactive:disabled').executeTakeFirst());
      // Per-IP limit.
      for (let i = 0; i < 40; i++) await shop.shop.services.rateLimiter.hit('admin-login:ip:127.0.0.1', 1000, 900);
      await c.get('/admin/login');
      assert.equal((await c.post('/admin/login', { email: OWNER, password: OWNER_PASSWORD })).status, 429);
    });

    test(`lock-out after ${MAX_FAILED} failures (passwords and codes): mail to the account and the owners, alert, refused even with the right password`, async () => {
      const victim = await staffWithPassword('victim@example.jp', 'staff', 'hojicha-no-kaori-77');
      const c = new Client(shop.url);
      for (let i = 0; i < MAX_FAILED - 1; i++) {
        await c.get('/admin/login');
        assert.equal((await c.post('/admin/login', { email: 'victim@example.jp', password: `nope-${i}-password` })).status, 401);
      }
      // The right password, then a wrong code: the last allowed failure.
      await c.get('/admin/login');
      const step1 = await c.post('/admin/login', { email: 'victim@example.jp', password: 'hojicha-no-kaori-77', next: '/admin/orders' });
      assert.match(step1.url, /\/admin\/login\/2fa/);
      const wrongCode = await c.post('/admin/login/2fa', { code: codeAt(victim.secret, Math.floor(Date.now() / 30_000) - 10), next: '/admin/orders' });
      assert.equal(wrongCode.status, 401);
      assert.ok(wrongCode.html.includes(GENERIC_LOGIN_ERROR));
      const row = await db().selectFrom('staff').selectAll().where('id', '=', victim.id).executeTakeFirstOrThrow();
      assert.ok(row.locked_until && Date.parse(row.locked_until) > Date.now() + 29 * 60_000);
      assert.equal(await db().selectFrom('staff_sessions').select('token_hash').where('staff_id', '=', victim.id).executeTakeFirst(), undefined, 'sessions end');
      // Right password and right code: still refused while locked.
      await c.get('/admin/login');
      const refused = await c.post('/admin/login', { email: 'victim@example.jp', password: 'hojicha-no-kaori-77' });
      assert.equal(refused.status, 401);
      assert.ok(refused.html.includes(GENERIC_LOGIN_ERROR));
      const mails = await db().selectFrom('outbox').select(['to_address', 'kind', 'subject', 'body_text']).where((eb) => eb.or([eb('kind', '=', 'staff_lockout'), eb('subject', 'like', '%ロック%')])).execute();
      assert.ok(mails.some((m) => m.to_address === 'victim@example.jp' && m.kind === 'staff_lockout'), 'the account is told');
      const toOwner = mails.find((m) => m.to_address === OWNER && m.kind === 'staff_notice');
      assert.ok(toOwner, 'the owners are told');
      assert.match(toOwner.body_text, /victim@example\.jp/);
      assert.match(toOwner.body_text, /127\.0\.0\.1/);
      const alert = await db().selectFrom('alerts').selectAll().where('kind', '=', 'admin_lockout').executeTakeFirstOrThrow();
      assert.equal(alert.severity, 'warning');
      assert.equal(alert.status, 'open');
      const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'auth.lockout').executeTakeFirstOrThrow();
      assert.equal(audit.target, victim.id);
      const outcomes = (await db().selectFrom('staff_logins').select('outcome').where('staff_id', '=', victim.id).orderBy('at').execute()).map((r) => r.outcome);
      assert.deepEqual(outcomes.filter((o) => o !== 'lockout'), [...Array<string>(MAX_FAILED - 1).fill('password_bad'), 'password_ok', 'totp_bad', 'locked']);
      // Once the lock expires, the right credentials work again.
      await db().updateTable('staff').set({ locked_until: nowIso(new Date(Date.now() - 1000)) }).where('id', '=', victim.id).execute();
      await c.get('/admin/login');
      await c.post('/admin/login', { email: 'victim@example.jp', password: 'hojicha-no-kaori-77', next: '/admin/staff/logins' });
      const ok = await c.post('/admin/login/2fa', { code: await freshCode(victim.secret), next: '/admin/staff/logins' });
      assert.match(ok.url, /\/admin\/staff\/logins$/);
      assert.match(ok.html, /アカウントをロック/);
    });

    test('an idle session is sent back to the login page', async () => {
      const idle = await staffWithPassword('idle@example.jp', 'owner', 'genmaicha-no-aji-5');
      const c = new Client(shop.url);
      const ok = await login(c, 'idle@example.jp', 'genmaicha-no-aji-5', idle.secret);
      assert.equal(ok.status, 200);
      const token = c.cookie(ADMIN_COOKIE)!;
      await db().updateTable('staff_sessions').set({ last_seen_at: nowIso(new Date(Date.now() - 2 * 3600_000)) }).where('token_hash', '=', sha256Hex(token)).execute();
      const page = await c.get('/admin/security');
      assert.match(page.url, /\/admin\/login\?next=%2Fadmin%2Fsecurity$/);
    });

    test('CSRF: an admin POST without the token is refused (and still carries the admin headers)', async () => {
      const o = await staffWithPassword('csrf@example.jp', 'owner', 'kabusecha-no-iro-8');
      const c = new Client(shop.url);
      await login(c, 'csrf@example.jp', 'kabusecha-no-iro-8', o.secret);
      for (const path of ['/admin/login', '/admin/logout', '/admin/staff/invite', '/admin/security/card/suspend']) {
        const res = await c.request(path, { form: { email: OWNER, password: OWNER_PASSWORD, reason: 'x', name: 'x', role: 'staff' }, follow: false });
        assert.equal(res.status, 403, path);
        assertAdminHeaders(res.headers, `403 ${path}`);
      }
      const wrongToken = await c.request('/admin/logout', { form: { _csrf: 'A'.repeat(43) }, follow: false });
      assert.equal(wrongToken.status, 403);
      assert.equal((await c.get('/admin/staff')).status, 200, 'the session survived the forged logouts');
      assert.equal(await db().selectFrom('card_payment_switch').select('id').executeTakeFirst(), undefined);
    });

    test('every admin page sends the strict CSP and no-store', async () => {
      const o = await staffWithPassword('headers@example.jp', 'owner', 'matcha-no-awa-2026');
      const c = new Client(shop.url);
      await login(c, 'headers@example.jp', 'matcha-no-awa-2026', o.secret);
      const anon = new Client(shop.url);
      const pages = [
        await anon.get('/admin/login'),
        await anon.get('/admin/setup?token=bogus'),
        await anon.request('/admin/staff', { follow: false }),
        await c.get('/admin/staff'),
        await c.get('/admin/staff/logins'),
        await c.get('/admin/security'),
        await c.get('/admin/audit'),
        await c.get('/admin/audit?before=abc'),
        await c.get('/admin/staff/stf_NOPE/logins'),
        await c.get('/admin/assets/admin.css'),
      ];
      for (const p of pages) {
        assert.equal(p.headers.get('content-security-policy'), ADMIN_CSP, p.url);
        if (!p.url.includes('/assets/')) assert.equal(p.headers.get('cache-control'), 'no-store', p.url);
        assert.ok(p.status < 500, `${p.url}: ${p.status}`);
      }
      assert.equal(pages[1]!.status, 400);
      assert.equal(pages[7]!.status, 400);
      assert.equal(pages[8]!.status, 404);
      assert.doesNotMatch(decodeEntities(pages[0]!.html), /<script>/);
    });
  });
}
