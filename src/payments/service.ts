import type { Db, DbOrTx } from '../db/index.js';
import { isUniqueViolation, nowIso } from '../db/index.js';
import { addOrderEvent, type OrderService } from '../checkout/service.js';
import type { OrderTable } from '../checkout/tables.js';
import { newId } from '../shared/ids.js';
import type { PaymentProvider, ProviderPayment, WebhookEvent } from './provider.js';
import type { PaymentStatus, PaymentTable } from './tables.js';

/** How long a buyer has on the provider's page before the reserved stock goes back. */
export const PAYMENT_SESSION_MINUTES = 30;

const OPEN: PaymentStatus[] = ['created', 'pending', 'failed'];

export class PaymentUnavailableError extends Error {}

/**
 * The shop side of card payments. Mamori keeps provider references, status history, amount,
 * brand, last 4 and the 3-D Secure outcome; the card itself is typed on the provider's page.
 * An order becomes paid exactly once, whichever of return URL, webhook or reconciliation
 * reports it first, however often.
 */
export class PaymentService {
  constructor(
    private readonly db: Db,
    private readonly provider: PaymentProvider,
    private readonly orders: OrderService,
    private readonly publicUrl: string,
  ) {}

  get providerOrigin(): string {
    return this.provider.origin;
  }

  /**
   * The provider URL to send the buyer to. Reuses a live session for the order, so a refresh,
   * a double click or a second tab never opens a second charge.
   */
  async startCardPayment(order: OrderTable): Promise<string> {
    if (order.payment_method !== 'card' || order.status !== 'pending_payment' || order.payment_status !== 'pending') {
      throw new PaymentUnavailableError('このご注文はお支払い手続きの対象ではありません。');
    }
    const soon = nowIso(new Date(Date.now() + 60_000));
    const live = await this.db
      .selectFrom('payments')
      .selectAll()
      .where('order_id', '=', order.id)
      .where('status', 'in', ['created', 'pending'])
      .where('expires_at', '>', soon)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (live?.redirect_url) return live.redirect_url;

    const attempts = await this.db.selectFrom('payments').select('id').where('order_id', '=', order.id).execute();
    const expiresAt = new Date(Date.now() + PAYMENT_SESSION_MINUTES * 60_000);
    const payment: PaymentTable = {
      id: newId('pay'),
      order_id: order.id,
      provider: this.provider.name,
      provider_payment_id: null,
      idempotency_key: `${order.id}:${attempts.length + 1}`,
      status: 'created',
      amount_yen: order.total_yen,
      refunded_yen: 0,
      brand: null,
      last4: null,
      three_ds: null,
      failure_code: null,
      redirect_url: null,
      created_at: nowIso(),
      updated_at: nowIso(),
      expires_at: nowIso(expiresAt),
    };
    try {
      await this.db.insertInto('payments').values(payment).execute();
    } catch (err) {
      // Two clicks at once: the other request created this attempt; use its session.
      if (!isUniqueViolation(err)) throw err;
      return this.startCardPayment(order);
    }
    const token = this.orders.orderToken(order.id);
    try {
      const session = await this.provider.createSession({
        orderReference: order.id,
        orderNumber: order.order_number,
        amountYen: order.total_yen,
        currency: 'JPY',
        idempotencyKey: payment.idempotency_key,
        returnUrl: `${this.publicUrl}/checkout/return/${order.id}?t=${token}`,
        cancelUrl: `${this.publicUrl}/orders/${order.id}/pay?t=${token}&cancelled=1`,
        webhookUrl: `${this.publicUrl}/payments/webhook/${this.provider.name}`,
        description: `ご注文番号 ${order.order_number}`,
        customerEmail: order.orderer_email,
        expiresAt,
      });
      await this.db
        .updateTable('payments')
        .set({ provider_payment_id: session.providerPaymentId, redirect_url: session.redirectUrl, status: 'pending', updated_at: nowIso() })
        .where('id', '=', payment.id)
        .execute();
      await this.recordEvent(this.db, payment.id, 'shop', 'session_created', 'created', 'pending', null, null);
      return session.redirectUrl;
    } catch (err) {
      await this.db
        .updateTable('payments')
        .set({ status: 'failed', failure_code: 'provider_unreachable', updated_at: nowIso() })
        .where('id', '=', payment.id)
        .execute();
      throw new PaymentUnavailableError(
        `決済サービスに接続できませんでした。時間をおいて再度お試しください。(${err instanceof Error ? err.message.slice(0, 80) : 'error'})`,
      );
    }
  }

  /** The buyer came back from the provider: ask the provider (never trust the URL) and apply. */
  async handleReturn(orderId: string, providerPaymentId: string): Promise<PaymentTable | null> {
    const payment = await this.db
      .selectFrom('payments')
      .selectAll()
      .where('provider_payment_id', '=', providerPaymentId)
      .where('order_id', '=', orderId)
      .executeTakeFirst();
    if (!payment) return null;
    const pp = await this.provider.fetchPayment(providerPaymentId);
    await this.apply(payment, pp, 'return', null);
    return (await this.getPayment(payment.id)) ?? null;
  }

  /** A verified webhook. Returns 'duplicate' for a replayed event id. */
  async handleWebhook(event: WebhookEvent): Promise<'applied' | 'duplicate' | 'unknown_payment'> {
    const payment = await this.db
      .selectFrom('payments')
      .selectAll()
      .where('provider_payment_id', '=', event.payment.providerPaymentId)
      .executeTakeFirst();
    if (!payment) return 'unknown_payment';
    return this.apply(payment, event.payment, 'webhook', event.eventId);
  }

  parseWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): WebhookEvent {
    return this.provider.parseWebhook(rawBody, headers);
  }

  getPayment(id: string): Promise<PaymentTable | undefined> {
    return this.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listForOrder(orderId: string): Promise<PaymentTable[]> {
    return this.db.selectFrom('payments').selectAll().where('order_id', '=', orderId).orderBy('created_at').execute();
  }

  /**
   * Applies what the provider says about a payment. In one transaction: the event (its id is
   * unique, so a replay stops here), the payment row, and — only on the first transition to paid —
   * the order, its event and its confirmation mail.
   */
  async apply(payment: PaymentTable, pp: ProviderPayment, source: string, eventId: string | null): Promise<'applied' | 'duplicate'> {
    if (pp.orderReference !== payment.order_id || pp.amountYen !== payment.amount_yen) {
      await this.recordEvent(this.db, payment.id, source, 'mismatch', payment.status, payment.status, eventId, JSON.stringify({ amount: pp.amountYen, ref: pp.orderReference }))
        .catch(() => undefined);
      return 'applied';
    }
    try {
      await this.db.transaction().execute(async (trx) => {
        const current = await trx.selectFrom('payments').selectAll().where('id', '=', payment.id).executeTakeFirstOrThrow();
        const next: PaymentStatus = pp.status;
        await this.recordEvent(trx, payment.id, source, `provider_${pp.status}`, current.status, next, eventId, pp.failureCode);
        if (!canMove(current.status, next)) return;
        await trx
          .updateTable('payments')
          .set({
            status: next,
            brand: pp.brand ?? current.brand,
            last4: pp.last4 && /^\d{4}$/.test(pp.last4) ? pp.last4 : current.last4,
            three_ds: pp.threeDs ?? current.three_ds,
            failure_code: next === 'failed' ? pp.failureCode : current.failure_code,
            refunded_yen: pp.refundedYen,
            updated_at: nowIso(),
          })
          .where('id', '=', payment.id)
          .execute();
        if (next === 'paid' || next === 'authorized') await this.markOrderPaid(trx, payment.order_id);
        if (next === 'expired' || next === 'cancelled') await this.closeOrderIfUnpaid(trx, payment.order_id);
      });
      return 'applied';
    } catch (err) {
      if (eventId && isUniqueViolation(err)) return 'duplicate';
      throw err;
    }
  }

  private async markOrderPaid(trx: DbOrTx, orderId: string): Promise<void> {
    const res = await trx
      .updateTable('orders')
      .set({ payment_status: 'paid', status: 'paid', updated_at: nowIso() })
      .where('id', '=', orderId)
      .where('payment_status', '!=', 'paid')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return;
    await addOrderEvent(trx, orderId, 'paid', 'card');
    const order = await trx.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
    await this.orders.enqueueConfirmation(trx, order);
  }

  /** When the last open attempt of an unpaid card order ends, the order is cancelled and its stock returns. */
  private async closeOrderIfUnpaid(trx: DbOrTx, orderId: string): Promise<void> {
    const open = await trx
      .selectFrom('payments')
      .select('id')
      .where('order_id', '=', orderId)
      .where('status', 'in', ['created', 'pending', 'authorized', 'paid'])
      .executeTakeFirst();
    if (open) return;
    const res = await trx
      .updateTable('orders')
      .set({ status: 'cancelled', payment_status: 'failed', updated_at: nowIso() })
      .where('id', '=', orderId)
      .where('status', '=', 'pending_payment')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 1) {
      await addOrderEvent(trx, orderId, 'payment_expired', null);
      await this.orders.releaseStock(trx, orderId);
    }
  }

  /**
   * Reconciliation, at start and periodically: every attempt still open is asked about at the
   * provider, so a crash or a lost webhook between "sent to provider" and "paid" is recovered.
   * Attempts past their expiry that the provider never saw are closed.
   */
  async reconcile(opts: { olderThanMs?: number } = {}): Promise<{ checked: number; errors: number }> {
    const cutoff = nowIso(new Date(Date.now() - (opts.olderThanMs ?? 30_000)));
    const open = await this.db
      .selectFrom('payments')
      .selectAll()
      .where('status', 'in', OPEN)
      .where('updated_at', '<', cutoff)
      .orderBy('updated_at')
      .limit(200)
      .execute();
    let errors = 0;
    for (const p of open) {
      try {
        if (!p.provider_payment_id) {
          if (p.expires_at < nowIso()) {
            await this.db.transaction().execute(async (trx) => {
              await trx.updateTable('payments').set({ status: 'expired', updated_at: nowIso() }).where('id', '=', p.id).where('status', '=', p.status).execute();
              await this.closeOrderIfUnpaid(trx, p.order_id);
            });
          }
          continue;
        }
        const pp = await this.provider.fetchPayment(p.provider_payment_id);
        await this.apply(p, pp, 'reconcile', null);
        if (pp.status === 'failed' && p.expires_at < nowIso()) {
          // A declined attempt whose session is over will not turn into a payment any more.
          await this.db.transaction().execute(async (trx) => {
            await trx.updateTable('payments').set({ status: 'expired', updated_at: nowIso() }).where('id', '=', p.id).where('status', '=', 'failed').execute();
            await this.closeOrderIfUnpaid(trx, p.order_id);
          });
        } else if (pp.status === 'pending' || pp.status === 'failed') {
          await this.db.updateTable('payments').set({ updated_at: nowIso() }).where('id', '=', p.id).execute();
        }
      } catch {
        errors++;
      }
    }
    return { checked: open.length, errors };
  }

  private async recordEvent(
    db: DbOrTx, paymentId: string, source: string, type: string,
    from: string | null, to: string | null, providerEventId: string | null, detail: string | null,
  ): Promise<void> {
    await db
      .insertInto('payment_events')
      .values({ id: newId('pev'), payment_id: paymentId, at: nowIso(), source, type, status_from: from, status_to: to, provider_event_id: providerEventId, detail })
      .execute();
  }
}

/** Payment states only move forward: a late "failed" never undoes "paid". */
function canMove(from: PaymentStatus, to: PaymentStatus): boolean {
  if (from === to) return false;
  const rank: Record<PaymentStatus, number> = {
    created: 0, pending: 1, failed: 2, expired: 3, cancelled: 3, authorized: 4, paid: 5, partially_refunded: 6, refunded: 7,
  };
  // A session that expired or was cancelled can still learn it was paid (the provider is the truth).
  return rank[to] > rank[from];
}
