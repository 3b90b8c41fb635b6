import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../app/errors.js';
import { normaliseTrackingNumber, OrderAdminService, type OrderDetail, type OrderFilter } from '../checkout/admin-service.js';
import { B2_HEADER, b2Row, ORDER_CSV_HEADER, orderCsvRows, SAGAWA_HEADER, sagawaRow, toCsv, type Shipper } from '../checkout/exports.js';
import { sendPage } from '../web/view.js';
import { nfkc } from '../shared/jp.js';
import { addDays, isIsoDate, jstDate } from '../shared/time.js';
import { optionalQueryValue, optionalText, parseForm, text } from '../shared/validation.js';
import type { AdminRouteModule } from './plugin.js';
import { DONE_MESSAGES, Flash, ORDER_STATUSES, OrderDetailView, OrdersListView, PackingSlip, type DoneCode, type EntryInfo, type FilterValues } from './orders-views.js';
import { PaymentLinkService } from '../payments/links.js';
import { StaffService } from './staff-service.js';
import type { StaffIdentity } from './sessions.js';

const PER_PAGE = 50;
const ROLES = ['owner', 'staff'] as const;
const ORDER_ID = /^ord_[0-9A-Z]{16}$/;

// ---------------------------------------------------------------------------------------------
// Input schemas. Query strings and forms are untrusted: anything off is a 4xx with a message.

const opt = optionalQueryValue;

const jstDateParam = (label: string) => z.string().refine(isIsoDate, `${label}は YYYY-MM-DD の形式で指定してください。`);

const filterShape = {
  status: opt(z.enum(ORDER_STATUSES, { error: '状態の指定が正しくありません。' })),
  payment: opt(z.enum(['card', 'bank_transfer', 'cod', 'postal_transfer'], { error: '支払方法の指定が正しくありません。' })),
  channel: opt(z.enum(['web', 'phone', 'fax', 'postcard', 'other'], { error: '受付経路の指定が正しくありません。' })),
  from: opt(jstDateParam('開始日')),
  to: opt(jstDateParam('終了日')),
  q: opt(text({ max: 100 })),
};

const fromBeforeTo = (v: { from: string | null; to: string | null }) => !v.from || !v.to || v.from <= v.to;
const RANGE_MESSAGE = '開始日は終了日以前の日付にしてください。';

const listQuery = z
  .object({ ...filterShape, page: opt(z.string().regex(/^\d{1,5}$/, 'ページ番号が正しくありません。').transform(Number).refine((n) => n >= 1, 'ページ番号が正しくありません。')) })
  .strict()
  .refine(fromBeforeTo, RANGE_MESSAGE);

const shipDate = opt(
  jstDateParam('出荷日').refine((d) => d >= addDays(jstDate(), -7) && d <= addDays(jstDate(), 30), '出荷日は7日前から30日後までで指定してください。'),
);
const digits = (min: number, max: number, label: string) => opt(z.string().regex(new RegExp(`^\\d{${min},${max}}$`), `${label}は${min === max ? min : `${min}〜${max}`}桁の数字で指定してください。`));

const ordersCsvQuery = z.object(filterShape).strict().refine(fromBeforeTo, RANGE_MESSAGE);
const b2Query = z
  .object({ ...filterShape, ship_date: shipDate, billing_code: digits(10, 12, '請求先顧客コード'), billing_class: digits(3, 3, '請求先分類コード'), freight_no: digits(2, 2, '運賃管理番号') })
  .strict()
  .refine(fromBeforeTo, RANGE_MESSAGE);
const sagawaQuery = z
  .object({ ...filterShape, ship_date: shipDate, customer_code: digits(8, 12, 'お客様コード') })
  .strict()
  .refine(fromBeforeTo, RANGE_MESSAGE);

const detailQuery = z.object({ done: opt(z.enum(Object.keys(DONE_MESSAGES) as [DoneCode, ...DoneCode[]])) }).strict();

const statusForm = z.object({ to: z.enum(ORDER_STATUSES, { error: '変更先の状態が正しくありません。' }) }).strict();
const trackingForm = z
  .object({
    carrier: z.enum(['yamato', 'sagawa', 'japanpost'], { error: '配送業者を選択してください。' }),
    tracking: z.string({ error: '追跡番号を入力してください。' }).transform((v, ctx) => {
      const n = normaliseTrackingNumber(v);
      if (!n) {
        ctx.addIssue({ code: 'custom', message: '追跡番号は数字とハイフンで、数字10〜14桁で入力してください。' });
        return z.NEVER;
      }
      return n;
    }),
  })
  .strict();
const checkbox = z.literal('1').optional().transform((v) => v === '1');
const cancelForm = z.object({ refund: checkbox, reason: optionalText({ max: 200 }) }).strict();
const yenAmount = (label: string) =>
  z
    .string({ error: `${label}を入力してください。` })
    .transform((v) => nfkc(v).replace(/[,\s円¥]/g, ''))
    .refine((v) => /^\d{1,8}$/.test(v), `${label}は1円以上の整数で入力してください。`)
    .transform(Number)
    .refine((n) => n >= 1, `${label}は1円以上の整数で入力してください。`);
const refundForm = z.object({ amount: z.union([z.literal('').transform(() => null), yenAmount('返金額')]).optional().transform((v) => v ?? null) }).strict();
const bankForm = z
  .object({
    amount: yenAmount('入金額'),
    received_on: z
      .string({ error: '入金日を入力してください。' })
      .refine(isIsoDate, '入金日は YYYY-MM-DD の形式で入力してください。')
      .refine((d) => d <= jstDate(), '入金日に未来の日付は指定できません。'),
    accept_difference: checkbox,
  })
  .strict();
const noteForm = z.object({ body: text({ max: 2000, multiline: true }) }).strict();
const emptyForm = z.object({}).strict();

// ---------------------------------------------------------------------------------------------

function toFilter(v: { status: OrderFilter['status']; payment: OrderFilter['payment']; channel: OrderFilter['channel']; from: string | null; to: string | null; q: string | null }): OrderFilter {
  return { status: v.status, payment: v.payment, channel: v.channel, from: v.from, to: v.to, q: v.q };
}

/** The filter as typed, for the form and the links (only string values). */
function rawValues(query: unknown): FilterValues {
  const out: FilterValues = {};
  if (typeof query !== 'object' || query === null) return out;
  for (const k of ['status', 'payment', 'channel', 'from', 'to', 'q'] as const) {
    const v = (query as Record<string, unknown>)[k];
    if (typeof v === 'string') out[k] = v.slice(0, 100);
  }
  return out;
}

function formValues(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof body !== 'object' || body === null) return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) if (k !== '_csrf' && typeof v === 'string') out[k] = v.slice(0, 2000);
  return out;
}

const actorOf = (s: StaffIdentity) => `staff:${s.email}`;

/** Order pages: list with filters, detail with every action, exports and the packing slip. */
export const orderRoutes: AdminRouteModule = (app, pages) => {
  const { services } = pages;
  const admin = new OrderAdminService(services.handle.db, services.orders, services.payments, services.settings, services.audit);

  const problem = (req: FastifyRequest, reply: FastifyReply, status: number, message: string) =>
    pages.render(req, reply, status === 404 ? '見つかりません' : '入力内容をご確認ください', (c) => (
      <>
        <Flash kind="error">{message}</Flash>
        <p><a href={`${c.base}/orders`}>注文一覧へ戻る</a></p>
      </>
    ), status);

  const loadDetail = async (req: FastifyRequest, reply: FastifyReply): Promise<OrderDetail | null> => {
    const id = (req.params as { id: string }).id;
    const d = ORDER_ID.test(id) ? await admin.detail(id) : null;
    if (!d) await problem(req, reply, 404, 'ご注文が見つかりません。');
    return d;
  };

  const staffService = new StaffService(services);
  const entryInfo = async (o: OrderDetail['order']): Promise<EntryInfo> => {
    const [links, current, who] = await Promise.all([
      services.paymentLinks.listFor(o.id),
      services.paymentLinks.currentLinkFor(o.id),
      o.entered_by ? staffService.getById(o.entered_by) : Promise.resolve(undefined),
    ]);
    return {
      enteredBy: o.entered_by ? (who ? `${who.name}（${who.email}）` : o.entered_by) : null,
      links,
      current: current ? { url: current.url, expiresAt: current.expiresAt } : null,
      linkProblem: PaymentLinkService.problem(o),
    };
  };

  const renderDetail = async (req: FastifyRequest, reply: FastifyReply, d: OrderDetail, opts: { status?: number; done?: DoneCode; error?: string; values?: Record<string, string> } = {}) => {
    const entry = await entryInfo(d.order);
    return pages.render(req, reply, `注文 ${d.order.order_number}`, (c) => <OrderDetailView c={c} d={d} done={opts.done} error={opts.error} values={opts.values} entry={entry} />, opts.status ?? 200);
  };

  app.get('/orders', async (req, reply) => {
    if (!(await pages.require(req, reply, [...ROLES]))) return reply;
    const values = rawValues(req.query);
    const parsed = listQuery.safeParse(req.query ?? {});
    if (!parsed.success) {
      return pages.render(req, reply, '注文', (c) => <OrdersListView c={c} values={values} rows={[]} total={0} page={1} pages={0} error={parsed.error.issues[0]?.message ?? '検索条件が正しくありません。'} />, 400);
    }
    const page = parsed.data.page ?? 1;
    const { rows, total } = await admin.search(toFilter(parsed.data), page, PER_PAGE);
    const pageCount = Math.max(1, Math.ceil(total / PER_PAGE));
    if (page > pageCount && total > 0) return problem(req, reply, 404, 'そのページはありません。');
    return pages.render(req, reply, '注文', (c) => <OrdersListView c={c} values={values} rows={rows} total={total} page={page} pages={pageCount} />);
  });

  // ---- Exports: personal data, so every one is audited (who, which filter, how many rows).

  const sendCsv = async (reply: FastifyReply, name: string, body: string) =>
    reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}-${jstDate().replace(/-/g, '')}.csv"`)
      .header('x-content-type-options', 'nosniff')
      .send(body);

  const shipper = async (): Promise<Shipper> => {
    const s = (await services.settings.get()).shop;
    return { name: s.name, phone: s.phone, postalCode: s.postalCode, address: s.address };
  };

  const exportAudit = (staff: StaffIdentity, format: string, filter: OrderFilter, extra: Record<string, unknown>) =>
    services.audit.append({ actor: actorOf(staff), action: 'order.export', target: null, detail: { format, filter, ...extra } });

  app.get('/orders/export/orders.csv', async (req, reply) => {
    const staff = await pages.require(req, reply, [...ROLES]);
    if (!staff) return reply;
    const parsed = ordersCsvQuery.safeParse(req.query ?? {});
    if (!parsed.success) return problem(req, reply, 400, parsed.error.issues[0]?.message ?? '出力条件が正しくありません。');
    const filter = toFilter(parsed.data);
    try {
      const orders = await admin.forExport(filter, { shippable: false });
      const rows = orderCsvRows(orders);
      await exportAudit(staff, 'orders_csv', filter, { orders: orders.length, rows: rows.length });
      return sendCsv(reply, 'orders', toCsv(ORDER_CSV_HEADER, rows));
    } catch (err) {
      if (err instanceof AppError && err.statusCode < 500) return problem(req, reply, err.statusCode, err.message);
      throw err;
    }
  });

  app.get('/orders/export/yamato-b2.csv', async (req, reply) => {
    const staff = await pages.require(req, reply, [...ROLES]);
    if (!staff) return reply;
    const parsed = b2Query.safeParse(req.query ?? {});
    if (!parsed.success) return problem(req, reply, 400, parsed.error.issues[0]?.message ?? '出力条件が正しくありません。');
    const filter = toFilter(parsed.data);
    try {
      const orders = await admin.forExport(filter, { shippable: true });
      const opts = {
        shipDate: parsed.data.ship_date ?? jstDate(), shipper: await shipper(),
        billingCustomerCode: parsed.data.billing_code ?? '', billingClassCode: parsed.data.billing_class ?? '', freightNumber: parsed.data.freight_no ?? '',
      };
      const rows = orders.map((o) => b2Row(o, opts));
      await exportAudit(staff, 'yamato_b2', filter, { rows: rows.length, shipDate: opts.shipDate });
      await services.provisions.record(actorOf(staff), 'yamato_b2', orders.map((o) => o.order_number));
      return sendCsv(reply, 'yamato-b2', toCsv(B2_HEADER, rows));
    } catch (err) {
      if (err instanceof AppError && err.statusCode < 500) return problem(req, reply, err.statusCode, err.message);
      throw err;
    }
  });

  app.get('/orders/export/sagawa.csv', async (req, reply) => {
    const staff = await pages.require(req, reply, [...ROLES]);
    if (!staff) return reply;
    const parsed = sagawaQuery.safeParse(req.query ?? {});
    if (!parsed.success) return problem(req, reply, 400, parsed.error.issues[0]?.message ?? '出力条件が正しくありません。');
    const filter = toFilter(parsed.data);
    try {
      const orders = await admin.forExport(filter, { shippable: true });
      const opts = { shipDate: parsed.data.ship_date ?? jstDate(), shipper: await shipper(), customerCode: parsed.data.customer_code ?? '' };
      const rows = orders.map((o) => sagawaRow(o, opts));
      await exportAudit(staff, 'sagawa_ehiden', filter, { rows: rows.length, shipDate: opts.shipDate });
      await services.provisions.record(actorOf(staff), 'sagawa_ehiden', orders.map((o) => o.order_number));
      return sendCsv(reply, 'sagawa-ehiden', toCsv(SAGAWA_HEADER, rows));
    } catch (err) {
      if (err instanceof AppError && err.statusCode < 500) return problem(req, reply, err.statusCode, err.message);
      throw err;
    }
  });

  // ---- Detail and packing slip.

  app.get('/orders/:id', async (req, reply) => {
    if (!(await pages.require(req, reply, [...ROLES]))) return reply;
    const parsed = detailQuery.safeParse(req.query ?? {});
    if (!parsed.success) return problem(req, reply, 400, 'パラメータが正しくありません。');
    const d = await loadDetail(req, reply);
    if (!d) return reply;
    return renderDetail(req, reply, d, { done: parsed.data.done ?? undefined });
  });

  app.get('/orders/:id/packing-slip', async (req, reply) => {
    const staff = await pages.require(req, reply, [...ROLES]);
    if (!staff) return reply;
    if (Object.keys((req.query as object | undefined) ?? {}).length > 0) return problem(req, reply, 400, 'パラメータが正しくありません。');
    const d = await loadDetail(req, reply);
    if (!d) return reply;
    const [c, settings] = await Promise.all([pages.ctx(req), services.settings.get()]);
    await services.audit.append({ actor: actorOf(staff), action: 'order.packing_slip', target: d.order.id, detail: { orderNumber: d.order.order_number } });
    return sendPage(reply, <PackingSlip c={c} order={d.order} lines={d.lines} settings={settings} />);
  });

  // ---- Actions: each a CSRF-protected POST, validated, done by the service (event + audit).

  type Handler<T> = (data: T, id: string, actor: string) => Promise<DoneCode>;

  function action<S extends z.ZodType>(path: string, schema: S, handler: Handler<z.output<S>>) {
    app.post(`/orders/:id/${path}`, async (req, reply) => {
      const staff = await pages.require(req, reply, [...ROLES]);
      if (!staff) return reply;
      const d = await loadDetail(req, reply);
      if (!d) return reply;
      const parsed = parseForm(schema, req.body);
      if (!parsed.ok) {
        const message = Object.values(parsed.errors)[0] ?? '入力内容が正しくありません。';
        return renderDetail(req, reply, d, { status: 422, error: message, values: formValues(req.body) });
      }
      try {
        const done = await handler(parsed.data, d.order.id, actorOf(staff));
        return reply.redirect(`${pages.base}/orders/${d.order.id}?done=${done}`, 303);
      } catch (err) {
        if (err instanceof AppError && err.statusCode < 500) {
          const fresh = (await admin.detail(d.order.id)) ?? d;
          return renderDetail(req, reply, fresh, { status: err.statusCode, error: err.message, values: formValues(req.body) });
        }
        throw err;
      }
    });
  }

  action('status', statusForm, async (f, id, actor) => {
    await admin.changeStatus(id, f.to, actor);
    return 'status';
  });
  action('ship', trackingForm, async (f, id, actor) => {
    await admin.ship(id, f, actor);
    return 'shipped';
  });
  action('tracking', trackingForm, async (f, id, actor) => {
    await admin.correctTracking(id, f, actor);
    return 'tracking';
  });
  action('cancel', cancelForm, async (f, id, actor) => {
    await admin.cancel(id, f, actor);
    return 'cancelled';
  });
  action('refund', refundForm, async (f, id, actor) => {
    await admin.refund(id, f.amount, actor);
    return 'refunded';
  });
  action('bank-transfer', bankForm, async (f, id, actor) => {
    await admin.confirmBankTransfer(id, { amountYen: f.amount, receivedOn: f.received_on, acceptDifference: f.accept_difference }, actor);
    return 'bank';
  });
  action('notes', noteForm, async (f, id, actor) => {
    await admin.addNote(id, f.body, actor);
    return 'note';
  });
  action('resend-confirmation', emptyForm, async (_f, id, actor) => {
    await admin.resendConfirmation(id, actor);
    return 'resent';
  });
  // Payment links (issue #9): issue (revokes the previous one), mail through the outbox, revoke. Audited by the service.
  action('payment-link/issue', emptyForm, async (_f, id, actor) => {
    await services.paymentLinks.issue(id, actor);
    return 'link_issued';
  });
  action('payment-link/send', emptyForm, async (_f, id, actor) => {
    await services.paymentLinks.send(id, actor);
    return 'link_sent';
  });
  action('payment-link/revoke', emptyForm, async (_f, id, actor) => {
    await services.paymentLinks.revoke(id, actor);
    return 'link_revoked';
  });
};

