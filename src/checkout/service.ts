import { sql } from 'kysely';
import type { CartService, CartView } from '../cart/service.js';
import type { Db, DbOrTx } from '../db/index.js';
import { isUniqueViolation, nowIso } from '../db/index.js';
import { enqueueMail } from '../notify/outbox.js';
import type { SettingsService } from '../settings/service.js';
import { hmacBase64url, newId, randomBase32, sha256Hex, safeEqual } from '../shared/ids.js';
import { orderIdentityColumns, orderScopeKeys } from '../shared/identity.js';
import type { Prefecture } from '../shared/jp.js';
import { jstDate } from '../shared/time.js';
import type { CheckoutForm, Destination } from './form.js';
import { otherDestination } from './form.js';
import { orderConfirmationMail } from './mails.js';
import { CodNotAvailableError, computeTotals, type OrderTotals } from './pricing.js';
import type { OrderChannel, OrderLineTable, OrderTable, PaymentMethod } from './tables.js';

/**
 * What an order is placed from: the storefront's checkout form, or the staff order entry's
 * (e-mail optional, postal transfer possible, destination the orderer or another person).
 */
export type OrderForm = Omit<CheckoutForm, 'orderer_email' | 'payment_method' | 'ship_to' | 'saved_address_id' | 'checkout_token' | 'expected_total'> & {
  orderer_email: string | null;
  payment_method: PaymentMethod;
  ship_to: 'orderer' | 'saved' | 'other';
  saved_address_id?: string | undefined;
};

/** A line as the staff order entry gives it: a variant and a quantity (no cart). */
export interface OrderItem {
  variantId: string;
  quantity: number;
}

/** Why an order could not be placed; the checkout routes turn these into messages for the buyer. */
export type PlaceOrderProblem =
  | { kind: 'empty_cart' }
  | { kind: 'stock'; sku: string; name: string; available: number }
  | { kind: 'cart_changed' }
  | { kind: 'cod_unavailable'; message: string }
  | { kind: 'payment_method_unavailable' }
  | { kind: 'unknown_address' };

export class PlaceOrderError extends Error {
  constructor(readonly problem: PlaceOrderProblem) {
    super(problem.kind);
  }
}

export interface Quote {
  cart: CartView;
  destination: Destination;
  totals: OrderTotals;
}

export interface PlacedOrder {
  order: OrderTable;
  /** Bearer token of the guest's order link. */
  accessToken: string;
  created: boolean;
}

export interface AddressLookup {
  getAddress(customerId: string, addressId: string): Promise<Destination | null>;
}

/** Orders: quoting a cart for a destination, placing it exactly once, reading it back. */
export class OrderService {
  constructor(
    private readonly db: Db,
    private readonly cart: CartService,
    private readonly settings: SettingsService,
    private readonly addresses: AddressLookup,
    private readonly publicUrl: string,
    /** Key of the order-link tokens: a link can be re-issued (mail after payment) without storing it. */
    private readonly linkSecret: string,
    /** Recognises the external monitor's orderer e-mail (issue #5, Layer 3): its orders are marked. */
    private readonly isMonitorOrderer: (email: string | null) => boolean = () => false,
  ) {}

  /** Bearer token of an order's link, for guests (thank-you page, receipt, mail). */
  orderToken(orderId: string): string {
    return hmacBase64url(this.linkSecret, `order-link:${orderId}`);
  }

  async destinationOf(form: OrderForm, customerId: string | null): Promise<Destination> {
    if (form.ship_to === 'other') return otherDestination(form);
    if (form.ship_to === 'saved') {
      const found = customerId && form.saved_address_id ? await this.addresses.getAddress(customerId, form.saved_address_id) : null;
      if (!found) throw new PlaceOrderError({ kind: 'unknown_address' });
      return found;
    }
    return {
      name: form.orderer_name,
      kana: form.orderer_kana,
      postalCode: form.orderer_postal,
      prefecture: form.orderer_prefecture as Prefecture,
      address1: form.orderer_address1,
      address2: form.orderer_address2,
      phone: form.orderer_phone,
    };
  }

  /** Prices the cart for a destination and payment method, as the confirmation page shows it. */
  async quote(cartId: string | null, form: OrderForm, customerId: string | null): Promise<Quote> {
    return this.priced(await this.cart.view(cartId), form, customerId);
  }

  /**
   * The staff order entry's quote: the same checks and the same calculator as the storefront's,
   * over the typed lines instead of a cart. An unknown variant is reported like an unavailable one.
   */
  async quoteItems(items: OrderItem[], form: OrderForm, customerId: string | null): Promise<Quote> {
    const cart = await this.cart.viewItems(null, items.map((i) => ({ variant_id: i.variantId, quantity: i.quantity })));
    if (cart.lines.length !== items.length) {
      const known = new Set(cart.lines.map((l) => l.variant.id));
      const missing = items.find((i) => !known.has(i.variantId));
      throw new PlaceOrderError({ kind: 'stock', sku: missing?.variantId ?? '', name: missing?.variantId ?? '', available: 0 });
    }
    return this.priced(cart, form, customerId);
  }

  private async priced(cart: CartView, form: OrderForm, customerId: string | null): Promise<Quote> {
    const settings = await this.settings.get();
    if (!paymentEnabled(settings.payments, form.payment_method)) throw new PlaceOrderError({ kind: 'payment_method_unavailable' });
    if (cart.lines.length === 0) throw new PlaceOrderError({ kind: 'empty_cart' });
    for (const line of cart.lines) {
      if (line.problem) {
        throw new PlaceOrderError({
          kind: 'stock',
          sku: line.variant.sku,
          name: `${line.variant.product_name} ${line.variant.variant_name}`,
          available: line.problem.kind === 'insufficient' ? line.problem.available : 0,
        });
      }
    }
    const destination = await this.destinationOf(form, customerId);
    try {
      const totals = computeTotals({
        lines: cart.lines.map((l) => ({ unitPriceYen: l.variant.price_yen, quantity: l.quantity, taxRate: l.variant.tax_rate })),
        shipTo: destination.prefecture,
        paymentMethod: form.payment_method,
        settings,
      });
      return { cart, destination, totals };
    } catch (err) {
      if (err instanceof CodNotAvailableError) throw new PlaceOrderError({ kind: 'cod_unavailable', message: err.message });
      throw err;
    }
  }

  /**
   * Places the order once per checkout token: stock is taken with a conditional update (never
   * below zero, whatever runs concurrently), the order, its lines and its confirmation mail are
   * written in one transaction, and the cart is emptied. A repeated submission returns the order
   * the first one created.
   */
  async place(input: {
    cartId: string | null;
    customerId: string | null;
    form: OrderForm;
    checkoutToken: string;
    expectedTotalYen: number | null;
    lang: string;
    channel?: OrderChannel;
    /** Staff order entry: the lines typed by staff (instead of a cart) and who entered them. */
    items?: OrderItem[];
    enteredBy?: string;
  }): Promise<PlacedOrder> {
    const existing = await this.findByCheckoutToken(input.checkoutToken);
    if (existing) return { order: existing, accessToken: this.orderToken(existing.id), created: false };
    const quote = input.items
      ? await this.quoteItems(input.items, input.form, input.customerId)
      : await this.quote(input.cartId, input.form, input.customerId);
    if (input.expectedTotalYen !== null && input.expectedTotalYen !== quote.totals.totalYen) {
      throw new PlaceOrderError({ kind: 'cart_changed' });
    }
    const settings = await this.settings.get();
    const { form } = input;
    const orderId = newId('ord');
    const accessToken = this.orderToken(orderId);
    const now = nowIso();
    const shipToOrderer = form.ship_to === 'orderer';
    const dest = quote.destination;
    const order: OrderTable = {
      id: orderId,
      order_number: `${jstDate().replace(/-/g, '').slice(2)}-${randomBase32(6)}`,
      checkout_token: input.checkoutToken,
      customer_id: input.customerId,
      channel: input.channel ?? 'web',
      status: form.payment_method === 'card' ? 'pending_payment' : 'new',
      payment_method: form.payment_method,
      payment_status: 'pending',
      orderer_name: form.orderer_name,
      orderer_kana: form.orderer_kana,
      orderer_email: form.orderer_email,
      orderer_phone: form.orderer_phone,
      orderer_fax: form.orderer_fax,
      orderer_postal_code: form.orderer_postal,
      orderer_prefecture: form.orderer_prefecture,
      orderer_address1: form.orderer_address1,
      orderer_address2: form.orderer_address2,
      ship_to_orderer: shipToOrderer ? 1 : 0,
      shipping_name: shipToOrderer ? null : dest.name,
      shipping_kana: shipToOrderer ? null : dest.kana,
      shipping_phone: shipToOrderer ? null : dest.phone,
      shipping_postal_code: shipToOrderer ? null : dest.postalCode,
      shipping_prefecture: shipToOrderer ? null : dest.prefecture,
      shipping_address1: shipToOrderer ? null : dest.address1,
      shipping_address2: shipToOrderer ? null : dest.address2,
      delivery_date: form.delivery_date,
      delivery_slot: form.delivery_slot,
      note: form.note,
      items_total_yen: quote.totals.itemsTotalYen,
      shipping_fee_yen: quote.totals.shippingFeeYen,
      cod_fee_yen: quote.totals.codFeeYen,
      total_yen: quote.totals.totalYen,
      taxable_8_yen: quote.totals.taxable8Yen,
      tax_8_yen: quote.totals.tax8Yen,
      taxable_10_yen: quote.totals.taxable10Yen,
      tax_10_yen: quote.totals.tax10Yen,
      rounding: quote.totals.rounding,
      lang: input.lang,
      access_token_hash: sha256Hex(accessToken),
      stock_released: 0,
      entered_by: input.enteredBy ?? null,
      is_monitor: this.isMonitorOrderer(form.orderer_email) ? 1 : 0,
      placed_at: now,
      updated_at: now,
      orderer_email_key: null, orderer_phone_key: null, orderer_name_key: null, orderer_postal_key: null,
      shipping_name_key: null, shipping_phone_key: null, shipping_postal_key: null,
      orderer_key: '', recipient_key: null,
      source: 'shop',
    };
    Object.assign(order, orderIdentityColumns(order));
    Object.assign(order, orderScopeKeys(order));
    const lines: OrderLineTable[] = quote.cart.lines.map((l, i) => ({
      id: newId('oln'),
      order_id: order.id,
      line_no: i + 1,
      variant_id: l.variant.id,
      sku: l.variant.sku,
      name: `${l.variant.product_name} ${l.variant.variant_name}`,
      unit_price_yen: l.variant.price_yen,
      quantity: l.quantity,
      tax_rate: l.variant.tax_rate,
      line_total_yen: l.lineTotalYen,
    }));
    try {
      await this.db.transaction().execute(async (trx) => {
        // Take stock in a fixed order so two concurrent orders never wait on each other in a cycle.
        for (const line of [...lines].sort((a, b) => (a.variant_id! < b.variant_id! ? -1 : 1))) {
          const res = await trx
            .updateTable('variants')
            .set({ stock: sql`stock - ${line.quantity}` })
            .where('id', '=', line.variant_id!)
            .where('stock', '>=', line.quantity)
            .where('active', '=', 1)
            .executeTakeFirst();
          if (Number(res.numUpdatedRows) !== 1) {
            const v = await trx.selectFrom('variants').select('stock').where('id', '=', line.variant_id!).executeTakeFirst();
            throw new PlaceOrderError({ kind: 'stock', sku: line.sku, name: line.name, available: v?.stock ?? 0 });
          }
        }
        await trx.insertInto('orders').values(order).execute();
        await trx.insertInto('order_lines').values(lines).execute();
        await addOrderEvent(trx, order.id, 'placed', `${order.payment_method}`);
        if (input.cartId) await this.cart.clear(trx, input.cartId);
        // A card order is confirmed by mail once the provider says it is paid (see payments).
        if (order.payment_method !== 'card' && order.is_monitor !== 1) {
          const mail = orderConfirmationMail({ order, lines, settings, orderUrl: this.orderUrl(order.id, accessToken) });
          if (mail) await enqueueMail(trx, mail);
        }
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        const raced = await this.findByCheckoutToken(input.checkoutToken);
        if (raced) return { order: raced, accessToken: this.orderToken(raced.id), created: false };
      }
      throw err;
    }
    return { order, accessToken, created: true };
  }

  orderUrl(orderId: string, accessToken: string): string {
    return `${this.publicUrl}/orders/${orderId}?t=${accessToken}`;
  }

  findByCheckoutToken(token: string): Promise<OrderTable | undefined> {
    return this.db.selectFrom('orders').selectAll().where('checkout_token', '=', token).executeTakeFirst();
  }

  getById(id: string): Promise<OrderTable | undefined> {
    return this.db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The order if the bearer token of its link matches (guest access). */
  async getWithToken(id: string, token: string): Promise<OrderTable | null> {
    const order = await this.getById(id);
    if (!order || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    return safeEqual(token, this.orderToken(id)) ? order : null;
  }

  /** The order if it belongs to this member; another member's order is simply not found. */
  async getForCustomer(id: string, customerId: string): Promise<OrderTable | null> {
    return (await this.db.selectFrom('orders').selectAll().where('id', '=', id).where('customer_id', '=', customerId).executeTakeFirst()) ?? null;
  }

  lines(orderId: string): Promise<OrderLineTable[]> {
    return this.db.selectFrom('order_lines').selectAll().where('order_id', '=', orderId).orderBy('line_no').execute();
  }

  listForCustomer(customerId: string, limit = 50): Promise<OrderTable[]> {
    return this.db.selectFrom('orders').selectAll().where('customer_id', '=', customerId).orderBy('placed_at', 'desc').limit(limit).execute();
  }

  /**
   * Gives the order's reserved stock back, once (a failed or expired card payment, a cancellation).
   * Runs inside the caller's transaction.
   */
  async releaseStock(trx: DbOrTx, orderId: string): Promise<boolean> {
    const res = await trx
      .updateTable('orders')
      .set({ stock_released: 1, updated_at: nowIso() })
      .where('id', '=', orderId)
      .where('stock_released', '=', 0)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return false;
    const lines = await trx.selectFrom('order_lines').select(['variant_id', 'quantity']).where('order_id', '=', orderId).execute();
    for (const line of lines) {
      if (!line.variant_id) continue;
      await trx.updateTable('variants').set({ stock: sql`stock + ${line.quantity}` }).where('id', '=', line.variant_id).execute();
    }
    await addOrderEvent(trx, orderId, 'stock_released', null);
    return true;
  }

  /** The external monitor's orders still holding stock (it never pays; see `cancelMonitorOrder`). */
  async openMonitorOrders(): Promise<string[]> {
    const rows = await this.db.selectFrom('orders').select('id').where('is_monitor', '=', 1).where('status', '=', 'pending_payment').execute();
    return rows.map((r) => r.id);
  }

  /** Cancels an unpaid monitor order and gives its stock back at once. */
  async cancelMonitorOrder(orderId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('orders')
        .set({ status: 'cancelled', payment_status: 'cancelled', updated_at: nowIso() })
        .where('id', '=', orderId)
        .where('is_monitor', '=', 1)
        .where('status', '=', 'pending_payment')
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return false;
      await addOrderEvent(trx, orderId, 'monitor_released', null);
      await this.releaseStock(trx, orderId);
      return true;
    });
  }

  /** Mail the order confirmation (used by payments once a card order is paid). */
  async enqueueConfirmation(trx: DbOrTx, order: OrderTable): Promise<void> {
    const settings = await this.settings.get(trx);
    const lines = await trx.selectFrom('order_lines').selectAll().where('order_id', '=', order.id).orderBy('line_no').execute();
    const mail = orderConfirmationMail({ order, lines, settings, orderUrl: this.orderUrl(order.id, this.orderToken(order.id)) });
    if (mail) await enqueueMail(trx, mail);
  }
}

export async function addOrderEvent(db: DbOrTx, orderId: string, type: string, detail: string | null): Promise<void> {
  await db.insertInto('order_events').values({ id: newId('oev'), order_id: orderId, at: nowIso(), type, detail }).execute();
}

function paymentEnabled(p: { card: boolean; bankTransfer: boolean; cod: boolean }, method: string): boolean {
  // Postal transfer is only offered by the staff order entry (its form is the only one that has it).
  if (method === 'postal_transfer') return true;
  return method === 'card' ? p.card : method === 'bank_transfer' ? p.bankTransfer : method === 'cod' ? p.cod : false;
}
