import type { Db, DbOrTx } from '../db/index.js';
import { isUniqueViolation, nowIso } from '../db/index.js';
import { addOrderEvent, type OrderService } from '../checkout/service.js';
import type { OrderTable } from '../checkout/tables.js';
import { newId } from '../shared/ids.js';
import type { AlertService } from '../alerts/service.js';
import { hmacBase64url } from '../shared/ids.js';
import { normalise } from '../shared/jp.js';
import type { CardKillSwitch } from './killswitch.js';
import type { PaymentProvider, ProviderPayment, WebhookEvent } from './provider.js';
import type { PaymentStatus, PaymentTable } from './tables.js';

/** How long a buyer has on the provider's page before the reserved stock goes back. */
export const PAYMENT_SESSION_MINUTES = 30;

const OPEN: PaymentStatus[] = ['created', 'pending', 'failed'];

export type PaymentRefusal = 'not_applicable' | 'suspended' | 'rate_limited' | 'provider_unreachable';

export class PaymentUnavailableError extends Error {
  constructor(
    readonly code: PaymentRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** Card-testing (クレジットマスター) defences: attempts per window, and a shop-wide decline velocity. */
export interface CardLimits {
  windowMinutes: number;
  perIp: number;
  perSession: number;
  perEmail: number;
  declineBurst: { count: number; minutes: number };
}

export interface AttemptContext {
  ip: string;
  sessionTokenHash: string;
}

export const SUSPENDED_MESSAGE = '現在、クレジットカードでのお支払いを一時停止しています。恐れ入りますが、他のお支払い方法をご利用ください。';

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
    private readonly killSwitch: CardKillSwitch,
    private readonly alerts: AlertService,
    /** Key for the hashes of IPs and e-mails kept with attempts (never the raw values). */
    private readonly hashKey: string,
    private readonly limits: CardLimits,
  ) {
    // A suspension stops every session still open at the provider (best effort; reconciliation
    // and the return handler catch any that slip through).
    killSwitch.onChange(async (change) => {
      if (change.state === 'suspended') await this.cancelOpenSessions().catch(() => undefined);
    });
  }

  private hash(kind: string, value: string): string {
    return hmacBase64url(this.hashKey, `${kind}:${value}`);
  }

  /** Refuses a new card attempt past the per-IP, per-session or per-e-mail limit, with an alert. */
  private async checkAttemptLimits(order: OrderTable, ctx: AttemptContext): Promise<{ ip: string; session: string; email: string | null }> {
    const ip = this.hash('ip', ctx.ip);
    const session = ctx.sessionTokenHash;
    const email = order.orderer_email ? this.hash('email', normalise.email(order.orderer_email)) : null;
    const since = nowIso(new Date(Date.now() - this.limits.windowMinutes * 60_000));
    const count = async (col: 'client_ip_hash' | 'session_hash' | 'email_hash', value: string) =>
      Number((await this.db.selectFrom('payments').select((eb) => eb.fn.countAll<number>().as('n')).where(col, '=', value).where('created_at', '>=', since).executeTakeFirst())?.n ?? 0);
    const [byIp, bySession, byEmail] = await Promise.all([count('client_ip_hash', ip), count('session_hash', session), email ? count('email_hash', email) : Promise.resolve(0)]);
    const over = byIp >= this.limits.perIp ? 'ip' : bySession >= this.limits.perSession ? 'session' : byEmail >= this.limits.perEmail ? 'email' : null;
    if (over) {
      await this.alerts.raise({
        severity: 'warning',
        kind: 'card_attempt_limit',
        dedupeKey: `card_attempt_limit:${over}:${over === 'ip' ? ip : over === 'session' ? session : email}`,
        message: `カード決済の試行回数が上限を超えました（${over}、${this.limits.windowMinutes}分あたり）。カードの不正利用テストの可能性があります。`,
        evidence: { limit: over, byIp, bySession, byEmail, orderNumber: order.order_number },
      });
      throw new PaymentUnavailableError('rate_limited', 'カード決済のお試し回数が上限に達しました。時間をおいてお試しいただくか、他のお支払い方法をご利用ください。');
    }
    return { ip, session, email };
  }

  /** A burst of declines across the shop is what card testing looks like from here. */
  private async checkDeclineVelocity(): Promise<void> {
    const since = nowIso(new Date(Date.now() - this.limits.declineBurst.minutes * 60_000));
    const row = await this.db
      .selectFrom('payment_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('type', '=', 'provider_failed')
      .where('at', '>=', since)
      .executeTakeFirst();
    const n = Number(row?.n ?? 0);
    if (n >= this.limits.declineBurst.count) {
      await this.alerts.raise({
        severity: 'warning',
        kind: 'card_decline_burst',
        message: `直近${this.limits.declineBurst.minutes}分間にカードの拒否が${n}件ありました。カードの不正利用テストの可能性があります。`,
        evidence: { declines: n, minutes: this.limits.declineBurst.minutes },
      });
    }
  }

  /**
   * Refunds a paid card order through the provider, in full or in part. The idempotency key is
   * derived from what was already refunded, so repeating the same command refunds once.
   */
  async refund(orderNumber: string, amountYen: number | null, actor: string): Promise<{ refundedYen: number; status: PaymentStatus }> {
    const order = await this.db.selectFrom('orders').selectAll().where('order_number', '=', orderNumber).executeTakeFirst();
    if (!order) throw new PaymentUnavailableError('not_applicable', `ご注文 ${orderNumber} が見つかりません。`);
    const payment = await this.db
      .selectFrom('payments')
      .selectAll()
      .where('order_id', '=', order.id)
      .where('status', 'in', ['paid', 'partially_refunded'])
      .executeTakeFirst();
    if (!payment?.provider_payment_id) throw new PaymentUnavailableError('not_applicable', 'このご注文には返金できるカード決済がありません。');
    const remaining = payment.amount_yen - payment.refunded_yen;
    const amount = amountYen ?? remaining;
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount > remaining) {
      throw new PaymentUnavailableError('not_applicable', `返金額は1円から${remaining}円までです。`);
    }
    const pp = await this.provider.refund(payment.provider_payment_id, amount, `refund:${payment.id}:${payment.refunded_yen}:${amount}`);
    await this.apply(payment, pp, `refund:${actor}`.slice(0, 100), null);
    return { refundedYen: pp.refundedYen, status: pp.status };
  }

  /** Cancels every open session at the provider (after a suspension). */
  async cancelOpenSessions(): Promise<number> {
    const open = await this.db.selectFrom('payments').selectAll().where('status', 'in', ['created', 'pending', 'failed']).execute();
    let n = 0;
    for (const p of open) {
      if (!p.provider_payment_id) continue;
      try {
        const pp = await this.provider.cancel(p.provider_payment_id);
        await this.apply(p, pp, 'kill_switch', null);
        n++;
      } catch {
        // Already paid or unreachable: reconciliation will see its real state.
      }
    }
    return n;
  }

  /** Cancels one order's open sessions at the provider (the monitor's order once its walk ended). */
  async cancelOrderSessions(orderId: string, source: string): Promise<number> {
    const open = await this.db.selectFrom('payments').selectAll().where('order_id', '=', orderId).where('status', 'in', ['created', 'pending', 'failed']).execute();
    let n = 0;
    for (const p of open) {
      if (!p.provider_payment_id) continue;
      try {
        await this.apply(p, await this.provider.cancel(p.provider_payment_id), source, null);
        n++;
      } catch {
        // Unreachable: the session expires at the provider; reconciliation closes it.
      }
    }
    return n;
  }

  get providerOrigin(): string {
    return this.provider.origin;
  }

  /**
   * The provider URL to send the buyer to. Reuses a live session for the order, so a refresh,
   * a double click or a second tab never opens a second charge.
   */
  async startCardPayment(order: OrderTable, ctx: AttemptContext): Promise<string> {
    if (order.payment_method !== 'card' || order.status !== 'pending_payment' || order.payment_status !== 'pending') {
      throw new PaymentUnavailableError('not_applicable', 'このご注文はお支払い手続きの対象ではありません。');
    }
    if (await this.killSwitch.isSuspended()) throw new PaymentUnavailableError('suspended', SUSPENDED_MESSAGE);
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

    // The external monitor walks to this page every minute and never pays: its attempts are not a
    // buyer's, so they neither hit nor count towards the card-testing limits.
    const who = order.is_monitor === 1 ? { ip: 'monitor', session: 'monitor', email: null } : await this.checkAttemptLimits(order, ctx);
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
      client_ip_hash: who.ip,
      session_hash: who.session,
      email_hash: who.email,
    };
    try {
      await this.db.insertInto('payments').values(payment).execute();
    } catch (err) {
      // Two clicks at once: the other request created this attempt; use its session.
      if (!isUniqueViolation(err)) throw err;
      return this.startCardPayment(order, ctx);
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
      throw new PaymentUnavailableError('provider_unreachable', `決済サービスに接続できませんでした。時間をおいて再度お試しください。(${err instanceof Error ? err.message.slice(0, 80) : 'error'})`);
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
    let pp = await this.provider.fetchPayment(providerPaymentId);
    // Suspended while the buyer was away: a payment not yet completed is stopped at the provider.
    if ((pp.status === 'pending' || pp.status === 'failed') && (await this.killSwitch.isSuspended())) {
      pp = await this.provider.cancel(providerPaymentId).catch(() => pp);
    }
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

  /** The provider's own name (webhook URLs carry it). */
  get providerName(): string {
    return this.provider.name;
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
        if (pp.refundedYen > current.refunded_yen) {
          await addOrderEvent(trx, payment.order_id, 'refunded', String(pp.refundedYen - current.refunded_yen));
          if (next === 'refunded') {
            await trx.updateTable('orders').set({ payment_status: 'refunded', updated_at: nowIso() }).where('id', '=', payment.order_id).execute();
          }
        }
        if (next === 'expired' || next === 'cancelled') await this.closeOrderIfUnpaid(trx, payment.order_id);
      });
      if (pp.status === 'failed') await this.checkDeclineVelocity();
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
    // A payment link of the order (staff-entered card orders) is used up: it now only says "paid".
    await trx.updateTable('payment_links').set({ used_at: nowIso() }).where('order_id', '=', orderId).where('used_at', 'is', null).where('revoked_at', 'is', null).execute();
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
    // A staff-entered order with an open payment link waits for the link (see payments/links.ts).
    const link = await trx
      .selectFrom('payment_links')
      .select('id')
      .where('order_id', '=', orderId)
      .where('revoked_at', 'is', null)
      .where('used_at', 'is', null)
      .where('expires_at', '>', nowIso())
      .executeTakeFirst();
    if (link) return;
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
    const r = await this.reconcileAttempts(opts);
    await this.closeLapsedLinkOrders().catch(() => r.errors++);
    return r;
  }

  /**
   * Card orders entered by staff whose payment links all expired or were revoked, with no attempt
   * in flight, are cancelled and their stock returns (as an expired web payment's order is).
   */
  async closeLapsedLinkOrders(): Promise<number> {
    const now = nowIso();
    const candidates = await this.db
      .selectFrom('orders')
      .select('id')
      .where('status', '=', 'pending_payment')
      .where('payment_method', '=', 'card')
      .where((eb) => eb.exists(eb.selectFrom('payment_links').select('id').whereRef('payment_links.order_id', '=', 'orders.id')))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('payment_links')
              .select('id')
              .whereRef('payment_links.order_id', '=', 'orders.id')
              .where('revoked_at', 'is', null)
              .where('used_at', 'is', null)
              .where('expires_at', '>', now),
          ),
        ),
      )
      .limit(200)
      .execute();
    let n = 0;
    for (const c of candidates) {
      await this.db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('orders').select('status').where('id', '=', c.id).executeTakeFirst();
        await this.closeOrderIfUnpaid(trx, c.id);
        const after = await trx.selectFrom('orders').select('status').where('id', '=', c.id).executeTakeFirst();
        if (before?.status !== after?.status) n++;
      });
    }
    return n;
  }

  private async reconcileAttempts(opts: { olderThanMs?: number }): Promise<{ checked: number; errors: number }> {
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
