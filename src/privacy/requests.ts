import { sql, type SqlBool } from 'kysely';
import type { AuditLog } from '../admin/audit.js';
import type { Db, DbOrTx } from '../db/index.js';
import { nowIso } from '../db/index.js';
import type { SettingsService } from '../settings/service.js';
import { identityKeys } from '../shared/identity.js';
import { newId } from '../shared/ids.js';
import { normalise } from '../shared/jp.js';
import { markdownPdf } from '../shared/pdf.js';
import { addDays, formatInstantJa, jstDate } from '../shared/time.js';
import type { ProvisionRecord, ProvisionRecords } from './provisions.js';
import { ANONYMISED, ANONYMISED_ORDER, anonymiseMember } from './retention.js';
import type { PrivacyRequestKind, PrivacyRequestTable } from './tables.js';

export const KIND_LABELS: Record<PrivacyRequestKind, string> = {
  disclosure: '開示', correction: '訂正・追加・削除', suspension: '利用停止', deletion: '消去（削除）',
};
export const STATUS_LABELS: Record<string, string> = { open: '対応中', done: '完了', rejected: '不対応（理由を通知）' };

/** Who the request is about: a member id and/or the e-mail and phone the person gave. */
export interface Subject {
  customerId: string | null;
  email: string | null;
  phone: string | null;
}

interface SubjectKeys {
  customerIds: string[];
  emailKeys: string[];
  phoneKeys: string[];
}

export interface Disclosure {
  generatedAt: string;
  shop: string;
  members: Record<string, unknown>[];
  addresses: Record<string, unknown>[];
  orders: (Record<string, unknown> & { lines: Record<string, unknown>[] })[];
  catalogRequests: Record<string, unknown>[];
  mails: Record<string, unknown>[];
  provisions: ProvisionRecord[];
  requests: Record<string, unknown>[];
  suspended: boolean;
}

export class RequestError extends Error {}

/** A condition that matches nothing (SQLite binds no booleans). */
const NONE = sql<SqlBool>`1 = 0`;

/** Columns never disclosed: secrets and internal keys, not data about the person. */
const HIDDEN = new Set(['password_hash', 'email_norm', 'email_key', 'phone_key', 'name_key', 'postal_key', 'access_token_hash', 'checkout_token',
  'orderer_email_key', 'orderer_phone_key', 'orderer_name_key', 'orderer_postal_key', 'shipping_name_key', 'shipping_phone_key', 'shipping_postal_key', 'locked_by', 'locked_until']);
const visible = (row: object): Record<string, unknown> => Object.fromEntries(Object.entries(row).filter(([k]) => !HIDDEN.has(k)));

/**
 * APPI requests handled from the admin console (owner): each is tracked with its due date
 * (settings → requestDueDays) and who handled it; every step is audited by the caller's actor.
 */
export class PrivacyRequests {
  constructor(
    private readonly db: Db,
    private readonly settings: SettingsService,
    private readonly audit: AuditLog,
    private readonly provisions: ProvisionRecords,
  ) {}

  async create(actor: string, input: { kind: PrivacyRequestKind; subject: Subject; detail: string; receivedOn: string }): Promise<PrivacyRequestTable> {
    const keys = identityKeys({ email: input.subject.email, phone: input.subject.phone });
    if (!input.subject.customerId && !keys.email && !keys.phone) throw new RequestError('会員ID、メールアドレス、電話番号のいずれかを入力してください。');
    if (input.subject.customerId) {
      const c = await this.db.selectFrom('customers').select('id').where('id', '=', input.subject.customerId).executeTakeFirst();
      if (!c) throw new RequestError('その会員IDの会員はいません。');
    }
    const due = (await this.settings.get()).privacy.requestDueDays;
    const row: PrivacyRequestTable = {
      id: newId('apr'), kind: input.kind, status: 'open', customer_id: input.subject.customerId, email_key: keys.email, phone_key: keys.phone,
      detail: input.detail, received_on: input.receivedOn, due_on: addDays(input.receivedOn, due), created_at: nowIso(), created_by: actor,
      handled_at: null, handled_by: null, outcome: null,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('privacy_requests').values(row).execute();
      await this.audit.append({ actor, action: 'privacy.request.create', target: row.id, detail: { kind: row.kind, dueOn: row.due_on, member: row.customer_id } }, trx);
    });
    return row;
  }

  get(id: string): Promise<PrivacyRequestTable | undefined> {
    return this.db.selectFrom('privacy_requests').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Open ones first (soonest due first), then the handled ones, newest first. */
  async list(limit = 200): Promise<PrivacyRequestTable[]> {
    return this.db
      .selectFrom('privacy_requests')
      .selectAll()
      .orderBy(sql`case when status = 'open' then 0 else 1 end`)
      .orderBy(sql`case when status = 'open' then due_on else '' end`)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
  }

  /** The member ids and identity keys of the person: a member's own e-mail and phone keys are added. */
  private async keysOf(r: Pick<PrivacyRequestTable, 'customer_id' | 'email_key' | 'phone_key'>, db: DbOrTx): Promise<SubjectKeys> {
    const emailKeys = new Set<string>(r.email_key ? [r.email_key] : []);
    const phoneKeys = new Set<string>(r.phone_key ? [r.phone_key] : []);
    if (r.customer_id) {
      const c = await db.selectFrom('customers').select(['email_key', 'phone_key']).where('id', '=', r.customer_id).executeTakeFirst();
      if (c?.email_key) emailKeys.add(c.email_key);
      if (c?.phone_key) phoneKeys.add(c.phone_key);
    }
    const ek = [...emailKeys];
    const pk = [...phoneKeys];
    const members = ek.length || pk.length
      ? await db
          .selectFrom('customers')
          .select('id')
          .where((eb) => eb.or([...(ek.length ? [eb('email_key', 'in', ek)] : []), ...(pk.length ? [eb('phone_key', 'in', pk)] : [])]))
          .execute()
      : [];
    const ids = new Set(members.map((m) => m.id));
    if (r.customer_id) ids.add(r.customer_id);
    return { customerIds: [...ids], emailKeys: ek, phoneKeys: pk };
  }

  private ordersOf(k: SubjectKeys, db: DbOrTx) {
    return db.selectFrom('orders').where((eb) =>
      eb.or([
        ...(k.customerIds.length ? [eb('customer_id', 'in', k.customerIds)] : []),
        ...(k.emailKeys.length ? [eb('orderer_email_key', 'in', k.emailKeys)] : []),
        ...(k.phoneKeys.length ? [eb('orderer_phone_key', 'in', k.phoneKeys), eb('shipping_phone_key', 'in', k.phoneKeys)] : []),
        NONE,
      ]),
    );
  }

  /** Catalog requests keep no identity keys: compared by the same normalisation, in memory (a small table). */
  private async catalogRequestsOf(k: SubjectKeys, db: DbOrTx) {
    if (!k.emailKeys.length && !k.phoneKeys.length) return [];
    const rows = await db.selectFrom('catalog_requests').selectAll().where((eb) => eb.or([eb('email', 'is not', null), eb('phone', 'is not', null)])).execute();
    return rows.filter((r) => (r.email && k.emailKeys.includes(normalise.email(r.email))) || (r.phone && k.phoneKeys.includes(normalise.phone(r.phone))));
  }

  private mailsOf(k: SubjectKeys, db: DbOrTx) {
    return db.selectFrom('outbox').where((eb) => (k.emailKeys.length ? eb(sql<string>`lower(trim(to_address))`, 'in', k.emailKeys) : NONE));
  }

  /** Everything the shop holds about the person (開示). Audited by the caller. */
  async disclosure(r: PrivacyRequestTable, db: DbOrTx = this.db): Promise<Disclosure> {
    const k = await this.keysOf(r, db);
    const members = k.customerIds.length ? await db.selectFrom('customers').selectAll().where('id', 'in', k.customerIds).execute() : [];
    const addresses = k.customerIds.length ? await db.selectFrom('customer_addresses').selectAll().where('customer_id', 'in', k.customerIds).execute() : [];
    const orders = await this.ordersOf(k, db).selectAll().orderBy('placed_at').execute();
    const lines = orders.length ? await db.selectFrom('order_lines').selectAll().where('order_id', 'in', orders.map((o) => o.id)).orderBy('line_no').execute() : [];
    const mails = await this.mailsOf(k, db).select(['kind', 'to_address', 'subject', 'body_text', 'status', 'created_at', 'sent_at']).orderBy('created_at').execute();
    const requests = await db
      .selectFrom('privacy_requests')
      .select(['id', 'kind', 'status', 'received_on', 'due_on', 'handled_at', 'outcome'])
      .where((eb) => eb.or([
        ...(k.customerIds.length ? [eb('customer_id', 'in', k.customerIds)] : []),
        ...(k.emailKeys.length ? [eb('email_key', 'in', k.emailKeys)] : []),
        ...(k.phoneKeys.length ? [eb('phone_key', 'in', k.phoneKeys)] : []),
        NONE,
      ]))
      .orderBy('created_at')
      .execute();
    return {
      generatedAt: nowIso(),
      shop: (await this.settings.get(db)).shop.company,
      members: members.map(visible),
      addresses: addresses.map(visible),
      orders: orders.map((o) => ({ ...visible(o), lines: lines.filter((l) => l.order_id === o.id).map(({ id: _id, order_id: _o, variant_id: _v, ...l }) => l) })),
      catalogRequests: (await this.catalogRequestsOf(k, db)).map(visible),
      mails: mails.map(visible),
      provisions: await this.provisions.forOrders(orders.map((o) => o.order_number), db),
      requests,
      suspended: await this.isSuspended({ customerIds: k.customerIds, emailKeys: k.emailKeys, phoneKeys: k.phoneKeys }, db),
    };
  }

  /** 利用停止 in force for any of these? Marketing and catalog mailings must check it. */
  async isSuspended(k: SubjectKeys, db: DbOrTx = this.db): Promise<boolean> {
    if (!k.customerIds.length && !k.emailKeys.length && !k.phoneKeys.length) return false;
    const row = await db
      .selectFrom('privacy_suspensions')
      .select('id')
      .where((eb) => eb.or([
        ...(k.customerIds.length ? [eb('customer_id', 'in', k.customerIds)] : []),
        ...(k.emailKeys.length ? [eb('email_key', 'in', k.emailKeys)] : []),
        ...(k.phoneKeys.length ? [eb('phone_key', 'in', k.phoneKeys)] : []),
      ]))
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Is this e-mail or phone (as typed) under 利用停止? */
  async isSuspendedContact(v: { email?: string | null; phone?: string | null; customerId?: string | null }): Promise<boolean> {
    const keys = identityKeys({ email: v.email ?? null, phone: v.phone ?? null });
    return this.isSuspended({ customerIds: v.customerId ? [v.customerId] : [], emailKeys: keys.email ? [keys.email] : [], phoneKeys: keys.phone ? [keys.phone] : [] });
  }

  /**
   * Closes a request. `done` for a suspension records the 利用停止; for a deletion it anonymises
   * as retention does — members, completed orders, catalog requests, mails — while open orders and
   * the accounting figures (totals, tax, lines) stay, as the law and the unfinished contract require.
   */
  async close(actor: string, id: string, status: 'done' | 'rejected', outcome: string): Promise<{ row: PrivacyRequestTable; effect: Record<string, number> }> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.selectFrom('privacy_requests').selectAll().where('id', '=', id).executeTakeFirst();
      if (!r) throw new RequestError('その請求は見つかりません。');
      if (r.status !== 'open') throw new RequestError('この請求はすでに対応済みです。');
      const effect: Record<string, number> = {};
      if (status === 'done' && r.kind === 'suspension') {
        await trx.insertInto('privacy_suspensions').values({ id: newId('sus'), customer_id: r.customer_id, email_key: r.email_key, phone_key: r.phone_key, request_id: r.id, since: nowIso() }).execute();
        effect.suspensions = 1;
      }
      if (status === 'done' && r.kind === 'deletion') Object.assign(effect, await this.erase(r, trx));
      const at = nowIso();
      await trx.updateTable('privacy_requests').set({ status, outcome, handled_at: at, handled_by: actor }).where('id', '=', id).execute();
      await this.audit.append({ actor, action: `privacy.request.${status === 'done' ? 'complete' : 'reject'}`, target: id, detail: { kind: r.kind, effect } }, trx);
      return { row: { ...r, status, outcome, handled_at: at, handled_by: actor }, effect };
    });
  }

  private async erase(r: PrivacyRequestTable, trx: DbOrTx): Promise<Record<string, number>> {
    const k = await this.keysOf(r, trx);
    let orders = 0;
    for (const id of k.customerIds) orders += await anonymiseMember(trx, id);
    const guest = await trx
      .updateTable('orders')
      .set({ ...ANONYMISED_ORDER, updated_at: nowIso() })
      .where('id', 'in', this.ordersOf(k, trx).select('id').where('orderer_name', '!=', ANONYMISED).where('status', 'in', ['shipped', 'delivered', 'cancelled']).where('payment_status', 'in', ['paid', 'refunded', 'cancelled', 'failed']))
      .executeTakeFirst();
    orders += Number(guest.numUpdatedRows);
    const catalog = (await this.catalogRequestsOf(k, trx)).map((c) => c.id);
    if (catalog.length) await trx.deleteFrom('catalog_requests').where('id', 'in', catalog).execute();
    const mails = await trx
      .updateTable('outbox')
      .set({ to_address: '', subject: '', body_text: '' })
      .where('id', 'in', this.mailsOf(k, trx).select('id').where('status', '!=', 'pending'))
      .executeTakeFirst();
    const open = Number((await this.ordersOf(k, trx).where('orderer_name', '!=', ANONYMISED).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    // The request itself keeps only what identifies it for the record.
    await trx.updateTable('privacy_requests').set({ email_key: null, phone_key: null }).where('id', '=', r.id).execute();
    return { members: k.customerIds.length, orders, catalogRequests: catalog.length, mails: Number(mails.numUpdatedRows), openOrdersKept: open };
  }
}

/** A readable PDF of the disclosure: the same data as the JSON, in Japanese headings. */
export async function disclosurePdf(d: Disclosure, r: PrivacyRequestTable): Promise<Buffer> {
  const line = (k: string, v: unknown) => `- ${k}: ${v === null || v === undefined || v === '' ? '（なし）' : String(v).replace(/\n/g, ' ')}`;
  const rows = (obj: Record<string, unknown>) => Object.entries(obj).filter(([k]) => k !== 'lines').map(([k, v]) => line(k, v));
  const out: string[] = [
    '# 保有個人データの開示',
    `${d.shop}`,
    `作成日時: ${formatInstantJa(d.generatedAt)} ／ 請求番号: ${r.id} ／ 受付日: ${r.received_on}`,
    '',
    '当店が保有するお客様の個人データは以下のとおりです。',
    `利用停止: ${d.suspended ? 'あり（広告・カタログ送付に利用しません）' : 'なし'}`,
    '',
    `## 会員情報（${d.members.length}件）`,
    ...d.members.flatMap((m) => [...rows(m), '']),
    `## お届け先（${d.addresses.length}件）`,
    ...d.addresses.flatMap((a) => [...rows(a), '']),
    `## ご注文（${d.orders.length}件）`,
    ...d.orders.flatMap((o) => [`### 注文 ${String(o.order_number)}`, ...rows(o), ...o.lines.map((l) => line('明細', `${String(l.name)} × ${String(l.quantity)}（${String(l.line_total_yen)}円）`)), '']),
    `## カタログ請求（${d.catalogRequests.length}件）`,
    ...d.catalogRequests.flatMap((c) => [...rows(c), '']),
    `## 送信したメール（${d.mails.length}件）`,
    ...d.mails.flatMap((m) => [line('日時', m.sent_at ?? m.created_at), line('件名', m.subject), line('宛先', m.to_address), '']),
    `## 第三者への提供（${d.provisions.length}件）`,
    ...d.provisions.map((p) => line(formatInstantJa(p.at), `${p.recipient}（${p.purpose}）: ${p.items.join('、')}`)),
    '',
    `## 個人情報に関するご請求（${d.requests.length}件）`,
    ...d.requests.map((q) => line(String(q.received_on), `${KIND_LABELS[q.kind as PrivacyRequestKind]} ${STATUS_LABELS[String(q.status)] ?? ''}`)),
  ];
  return markdownPdf(out.join('\n'), { title: '保有個人データの開示' });
}

export const todayJst = () => jstDate();
