/**
 * What the checkout benchmark and the load test share: a virtual buyer taking the whole card path
 * over HTTP, and the books check afterwards (the provider's store against the shop's database).
 */
import { sql } from 'kysely';
import Database from 'better-sqlite3';
import type { Db } from '../src/db/index.js';
import { Client, guestForm } from '../test/helpers/browser-client.js';

export type BuyOutcome = 'paid' | 'sold_out' | 'failed';

export const THANK_YOU = 'ご注文ありがとうございました';

/**
 * One card purchase the way a person makes it: product page, add to cart, checkout form,
 * confirmation, place the order, the provider's hosted page (its own origin), pay with 4242…, back
 * to the shop's thank-you page. `sold_out` when the shop refuses the item for lack of stock.
 */
export async function buyOnce(c: Client, opts: { pspUrl: string; productPath: string; variantId: string; email: string }): Promise<BuyOutcome> {
  await c.get(opts.productPath);
  const added = await c.post('/cart/add', { variant_id: opts.variantId, quantity: '1' });
  if (added.status === 409) return 'sold_out';
  if (added.status !== 200) return 'failed';
  const form = await c.get('/checkout');
  if (form.status !== 200) return 'failed';
  const confirm = await c.post('/checkout/confirm', guestForm({ payment_method: 'card', orderer_email: opts.email }));
  if (confirm.status !== 200) return confirm.html.includes('在庫') ? 'sold_out' : 'failed';
  const psp = await c.request('/checkout/place', { form: c.hiddenFields('/checkout/place') });
  const m = /<form method="post" action="(\/pay\/[^"]+)"/.exec(psp.html);
  if (!m) return psp.html.includes('在庫') ? 'sold_out' : 'failed';
  const done = await c.request(new URL(m[1]!, opts.pspUrl).href, { form: { cardNumber: '4242424242424242', expiry: '12/30', cvc: '123', name: 'BENCH BUYER' } });
  return done.status === 200 && done.html.includes(THANK_YOU) ? 'paid' : 'failed';
}

/** A mail the SMTP sink received: its Message-ID header (the outbox id) is what is counted. */
export function messageIdOf(raw: string): string | null {
  const m = /^Message-ID:\s*<([^>]+)>/im.exec(raw);
  return m ? m[1]! : null;
}

export interface StockLine {
  variantId: string;
  before: number;
  sold: number;
  after: number;
}

export interface MailBooks {
  /** Paid orders whose confirmation never reached the mail server (or was never queued). */
  lost: number;
  /** Mails (one outbox row, one Message-ID) the server received more than once. */
  redelivered: number;
  /** Deliveries beyond the first, summed over those mails. */
  extraDeliveries: number;
  /** Paid orders that got more than one distinct confirmation mail. */
  doubled: number;
  /** Outbox rows given up on (5xx or too many attempts). */
  failed: number;
  /** Confirmation mails delivered (distinct). */
  delivered: number;
}

export interface Books {
  pspPaid: number;
  shopPaid: number;
  /** Paid at the provider, not paid in the shop. */
  lost: number;
  /** Orders the provider charged more than once. */
  doubleCharged: number;
  /** Provider payments that appear more than once in the shop's payments. */
  duplicatedPayments: number;
  /** Orders paid in the shop without a paid payment at the provider. */
  paidWithoutPayment: number;
  /** Orders with more than one `paid` event. */
  multiPaidEvents: number;
  stock: StockLine[];
  /** Variants whose stock is not before − sold, or below zero, or sold beyond what there was. */
  stockProblems: number;
  oversold: number;
  mail: MailBooks | null;
  ok: boolean;
}

/**
 * The books: every payment the provider took is exactly one paid order in the shop and the other way
 * round; stock moved by exactly what was sold and never below zero; with `deliveredMessageIds` (what
 * a real SMTP server received), every paid order's confirmation was delivered, none doubled.
 */
export async function checkBooks(opts: {
  db: Db;
  pspDbFile: string;
  stockBefore: Map<string, number>;
  deliveredMessageIds?: string[];
}): Promise<Books> {
  const { db } = opts;
  const pspDb = new Database(opts.pspDbFile, { readonly: true });
  let pspPaid: { id: string; ref: string }[];
  try {
    pspDb.pragma('busy_timeout = 5000');
    pspPaid = pspDb.prepare("select id, order_reference as ref from payments where status = 'paid'").all() as { id: string; ref: string }[];
  } finally {
    pspDb.close();
  }
  const shopPaidOrders = await db.selectFrom('orders').select('id').where('payment_status', '=', 'paid').execute();
  const shopIds = new Set(shopPaidOrders.map((o) => o.id));
  const lost = pspPaid.filter((p) => !shopIds.has(p.ref)).length;
  const perRef = new Map<string, number>();
  for (const p of pspPaid) perRef.set(p.ref, (perRef.get(p.ref) ?? 0) + 1);
  const doubleCharged = [...perRef.values()].filter((n) => n > 1).length;
  const paidWithoutPayment = shopPaidOrders.filter((o) => !perRef.has(o.id)).length;
  const dupPayments = await db
    .selectFrom('payments')
    .select(['provider_payment_id', sql<number>`count(*)`.as('n')])
    .where('provider_payment_id', 'is not', null)
    .groupBy('provider_payment_id')
    .having(sql<number>`count(*)`, '>', 1)
    .execute();
  const multiPaid = await db
    .selectFrom('order_events')
    .select(['order_id', sql<number>`count(*)`.as('n')])
    .where('type', '=', 'paid')
    .groupBy('order_id')
    .having(sql<number>`count(*)`, '>', 1)
    .execute();

  const stock: StockLine[] = [];
  for (const [variantId, before] of opts.stockBefore) {
    const soldRow = await db
      .selectFrom('order_lines as l')
      .innerJoin('orders as o', 'o.id', 'l.order_id')
      .select(sql<number>`coalesce(sum(l.quantity), 0)`.as('n'))
      .where('l.variant_id', '=', variantId)
      .where('o.stock_released', '=', 0)
      .executeTakeFirstOrThrow();
    const after = await db.selectFrom('variants').select('stock').where('id', '=', variantId).executeTakeFirstOrThrow();
    stock.push({ variantId, before, sold: Number(soldRow.n), after: after.stock });
  }
  const stockProblems = stock.filter((s) => s.before - s.sold !== s.after || s.after < 0 || s.sold > s.before).length;
  const oversold = stock.reduce((n, s) => n + Math.max(0, s.sold - s.before, -s.after), 0);

  let mail: MailBooks | null = null;
  if (opts.deliveredMessageIds) {
    const counts = new Map<string, number>();
    for (const id of opts.deliveredMessageIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    const rows = await db.selectFrom('outbox').select(['id', 'dedupe_key', 'status']).where('kind', '=', 'order_confirmation').execute();
    const byOrder = new Map<string, string[]>();
    for (const r of rows) {
      const orderId = r.dedupe_key.replace(/^order-confirmation:/, '');
      byOrder.set(orderId, [...(byOrder.get(orderId) ?? []), r.id]);
    }
    let lostMail = 0;
    let doubled = 0;
    let delivered = 0;
    for (const o of shopPaidOrders) {
      const got = (byOrder.get(o.id) ?? []).filter((id) => (counts.get(`${id}@mamori.invalid`) ?? 0) > 0);
      if (got.length === 0) lostMail++;
      if (got.length > 1) doubled++;
      delivered += got.length;
    }
    const ours = new Set(rows.map((r) => `${r.id}@mamori.invalid`));
    const again = [...counts].filter(([id, n]) => ours.has(id) && n > 1);
    mail = {
      lost: lostMail,
      redelivered: again.length,
      extraDeliveries: again.reduce((s, [, n]) => s + n - 1, 0),
      doubled,
      failed: rows.filter((r) => r.status === 'failed').length,
      delivered,
    };
  }

  const ok = lost === 0 && doubleCharged === 0 && dupPayments.length === 0 && paidWithoutPayment === 0 && multiPaid.length === 0 && stockProblems === 0 &&
    (mail === null || (mail.lost === 0 && mail.doubled === 0 && mail.failed === 0));
  return {
    pspPaid: pspPaid.length,
    shopPaid: shopPaidOrders.length,
    lost,
    doubleCharged,
    duplicatedPayments: dupPayments.length,
    paidWithoutPayment,
    multiPaidEvents: multiPaid.length,
    stock,
    stockProblems,
    oversold,
    mail,
    ok,
  };
}
