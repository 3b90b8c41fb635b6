import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { Db, Tx } from '../../db/index.js';
import type { OrderLineTable, OrderStatus, OrderTable } from '../../checkout/tables.js';
import type { CustomerTable } from '../../customers/tables.js';
import type { PaymentStatus, PaymentTable } from '../../payments/tables.js';
import { customerIdentityColumns, orderIdentityColumns, orderScopeKeys } from '../../shared/identity.js';
import { newId, newToken, sha256Hex } from '../../shared/ids.js';
import { normalise } from '../../shared/jp.js';
import { parseLine, type CustomerRecord, type OrderRecord } from './format.js';

/**
 * `mamori import FILE.jsonl`: loads a history (../shared/docs/history-format.md) into the shop's
 * own tables — customers, orders, order_lines, payments — so that scoping treats it like orders
 * placed here.
 *
 * - Streaming: lines are read one at a time and written in batches; memory does not grow with the file.
 * - Idempotent: a customer whose id is already known (its history id, or a shop customer id from an
 *   export) and an order whose id is an existing order number are left as they are.
 * - All or nothing per run: everything happens in one transaction; an error rolls it all back.
 *   Lines that are refused (with line number and reason) are reported; `strict` rolls back the
 *   whole run when any line is refused, `dryRun` always does.
 * - An order may come before its customer: unresolved references are kept in a temporary table
 *   and resolved at the end; an order whose customer appears nowhere is refused.
 */

export interface Refusal {
  line: number;
  reason: string;
}

export interface ImportReport {
  lines: number;
  accepted: number;
  refused: number;
  inserted: { customers: number; orders: number };
  alreadyPresent: { customers: number; orders: number };
  /** The first refusals (all of them are passed to `onRefused`). */
  refusals: Refusal[];
  committed: boolean;
  dryRun: boolean;
}

export interface ImportOptions {
  batchSize?: number;
  dryRun?: boolean;
  /** Roll back the whole run when any line is refused. */
  strict?: boolean;
  onRefused?: (r: Refusal) => void;
  onProgress?: (r: ImportReport) => void;
}

const MAX_KEPT_REFUSALS = 1000;
/** Bound parameters per INSERT (SQLite allows 32,766). */
const MAX_PARAMS = 30_000;

class Rollback extends Error {}

type Pending<T> = { line: number; record: T };

const ORDER_STATUS: Record<OrderRecord['payment']['status'], OrderStatus> = {
  paid: 'delivered', pending: 'new', failed: 'cancelled', refunded: 'cancelled', cancelled: 'cancelled',
};
// Imported attempts are history: never "open", so the reconciliation never asks the shop's provider about them.
const PAYMENT_STATUS: Record<OrderRecord['payment']['status'], PaymentStatus> = {
  paid: 'paid', pending: 'expired', failed: 'expired', refunded: 'refunded', cancelled: 'cancelled',
};

async function insertChunked<T extends 'customers' | 'orders' | 'order_lines' | 'payments'>(
  trx: Tx, table: T, rows: Record<string, unknown>[],
): Promise<void> {
  if (rows.length === 0) return;
  const per = Math.max(1, Math.floor(MAX_PARAMS / Object.keys(rows[0]!).length));
  for (let i = 0; i < rows.length; i += per) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await trx.insertInto(table).values(rows.slice(i, i + per) as any).execute();
  }
}

function taxIncluded(amount: number, rate: number): number {
  return Math.floor((amount * rate) / (100 + rate));
}

export function customerRow(rec: CustomerRecord, id: string, emailNorm: string): CustomerTable {
  return {
    id,
    email: rec.email ?? '',
    email_norm: emailNorm,
    // No password: an imported member sets one through "forgot password" before logging in.
    password_hash: '',
    name: rec.name,
    name_kana: rec.nameKana ?? '',
    postal_code: rec.postalCode,
    prefecture: rec.prefecture,
    address1: rec.address1,
    address2: rec.address2,
    phone: rec.phone,
    fax: rec.fax,
    status: 'active',
    email_verified_at: null,
    created_at: rec.registeredAt,
    updated_at: rec.updatedAt ?? rec.registeredAt,
    withdrawn_at: null,
    ...customerIdentityColumns({ email: rec.email, phone: rec.phone, name: rec.name, postal_code: rec.postalCode }),
    source: 'import',
    external_id: rec.id,
  };
}

export function orderRows(rec: OrderRecord, id: string, customerId: string | null): { order: OrderTable; lines: OrderLineTable[]; payment: PaymentTable | null } {
  const lines: OrderLineTable[] = rec.lines.map((l, i) => ({
    id: newId('oln'), order_id: id, line_no: i + 1, variant_id: null, sku: l.sku, name: l.name,
    unit_price_yen: l.unitPriceYen, quantity: l.quantity, tax_rate: l.taxRatePercent, line_total_yen: l.unitPriceYen * l.quantity,
  }));
  const sumAt = (rate: number) => lines.filter((l) => l.tax_rate === rate).reduce((a, l) => a + l.line_total_yen, 0);
  const taxable8 = sumAt(8);
  const taxable10 = sumAt(10) + rec.shippingFeeYen + rec.codFeeYen;
  const o = rec.orderer;
  const s = rec.shipping;
  const order: OrderTable = {
    id,
    order_number: rec.id,
    // Random, like a real checkout token: a buyer's form can never name an imported order.
    checkout_token: newId('imp'),
    entered_by: null,
    customer_id: customerId,
    channel: rec.channel,
    status: ORDER_STATUS[rec.payment.status],
    payment_method: rec.payment.method,
    payment_status: rec.payment.status,
    orderer_name: o.name, orderer_kana: o.nameKana, orderer_email: o.email, orderer_phone: o.phone, orderer_fax: o.fax,
    orderer_postal_code: o.postalCode, orderer_prefecture: o.prefecture, orderer_address1: o.address1, orderer_address2: o.address2,
    ship_to_orderer: s ? 0 : 1,
    shipping_name: s?.name ?? null, shipping_kana: s?.nameKana ?? null, shipping_phone: s?.phone ?? null,
    shipping_postal_code: s?.postalCode ?? null, shipping_prefecture: s?.prefecture ?? null,
    shipping_address1: s?.address1 ?? null, shipping_address2: s?.address2 ?? null,
    delivery_date: null, delivery_slot: null, note: null,
    items_total_yen: lines.reduce((a, l) => a + l.line_total_yen, 0),
    shipping_fee_yen: rec.shippingFeeYen,
    cod_fee_yen: rec.codFeeYen,
    total_yen: rec.totalYen,
    taxable_8_yen: taxable8, tax_8_yen: taxIncluded(taxable8, 8),
    taxable_10_yen: taxable10, tax_10_yen: taxIncluded(taxable10, 10),
    rounding: 'floor',
    lang: 'ja',
    access_token_hash: sha256Hex(newToken()),
    // No stock was taken for history: nothing to give back if it is ever cancelled.
    stock_released: 1,
    placed_at: rec.orderedAt,
    updated_at: rec.orderedAt,
    orderer_email_key: null, orderer_phone_key: null, orderer_name_key: null, orderer_postal_key: null,
    shipping_name_key: null, shipping_phone_key: null, shipping_postal_key: null,
    orderer_key: '', recipient_key: null,
    source: 'import',
  };
  Object.assign(order, orderIdentityColumns(order));
  Object.assign(order, orderScopeKeys(order));
  const p = rec.payment;
  const payment: PaymentTable | null = p.method === 'card'
    ? {
      id: newId('pay'), order_id: id, provider: 'import', provider_payment_id: p.providerRef, idempotency_key: `import:${id}`,
      status: PAYMENT_STATUS[p.status], amount_yen: rec.totalYen, refunded_yen: p.status === 'refunded' ? rec.totalYen : 0,
      brand: p.brand, last4: p.last4, three_ds: null, failure_code: p.status === 'failed' ? 'imported_failed' : null, redirect_url: null,
      created_at: rec.orderedAt, updated_at: rec.orderedAt, expires_at: rec.orderedAt,
      client_ip_hash: null, session_hash: null, email_hash: null,
    }
    : null;
  return { order, lines, payment };
}

export async function importHistory(db: Db, input: Readable, opts: ImportOptions = {}): Promise<ImportReport> {
  const batchSize = opts.batchSize ?? 500;
  const report: ImportReport = {
    lines: 0, accepted: 0, refused: 0, inserted: { customers: 0, orders: 0 }, alreadyPresent: { customers: 0, orders: 0 },
    refusals: [], committed: false, dryRun: opts.dryRun ?? false,
  };
  const refuse = (line: number, reason: string) => {
    report.refused++;
    const r = { line, reason };
    if (report.refusals.length < MAX_KEPT_REFUSALS) report.refusals.push(r);
    opts.onRefused?.(r);
  };

  let customers: Pending<CustomerRecord>[] = [];
  let orders: Pending<OrderRecord>[] = [];

  /** Shop customer ids of history ids (a customer's external id, or a shop customer's own id). */
  async function resolveCustomers(trx: Tx, refs: string[]): Promise<Map<string, string>> {
    const map = new Map<string, string>();
    if (refs.length === 0) return map;
    const wanted = new Set(refs);
    const rows = await trx.selectFrom('customers').select(['id', 'external_id']).where((eb) => eb.or([eb('external_id', 'in', refs), eb('id', 'in', refs)])).execute();
    for (const r of rows) if (r.external_id !== null && wanted.has(r.external_id)) map.set(r.external_id, r.id);
    for (const r of rows) if (!map.has(r.id) && wanted.has(r.id)) map.set(r.id, r.id);
    return map;
  }

  async function flushCustomers(trx: Tx) {
    if (customers.length === 0) return;
    const batch = customers;
    customers = [];
    const known = await resolveCustomers(trx, [...new Set(batch.map((c) => c.record.id))]);
    const fresh: Pending<CustomerRecord>[] = [];
    const seen = new Set<string>();
    for (const c of batch) {
      if (known.has(c.record.id) || seen.has(c.record.id)) {
        report.alreadyPresent.customers++;
        report.accepted++;
        continue;
      }
      seen.add(c.record.id);
      fresh.push(c);
    }
    // The login identity (email_norm) is unique: a second account with the same address keeps its
    // data and identity keys but cannot log in with it.
    const norms = [...new Set(fresh.filter((c) => c.record.email).map((c) => normalise.email(c.record.email!)))];
    const taken = new Set(norms.length ? (await trx.selectFrom('customers').select('email_norm').where('email_norm', 'in', norms).execute()).map((r) => r.email_norm) : []);
    const rows = fresh.map((c) => {
      const id = newId('cus');
      let norm = c.record.email ? normalise.email(c.record.email) : `noemail:${id}`;
      if (taken.has(norm)) norm = `duplicate:${id}`;
      taken.add(norm);
      return customerRow(c.record, id, norm);
    });
    await insertChunked(trx, 'customers', rows as unknown as Record<string, unknown>[]);
    report.inserted.customers += rows.length;
    report.accepted += rows.length;
  }

  async function flushOrders(trx: Tx) {
    if (orders.length === 0) return;
    const batch = orders;
    orders = [];
    const ids = [...new Set(batch.map((o) => o.record.id))];
    const existing = new Set((await trx.selectFrom('orders').select('order_number').where('order_number', 'in', ids).execute()).map((r) => r.order_number));
    const refs = [...new Set(batch.map((o) => o.record.customerId).filter((v): v is string => v !== null))];
    const members = await resolveCustomers(trx, refs);
    const providerRefs = [...new Set(batch.map((o) => o.record.payment.providerRef).filter((v): v is string => v !== null))];
    const usedRefs = new Set(
      providerRefs.length
        ? (await trx.selectFrom('payments').select('provider_payment_id').where('provider_payment_id', 'in', providerRefs).execute()).map((r) => r.provider_payment_id!)
        : [],
    );
    const orderRowsOut: OrderTable[] = [];
    const lineRows: OrderLineTable[] = [];
    const paymentRows: PaymentTable[] = [];
    const unresolved: { order_id: string; customer_ref: string; line_no: number }[] = [];
    for (const o of batch) {
      const rec = o.record;
      if (existing.has(rec.id)) {
        report.alreadyPresent.orders++;
        report.accepted++;
        continue;
      }
      const ref = rec.payment.providerRef;
      if (ref !== null && usedRefs.has(ref)) {
        refuse(o.line, `payment.providerRef "${ref}" is already used by another payment`);
        continue;
      }
      if (ref !== null) usedRefs.add(ref);
      existing.add(rec.id);
      const id = newId('ord');
      const customerId = rec.customerId === null ? null : (members.get(rec.customerId) ?? null);
      if (rec.customerId !== null && customerId === null) unresolved.push({ order_id: id, customer_ref: rec.customerId, line_no: o.line });
      const r = orderRows(rec, id, customerId);
      orderRowsOut.push(r.order);
      lineRows.push(...r.lines);
      if (r.payment) paymentRows.push(r.payment);
    }
    await insertChunked(trx, 'orders', orderRowsOut as unknown as Record<string, unknown>[]);
    await insertChunked(trx, 'order_lines', lineRows as unknown as Record<string, unknown>[]);
    await insertChunked(trx, 'payments', paymentRows as unknown as Record<string, unknown>[]);
    for (let i = 0; i < unresolved.length; i += 5000) {
      const chunk = unresolved.slice(i, i + 5000);
      const values = sql.join(chunk.map((u) => sql`(${u.order_id}, ${u.customer_ref}, ${u.line_no})`));
      await sql`insert into history_import_refs (order_id, customer_ref, line_no) values ${values}`.execute(trx);
    }
    report.inserted.orders += orderRowsOut.length;
    report.accepted += orderRowsOut.length;
  }

  /** Orders that named their customer before it was imported get it now; the rest are refused. */
  async function resolveLateReferences(trx: Tx) {
    await sql`
      update orders set customer_id = coalesce(
        (select c.id from customers c where c.external_id = (select r.customer_ref from history_import_refs r where r.order_id = orders.id)),
        (select c.id from customers c where c.id = (select r.customer_ref from history_import_refs r where r.order_id = orders.id)))
      where id in (select order_id from history_import_refs)`.execute(trx);
    for (;;) {
      const dangling = (
        await sql<{ order_id: string; customer_ref: string; line_no: number }>`
          select r.order_id, r.customer_ref, r.line_no from history_import_refs r join orders o on o.id = r.order_id
          where o.customer_id is null order by r.line_no limit 1000`.execute(trx)
      ).rows;
      if (dangling.length === 0) break;
      const ids = dangling.map((d) => d.order_id);
      await trx.deleteFrom('payments').where('order_id', 'in', ids).execute();
      await trx.deleteFrom('order_lines').where('order_id', 'in', ids).execute();
      await trx.deleteFrom('orders').where('id', 'in', ids).execute();
      await sql`delete from history_import_refs where order_id in (${sql.join(ids)})`.execute(trx);
      for (const d of dangling) {
        report.inserted.orders--;
        report.accepted--;
        refuse(Number(d.line_no), `customerId "${d.customer_ref}" is neither in the file nor in the shop`);
      }
    }
  }

  // Reading starts at once (lines wait in readline's bounded buffer while the transaction begins),
  // so an input that fails early fails the run like one that fails half-way: never a partial import.
  let inputError: Error | null = null;
  input.on('error', (err: Error) => {
    inputError = err;
  });
  const rl = createInterface({ input, crlfDelay: Infinity });
  const rawLines = rl[Symbol.asyncIterator]();
  try {
    await db.transaction().execute(async (trx) => {
      await sql`create temporary table history_import_refs (order_id text primary key, customer_ref text not null, line_no integer not null)`.execute(trx);
      if (inputError) throw inputError;
      for await (const raw of { [Symbol.asyncIterator]: () => rawLines }) {
        const lineNo = ++report.lines;
        const text = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
        if (text.trim() === '') continue;
        const r = parseLine(text);
        if (!r.ok) {
          refuse(lineNo, r.reason);
          continue;
        }
        if (r.record.kind === 'customer') customers.push({ line: lineNo, record: r.record });
        else orders.push({ line: lineNo, record: r.record });
        if (customers.length >= batchSize) await flushCustomers(trx);
        if (orders.length >= batchSize) {
          // Customers first, so that orders in the same batch find them.
          await flushCustomers(trx);
          await flushOrders(trx);
          opts.onProgress?.(report);
        }
      }
      if (inputError) throw inputError;
      await flushCustomers(trx);
      await flushOrders(trx);
      await resolveLateReferences(trx);
      await sql`drop table history_import_refs`.execute(trx);
      if (report.dryRun || (opts.strict && report.refused > 0)) throw new Rollback();
    });
    report.committed = true;
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  } finally {
    rl.close();
  }
  return report;
}
