import { sql, type Expression, type ExpressionBuilder, type RawBuilder, type SqlBool } from 'kysely';
import type { AuditLog } from '../admin/audit.js';
import { AppError, conflict, notFound } from '../app/errors.js';
import type { Db } from '../db/index.js';
import { isUniqueViolation, nowIso } from '../db/index.js';
import type { Database } from '../db/schema.js';
import { enqueueMail, type OutgoingMail } from '../notify/outbox.js';
import type { OutboxTable } from '../notify/tables.js';
import { renderTemplate } from '../notify/template.js';
import type { PaymentService } from '../payments/service.js';
import { PaymentUnavailableError } from '../payments/service.js';
import type { PaymentEventTable, PaymentTable } from '../payments/tables.js';
import type { ShopSettings } from '../settings/defaults.js';
import type { SettingsService } from '../settings/service.js';
import { newId } from '../shared/ids.js';
import { nfkc, toKatakana } from '../shared/jp.js';
import { addDays, formatDateJa, jstDate } from '../shared/time.js';
import type { ExportOrder } from './exports.js';
import { destinationOf, STATUS_LABELS } from './exports.js';
import { orderConfirmationMail } from './mails.js';
import { addOrderEvent, type OrderService } from './service.js';
import type { OrderChannel, OrderEventTable, OrderLineTable, OrderStatus, OrderTable, PaymentMethod } from './tables.js';

// ---------------------------------------------------------------------------------------------
// Tables of the back office (created by ./admin-migrations.ts).

export interface OrderNoteTable {
  id: string;
  order_id: string;
  at: string;
  /** `staff:<email>` */
  author: string;
  body: string;
}

export type Carrier = 'yamato' | 'sagawa' | 'japanpost';

export interface OrderShipmentTable {
  id: string;
  order_id: string;
  carrier: Carrier;
  /** Digits only. */
  tracking_number: string;
  recorded_at: string;
  recorded_by: string;
}

export interface BankTransferReceiptTable {
  id: string;
  order_id: string;
  amount_yen: number;
  /** JST date the money arrived, `YYYY-MM-DD`. */
  received_on: string;
  recorded_at: string;
  recorded_by: string;
}


// ---------------------------------------------------------------------------------------------
// Carriers and tracking numbers.

export const CARRIERS: Record<Carrier, { label: string; trackingUrl: (n: string) => string }> = {
  yamato: { label: 'ヤマト運輸', trackingUrl: (n) => `https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01=${n}` },
  sagawa: { label: '佐川急便', trackingUrl: (n) => `https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo=${n}` },
  japanpost: { label: '日本郵便', trackingUrl: (n) => `https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1=${n}` },
};

/** A tracking number as typed (full-width digits and hyphens allowed) → digits only, or null if not 10–14 digits. */
export function normaliseTrackingNumber(input: string): string | null {
  const s = nfkc(input).trim().replace(/[‐－−ー―]/g, '-');
  if (!/^[0-9][0-9-]*[0-9]$/.test(s) || /--/.test(s)) return null;
  const digits = s.replace(/-/g, '');
  return /^\d{10,14}$/.test(digits) ? digits : null;
}

/** `123456789012` → `1234-5678-9012` (groups of four from the left). */
export function formatTrackingNumber(digits: string): string {
  return digits.replace(/(\d{4})(?=\d)/g, '$1-');
}

// ---------------------------------------------------------------------------------------------
// The status flow.

/** Forward edges an order may take from the console, by payment method. Payment and shipping have their own actions. */
const EDGES: Record<PaymentMethod, Partial<Record<OrderStatus, OrderStatus[]>>> = {
  card: { paid: ['preparing'], preparing: ['shipped'], shipped: ['delivered'] },
  bank_transfer: { paid: ['preparing'], preparing: ['shipped'], shipped: ['delivered'] },
  // 郵便振替 (postal transfer, staff-entered orders): prepaid like a bank transfer.
  postal_transfer: { paid: ['preparing'], preparing: ['shipped'], shipped: ['delivered'] },
  // Cash on delivery: prepared and shipped before payment; paid when delivered.
  cod: { new: ['preparing'], preparing: ['shipped'], shipped: ['delivered'] },
};

type TransitionSubject = Pick<OrderTable, 'status' | 'payment_method' | 'payment_status'> & Partial<Pick<OrderTable, 'channel'>>;

/** Why an order may not move to `to`, or null when it may. Messages are for staff. */
export function transitionProblem(o: TransitionSubject, to: OrderStatus): string | null {
  const label = (s: string) => `「${STATUS_LABELS[s] ?? s}」`;
  if (o.status === to) return `すでに${label(to)}です。`;
  if (o.status === 'cancelled') return 'キャンセル済みのご注文の状態は変更できません。';
  if (to === 'cancelled') return cancelProblem(o, false);
  if (to === 'paid') {
    if (o.payment_method === 'bank_transfer') return '銀行振込の入金は「入金確認」から記録してください。';
    if (o.payment_method === 'postal_transfer') return '郵便振替の入金は「入金確認」から記録してください。';
    if (o.payment_method === 'card') return 'カード決済は決済代行会社からの通知で自動的に入金済みになります。';
    return '代金引換は「配達完了」にすると入金済みになります。';
  }
  if (o.status === 'pending_payment') return 'カード決済が完了していないため、状態を進められません。';
  if (o.payment_status === 'refunded' && (to === 'preparing' || to === 'shipped')) return '全額返金済みのご注文は発送に進められません。キャンセルしてください。';
  if (o.payment_method === 'bank_transfer' && o.status === 'new') return '銀行振込のご注文は、入金確認の後に発送準備へ進めます。';
  if (o.payment_method === 'postal_transfer' && o.status === 'new') return '郵便振替のご注文は、入金確認の後に発送準備へ進めます。';
  if ((EDGES[o.payment_method]?.[o.status] ?? []).includes(to)) return null;
  return `${label(o.status)}から${label(to)}には変更できません（新規 → 入金済み → 発送準備中 → 発送済み → 配達完了 の順に進みます）。`;
}

/** Why an order may not be cancelled, or null. `refundable`: a card payment that still holds money. */
export function cancelProblem(o: TransitionSubject, refundable: boolean, refundRequested = false): string | null {
  if (o.status === 'cancelled') return 'すでにキャンセル済みです。';
  if (o.status === 'pending_payment') {
    // Staff-entered card orders wait for their payment link (payments/links.ts).
    if ('channel' in o && o.channel !== 'web') return 'お支払いリンクの支払い待ちです。キャンセルするには「リンクを無効にする」を押してください。有効なリンクがなくなると自動的にキャンセルされ、在庫も戻ります。';
    return 'カード決済の手続き中です。決済期限（30分）を過ぎると自動的にキャンセルされ、在庫も戻ります。';
  }
  if (o.status === 'shipped' || o.status === 'delivered') return '発送済みのご注文はキャンセルできません。返品として扱い、必要であれば返金してください。';
  if (refundable && !refundRequested) return 'カード決済済みのご注文です。先に返金するか、「カード決済を全額返金してキャンセル」を選んでください。';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Filters.

export interface OrderFilter {
  status: OrderStatus | null;
  payment: PaymentMethod | null;
  /** Where the order came from (web, phone, FAX, postcard, other); absent = every channel. */
  channel?: OrderChannel | null;
  /** JST calendar dates, inclusive. */
  from: string | null;
  to: string | null;
  q: string | null;
}

/** The start of a JST calendar day as the UTC instant text stored in the database. */
export function jstDayStart(date: string): string {
  return new Date(`${date}T00:00:00+09:00`).toISOString();
}

const LIKE_ESCAPE = '\\';
function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `${LIKE_ESCAPE}${c}`);
}
function contains(expr: Expression<unknown>, needle: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`${expr} like ${`%${escapeLike(needle)}%`} escape ${LIKE_ESCAPE}`;
}
function replaceAll(expr: Expression<unknown>, pairs: readonly (readonly [string, string])[]): RawBuilder<string> {
  let e: RawBuilder<string> = sql<string>`${expr}`;
  for (const [from, to] of pairs) e = sql<string>`replace(${e}, ${from}, ${to})`;
  return e;
}
const SPACES = [[' ', ''], ['\u3000', '']] as const;
const PHONE_NOISE: (readonly [string, string])[] = [
  ...['-', ' ', '(', ')', '+', '\u3000', '－', '‐', '−', 'ー', '―', '（', '）'].map((c) => [c, ''] as const),
  ...'０１２３４５６７８９'.split('').map((c, i) => [c, String(i)] as const),
];

function filterExpr(eb: ExpressionBuilder<Database, 'orders'>, f: OrderFilter, extra: Expression<SqlBool>[] = []): Expression<SqlBool> {
  // The external monitor's orders are never sales: not listed, not exported.
  const and: Expression<SqlBool>[] = [eb('is_monitor', '=', 0), ...extra];
  if (f.status) and.push(eb('status', '=', f.status));
  if (f.payment) and.push(eb('payment_method', '=', f.payment));
  if (f.channel) and.push(eb('channel', '=', f.channel));
  if (f.from) and.push(eb('placed_at', '>=', jstDayStart(f.from)));
  if (f.to) and.push(eb('placed_at', '<', jstDayStart(addDays(f.to, 1))));
  if (f.q) {
    const q = nfkc(f.q).trim().toLowerCase();
    const compact = q.replace(/\s/g, '');
    const or: Expression<SqlBool>[] = [contains(sql`lower(${eb.ref('order_number')})`, compact)];
    for (const col of ['orderer_name', 'shipping_name'] as const) {
      or.push(contains(sql`lower(${replaceAll(eb.ref(col), SPACES)})`, compact));
    }
    for (const col of ['orderer_kana', 'shipping_kana'] as const) {
      or.push(contains(replaceAll(eb.ref(col), SPACES), toKatakana(compact)));
    }
    or.push(contains(sql`lower(${eb.ref('orderer_email')})`, q));
    // A phone number typed with or without hyphens, in either width, finds the order.
    const digits = q.replace(/\D/g, '');
    if (digits.length >= 4 && /^[\d\s()+-]+$/.test(q)) {
      for (const col of ['orderer_phone', 'orderer_fax', 'shipping_phone'] as const) or.push(contains(replaceAll(eb.ref(col), PHONE_NOISE), digits));
    }
    and.push(eb.or(or));
  }
  return eb.and(and);
}

// ---------------------------------------------------------------------------------------------

export interface OrderDetail {
  order: OrderTable;
  lines: OrderLineTable[];
  payments: (PaymentTable & { events: PaymentEventTable[] })[];
  events: OrderEventTable[];
  mails: Pick<OutboxTable, 'id' | 'dedupe_key' | 'kind' | 'to_address' | 'subject' | 'status' | 'created_at' | 'sent_at' | 'attempts' | 'last_error'>[];
  notes: OrderNoteTable[];
  shipments: OrderShipmentTable[];
  receipt: BankTransferReceiptTable | null;
  /** Card money that can still be refunded. */
  refundableYen: number;
}

export interface DailySales {
  date: string;
  totalYen: number;
  count: number;
}

const SHIPPED_MAIL = `{{name}} 様

{{shopName}}をご利用いただき、誠にありがとうございます。
ご注文の商品を本日発送いたしました。

━━━━━━━━━━━━━━━━━━━━
ご注文番号: {{orderNumber}}
配送業者: {{carrier}}
お問い合わせ伝票番号: {{tracking}}
━━━━━━━━━━━━━━━━━━━━
配送状況は配送業者のページでご確認いただけます。
{{trackingUrl}}

■ お届け先
{{destination}}

■ お届け希望日時
{{delivery}}

ご注文内容は次のページでご確認いただけます。
{{orderUrl}}

--
{{shopName}}
{{shopAddress}}
TEL {{shopPhone}} / {{shopEmail}}
{{shopHours}}
`;

export function shippedMail(input: { order: OrderTable; settings: ShopSettings; carrier: Carrier; tracking: string; orderUrl: string }): OutgoingMail | null {
  const { order: o, settings: s } = input;
  if (!o.orderer_email) return null;
  const d = destinationOf(o);
  return {
    dedupeKey: `order-shipped:${o.id}`,
    kind: 'order_shipped',
    to: o.orderer_email,
    subject: `【${s.shop.name}】商品を発送しました（ご注文番号 ${o.order_number}）`,
    text: renderTemplate(SHIPPED_MAIL, {
      name: o.orderer_name,
      shopName: s.shop.name,
      orderNumber: o.order_number,
      carrier: CARRIERS[input.carrier].label,
      tracking: formatTrackingNumber(input.tracking),
      trackingUrl: CARRIERS[input.carrier].trackingUrl(input.tracking),
      destination: `${d.name} 様\n〒${d.postalCode} ${d.prefecture}${d.address1}${d.address2 ? ` ${d.address2}` : ''}`,
      delivery: `${o.delivery_date ? formatDateJa(o.delivery_date) : '指定なし'} ${o.delivery_slot ?? ''}`.trim(),
      orderUrl: input.orderUrl,
      shopAddress: `〒${s.shop.postalCode} ${s.shop.address}`,
      shopPhone: s.shop.phone,
      shopEmail: s.shop.email,
      shopHours: s.shop.hours,
    }),
  };
}

export const MAX_EXPORT_ORDERS = 5000;

/**
 * The order back office: search, the status flow and every staff action on an order. Each action
 * changes the order and records an order event in one transaction, then appends to the audit log.
 */
export class OrderAdminService {
  constructor(
    /** The shop's database; transactions run on it so other domains' helpers can take them. */
    private readonly base: Db,
    private readonly orders: OrderService,
    private readonly payments: PaymentService,
    private readonly settings: SettingsService,
    private readonly audit: AuditLog,
  ) {}

  async search(f: OrderFilter, page: number, perPage: number): Promise<{ rows: OrderTable[]; total: number }> {
    const base = this.base.selectFrom('orders').where((eb) => filterExpr(eb, f));
    const count = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    const rows = await base.selectAll().orderBy('placed_at', 'desc').orderBy('id', 'desc').limit(perPage).offset((page - 1) * perPage).execute();
    return { rows, total: Number(count?.n ?? 0) };
  }

  /**
   * Orders matching the filter with their lines, newest first, for an export. `shippable` leaves
   * out orders that must never be shipped (unpaid card sessions, cancellations).
   */
  async forExport(f: OrderFilter, opts: { shippable: boolean }): Promise<ExportOrder[]> {
    const orders = await this.base
      .selectFrom('orders')
      .selectAll()
      .where((eb) => filterExpr(eb, f, opts.shippable ? [eb('status', 'not in', ['pending_payment', 'cancelled'])] : []))
      .orderBy('placed_at', 'desc')
      .orderBy('id', 'desc')
      .limit(MAX_EXPORT_ORDERS + 1)
      .execute();
    if (orders.length > MAX_EXPORT_ORDERS) {
      throw new AppError(400, 'too_many', `対象が${MAX_EXPORT_ORDERS}件を超えています。期間や状態で絞り込んでから出力してください。`);
    }
    const byOrder = new Map<string, OrderLineTable[]>();
    for (let i = 0; i < orders.length; i += 500) {
      const ids = orders.slice(i, i + 500).map((o) => o.id);
      const lines = await this.base.selectFrom('order_lines').selectAll().where('order_id', 'in', ids).orderBy('order_id').orderBy('line_no').execute();
      for (const l of lines) byOrder.set(l.order_id, [...(byOrder.get(l.order_id) ?? []), l]);
    }
    return orders.map((o) => ({ ...o, lines: byOrder.get(o.id) ?? [] }));
  }

  async detail(id: string): Promise<OrderDetail | null> {
    const order = await this.orders.getById(id);
    if (!order) return null;
    const [lines, payments, events, notes, shipments, receipt, mails] = await Promise.all([
      this.orders.lines(id),
      this.payments.listForOrder(id),
      this.base.selectFrom('order_events').selectAll().where('order_id', '=', id).orderBy('at').orderBy('id').execute(),
      this.base.selectFrom('order_notes').selectAll().where('order_id', '=', id).orderBy('at', 'desc').orderBy('id', 'desc').execute(),
      this.base.selectFrom('order_shipments').selectAll().where('order_id', '=', id).orderBy('recorded_at', 'desc').orderBy('id', 'desc').execute(),
      this.base.selectFrom('bank_transfer_receipts').selectAll().where('order_id', '=', id).executeTakeFirst(),
      this.mailsFor(id),
    ]);
    const paymentEvents = payments.length
      ? await this.base.selectFrom('payment_events').selectAll().where('payment_id', 'in', payments.map((p) => p.id)).orderBy('at').orderBy('id').execute()
      : [];
    return {
      order, lines, events, notes, shipments, mails,
      receipt: receipt ?? null,
      payments: payments.map((p) => ({ ...p, events: paymentEvents.filter((e) => e.payment_id === p.id) })),
      refundableYen: refundable(payments),
    };
  }

  /** Mails queued for the order: the confirmation, its resends and the shipping notice. */
  private mailsFor(id: string): Promise<OrderDetail['mails']> {
    return this.base
      .selectFrom('outbox')
      .select(['id', 'dedupe_key', 'kind', 'to_address', 'subject', 'status', 'created_at', 'sent_at', 'attempts', 'last_error'])
      .where((eb) =>
        eb.or([
          eb('dedupe_key', '=', `order-confirmation:${id}`),
          eb('dedupe_key', '=', `order-shipped:${id}`),
          sql<SqlBool>`${eb.ref('dedupe_key')} like ${`${escapeLike(`order-confirmation-resend:${id}:`)}%`} escape ${LIKE_ESCAPE}`,
        ]),
      )
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  private async load(id: string): Promise<OrderTable> {
    const o = await this.orders.getById(id);
    if (!o) throw notFound('ご注文');
    return o;
  }

  private async audited(actor: string, action: string, orderId: string, detail: Record<string, unknown>): Promise<void> {
    await this.audit.append({ actor, action: `order.${action}`, target: orderId, detail });
  }

  /**
   * Moves an order forward along the flow (preparing, delivered). Shipping needs a tracking
   * number (`ship`), payment has its own actions, cancelling has `cancel`.
   */
  async changeStatus(id: string, to: OrderStatus, actor: string): Promise<OrderTable> {
    const o = await this.load(id);
    if (to === 'shipped' && o.status === 'preparing') throw conflict('needs_tracking', '発送済みにするには、配送業者と追跡番号を入力して「発送済みにする」を押してください。');
    if (to === 'cancelled') throw conflict('use_cancel', 'キャンセルは「キャンセル」の操作から行ってください。');
    const problem = transitionProblem(o, to);
    if (problem) throw conflict('invalid_transition', problem);
    const codPaid = o.payment_method === 'cod' && to === 'delivered';
    await this.base.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('orders')
        .set({ status: to, ...(codPaid ? { payment_status: 'paid' as const } : {}), updated_at: nowIso() })
        .where('id', '=', id)
        .where('status', '=', o.status)
        .where('payment_status', '=', o.payment_status)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) throw stale();
      await addOrderEvent(trx, id, 'status', `${o.status}→${to} by ${actor}`);
      if (codPaid) await addOrderEvent(trx, id, 'paid', 'cod');
    });
    await this.audited(actor, 'status', id, { from: o.status, to, ...(codPaid ? { paymentStatus: 'paid' } : {}) });
    return this.load(id);
  }

  /** Marks a prepared order shipped with its tracking number and mails the orderer once. */
  async ship(id: string, input: { carrier: Carrier; tracking: string }, actor: string): Promise<void> {
    const o = await this.load(id);
    const problem = transitionProblem(o, 'shipped');
    if (problem) throw conflict('invalid_transition', problem);
    const settings = await this.settings.get();
    const mail = shippedMail({ order: o, settings, carrier: input.carrier, tracking: input.tracking, orderUrl: this.orders.orderUrl(id, this.orders.orderToken(id)) });
    await this.base.transaction().execute(async (trx) => {
      const res = await trx.updateTable('orders').set({ status: 'shipped', updated_at: nowIso() }).where('id', '=', id).where('status', '=', o.status).executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) throw stale();
      await trx
        .insertInto('order_shipments')
        .values({ id: newId('shp'), order_id: id, carrier: input.carrier, tracking_number: input.tracking, recorded_at: nowIso(), recorded_by: actor })
        .execute();
      await addOrderEvent(trx, id, 'status', `${o.status}→shipped by ${actor}`);
      await addOrderEvent(trx, id, 'shipped', `${input.carrier}:${input.tracking}`);
      if (mail) await enqueueMail(trx, mail);
    });
    await this.audited(actor, 'ship', id, { carrier: input.carrier, tracking: input.tracking, mailed: mail !== null });
  }

  /** Corrects the tracking number of a shipped order (no new mail). */
  async correctTracking(id: string, input: { carrier: Carrier; tracking: string }, actor: string): Promise<void> {
    const o = await this.load(id);
    if (o.status !== 'shipped' && o.status !== 'delivered') throw conflict('not_shipped', '追跡番号の訂正は発送済みのご注文だけです。発送時は「発送済みにする」から入力してください。');
    await this.base.transaction().execute(async (trx) => {
      await trx
        .insertInto('order_shipments')
        .values({ id: newId('shp'), order_id: id, carrier: input.carrier, tracking_number: input.tracking, recorded_at: nowIso(), recorded_by: actor })
        .execute();
      await addOrderEvent(trx, id, 'tracking_corrected', `${input.carrier}:${input.tracking}`);
    });
    await this.audited(actor, 'tracking', id, { carrier: input.carrier, tracking: input.tracking });
  }

  /**
   * Cancels an order and gives its stock back (once, whatever is clicked twice). A paid card
   * order is refunded in full first when asked to; otherwise it must have been refunded already.
   */
  async cancel(id: string, input: { refund: boolean; reason: string | null }, actor: string): Promise<{ refundedYen: number; stockReleased: boolean }> {
    let o = await this.load(id);
    const owed = o.payment_method === 'card' ? refundable(await this.payments.listForOrder(id)) : 0;
    const problem = cancelProblem(o, owed > 0, input.refund);
    if (problem) throw conflict('cannot_cancel', problem);
    let refundedYen = 0;
    if (owed > 0) {
      try {
        await this.payments.refund(o.order_number, null, actor);
      } catch (err) {
        if (err instanceof PaymentUnavailableError) throw conflict('refund_failed', `返金できなかったため、キャンセルしていません: ${err.message}`);
        throw err;
      }
      refundedYen = owed;
      await this.audited(actor, 'refund', id, { amountYen: owed, full: true, viaCancel: true });
      o = await this.load(id);
    }
    let stockReleased = false;
    await this.base.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('orders')
        .set({ status: 'cancelled', ...(o.payment_status === 'pending' ? { payment_status: 'cancelled' as const } : {}), updated_at: nowIso() })
        .where('id', '=', id)
        .where('status', '=', o.status)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) throw stale();
      await addOrderEvent(trx, id, 'cancelled', [`by ${actor}`, input.reason].filter(Boolean).join(': ').slice(0, 500));
      stockReleased = await this.orders.releaseStock(trx, id);
    });
    await this.audited(actor, 'cancel', id, {
      from: o.status, reason: input.reason, refundedYen, stockReleased,
      ...((o.payment_method === 'bank_transfer' || o.payment_method === 'postal_transfer') && o.payment_status === 'paid' ? { manualRefundNeeded: true } : {}),
    });
    return { refundedYen, stockReleased };
  }

  /** Refunds a card payment through the provider, in full (null) or in part. */
  async refund(id: string, amountYen: number | null, actor: string): Promise<{ refundedYen: number; status: string }> {
    const o = await this.load(id);
    if (o.payment_method !== 'card') {
      throw conflict('not_card', 'カード決済以外のご注文は決済代行会社経由で返金できません。銀行振込・代金引換の返金はお振込みなどで行い、メモに記録してください。');
    }
    try {
      const r = await this.payments.refund(o.order_number, amountYen, actor);
      await this.audited(actor, 'refund', id, { amountYen, refundedTotalYen: r.refundedYen, status: r.status });
      return r;
    } catch (err) {
      if (err instanceof PaymentUnavailableError) throw conflict('refund_failed', err.message);
      throw err;
    }
  }

  /** Records a bank (or postal) transfer as received (amount and date) and marks the order paid. */
  async confirmBankTransfer(id: string, input: { amountYen: number; receivedOn: string; acceptDifference: boolean }, actor: string): Promise<void> {
    const o = await this.load(id);
    if (o.payment_method !== 'bank_transfer' && o.payment_method !== 'postal_transfer') throw conflict('not_bank_transfer', '銀行振込・郵便振替のご注文ではありません。');
    if (o.status === 'cancelled') throw conflict('cancelled', 'キャンセル済みのご注文です。');
    if (o.payment_status !== 'pending' || o.status !== 'new') throw conflict('already_paid', 'このご注文はすでに入金確認済みです。');
    if (input.receivedOn < jstDate(new Date(o.placed_at))) throw new AppError(422, 'bad_date', '入金日がご注文日より前になっています。');
    if (input.amountYen !== o.total_yen && !input.acceptDifference) {
      throw new AppError(422, 'amount_mismatch', `入金額（${input.amountYen.toLocaleString('ja-JP')}円）がご請求額（${o.total_yen.toLocaleString('ja-JP')}円）と一致しません。差額を確認したうえで「金額の差異を確認した」にチェックしてください。`);
    }
    try {
      await this.base.transaction().execute(async (trx) => {
        await trx
          .insertInto('bank_transfer_receipts')
          .values({ id: newId('btr'), order_id: id, amount_yen: input.amountYen, received_on: input.receivedOn, recorded_at: nowIso(), recorded_by: actor })
          .execute();
        const res = await trx
          .updateTable('orders')
          .set({ payment_status: 'paid', status: 'paid', updated_at: nowIso() })
          .where('id', '=', id)
          .where('status', '=', 'new')
          .where('payment_status', '=', 'pending')
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) throw stale();
        await addOrderEvent(trx, id, 'paid', `${o.payment_method}:${input.amountYen}:${input.receivedOn} by ${actor}`);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('already_paid', 'このご注文はすでに入金確認済みです。');
      throw err;
    }
    await this.audited(actor, 'bank_transfer_confirmed', id, { amountYen: input.amountYen, receivedOn: input.receivedOn, totalYen: o.total_yen });
  }

  /** A staff-only note; never shown to the buyer. */
  async addNote(id: string, body: string, actor: string): Promise<void> {
    await this.load(id);
    const noteId = newId('ont');
    await this.base.transaction().execute(async (trx) => {
      await trx.insertInto('order_notes').values({ id: noteId, order_id: id, at: nowIso(), author: actor, body }).execute();
      await addOrderEvent(trx, id, 'note_added', `${noteId} by ${actor}`);
    });
    await this.audited(actor, 'note', id, { noteId, length: body.length });
  }

  /** Queues the order confirmation again, under a new key (`order-confirmation-resend:<id>:<n>`). */
  async resendConfirmation(id: string, actor: string): Promise<string> {
    const o = await this.load(id);
    if (!o.orderer_email) throw conflict('no_email', 'このご注文にはメールアドレスがありません。');
    if (o.status === 'pending_payment') throw conflict('not_confirmed', 'カード決済が完了していないため、確認メールはまだ送られていません。');
    if (o.status === 'cancelled') throw conflict('cancelled', 'キャンセル済みのご注文には確認メールを再送できません。');
    const [settings, lines] = await Promise.all([this.settings.get(), this.orders.lines(id)]);
    const base = orderConfirmationMail({ order: o, lines, settings, orderUrl: this.orders.orderUrl(id, this.orders.orderToken(id)) });
    if (!base) throw conflict('no_email', 'このご注文にはメールアドレスがありません。');
    const prefix = `order-confirmation-resend:${id}:`;
    let key = '';
    await this.base.transaction().execute(async (trx) => {
      const previous = await trx
        .selectFrom('outbox')
        .select('dedupe_key')
        .where(sql<SqlBool>`${sql.ref('dedupe_key')} like ${`${escapeLike(prefix)}%`} escape ${LIKE_ESCAPE}`)
        .execute();
      const n = previous.reduce((max, r) => Math.max(max, Number.parseInt(r.dedupe_key.slice(prefix.length), 10) || 0), 0) + 1;
      key = `${prefix}${n}`;
      await enqueueMail(trx, { ...base, dedupeKey: key, kind: 'order_confirmation_resend' });
      await addOrderEvent(trx, id, 'mail_resent', `${key} by ${actor}`);
    });
    await this.audited(actor, 'resend_confirmation', id, { dedupeKey: key });
    return key;
  }

  // -------------------------------------------------------------------------------------------
  // Dashboard figures.

  /** Orders placed today (JST) that count: not an unpaid card session, not cancelled. */
  async todayStats(now = new Date()): Promise<{ count: number; totalYen: number }> {
    const today = jstDate(now);
    const row = await this.base
      .selectFrom('orders')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('total_yen').as('total')])
      .where('placed_at', '>=', jstDayStart(today))
      .where('placed_at', '<', jstDayStart(addDays(today, 1)))
      .where('status', 'not in', ['pending_payment', 'cancelled'])
      .where('is_monitor', '=', 0)
      .executeTakeFirst();
    return { count: Number(row?.n ?? 0), totalYen: Number(row?.total ?? 0) };
  }

  /** Bank transfers still awaited: how many, the oldest, and how many are past the due date. */
  async unpaidBankTransfers(dueDays: number, now = new Date()): Promise<{ count: number; overdue: number; oldest: Pick<OrderTable, 'id' | 'order_number' | 'placed_at' | 'orderer_name' | 'total_yen'> | null }> {
    const base = this.base.selectFrom('orders').where('is_monitor', '=', 0).where('payment_method', '=', 'bank_transfer').where('payment_status', '=', 'pending').where('status', '=', 'new');
    const dueBefore = jstDayStart(addDays(jstDate(now), -dueDays));
    const [count, overdue, oldest] = await Promise.all([
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).where('placed_at', '<', dueBefore).executeTakeFirst(),
      base.select(['id', 'order_number', 'placed_at', 'orderer_name', 'total_yen']).orderBy('placed_at').orderBy('id').limit(1).executeTakeFirst(),
    ]);
    return { count: Number(count?.n ?? 0), overdue: Number(overdue?.n ?? 0), oldest: oldest ?? null };
  }

  /** Active variants with little stock left, fewest first. */
  lowStock(threshold = 5, limit = 20): Promise<{ variant_id: string; product_id: string; sku: string; product_name: string; variant_name: string; stock: number }[]> {
    return this.base
      .selectFrom('variants as v')
      .innerJoin('products as p', 'p.id', 'v.product_id')
      .select(['v.id as variant_id', 'v.product_id', 'v.sku', 'p.name_ja as product_name', 'v.name_ja as variant_name', 'v.stock'])
      .where('v.active', '=', 1)
      .where('v.stock', '<=', threshold)
      .orderBy('v.stock')
      .orderBy('v.sku')
      .limit(limit)
      .execute();
  }

  /**
   * Sales per JST day for the last `days` days (today included): orders that were paid or
   * confirmed — card and bank transfer once paid, cash on delivery once placed — never
   * unpaid sessions or cancellations. Amounts are what was ordered (refunds are not subtracted).
   */
  async salesByDay(days: number, now = new Date()): Promise<DailySales[]> {
    const today = jstDate(now);
    const first = addDays(today, -(days - 1));
    const rows = await this.base
      .selectFrom('orders')
      .select(['placed_at', 'total_yen'])
      .where('placed_at', '>=', jstDayStart(first))
      .where('placed_at', '<', jstDayStart(addDays(today, 1)))
      .where('status', 'not in', ['pending_payment', 'cancelled'])
      .where('is_monitor', '=', 0)
      .where((eb) => eb.or([eb('payment_status', '=', 'paid'), eb('payment_method', '=', 'cod')]))
      .execute();
    const byDay = new Map<string, DailySales>();
    for (let i = 0; i < days; i++) {
      const date = addDays(first, i);
      byDay.set(date, { date, totalYen: 0, count: 0 });
    }
    for (const r of rows) {
      const d = byDay.get(jstDate(new Date(r.placed_at)));
      if (!d) continue;
      d.totalYen += r.total_yen;
      d.count += 1;
    }
    return [...byDay.values()];
  }
}

function stale(): AppError {
  return conflict('stale', 'ほかの操作でご注文の状態が変わりました。画面を更新して確認してください。');
}

/** Money on card payments that can still be refunded. */
function refundable(payments: readonly PaymentTable[]): number {
  return payments
    .filter((p) => (p.status === 'paid' || p.status === 'partially_refunded') && p.provider_payment_id)
    .reduce((sum, p) => sum + (p.amount_yen - p.refunded_yen), 0);
}
