import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { sha256Hex } from '../shared/ids.js';
import { field, parseForm, text, type FieldErrors } from '../shared/validation.js';
import { isSafeLocalPath } from '../web/context.js';
import { EnrolView, LoginView, MessageView, RecoveryCodesView, SetupPasswordView, TwoFactorView } from './auth-views.js';
import { ADMIN_COOKIE, adminCookieOptions, type AdminRouteModule } from './plugin.js';
import { StaffService, staffPasswordProblem, type ClientInfo } from './staff-service.js';
import { groupSecret, qrSvg, totpUri } from './totp.js';

/** Login attempts (both steps) per IP address in 15 minutes, on top of the per-account lock-out. */
export const LOGIN_LIMIT_PER_IP = 30;
const LOGIN_WINDOW_S = 900;

const nextField = z.string().max(512).optional();
const loginSchema = z.object({ email: field.email(), password: field.loginPassword(), next: nextField }).strict();
const codeSchema = z.object({ code: text({ max: 40 }), next: nextField }).strict();
const enrolSchema = z.object({ code: text({ max: 40 }) }).strict();
const setupSchema = z
  .object({
    token: z.string().max(64),
    name: field.name(),
    password: z.string({ error: 'パスワードを入力してください。' }).max(200, 'パスワードは128文字以内にしてください。'),
    password_confirm: z.string({ error: '確認のため、もう一度入力してください。' }).max(200),
  })
  .strict();
// Query strings: unknown parameters are ignored, known ones must have the right shape.
const loginQuery = z.object({ next: z.string().max(512).optional(), done: z.enum(['logout', 'expired']).optional() });
const tokenQuery = z.object({ token: z.string().max(64).optional() });

export function clientOf(req: FastifyRequest): ClientInfo {
  const ua = req.headers['user-agent'];
  return { ip: req.ip, userAgent: typeof ua === 'string' ? ua : '' };
}

/** Login, logout and the one-time setup of a staff account (password, then mandatory TOTP). */
export const authRoutes: AdminRouteModule = (app, pages) => {
  const { services, base } = pages;
  const staffService = new StaffService(services);

  /** Where to go after login: only a page of the admin console itself. */
  const safeNext = (n: unknown): string => {
    if (!isSafeLocalPath(n) || !(n === base || n.startsWith(`${base}/`))) return base;
    return /^\/(login|logout|setup)(\/|$|\?)/.test(n.slice(base.length)) ? base : n;
  };
  const nextQs = (next: string) => (next === base ? '' : `?next=${encodeURIComponent(next)}`);
  const setSessionCookie = (reply: FastifyReply, token: string) => reply.setCookie(ADMIN_COOKIE, token, adminCookieOptions(services));
  const withinIpLimit = async (req: FastifyRequest) => (await services.rateLimiter.hit(`admin-login:ip:${req.ip}`, LOGIN_LIMIT_PER_IP, LOGIN_WINDOW_S)).allowed;
  const tooMany = (req: FastifyRequest, reply: FastifyReply) =>
    pages.render(req, reply, 'しばらくお待ちください', () => <MessageView><p>試行回数が多すぎます。しばらく時間をおいてから、もう一度お試しください。</p></MessageView>, 429);
  const linkInvalid = (req: FastifyRequest, reply: FastifyReply) =>
    pages.render(req, reply, 'リンクが無効です', () => (
      <MessageView>
        <p>この設定リンクは有効期限が切れているか、既に使用されています。オーナーに新しいリンクの発行を依頼してください。</p>
      </MessageView>
    ), 400);

  const renderLogin = (req: FastifyRequest, reply: FastifyReply, o: { next: string; values?: Record<string, string>; errors?: FieldErrors; notice?: string; status?: number }) =>
    pages.render(req, reply, 'ログイン', (c) => <LoginView c={c} values={o.values ?? {}} errors={o.errors ?? {}} next={o.next} notice={o.notice} />, o.status ?? 200);

  app.get('/login', async (req, reply) => {
    const q = loginQuery.safeParse(req.query);
    const next = safeNext(q.success ? q.data.next : undefined);
    if (req.staff?.mfaPassed) return reply.redirect(next, 303);
    if (req.staff) return reply.redirect(`${base}/login/2fa${nextQs(next)}`, 303);
    const notice = q.success && q.data.done === 'logout' ? 'ログアウトしました。' : undefined;
    return renderLogin(req, reply, { next, notice });
  });

  app.post('/login', async (req, reply) => {
    const parsed = parseForm(loginSchema, req.body);
    const rawEmail = (req.body as Record<string, unknown> | undefined)?.email;
    const values = { email: typeof rawEmail === 'string' ? rawEmail.slice(0, 254) : '' };
    const next = safeNext(parsed.ok ? parsed.data.next : undefined);
    if (!parsed.ok) return renderLogin(req, reply, { next, values, errors: parsed.errors, status: 422 });
    if (!(await withinIpLimit(req))) return tooMany(req, reply);
    const result = await staffService.passwordLogin(parsed.data.email, parsed.data.password, clientOf(req));
    if (!result.ok) {
      // One answer for every failure: unknown address, wrong password, locked or disabled account.
      return renderLogin(req, reply, { next, values, errors: { _form: 'メールアドレスまたはパスワードが正しくないか、現在ログインできないアカウントです。' }, status: 401 });
    }
    // A fresh session token at every privilege change; the old session (if any) ends.
    const old = req.cookies[ADMIN_COOKIE];
    if (old) await services.staffSessions.end(sha256Hex(old));
    setSessionCookie(reply, await services.staffSessions.create(result.staff.id, req.ip, clientOf(req).userAgent));
    return reply.redirect(`${base}/login/2fa${nextQs(next)}`, 303);
  });

  const renderTwoFactor = (req: FastifyRequest, reply: FastifyReply, next: string, errors: FieldErrors = {}, status = 200) =>
    pages.render(req, reply, '2要素認証', (c) => <TwoFactorView c={c} errors={errors} next={next} />, status);

  app.get('/login/2fa', async (req, reply) => {
    const q = loginQuery.safeParse(req.query);
    const next = safeNext(q.success ? q.data.next : undefined);
    if (!req.staff) return reply.redirect(`${base}/login${nextQs(next)}`, 303);
    if (req.staff.mfaPassed) return reply.redirect(next, 303);
    if (!req.staff.mfaEnrolled) return reply.redirect(`${base}/setup/2fa`, 303);
    return renderTwoFactor(req, reply, next);
  });

  app.post('/login/2fa', async (req, reply) => {
    const parsed = parseForm(codeSchema, req.body);
    const next = safeNext(parsed.ok ? parsed.data.next : undefined);
    const s = req.staff;
    if (!s) return reply.redirect(`${base}/login${nextQs(next)}`, 303);
    if (s.mfaPassed) return reply.redirect(next, 303);
    if (!parsed.ok) return renderTwoFactor(req, reply, next, parsed.errors, 422);
    if (!(await withinIpLimit(req))) return tooMany(req, reply);
    const r = await staffService.secondFactor(s.id, parsed.data.code, clientOf(req));
    if (r.ok) {
      await services.staffSessions.end(s.sessionHash);
      const token = await services.staffSessions.create(s.id, req.ip, clientOf(req).userAgent);
      await services.staffSessions.markMfaPassed(sha256Hex(token));
      setSessionCookie(reply, token);
      return reply.redirect(next, 303);
    }
    if (r.reason === 'locked') {
      await services.staffSessions.end(s.sessionHash);
      reply.clearCookie(ADMIN_COOKIE, adminCookieOptions(services));
      return renderLogin(req, reply, { next, errors: { _form: 'メールアドレスまたはパスワードが正しくないか、現在ログインできないアカウントです。' }, status: 401 });
    }
    const message =
      r.reason === 'malformed' ? '認証アプリの6桁のコード、またはリカバリーコードを入力してください。'
      : r.reason === 'replay' ? 'このコードは既に使用されました。アプリに次のコードが表示されてから入力してください。'
      : '確認コードが正しくありません。';
    return renderTwoFactor(req, reply, next, { code: message }, r.reason === 'malformed' ? 422 : 401);
  });

  app.post('/logout', async (req, reply) => {
    if (req.staff) {
      await staffService.logout(req.staff, req.staff.sessionHash, clientOf(req));
    } else {
      const token = req.cookies[ADMIN_COOKIE];
      if (token) await services.staffSessions.end(sha256Hex(token));
    }
    reply.clearCookie(ADMIN_COOKIE, adminCookieOptions(services));
    return reply.redirect(`${base}/login?done=logout`, 303);
  });

  // ------------------------------------------------------------------ setup (invitation, 2FA reset)

  app.get('/setup', async (req, reply) => {
    const q = tokenQuery.safeParse(req.query);
    const token = q.success ? (q.data.token ?? '') : '';
    const staff = await staffService.staffForSetupToken(token);
    if (!staff) return linkInvalid(req, reply);
    return pages.render(req, reply, '管理画面アカウントの設定', (c) => <SetupPasswordView c={c} token={token} email={staff.email} name={staff.name} errors={{}} />);
  });

  app.post('/setup', async (req, reply) => {
    if (!(await services.rateLimiter.hit(`admin-setup:ip:${req.ip}`, 20, LOGIN_WINDOW_S)).allowed) return tooMany(req, reply);
    const body = req.body as Record<string, unknown> | undefined;
    const token = typeof body?.token === 'string' ? body.token.slice(0, 64) : '';
    const staff = await staffService.staffForSetupToken(token);
    if (!staff) return linkInvalid(req, reply);
    const parsed = parseForm(setupSchema, req.body);
    const rawName = typeof body?.name === 'string' ? body.name.slice(0, 60) : staff.name;
    let errors: FieldErrors = parsed.ok ? {} : parsed.errors;
    if (parsed.ok) {
      const problem = staffPasswordProblem(parsed.data.password, staff.email);
      if (problem) errors = { password: problem };
      else if (parsed.data.password !== parsed.data.password_confirm) errors = { password_confirm: '確認用のパスワードが一致しません。' };
    }
    if (!parsed.ok || Object.keys(errors).length > 0) {
      return pages.render(req, reply, '管理画面アカウントの設定', (c) => <SetupPasswordView c={c} token={token} email={staff.email} name={rawName} errors={errors} />, 422);
    }
    const done = await staffService.completePasswordStep(token, parsed.data.name, parsed.data.password, clientOf(req));
    if (!done) return linkInvalid(req, reply);
    setSessionCookie(reply, done.sessionToken);
    return reply.redirect(`${base}/setup/2fa`, 303);
  });

  /** The setup session, or null after answering (login page, or a refusal for an un-enrolled active account). */
  const requireSetup = async (req: FastifyRequest, reply: FastifyReply) => {
    const setup = await staffService.setupSessionStaff(req.cookies[ADMIN_COOKIE]);
    if (setup) return setup;
    if (req.staff?.mfaPassed) await reply.redirect(base, 303);
    else if (req.staff && !req.staff.mfaEnrolled) {
      // An active account without TOTP is never enrolled from a password-only session: that would let
      // whoever knows the password choose the second factor. An owner issues a setup link instead.
      await pages.render(req, reply, '2要素認証が未設定です', () => (
        <MessageView><p>このアカウントには2要素認証が設定されていません。オーナーに「2要素認証のリセット」で設定リンクを発行してもらってください。</p></MessageView>
      ), 403);
    } else await reply.redirect(`${base}/login`, 303);
    return null;
  };

  const renderEnrol = async (req: FastifyRequest, reply: FastifyReply, staffId: string, email: string, errors: FieldErrors = {}, status = 200) => {
    const secret = await staffService.pendingSecret(staffId);
    const issuer = (await services.settings.get()).shop.name;
    const svg = await qrSvg(totpUri(secret, issuer, email));
    return pages.render(req, reply, '2要素認証の設定', (c) => <EnrolView c={c} svg={svg} secret={groupSecret(secret)} account={email} issuer={issuer} errors={errors} />, status);
  };

  app.get('/setup/2fa', async (req, reply) => {
    const setup = await requireSetup(req, reply);
    if (!setup) return reply;
    return renderEnrol(req, reply, setup.staff.id, setup.staff.email);
  });

  app.post('/setup/2fa', async (req, reply) => {
    const setup = await requireSetup(req, reply);
    if (!setup) return reply;
    if (!(await services.rateLimiter.hit(`admin-enrol:${setup.staff.id}`, 10, LOGIN_WINDOW_S)).allowed) return tooMany(req, reply);
    const parsed = parseForm(enrolSchema, req.body);
    if (!parsed.ok) return renderEnrol(req, reply, setup.staff.id, setup.staff.email, parsed.errors, 422);
    const done = await staffService.confirmEnrolment(setup, parsed.data.code, clientOf(req));
    if (!done) {
      return renderEnrol(req, reply, setup.staff.id, setup.staff.email, { code: '確認コードが正しくありません。アプリに表示されている最新のコードを入力してください。' }, 422);
    }
    setSessionCookie(reply, done.sessionToken);
    // The new session is not on this request yet: the header shows no menu, only the codes and the way on.
    return pages.render(req, reply, 'リカバリーコード', (c) => <RecoveryCodesView c={c} codes={done.codes} />);
  });

  // Unknown admin URLs: an admin 404 inside the admin scope, so the allow-list, the admin session
  // and the strict CSP apply to them as well (the shop's own 404 handler lives outside it).
  app.all('/*', async (req, reply) =>
    pages.render(req, reply, 'ページが見つかりません', () => <MessageView><p>お探しの管理画面のページは見つかりませんでした。</p></MessageView>, 404));
};
