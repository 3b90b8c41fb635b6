import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { notFound, tooManyRequests } from '../app/errors.js';
import type { CartService } from '../cart/service.js';
import type { OrderService } from '../checkout/service.js';
import { otherDestination, type CheckoutForm } from '../checkout/form.js';
import { normalise } from '../shared/jp.js';
import type { RateLimiter } from '../shared/ratelimit.js';
import { field, parseForm, parseQuery, type FieldErrors } from '../shared/validation.js';
import { isSafeLocalPath, redirect } from '../web/context.js';
import type { Pages } from '../web/page.js';
import type { CustomerService, Profile } from './service.js';
import type { SessionService } from './sessions.js';
import {
  AccountPage, AddressesPage, EmailChangePage, ForgotPage, LoginPage, MessagePage, PasswordChangePage, ProfilePage,
  RegisterPage, ResetPage, WithdrawPage,
} from './views.js';

export interface CustomerDeps {
  customers: CustomerService;
  sessions: SessionService;
  cart: CartService;
  orders: OrderService;
  rateLimiter: RateLimiter;
  pages: Pages;
}

const profileShape = {
  name: field.name(),
  name_kana: field.kana(),
  postal: field.postalCode(),
  prefecture: field.prefecture(),
  address1: field.address(),
  address2: field.optionalAddress(),
  phone: field.phone(),
  fax: field.optionalPhone(),
};
const profileSchema = z.object(profileShape).strict();
const registerSchema = z.object({ email: field.email(), password: field.password(), ...profileShape }).strict();
const loginSchema = z.object({ email: field.email(), password: field.loginPassword() }).strict();
const emailSchema = z.object({ email: field.email() }).strict();
const resetSchema = z.object({ token: z.string().max(64), password: field.password() }).strict();
const tokenQuery = z.object({ token: z.string().max(64), lang: z.enum(['ja', 'en']).optional() }).strict();
const nextQuery = z.object({ next: z.string().max(512).optional(), lang: z.enum(['ja', 'en']).optional(), reset: z.literal('1').optional() }).strict();
const accountQuery = z.object({ done: z.string().max(20).optional(), lang: z.enum(['ja', 'en']).optional() }).strict();
const addressIdParam = z.object({ id: z.string().regex(/^adr_[0-9A-Z]{16}$/) });
const emailChangeSchema = z.object({ email: field.email(), password: field.loginPassword() }).strict();
const passwordChangeSchema = z.object({ current: field.loginPassword(), password: field.password() }).strict();
const passwordOnlySchema = z.object({ password: field.loginPassword() }).strict();
const addressSchema = z
  .object({
    ship_name: z.string().optional(), ship_kana: z.string().optional(), ship_postal: z.string().optional(), ship_prefecture: z.string().optional(),
    ship_address1: z.string().optional(), ship_address2: z.string().optional(), ship_phone: z.string().optional(),
  })
  .strict();

function values(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof body !== 'object' || body === null) return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string' && !/password|current|_csrf|token/.test(k)) out[k] = v.slice(0, 300);
  }
  return out;
}

function toProfile(d: z.output<typeof profileSchema>): Profile {
  return { name: d.name, nameKana: d.name_kana, postalCode: d.postal, prefecture: d.prefecture, address1: d.address1, address2: d.address2, phone: d.phone, fax: d.fax };
}

export function customerRoutes(app: FastifyInstance, deps: CustomerDeps): void {
  const { customers, sessions, cart, orders, rateLimiter, pages } = deps;

  const limit = async (key: string, max: number, windowS: number) => {
    if (!(await rateLimiter.hit(key, max, windowS)).allowed) throw tooManyRequests();
  };

  /** The logged-in member, or a redirect to the login page. */
  const requireMember = async (req: FastifyRequest, reply: FastifyReply) => {
    const session = await req.visitor.session();
    const customer = session.customerId ? await customers.getById(session.customerId) : undefined;
    if (!customer) {
      await redirect(reply, `/login?next=${encodeURIComponent(req.url.split('?')[0]!)}`);
      return null;
    }
    return customer;
  };

  app.get('/register', (req, reply) => pages.render(req, reply, (v) => <RegisterPage v={v} values={{}} errors={{}} />));
  app.post('/register', async (req, reply) => {
    await limit(`register:ip:${req.ip}`, 10, 3600);
    const parsed = parseForm(registerSchema, req.body);
    if (!parsed.ok) return pages.render(req, reply, (v) => <RegisterPage v={v} values={values(req.body)} errors={parsed.errors} />, 422);
    const d = parsed.data;
    const result = await customers.register({ ...toProfile(d), email: d.email, password: d.password });
    // The same answer whether or not the address was already registered: no account enumeration.
    if (!result.ok) req.log.info('registration for an existing e-mail');
    return pages.render(req, reply, (v) => (
      <MessagePage v={v} title="確認メールをお送りしました">
        <p>{d.email} に確認メールをお送りしました。メール内のリンクを開くと登録が完了します（24時間有効）。</p>
        <p class="hint">既にご登録済みのアドレスの場合は、ログインまたはパスワードの再設定をご利用ください。</p>
      </MessagePage>
    ));
  });

  app.get('/verify', async (req, reply) => {
    const q = parseQuery(tokenQuery, req.query);
    const ok = await customers.verifyEmail(q.token);
    return pages.render(req, reply, (v) => (
      <MessagePage v={v} title={ok ? 'メールアドレスを確認しました' : 'リンクが無効です'}>
        {ok ? <p>会員登録が完了しました。<a href="/login">ログイン</a>してください。</p> : <p>リンクの有効期限が切れているか、既に使用されています。</p>}
      </MessagePage>
    ), ok ? 200 : 400);
  });

  app.get('/login', async (req, reply) => {
    const q = parseQuery(nextQuery, req.query);
    const next = isSafeLocalPath(q.next) ? q.next : '/account';
    return pages.render(req, reply, (v) => <LoginPage v={v} values={{}} errors={{}} next={next} notice={q.reset ? 'パスワードを変更しました。新しいパスワードでログインしてください。' : undefined} />);
  });
  app.post('/login', async (req, reply) => {
    const q = parseQuery(nextQuery, req.query);
    const next = isSafeLocalPath(q.next) ? q.next : '/account';
    const parsed = parseForm(loginSchema, req.body);
    if (!parsed.ok) return pages.render(req, reply, (v) => <LoginPage v={v} values={values(req.body)} errors={parsed.errors} next={next} />, 422);
    await limit(`login:ip:${req.ip}`, 30, 900);
    await limit(`login:email:${normalise.email(parsed.data.email)}`, 10, 900);
    const result = await customers.login(parsed.data.email, parsed.data.password);
    if (!result.ok) {
      const errors: FieldErrors = result.reason === 'unverified'
        ? { _form: 'メールアドレスの確認が完了していません。登録時にお送りしたメールのリンクを開いてください。' }
        : { _form: 'メールアドレスまたはパスワードが正しくありません。' };
      return pages.render(req, reply, (v) => <LoginPage v={v} values={values(req.body)} errors={errors} next={next} />, 401);
    }
    const session = await req.visitor.session();
    const cartId = await cart.adoptForMember(session.cartId, result.customer.id);
    req.visitor.setToken(await sessions.rotate(req.visitor.tokenHash, { customerId: result.customer.id, cartId }));
    return redirect(reply, next);
  });

  app.post('/logout', async (req, reply) => {
    req.visitor.setToken(await sessions.rotate(req.visitor.tokenHash, { customerId: null, cartId: null }));
    return redirect(reply, '/');
  });

  app.get('/password/forgot', (req, reply) => pages.render(req, reply, (v) => <ForgotPage v={v} values={{}} errors={{}} />));
  app.post('/password/forgot', async (req, reply) => {
    const parsed = parseForm(emailSchema, req.body);
    if (!parsed.ok) return pages.render(req, reply, (v) => <ForgotPage v={v} values={values(req.body)} errors={parsed.errors} />, 422);
    await limit(`forgot:ip:${req.ip}`, 10, 3600);
    if ((await rateLimiter.hit(`forgot:email:${normalise.email(parsed.data.email)}`, 3, 3600)).allowed) {
      await customers.requestPasswordReset(parsed.data.email);
    }
    return pages.render(req, reply, (v) => (
      <MessagePage v={v} title="メールをご確認ください">
        <p>ご登録のアドレスであれば、パスワード再設定のご案内をお送りしました（1時間有効）。</p>
      </MessagePage>
    ));
  });
  app.get('/password/reset', async (req, reply) => {
    const q = parseQuery(tokenQuery, req.query);
    if (!(await customers.resetTokenValid(q.token))) {
      return pages.render(req, reply, (v) => <MessagePage v={v} title="リンクが無効です"><p>リンクの有効期限が切れているか、既に使用されています。<a href="/password/forgot">もう一度お申し込みください。</a></p></MessagePage>, 400);
    }
    return pages.render(req, reply, (v) => <ResetPage v={v} token={q.token} errors={{}} />);
  });
  app.post('/password/reset', async (req, reply) => {
    const parsed = parseForm(resetSchema, req.body);
    const token = typeof (req.body as Record<string, unknown> | undefined)?.token === 'string' ? String((req.body as Record<string, unknown>).token).slice(0, 64) : '';
    if (!parsed.ok) return pages.render(req, reply, (v) => <ResetPage v={v} token={token} errors={parsed.errors} />, 422);
    if (!(await customers.resetPassword(parsed.data.token, parsed.data.password))) {
      return pages.render(req, reply, (v) => <MessagePage v={v} title="リンクが無効です"><p>リンクの有効期限が切れているか、既に使用されています。</p></MessagePage>, 400);
    }
    return redirect(reply, '/login?reset=1');
  });

  app.get('/account', async (req, reply) => {
    const c = await requireMember(req, reply);
    if (!c) return reply;
    const list = await orders.listForCustomer(c.id);
    const q = parseQuery(accountQuery, req.query);
    const notices: Record<string, string> = { profile: '会員情報を変更しました。', password: 'パスワードを変更しました。', email: '確認メールを新しいアドレスにお送りしました。', emailChanged: 'メールアドレスを変更しました。' };
    return pages.render(req, reply, (v) => <AccountPage v={v} name={c.name} email={c.email} orders={list} notice={q.done ? notices[q.done] : undefined} />);
  });

  app.get('/account/profile', async (req, reply) => {
    const c = await requireMember(req, reply);
    if (!c) return reply;
    const vals = { name: c.name, name_kana: c.name_kana, postal: c.postal_code, prefecture: c.prefecture, address1: c.address1, address2: c.address2 ?? '', phone: c.phone, fax: c.fax ?? '' };
    return pages.render(req, reply, (v) => <ProfilePage v={v} values={vals} errors={{}} />);
  });
  app.post('/account/profile', async (req, reply) => {
    const c = await requireMember(req, reply);
    if (!c) return reply;
    const parsed = parseForm(profileSchema, req.body);
    if (!parsed.ok) return pages.render(req, reply, (v) => <ProfilePage v={v} values={values(req.body)} errors={parsed.errors} />, 422);
    await customers.updateProfile(c.id, toProfile(parsed.data));
    return redirect(reply, '/account?done=profile');
  });

  app.get('/account/addresses', async (req, reply) => {
    const c = await requireMember(req, reply);
    if (!c) return reply;
    const list = await customers.listAddresses(c.id);
    return pages.render(req, reply, (v) => <AddressesPage v={v} addresses={list} values={{}} errors={{}} />);
  });
  app.post('/account/addresses', async (req, reply) => {
    const c = await requireMember(req, reply);
    if (!c) return reply;
    const shape = parseForm(addressSchema, req.body);
    let errors: FieldErrors = shape.ok ? {} : shape.errors;
    if (shape.ok) {
      try {
        await customers.addAddress(c.id, otherDestination({ ...shape.data, ship_to: 'other' } as CheckoutForm));
        return redirect(reply, '/account/addresses');
      } catch (err) {
        if (!(err instanceof z.ZodError)) throw err;
        errors = {};
        for (const i of err.issues) errors[String(i.path[0])] ??= i.message;
      }
    }
    const list = await customers.listAddresses(c.id);
    return pages.render(req, reply, (v) => <AddressesPage v={v} addresses={list} values={values(req.body)} errors={errors} />, 422);
  });
  app.post('/account/addresses/:id/delete', async (req, reply) => {
    const c = await requireMember(req, reply);
    if (!c) return reply;
    const p = addressIdParam.safeParse(req.params);
    if (!p.success || !(await customers.deleteAddress(c.id, p.data.id))) throw notFound('お届け先');
    return redirect(reply, '/account/addresses');
  });

  app.get('/account/email', async (req, reply) => {
    if (!(await requireMember(req, reply))) return reply;
    return pages.render(req, reply, (v) => <EmailChangePage v={v} values={{}} errors={{}} />);
  });
  app.post('/account/email', async (req, reply) => {
    const c = await requireMember(req, reply);
    if (!c) return reply;
    const parsed = parseForm(emailChangeSchema, req.body);
    if (!parsed.ok) return pages.render(req, reply, (v) => <EmailChangePage v={v} values={values(req.body)} errors={parsed.errors} />, 422);
    await limit(`email-change:${c.id}`, 5, 3600);
    const r = await customers.requestEmailChange(c.id, parsed.data.email, parsed.data.password);
    if (r === 'bad_password') return pages.render(req, reply, (v) => <EmailChangePage v={v} values={values(req.body)} errors={{ password: 'パスワードが正しくありません。' }} />, 422);
    if (r === 'taken') return pages.render(req, reply, (v) => <EmailChangePage v={v} values={values(req.body)} errors={{ email: 'このメールアドレスは使用できません。' }} />, 422);
    return redirect(reply, '/account?done=email');
  });
  app.get('/account/email/confirm', async (req, reply) => {
    const q = parseQuery(tokenQuery, req.query);
    const r = await customers.confirmEmailChange(q.token);
    if (r === 'changed') return redirect(reply, '/account?done=emailChanged');
    return pages.render(req, reply, (v) => <MessagePage v={v} title="リンクが無効です"><p>リンクの有効期限が切れているか、既に使用されています。</p></MessagePage>, 400);
  });

  app.get('/account/password', async (req, reply) => {
    if (!(await requireMember(req, reply))) return reply;
    return pages.render(req, reply, (v) => <PasswordChangePage v={v} errors={{}} />);
  });
  app.post('/account/password', async (req, reply) => {
    const c = await requireMember(req, reply);
    if (!c) return reply;
    const parsed = parseForm(passwordChangeSchema, req.body);
    if (!parsed.ok) return pages.render(req, reply, (v) => <PasswordChangePage v={v} errors={parsed.errors} />, 422);
    await limit(`password-change:${c.id}`, 10, 3600);
    if (!(await customers.changePassword(c.id, parsed.data.current, parsed.data.password))) {
      return pages.render(req, reply, (v) => <PasswordChangePage v={v} errors={{ current: '現在のパスワードが正しくありません。' }} />, 422);
    }
    return redirect(reply, '/account?done=password');
  });

  app.get('/account/withdraw', async (req, reply) => {
    if (!(await requireMember(req, reply))) return reply;
    return pages.render(req, reply, (v) => <WithdrawPage v={v} errors={{}} />);
  });
  app.post('/account/withdraw', async (req, reply) => {
    const c = await requireMember(req, reply);
    if (!c) return reply;
    const parsed = parseForm(passwordOnlySchema, req.body);
    if (!parsed.ok) return pages.render(req, reply, (v) => <WithdrawPage v={v} errors={parsed.errors} />, 422);
    await limit(`withdraw:${c.id}`, 10, 3600);
    if (!(await customers.withdraw(c.id, parsed.data.password))) {
      return pages.render(req, reply, (v) => <WithdrawPage v={v} errors={{ password: 'パスワードが正しくありません。' }} />, 422);
    }
    req.visitor.setToken(await sessions.rotate(req.visitor.tokenHash, { customerId: null, cartId: null }));
    return pages.render(req, reply, (v) => <MessagePage v={v} title="退会手続きが完了しました"><p>これまでのご利用ありがとうございました。</p></MessagePage>);
  });
}
