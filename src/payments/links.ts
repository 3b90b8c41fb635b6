import type { AuditLog } from '../admin/audit.js';
import { conflict, notFound } from '../app/errors.js';
import type { OrderService } from '../checkout/service.js';
import type { OrderTable } from '../checkout/tables.js';
import type { Db, DbOrTx } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { enqueueMail, type OutgoingMail } from '../notify/outbox.js';
import { yen } from '../notify/template.js';
import type { ShopSettings } from '../settings/defaults.js';
import type { SettingsService } from '../settings/service.js';
import { hmacBase64url, newId, sha256Hex } from '../shared/ids.js';
import type { AttemptContext, PaymentService } from './service.js';
import type { PaymentLinkTable } from './tables.js';

/** What a payment link can be when the buyer opens it. */
export type PaymentLinkState = 'open' | 'paid' | 'expired' | 'revoked' | 'closed';

export interface ResolvedLink {
  link: PaymentLinkTable;
  order: OrderTable;
  state: PaymentLinkState;
}

export interface IssuedLink {
  url: string;
  expiresAt: string;
  link: PaymentLinkTable;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Payment links (issue #9): for a card order entered by staff (phone, FAX, postcard), Mamori makes
 * a link `/pay/<token>` on the shop. Opening it shows the order and starts the provider's hosted
 * page through `PaymentService.startCardPayment` — the same kill switch, card limits, idempotency
 * and reconciliation as a web card payment. A card number is never read out, typed or stored here.
 *
 * - The token is HMAC(secret, link id): unguessable, never stored (only its SHA-256), and the shop
 *   can still print or mail the URL again (FAX reply sheet, resend) while the link is open.
 * - Single use: once the order is paid the link only says so; expiring (settings `paymentLinks.validDays`);
 *   issuing a new link revokes the previous one. Issue, resend and revoke are audited.
 * - While a link is open, an ended card attempt does not cancel the order; when the last link has
 *   expired or was revoked with no attempt in flight, reconciliation cancels it and returns the stock.
 */
export class PaymentLinkService {
  constructor(
    private readonly db: Db,
    private readonly orders: OrderService,
    private readonly payments: PaymentService,
    private readonly settings: SettingsService,
    private readonly audit: AuditLog,
    private readonly publicUrl: string,
    private readonly secret: string,
  ) {}

  private tokenOf(linkId: string): string {
    return hmacBase64url(this.secret, `payment-link:${linkId}`);
  }

  urlOf(link: Pick<PaymentLinkTable, 'id'>): string {
    return `${this.publicUrl}/pay/${this.tokenOf(link.id)}`;
  }

  /** Why this order cannot get a payment link, or null. */
  static problem(o: Pick<OrderTable, 'payment_method' | 'status' | 'payment_status'>): string | null {
    if (o.payment_method !== 'card') return 'お支払いリンクはカード払いのご注文にだけ発行できます。';
    if (o.payment_status === 'paid' || o.status === 'paid') return 'このご注文はお支払い済みです。';
    if (o.status !== 'pending_payment' || o.payment_status !== 'pending') return 'このご注文はお支払い手続きの対象ではありません（キャンセル済みなど）。';
    return null;
  }

  /**
   * A new link for the order; any link still open is revoked in the same transaction. Returns the
   * URL (for the FAX reply sheet or the phone) and its expiry.
   */
  async issue(orderId: string, actor: string, db: DbOrTx = this.db): Promise<IssuedLink> {
    const order = await db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirst();
    if (!order) throw notFound('ご注文');
    const why = PaymentLinkService.problem(order);
    if (why) throw conflict('payment_link_not_applicable', why);
    const settings = await this.settings.get(db);
    const now = new Date();
    const link: PaymentLinkTable = {
      id: newId('pln'),
      order_id: orderId,
      token_hash: '',
      created_at: nowIso(now),
      created_by: actor.slice(0, 200),
      expires_at: nowIso(new Date(now.getTime() + settings.paymentLinks.validDays * 86_400_000)),
      revoked_at: null,
      opened_at: null,
      used_at: null,
    };
    link.token_hash = sha256Hex(this.tokenOf(link.id));
    const run = async (trx: DbOrTx) => {
      const revoked = await this.revokeOpen(trx, orderId);
      await trx.insertInto('payment_links').values(link).execute();
      await this.audit.append(
        { actor, action: 'payment_link.issue', target: orderId, detail: { orderNumber: order.order_number, linkId: link.id, expiresAt: link.expires_at, revoked } },
        trx,
      );
    };
    if (db === this.db) await this.db.transaction().execute(run);
    else await run(db);
    return { url: this.urlOf(link), expiresAt: link.expires_at, link };
  }

  /** The open link of the order (not expired, revoked or used), with its URL; null if none. */
  async currentLinkFor(orderId: string, db: DbOrTx = this.db): Promise<IssuedLink | null> {
    const link = await db
      .selectFrom('payment_links')
      .selectAll()
      .where('order_id', '=', orderId)
      .where('revoked_at', 'is', null)
      .where('used_at', 'is', null)
      .where('expires_at', '>', nowIso())
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return link ? { url: this.urlOf(link), expiresAt: link.expires_at, link } : null;
  }

  /** Every link of the order, newest first (for the order page). */
  listFor(orderId: string): Promise<PaymentLinkTable[]> {
    return this.db.selectFrom('payment_links').selectAll().where('order_id', '=', orderId).orderBy('created_at', 'desc').execute();
  }

  /** Revokes the order's open link(s) (the buyer can no longer pay through them). */
  async revoke(orderId: string, actor: string): Promise<number> {
    const order = await this.orders.getById(orderId);
    if (!order) throw notFound('ご注文');
    return this.db.transaction().execute(async (trx) => {
      const n = await this.revokeOpen(trx, orderId);
      if (n === 0) throw conflict('no_open_link', '有効なお支払いリンクはありません。');
      await this.audit.append({ actor, action: 'payment_link.revoke', target: orderId, detail: { orderNumber: order.order_number, revoked: n } }, trx);
      return n;
    });
  }

  private async revokeOpen(trx: DbOrTx, orderId: string): Promise<number> {
    const res = await trx
      .updateTable('payment_links')
      .set({ revoked_at: nowIso() })
      .where('order_id', '=', orderId)
      .where('revoked_at', 'is', null)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  /**
   * Mails the open link to the orderer through the outbox (each resend is a new mail). Fails
   * clearly when no e-mail is known or no link is open.
   */
  async send(orderId: string, actor: string): Promise<{ to: string }> {
    const order = await this.orders.getById(orderId);
    if (!order) throw notFound('ご注文');
    if (!order.orderer_email) throw conflict('no_email', 'このご注文にはメールアドレスがありません。リンクをFAXの返信シートで送るか、電話でお伝えください。');
    const current = await this.currentLinkFor(orderId);
    if (!current) throw conflict('no_open_link', '有効なお支払いリンクがありません。先にリンクを発行してください。');
    const settings = await this.settings.get();
    await this.db.transaction().execute(async (trx) => {
      const sent = await trx.selectFrom('outbox').select('id').where('dedupe_key', 'like', `payment-link:${current.link.id}:%`).execute();
      await enqueueMail(trx, paymentLinkMail({ order, settings, url: current.url, expiresAt: current.expiresAt, dedupeKey: `payment-link:${current.link.id}:${sent.length + 1}` }));
      await this.audit.append(
        { actor, action: sent.length === 0 ? 'payment_link.send' : 'payment_link.resend', target: orderId, detail: { orderNumber: order.order_number, linkId: current.link.id, mailNo: sent.length + 1 } },
        trx,
      );
    });
    return { to: order.orderer_email };
  }

  /** The link behind a token as the buyer opens it, with what it can still do. Unknown → null. */
  async resolve(token: string): Promise<ResolvedLink | null> {
    if (!TOKEN.test(token)) return null;
    const link = await this.db.selectFrom('payment_links').selectAll().where('token_hash', '=', sha256Hex(token)).executeTakeFirst();
    if (!link) return null;
    const order = await this.orders.getById(link.order_id);
    if (!order) return null;
    if (!link.opened_at) {
      await this.db.updateTable('payment_links').set({ opened_at: nowIso() }).where('id', '=', link.id).where('opened_at', 'is', null).execute();
    }
    return { link, order, state: linkState(link, order) };
  }

  /**
   * Starts the provider's hosted page for an open link (the kill switch, card-testing limits and
   * exactly-once rules of PaymentService apply). Anything but an open link is refused.
   */
  async start(token: string, ctx: AttemptContext): Promise<{ redirect: string } | { refused: ResolvedLink | null }> {
    const r = await this.resolve(token);
    if (!r || r.state !== 'open') return { refused: r };
    return { redirect: await this.payments.startCardPayment(r.order, ctx) };
  }

  /** The order page's link for the buyer after paying (same bearer link as web orders). */
  orderUrl(orderId: string): string {
    return this.orders.orderUrl(orderId, this.orders.orderToken(orderId));
  }
}

export function linkState(link: PaymentLinkTable, order: Pick<OrderTable, 'payment_status' | 'status'>, now = nowIso()): PaymentLinkState {
  if (order.payment_status === 'paid' || link.used_at || order.payment_status === 'refunded') return 'paid';
  if (link.revoked_at) return 'revoked';
  if (link.expires_at <= now) return 'expired';
  if (order.status !== 'pending_payment' || order.payment_status !== 'pending') return 'closed';
  return 'open';
}

export function paymentLinkMail(input: { order: OrderTable; settings: ShopSettings; url: string; expiresAt: string; dedupeKey: string }): OutgoingMail {
  const { order, settings: s } = input;
  const until = new Date(input.expiresAt).toLocaleString('ja-JP', { timeZone: 'Asia/Tokyo', dateStyle: 'long', timeStyle: 'short' });
  return {
    dedupeKey: input.dedupeKey,
    kind: 'payment_link',
    to: order.orderer_email ?? '',
    subject: `【${s.shop.name}】カードでのお支払いのご案内（ご注文番号 ${order.order_number}）`,
    text: [
      `${order.orderer_name} 様`,
      '',
      `${s.shop.name}をご利用いただき、誠にありがとうございます。`,
      'お電話・FAX・はがきでいただいたご注文のお支払い（クレジットカード）は、次のリンクからお手続きください。',
      '',
      `ご注文番号: ${order.order_number}`,
      `お支払い金額: ${yen(order.total_yen)}（税込）`,
      `お支払いページ: ${input.url}`,
      `有効期限: ${until}`,
      '',
      'リンク先で内容をご確認のうえ、決済代行会社のページでカード情報をご入力ください。',
      '当店がお電話・FAX・メールでカード番号をお尋ねすることはありません。',
      'このリンクは一度お支払いが完了すると使えなくなります。',
      '',
      '--',
      s.shop.name,
      `〒${s.shop.postalCode} ${s.shop.address}`,
      `TEL ${s.shop.phone} / ${s.shop.email}`,
      s.shop.hours,
    ].join('\n'),
  };
}
