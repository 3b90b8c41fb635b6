import type { Writable } from 'node:stream';
import { groupBy } from '../../shared/collections.js';
import type { DbOrTx } from '../../db/index.js';
import type { OrderLineTable, OrderTable } from '../../checkout/tables.js';
import type { CustomerTable } from '../../customers/tables.js';
import type { PaymentTable } from '../../payments/tables.js';
import { formatInstant, type CustomerLine, type OrderLine } from './format.js';

/**
 * `mamori export [FILE]`: the shop's history — customers and orders placed here or imported — in
 * the format of ../shared/docs/history-format.md, read a page at a time (memory does not grow with
 * the history). Ids are the history ids: an imported customer keeps its id, a shop customer's is
 * its own id; an order's id is its order number. The format holds one payment per order: for a
 * card order with several attempts, the one that paid (else the latest) is written.
 * Withdrawn members are not exported (the format cannot say "withdrawn", and an import elsewhere
 * would make them members again); their orders are written as guest orders.
 */

const PAGE = 1000;

export interface ExportReport {
  customers: number;
  orders: number;
}


function write(out: Writable, line: string): Promise<void> | null {
  if (out.write(`${line}\n`)) return null;
  return new Promise((resolve) => out.once('drain', resolve));
}

/** Drops the keys whose value is undefined (JSON.stringify would too; this keeps the types honest). */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

const orNone = (v: string | null): string | undefined => (v ? v : undefined);

export function customerLine(c: CustomerTable): CustomerLine {
  return compact<CustomerLine>({
    kind: 'customer', id: c.external_id ?? c.id, registeredAt: formatInstant(c.created_at),
    updatedAt: c.updated_at !== c.created_at ? formatInstant(c.updated_at) : undefined,
    name: c.name, nameKana: orNone(c.name_kana), email: orNone(c.email), phone: c.phone, fax: orNone(c.fax),
    postalCode: c.postal_code, prefecture: c.prefecture, address1: c.address1, address2: orNone(c.address2),
  });
}

/** The attempt the format can hold: the one that paid (or was refunded), else the latest. */
export function decisivePayment(payments: PaymentTable[]): PaymentTable | null {
  const sorted = [...payments].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
  const settled = sorted.filter((p) => ['paid', 'refunded', 'partially_refunded'].includes(p.status));
  return settled.at(-1) ?? sorted.at(-1) ?? null;
}

export function orderLine(o: OrderTable, lines: OrderLineTable[], payments: PaymentTable[], customerHistoryId: string | null): OrderLine {
  const payment: OrderLine['payment'] = { method: o.payment_method, status: o.payment_status };
  if (o.payment_method === 'card') {
    const p = decisivePayment(payments);
    if (p?.brand) payment.brand = p.brand;
    if (p?.last4) payment.last4 = p.last4;
    if (p?.provider_payment_id) payment.providerRef = p.provider_payment_id;
  }
  const orderer = compact<OrderLine['orderer']>({
    name: o.orderer_name, nameKana: orNone(o.orderer_kana), email: o.orderer_email, phone: o.orderer_phone, fax: o.orderer_fax,
    postalCode: o.orderer_postal_code, prefecture: o.orderer_prefecture, address1: o.orderer_address1, address2: o.orderer_address2,
  });
  const shipping: OrderLine['shipping'] = o.ship_to_orderer || o.shipping_name === null ? null : compact({
    name: o.shipping_name, nameKana: orNone(o.shipping_kana), phone: o.shipping_phone ?? '', postalCode: o.shipping_postal_code ?? '',
    prefecture: o.shipping_prefecture ?? '', address1: o.shipping_address1 ?? '', address2: o.shipping_address2,
  });
  const line = compact<OrderLine>({
    kind: 'order', id: o.order_number, orderedAt: formatInstant(o.placed_at), customerId: customerHistoryId,
    channel: o.channel !== 'web' ? o.channel : undefined,
    orderer, shipping, payment,
    lines: lines.map((l) => ({ sku: l.sku, name: l.name, unitPriceYen: l.unit_price_yen, quantity: l.quantity, taxRatePercent: l.tax_rate })),
    shippingFeeYen: o.shipping_fee_yen, codFeeYen: o.cod_fee_yen, totalYen: o.total_yen,
  });
  return line;
}

export async function exportHistory(db: DbOrTx, out: Writable): Promise<ExportReport> {
  const report: ExportReport = { customers: 0, orders: 0 };
  let last = '';
  for (;;) {
    const rows = await db.selectFrom('customers').selectAll().where('id', '>', last).where('status', '!=', 'withdrawn').orderBy('id').limit(PAGE).execute();
    if (rows.length === 0) break;
    for (const c of rows) {
      await write(out, JSON.stringify(customerLine(c)));
      report.customers++;
    }
    last = rows.at(-1)!.id;
  }
  last = '';
  for (;;) {
    const rows = await db.selectFrom('orders').selectAll().where('id', '>', last).orderBy('id').limit(PAGE).execute();
    if (rows.length === 0) break;
    const ids = rows.map((o) => o.id);
    const lines = await db.selectFrom('order_lines').selectAll().where('order_id', 'in', ids).orderBy('order_id').orderBy('line_no').execute();
    const payments = await db.selectFrom('payments').selectAll().where('order_id', 'in', ids).execute();
    const memberIds = [...new Set(rows.map((o) => o.customer_id).filter((v): v is string => v !== null))];
    const members = new Map(
      (memberIds.length ? await db.selectFrom('customers').select(['id', 'external_id', 'status']).where('id', 'in', memberIds).execute() : [])
        .map((c) => [c.id, c.status === 'withdrawn' ? null : (c.external_id ?? c.id)]),
    );
    const linesBy = groupBy(lines, (l) => l.order_id);
    const paymentsBy = groupBy(payments, (p) => p.order_id);
    for (const o of rows) {
      const member = o.customer_id === null ? null : (members.get(o.customer_id) ?? null);
      await write(out, JSON.stringify(orderLine(o, linesBy.get(o.id) ?? [], paymentsBy.get(o.id) ?? [], member)));
      report.orders++;
    }
    last = rows.at(-1)!.id;
  }
  return report;
}
