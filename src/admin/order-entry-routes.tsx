import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { OrderAdminService } from '../checkout/admin-service.js';
import { parseQuantities, staffOrderSchema, type StaffOrderForm } from '../checkout/form.js';
import { PlaceOrderError, type OrderItem, type Quote } from '../checkout/service.js';
import type { OrderTable } from '../checkout/tables.js';
import { CustomerAdminService, type AdminCustomer } from '../customers/admin-service.js';
import { newToken } from '../shared/ids.js';
import { normalise } from '../shared/jp.js';
import { text } from '../shared/validation.js';
import type { FormState } from './catalog-views.js';
import { CustomerSearch, OrderEntryForm, type EntryVariant } from './order-entry-views.js';
import type { AdminRouteModule } from './plugin.js';
import type { StaffIdentity } from './sessions.js';

const ROLES = ['owner', 'staff'] as const;
const actorOf = (s: StaffIdentity) => `staff:${s.email}`;

const entryQuery = z
  .object({
    q: z.string().optional(),
    customer: z.string().regex(/^cus_[0-9A-Z]{16}$/, '会員の指定が正しくありません。').optional(),
    from_order: z.string().regex(/^ord_[0-9A-Z]{16}$/, 'ご注文の指定が正しくありません。').optional(),
  })
  .strict();
const searchTerm = text({ max: 100 });

/** Why an order could not be quoted or placed, for staff, and which field it belongs to. */
function problemMessage(err: PlaceOrderError): { field: string; message: string } {
  const p = err.problem;
  switch (p.kind) {
    case 'empty_cart':
      return { field: '_lines', message: '商品の数量を1つ以上入力してください。' };
    case 'stock':
      return { field: '_lines', message: p.available > 0 ? `「${p.name}」の在庫は残り${p.available}点です。数量を減らしてください。` : `「${p.name}」は在庫切れか販売中止です。` };
    case 'cod_unavailable':
      return { field: 'payment_method', message: p.message };
    case 'payment_method_unavailable':
      return { field: 'payment_method', message: 'このお支払い方法は現在お受けしていません（設定で停止中）。' };
    case 'cart_changed':
      return { field: '_form', message: '金額が変わりました。内容を確認してからもう一度登録してください。' };
    case 'unknown_address':
      return { field: 'ship_to', message: 'お届け先を確認してください。' };
  }
}

/** The form's values as typed (strings), for re-display. */
function typedValues(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof body !== 'object' || body === null) return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k !== '_csrf' && k !== 'action' && typeof v === 'string') out[k] = v.slice(0, 2000);
  }
  return out;
}

function fromMember(m: AdminCustomer): Record<string, string> {
  return {
    customer_id: m.id, orderer_name: m.name, orderer_kana: m.name_kana, orderer_postal: m.postal_code, orderer_prefecture: m.prefecture,
    orderer_address1: m.address1, orderer_address2: m.address2 ?? '', orderer_phone: m.phone, orderer_fax: m.fax ?? '', orderer_email: m.email,
  };
}

function fromOrder(o: OrderTable): Record<string, string> {
  return {
    customer_id: o.customer_id ?? '', orderer_name: o.orderer_name, orderer_kana: o.orderer_kana ?? '', orderer_postal: o.orderer_postal_code,
    orderer_prefecture: o.orderer_prefecture, orderer_address1: o.orderer_address1, orderer_address2: o.orderer_address2 ?? '',
    orderer_phone: o.orderer_phone, orderer_fax: o.orderer_fax ?? '', orderer_email: o.orderer_email ?? '',
  };
}

const DEFAULTS = { channel: 'phone', ship_to: 'orderer', payment_method: 'cod' };

/**
 * Staff order entry (issue #9): phone, FAX, postcard and other orders typed by staff. The form
 * shares the storefront checkout's field rules, the quote is `OrderService.quoteItems` (the same
 * calculator as the storefront), and placing goes through `OrderService.place` (the same stock
 * reservation, exactly-once token and confirmation mail). Card orders get a payment link.
 */
export const orderEntryRoutes: AdminRouteModule = (app, pages) => {
  const { services } = pages;
  const customers = new CustomerAdminService(services.handle.db);
  const admin = new OrderAdminService(services.handle.db, services.orders, services.payments, services.settings, services.audit);

  const variants = async (): Promise<EntryVariant[]> => services.catalog.listVariantsForSale();

  async function renderForm(
    req: FastifyRequest, reply: FastifyReply,
    opts: { state: FormState; quote?: Quote | null; notice?: string | null; search?: { q: string; error: string | null; members: AdminCustomer[]; orderers: OrderTable[] }; status?: number },
  ) {
    const [settings, list, suspended] = await Promise.all([services.settings.get(), variants(), services.killSwitch.isSuspended()]);
    const memberId = opts.state.values.customer_id;
    const member = memberId && /^cus_[0-9A-Z]{16}$/.test(memberId) ? await customers.get(memberId) : undefined;
    return pages.render(req, reply, '電話・FAX・はがきの注文入力', (c) => (
      <>
        <p><a href={`${c.base}/orders`}>← 注文一覧</a></p>
        <CustomerSearch c={c} q={opts.search?.q ?? ''} error={opts.search?.error ?? null} members={opts.search?.members ?? []} orderers={opts.search?.orderers ?? []} />
        <OrderEntryForm
          c={c} state={opts.state} variants={list} settings={settings} quote={opts.quote ?? null}
          entryToken={opts.state.values.entry_token && /^[A-Za-z0-9_-]{43}$/.test(opts.state.values.entry_token) ? opts.state.values.entry_token : newToken()}
          member={member ? { id: member.id, name: member.name } : null} notice={opts.notice ?? null} cardSuspended={suspended}
        />
      </>
    ), opts.status ?? 200);
  }

  app.get('/orders/new', async (req, reply) => {
    const staff = await pages.require(req, reply, [...ROLES]);
    if (!staff) return reply;
    const parsed = entryQuery.safeParse(req.query ?? {});
    if (!parsed.success) {
      return renderForm(req, reply, { state: { values: { ...DEFAULTS }, errors: { _form: parsed.error.issues[0]?.message ?? 'パラメータが正しくありません。' } }, status: 400 });
    }
    let values: Record<string, string> = { ...DEFAULTS };
    let search: { q: string; error: string | null; members: AdminCustomer[]; orderers: OrderTable[] } | undefined;
    if (parsed.data.q !== undefined && parsed.data.q.trim() !== '') {
      const q = searchTerm.safeParse(parsed.data.q);
      if (!q.success) {
        search = { q: parsed.data.q.slice(0, 100), error: q.error.issues[0]?.message ?? '検索語が正しくありません。', members: [], orderers: [] };
      } else {
        const [m, o] = await Promise.all([
          customers.search(q.data, 20),
          admin.search({ status: null, payment: null, from: null, to: null, q: q.data }, 1, 50),
        ]);
        // One row per earlier orderer (name and phone compared as the identity rules do).
        const seen = new Set<string>();
        const orderers = o.rows.filter((r) => {
          const key = `${normalise.name(r.orderer_name)}|${normalise.phone(r.orderer_phone)}`;
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        }).slice(0, 10);
        search = { q: q.data, error: null, members: m.rows, orderers };
        await services.audit.append({
          actor: actorOf(staff), action: 'order_entry.customer_search', target: null,
          detail: { customers: m.rows.map((r) => r.id), orders: orderers.map((r) => r.id) },
        });
      }
    }
    if (parsed.data.customer) {
      const m = await customers.get(parsed.data.customer);
      if (m) {
        values = { ...values, ...fromMember(m) };
        await services.audit.append({ actor: actorOf(staff), action: 'customer.view', target: m.id, detail: { shown: ['profile'], for: 'order_entry' } });
      }
    } else if (parsed.data.from_order) {
      const o = await services.orders.getById(parsed.data.from_order);
      if (o) {
        values = { ...values, ...fromOrder(o) };
        await services.audit.append({ actor: actorOf(staff), action: 'order.view', target: o.id, detail: { shown: ['orderer'], for: 'order_entry' } });
      }
    }
    return renderForm(req, reply, { state: { values, errors: {} }, ...(search ? { search } : {}) });
  });

  /** Parses the posted form: the order fields (the storefront's rules) and the line quantities. */
  async function parse(body: unknown): Promise<{ ok: true; form: StaffOrderForm; items: OrderItem[] } | { ok: false; errors: Record<string, string> }> {
    const settings = await services.settings.get();
    const { rest, items, errors } = parseQuantities(body);
    const result = staffOrderSchema(settings).safeParse(Object.fromEntries(Object.entries(rest).filter(([k]) => k !== '_csrf')));
    if (!result.success) {
      for (const issue of result.error.issues) {
        const key = issue.code === 'unrecognized_keys' ? '_form' : issue.path.length > 0 ? String(issue.path[0]) : '_form';
        errors[key] ??= issue.code === 'unrecognized_keys' ? '想定外の項目が送信されました。ページを再読み込みしてやり直してください。' : issue.message;
      }
    }
    if (items.length === 0 && !errors._form) errors._lines = '商品の数量を1つ以上入力してください。';
    if (!result.success || Object.keys(errors).length > 0) return { ok: false, errors };
    if (result.data.payment_method === 'card' && (await services.killSwitch.isSuspended())) {
      return { ok: false, errors: { payment_method: 'カード決済は現在停止中です。他のお支払い方法をお選びください。' } };
    }
    return { ok: true, form: result.data, items };
  }

  async function quote(form: StaffOrderForm, items: OrderItem[]): Promise<{ ok: true; quote: Quote } | { ok: false; errors: Record<string, string> }> {
    try {
      return { ok: true, quote: await services.orders.quoteItems(items, form, form.customer_id) };
    } catch (err) {
      if (err instanceof PlaceOrderError) {
        const p = problemMessage(err);
        return { ok: false, errors: { [p.field]: p.message } };
      }
      throw err;
    }
  }

  // The live total (small script in admin.js); the page works without it through "再計算".
  app.post('/orders/new/quote', async (req, reply) => {
    const staff = await pages.require(req, reply, [...ROLES]);
    if (!staff) return reply;
    const parsed = await parse(req.body);
    if (!parsed.ok) return reply.code(422).send({ ok: false, errors: parsed.errors });
    const q = await quote(parsed.form, parsed.items);
    if (!q.ok) return reply.code(422).send({ ok: false, errors: q.errors });
    const t = q.quote.totals;
    return reply.send({
      ok: true,
      lines: q.quote.cart.lines.map((l) => ({ sku: l.variant.sku, name: `${l.variant.product_name} ${l.variant.variant_name}`, quantity: l.quantity, unitPriceYen: l.variant.price_yen, taxRate: l.variant.tax_rate, lineTotalYen: l.lineTotalYen, stock: l.variant.stock })),
      totals: t,
    });
  });

  app.post('/orders/new', async (req, reply) => {
    const staff = await pages.require(req, reply, [...ROLES]);
    if (!staff) return reply;
    const values = typedValues(req.body);
    const parsed = await parse(req.body);
    if (!parsed.ok) return renderForm(req, reply, { state: { values, errors: parsed.errors }, status: 422 });
    const q = await quote(parsed.form, parsed.items);
    if (!q.ok) return renderForm(req, reply, { state: { values, errors: q.errors }, status: 422 });
    const action = parsed.form.action;
    const expected = parsed.form.expected_total ? Number(parsed.form.expected_total) : null;
    if (action !== 'place' || expected !== q.quote.totals.totalYen || !parsed.form.entry_token) {
      // Recalculate, or place with totals the staff member has not seen yet: show them first.
      const notice = action === 'place' ? '金額を計算しました。内容と合計を確認して、もう一度「この内容で注文を登録」を押してください。' : null;
      return renderForm(req, reply, { state: { values, errors: {} }, quote: q.quote, notice, status: action === 'place' ? 409 : 200 });
    }
    const actor = actorOf(staff);
    const f = parsed.form;
    try {
      const placed = await services.orders.place({
        cartId: null, customerId: f.customer_id, form: f, checkoutToken: f.entry_token!, expectedTotalYen: expected, lang: 'ja',
        channel: f.channel, items: parsed.items, enteredBy: staff.id,
      });
      const id = placed.order.id;
      if (placed.created) {
        await services.audit.append({
          actor, action: 'order.enter', target: id,
          detail: { orderNumber: placed.order.order_number, channel: f.channel, paymentMethod: f.payment_method, totalYen: placed.order.total_yen, customerId: f.customer_id },
        });
        if (f.staff_note) await admin.addNote(id, f.staff_note, actor);
        if (f.payment_method === 'card') {
          await services.paymentLinks.issue(id, actor);
          if (placed.order.orderer_email) await services.paymentLinks.send(id, actor);
        }
      }
      return reply.redirect(`${pages.base}/orders/${id}?done=entered`, 303);
    } catch (err) {
      if (err instanceof PlaceOrderError) {
        const p = problemMessage(err);
        return renderForm(req, reply, { state: { values, errors: { [p.field]: p.message } }, status: 409 });
      }
      throw err;
    }
  });
};
