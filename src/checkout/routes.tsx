import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { notFound } from '../app/errors.js';
import type { CartService } from '../cart/service.js';
import { CartPage } from '../cart/views.js';
import type { CustomerService } from '../customers/service.js';
import type { PaymentService } from '../payments/service.js';
import { PaymentUnavailableError, SUSPENDED_MESSAGE } from '../payments/service.js';
import type { CardKillSwitch } from '../payments/killswitch.js';
import type { SettingsService } from '../settings/service.js';
import { newToken } from '../shared/ids.js';
import { parseForm, parseQuery, type FieldErrors } from '../shared/validation.js';
import { redirect } from '../web/context.js';
import type { Pages } from '../web/page.js';
import { checkoutSchema } from './form.js';
import { PlaceOrderError, type OrderService } from './service.js';
import type { OrderTable } from './tables.js';
import { CheckoutFormPage, ConfirmPage, OrderPage, ReceiptPage } from './views.js';

export interface CheckoutDeps {
  orders: OrderService;
  cart: CartService;
  customers: CustomerService;
  settings: SettingsService;
  payments: PaymentService;
  killSwitch: CardKillSwitch;
  pages: Pages;
}

const ORDER_ID = z.object({ id: z.string().regex(/^ord_[0-9A-Z]{16}$/) });
const tokenQuery = z.object({ t: z.string().max(64), thanks: z.literal('1').optional(), lang: z.enum(['ja', 'en']).optional() }).strict();

/** String values of a posted form, for re-rendering what the person typed. */
function formValues(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof body !== 'object' || body === null) return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string' && k !== '_csrf' && /^[a-z0-9_]{1,40}$/.test(k)) out[k] = v.slice(0, 1000);
  }
  return out;
}

export function checkoutRoutes(app: FastifyInstance, deps: CheckoutDeps): void {
  const { orders, cart, customers, settings, payments, killSwitch, pages } = deps;

  const renderForm = async (req: FastifyRequest, reply: FastifyReply, values: Record<string, string>, errors: FieldErrors, status: number, notice?: string) => {
    const session = await req.visitor.session();
    const addresses = session.customerId ? await customers.listAddresses(session.customerId) : [];
    const s = await settings.get();
    const cardSuspended = await killSwitch.isSuspended();
    return pages.render(req, reply, (v) => (
      <CheckoutFormPage
        v={v} values={values} errors={errors} settings={s} addresses={addresses} isMember={Boolean(session.customerId)}
        notice={notice ?? (cardSuspended ? SUSPENDED_MESSAGE : undefined)} cardSuspended={cardSuspended}
      />
    ), status);
  };

  /** Problems with the cart send the buyer back to the cart page with the reason. */
  const handleProblem = async (req: FastifyRequest, reply: FastifyReply, err: PlaceOrderError, values: Record<string, string>) => {
    const p = err.problem;
    if (p.kind === 'empty_cart') return redirect(reply, '/cart');
    if (p.kind === 'stock') {
      const session = await req.visitor.session();
      const view = await cart.view(session.cartId);
      const msg = p.available > 0
        ? `申し訳ありません。「${p.name}」の在庫が${p.available}点になりました。数量をご変更ください。`
        : `申し訳ありません。お手続き中に「${p.name}」が在庫切れになりました。カートから削除してください。`;
      return pages.render(req, reply, (v) => <CartPage v={v} cart={view} errors={[msg]} />, 409);
    }
    if (p.kind === 'cod_unavailable') return renderForm(req, reply, values, { payment_method: p.message }, 422);
    if (p.kind === 'payment_method_unavailable') return renderForm(req, reply, values, { payment_method: 'このお支払い方法は現在ご利用いただけません。' }, 422);
    if (p.kind === 'unknown_address') return renderForm(req, reply, values, { saved_address_id: '登録済みのお届け先を選択してください。' }, 422);
    return renderForm(req, reply, values, {}, 409, 'ご注文内容が変更されました。内容をご確認ください。');
  };

  app.get('/checkout', async (req, reply) => {
    const session = await req.visitor.session();
    const view = await cart.view(session.cartId);
    if (view.lines.length === 0) return redirect(reply, '/cart');
    const values: Record<string, string> = { ship_to: 'orderer' };
    if (session.customerId) {
      const c = await customers.getById(session.customerId);
      if (c) {
        Object.assign(values, {
          orderer_name: c.name, orderer_kana: c.name_kana, orderer_postal: c.postal_code, orderer_prefecture: c.prefecture,
          orderer_address1: c.address1, orderer_address2: c.address2 ?? '', orderer_phone: c.phone, orderer_fax: c.fax ?? '', orderer_email: c.email,
        });
      }
    }
    return renderForm(req, reply, values, {}, 200);
  });

  app.post('/checkout/edit', async (req, reply) => renderForm(req, reply, formValues(req.body), {}, 200));

  app.post('/checkout/confirm', async (req, reply) => {
    const values = formValues(req.body);
    const s = await settings.get();
    const parsed = parseForm(checkoutSchema(s), req.body);
    if (!parsed.ok) return renderForm(req, reply, values, parsed.errors, 422);
    if (parsed.data.payment_method === 'card' && (await killSwitch.isSuspended())) {
      return renderForm(req, reply, values, { payment_method: SUSPENDED_MESSAGE }, 422);
    }
    const session = await req.visitor.session();
    // Carry the normalised forms on (postal codes as 100-0001, フリガナ in katakana).
    values.orderer_postal = parsed.data.orderer_postal;
    values.orderer_kana = parsed.data.orderer_kana;
    try {
      const quote = await orders.quote(session.cartId, parsed.data, session.customerId);
      return pages.render(req, reply, (v) => <ConfirmPage v={v} values={values} quote={quote} checkoutToken={newToken()} />);
    } catch (err) {
      if (err instanceof PlaceOrderError) return handleProblem(req, reply, err, values);
      throw err;
    }
  });

  app.post('/checkout/place', async (req, reply) => {
    const values = formValues(req.body);
    const s = await settings.get();
    const parsed = parseForm(checkoutSchema(s), req.body);
    if (!parsed.ok) return renderForm(req, reply, values, parsed.errors, 422);
    if (!parsed.data.checkout_token) return renderForm(req, reply, values, {}, 422, 'ご注文内容の確認画面からお進みください。');
    if (parsed.data.payment_method === 'card' && (await killSwitch.isSuspended()) && !(await orders.findByCheckoutToken(parsed.data.checkout_token))) {
      return renderForm(req, reply, values, { payment_method: SUSPENDED_MESSAGE }, 422);
    }
    const session = await req.visitor.session();
    let placed;
    try {
      placed = await orders.place({
        cartId: session.cartId,
        customerId: session.customerId,
        form: parsed.data,
        checkoutToken: parsed.data.checkout_token,
        expectedTotalYen: parsed.data.expected_total ? Number(parsed.data.expected_total) : null,
        lang: req.visitor.lang,
      });
    } catch (err) {
      if (err instanceof PlaceOrderError) return handleProblem(req, reply, err, values);
      throw err;
    }
    const { order, accessToken } = placed;
    pages.forgetVisitor(req.visitor.tokenHash);
    if (order.payment_method === 'card' && order.status === 'pending_payment') {
      try {
        return redirect(reply, await payments.startCardPayment(order, { ip: req.ip, sessionTokenHash: req.visitor.tokenHash }));
      } catch (err) {
        if (err instanceof PaymentUnavailableError) return redirect(reply, `/orders/${order.id}/pay?t=${accessToken}&error=${err.code}`);
        throw err;
      }
    }
    return redirect(reply, `/orders/${order.id}?t=${accessToken}&thanks=1`);
  });

  const showOrder = async (req: FastifyRequest, reply: FastifyReply, order: OrderTable | null, links: (o: OrderTable) => { receipt: string; pay: string | null }, thanks: boolean) => {
    if (!order) throw notFound('ご注文');
    const [lines, pays, s] = await Promise.all([orders.lines(order.id), payments.listForOrder(order.id), settings.get()]);
    return pages.render(req, reply, (v) => <OrderPage v={v} order={order} lines={lines} payments={pays} settings={s} thanks={thanks} links={links(order)} />);
  };
  const showReceipt = async (req: FastifyRequest, reply: FastifyReply, order: OrderTable | null) => {
    if (!order) throw notFound('ご注文');
    const [lines, s] = await Promise.all([orders.lines(order.id), settings.get()]);
    return pages.render(req, reply, (v) => <ReceiptPage v={v} order={order} lines={lines} settings={s} />);
  };

  // Guest access: the unguessable order id plus the token from the order link.
  app.get('/orders/:id', async (req, reply) => {
    const p = ORDER_ID.safeParse(req.params);
    if (!p.success) throw notFound('ご注文');
    const q = parseQuery(tokenQuery, req.query);
    const order = await orders.getWithToken(p.data.id, q.t);
    return showOrder(req, reply, order, (o) => ({ receipt: `/orders/${o.id}/receipt?t=${q.t}`, pay: `/orders/${o.id}/pay?t=${q.t}` }), q.thanks === '1');
  });
  app.get('/orders/:id/receipt', async (req, reply) => {
    const p = ORDER_ID.safeParse(req.params);
    if (!p.success) throw notFound('ご注文');
    const q = parseQuery(tokenQuery, req.query);
    return showReceipt(req, reply, await orders.getWithToken(p.data.id, q.t));
  });

  // Members: only their own orders; another member's order id is a 404.
  const memberOrder = async (req: FastifyRequest): Promise<OrderTable | null> => {
    const p = ORDER_ID.safeParse(req.params);
    const session = await req.visitor.session();
    if (!p.success || !session.customerId) return null;
    return orders.getForCustomer(p.data.id, session.customerId);
  };
  app.get('/account/orders/:id', async (req, reply) => {
    const session = await req.visitor.session();
    if (!session.customerId) return redirect(reply, `/login?next=${encodeURIComponent(req.url.split('?')[0]!)}`);
    return showOrder(req, reply, await memberOrder(req), (o) => ({ receipt: `/account/orders/${o.id}/receipt`, pay: `/orders/${o.id}/pay?t=${orders.orderToken(o.id)}` }), false);
  });
  app.get('/account/orders/:id/receipt', async (req, reply) => showReceipt(req, reply, await memberOrder(req)));
}
