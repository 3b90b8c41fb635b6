import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { emptyForm } from '../admin/catalog-views.js';
import type { AdminRouteModule } from '../admin/plugin.js';
import { staffActor } from '../admin/staff-service.js';
import { isIsoDate, jstDate } from '../shared/time.js';
import { field, optionalText, parseForm, text } from '../shared/validation.js';
import { PrivacyPage } from './admin-views.js';
import { disclosurePdf, RequestError } from './requests.js';
import { RequestPage, RequestsPage } from './requests-views.js';
import type { RetentionCounts } from './retention.js';

const REQUEST_ID = /^apr_[0-9A-Z]{16}$/;
const createForm = z
  .object({
    _csrf: z.string().optional(),
    kind: z.enum(['disclosure', 'correction', 'suspension', 'deletion'], { error: '種類を選択してください。' }),
    received_on: text({ max: 10 }).refine(isIsoDate, '日付を正しく入力してください（例: 2026-04-01）。').refine((d) => d <= jstDate(), '未来の日付は入力できません。'),
    customer_id: optionalText({ max: 20 }).refine((v) => v === null || /^cus_[0-9A-Z]{16}$/.test(v), '会員IDの形式が正しくありません（cus_ で始まる20文字）。'),
    email: z.string().optional().transform((v) => (v ?? '').trim()).pipe(z.union([z.literal('').transform(() => null), field.email()])),
    phone: z.string().optional().transform((v) => (v ?? '').trim()).pipe(z.union([z.literal('').transform(() => null), field.phone()])),
    detail: text({ max: 2000, multiline: true }),
  })
  .strict();
const closeForm = z
  .object({
    _csrf: z.string().optional(),
    status: z.enum(['done', 'rejected'], { error: '結果を選択してください。' }),
    outcome: text({ max: 2000, multiline: true }),
  })
  .strict();
const strings = (body: unknown): Record<string, string> =>
  typeof body === 'object' && body !== null ? Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === 'string').map(([k, v]) => [k, (v as string).slice(0, 2000)])) : {};

const PER_PAGE = 50;
const listQuery = z
  .object({
    page: z.string().regex(/^\d{1,5}$/, 'ページ番号が正しくありません。').transform(Number).refine((n) => n >= 1, 'ページ番号が正しくありません。').optional(),
    done: z.string().regex(/^\d{1,9}(,\d{1,9}){4}$/).optional(),
  })
  .strict();

const COUNT_KEYS: (keyof RetentionCounts)[] = ['guestOrders', 'withdrawnMembers', 'memberOrders', 'catalogRequests', 'outboxMails'];

/** 個人情報 (owner): retention plan and "run now", third-party provision records. */
export const privacyAdminRoutes: AdminRouteModule = (app, pages) => {
  const { services } = pages;

  app.get('/privacy', async (req, reply) => {
    const staff = await pages.require(req, reply, ['owner']);
    if (!staff) return reply;
    const parsed = listQuery.safeParse(req.query ?? {});
    if (!parsed.success) return pages.render(req, reply, '個人情報', () => <p>{parsed.error.issues[0]?.message ?? '条件が正しくありません。'}</p>, 400);
    const page = parsed.data.page ?? 1;
    const { counts, policy } = await services.retention.plan();
    const { rows, total } = await services.provisions.list({ limit: PER_PAGE, offset: (page - 1) * PER_PAGE });
    const pageCount = Math.max(1, Math.ceil(total / PER_PAGE));
    const done = parsed.data.done ? (Object.fromEntries(parsed.data.done.split(',').map((n, i) => [COUNT_KEYS[i], Number(n)])) as unknown as RetentionCounts) : null;
    await services.audit.append({ actor: staffActor(staff.email), action: 'privacy.provisions.list', target: null, detail: { page, shown: rows.map((r) => r.id) } });
    return pages.render(req, reply, '個人情報', (c) => <PrivacyPage c={c} policy={policy} plan={counts} provisions={rows} total={total} page={page} pages={pageCount} done={done} />);
  });

  app.post('/privacy/retention/run', async (req, reply) => {
    const staff = await pages.require(req, reply, ['owner']);
    if (!staff) return reply;
    const counts = await services.retention.run(staffActor(staff.email));
    return reply.redirect(`${pages.base}/privacy?done=${COUNT_KEYS.map((k) => counts[k]).join(',')}`, 303);
  });

  // ---- APPI requests (開示・訂正・利用停止・消去): owner only, every step audited.

  const requests = services.privacyRequests;
  const listPage = async (req: FastifyRequest, reply: FastifyReply, form = emptyForm({ received_on: jstDate() }), status = 200, error?: string) => {
    const [rows, s] = await Promise.all([requests.list(), services.settings.get()]);
    return pages.render(req, reply, '個人情報の請求', (c) => <RequestsPage c={c} rows={rows} form={form} dueDays={s.privacy.requestDueDays} error={error} />, status);
  };

  app.get('/privacy/requests', async (req, reply) => {
    const staff = await pages.require(req, reply, ['owner']);
    if (!staff) return reply;
    return listPage(req, reply);
  });

  app.post('/privacy/requests', async (req, reply) => {
    const staff = await pages.require(req, reply, ['owner']);
    if (!staff) return reply;
    const parsed = parseForm(createForm, req.body);
    if (!parsed.ok) return listPage(req, reply, { values: strings(req.body), errors: parsed.errors }, 422);
    const d = parsed.data;
    try {
      const r = await requests.create(staffActor(staff.email), { kind: d.kind, receivedOn: d.received_on, detail: d.detail, subject: { customerId: d.customer_id, email: d.email, phone: d.phone } });
      return reply.redirect(`${pages.base}/privacy/requests/${r.id}`, 303);
    } catch (err) {
      if (err instanceof RequestError) return listPage(req, reply, { values: strings(req.body), errors: {} }, 422, err.message);
      throw err;
    }
  });

  const load = async (req: FastifyRequest, reply: FastifyReply) => {
    const staff = await pages.require(req, reply, ['owner']);
    if (!staff) return null;
    const id = (req.params as { id?: string }).id ?? '';
    const r = REQUEST_ID.test(id) ? await requests.get(id) : undefined;
    if (!r) {
      await pages.render(req, reply, '見つかりません', () => <p>その請求は見つかりません。</p>, 404);
      return null;
    }
    return { staff, r };
  };

  app.get('/privacy/requests/:id', async (req, reply) => {
    const got = await load(req, reply);
    if (!got) return reply;
    return pages.render(req, reply, '個人情報の請求', (c) => <RequestPage c={c} r={got.r} form={emptyForm()} />);
  });

  app.post('/privacy/requests/:id/close', async (req, reply) => {
    const got = await load(req, reply);
    if (!got) return reply;
    const parsed = parseForm(closeForm, req.body);
    if (!parsed.ok) return pages.render(req, reply, '個人情報の請求', (c) => <RequestPage c={c} r={got.r} form={{ values: strings(req.body), errors: parsed.errors }} />, 422);
    try {
      const { row } = await requests.close(staffActor(got.staff.email), got.r.id, parsed.data.status, parsed.data.outcome);
      return pages.render(req, reply, '個人情報の請求', (c) => <RequestPage c={c} r={row} form={emptyForm()} notice="対応を記録しました。" />);
    } catch (err) {
      if (err instanceof RequestError) return pages.render(req, reply, '個人情報の請求', (c) => <RequestPage c={c} r={got.r} form={emptyForm()} error={err.message} />, 409);
      throw err;
    }
  });

  const disclose = (format: 'json' | 'pdf') => async (req: FastifyRequest, reply: FastifyReply) => {
    const got = await load(req, reply);
    if (!got) return reply;
    const d = await requests.disclosure(got.r);
    await services.audit.append({
      actor: staffActor(got.staff.email), action: 'privacy.request.disclose', target: got.r.id,
      detail: { format, members: d.members.length, orders: d.orders.length, catalogRequests: d.catalogRequests.length, mails: d.mails.length },
    });
    const name = `disclosure-${got.r.id}.${format}`;
    reply.header('content-disposition', `attachment; filename="${name}"`).header('x-content-type-options', 'nosniff').header('cache-control', 'no-store');
    if (format === 'json') return reply.type('application/json; charset=utf-8').send(JSON.stringify(d, null, 2));
    return reply.type('application/pdf').send(await disclosurePdf(d, got.r));
  };
  app.get('/privacy/requests/:id/disclosure.json', disclose('json'));
  app.get('/privacy/requests/:id/disclosure.pdf', disclose('pdf'));
};
