import { sql } from 'kysely';
import type { AuditLog } from '../admin/audit.js';
import type { Db, DbOrTx } from '../db/index.js';
import { nowIso } from '../db/index.js';
import type { PrivacySettings } from '../settings/defaults.js';
import type { SettingsService } from '../settings/service.js';
import { newId } from '../shared/ids.js';

/** What replaces a name once the person's data is anonymised; also how an anonymised row is recognised. */
export const ANONYMISED = '（匿名化済み）';

/**
 * An order is complete — nothing left to ship, collect or refund — when it was shipped, delivered
 * or cancelled and its payment is settled. Open orders and pending payments are never touched.
 */
const COMPLETE_STATUSES = ['shipped', 'delivered', 'cancelled'] as const;
const SETTLED_PAYMENTS = ['paid', 'refunded', 'cancelled', 'failed'] as const;

export interface RetentionCounts {
  /** Guest orders (and orders of already anonymised members, once complete) whose orderer/shipping data is anonymised. */
  guestOrders: number;
  /** Withdrawn members anonymised (addresses, sessions and tokens deleted). */
  withdrawnMembers: number;
  /** Completed orders of those members, anonymised with them. */
  memberOrders: number;
  /** Catalog requests deleted. */
  catalogRequests: number;
  /** Sent or failed mails whose address, subject and body are erased. */
  outboxMails: number;
}

export interface RetentionCutoffs {
  guestOrdersBefore: string;
  withdrawnBefore: string;
  catalogRequestsBefore: string;
  outboxBefore: string;
}

function monthsBefore(now: Date, months: number): string {
  const d = new Date(now.getTime());
  d.setUTCMonth(d.getUTCMonth() - months);
  return nowIso(d);
}

export function cutoffs(p: PrivacySettings, now: Date): RetentionCutoffs {
  return {
    guestOrdersBefore: monthsBefore(now, p.guestOrderYears * 12),
    withdrawnBefore: monthsBefore(now, p.withdrawnMonths),
    catalogRequestsBefore: monthsBefore(now, p.catalogRequestMonths),
    outboxBefore: nowIso(new Date(now.getTime() - p.outboxDays * 86_400_000)),
  };
}

/** The columns of an anonymised order: no name, contact or address; prefecture, amounts, tax, lines and stock stay. */
export const ANONYMISED_ORDER = {
  orderer_name: ANONYMISED,
  orderer_kana: null,
  orderer_email: null,
  orderer_phone: '',
  orderer_fax: null,
  orderer_postal_code: '',
  orderer_address1: '',
  orderer_address2: null,
  shipping_name: sql<string | null>`case when shipping_name is null then null else ${ANONYMISED} end`,
  shipping_kana: null,
  shipping_phone: sql<string | null>`case when shipping_phone is null then null else '' end`,
  shipping_postal_code: sql<string | null>`case when shipping_postal_code is null then null else '' end`,
  shipping_address1: sql<string | null>`case when shipping_address1 is null then null else '' end`,
  shipping_address2: null,
  note: null,
  orderer_email_key: null,
  orderer_phone_key: null,
  orderer_name_key: null,
  orderer_postal_key: null,
  shipping_name_key: null,
  shipping_phone_key: null,
  shipping_postal_key: null,
  orderer_key: null,
  recipient_key: null,
} as const;

/**
 * Anonymises one member's data as retention does: the row stays (order history, foreign keys) but
 * holds nothing that identifies the person; addresses, sessions and tokens are deleted, completed
 * orders anonymised. Open orders keep their data until they are complete (the next run takes them).
 * Returns the number of orders anonymised.
 */
export async function anonymiseMember(db: DbOrTx, customerId: string): Promise<number> {
  const at = nowIso();
  await db
    .updateTable('customers')
    .set({
      email: `anonymised-${customerId}@anonymised.invalid`, email_norm: `withdrawn:${customerId}`,
      password_hash: '!', name: ANONYMISED, name_kana: '', postal_code: '', address1: '', address2: null, phone: '', fax: null,
      email_key: null, phone_key: null, name_key: null, postal_key: null, status: 'withdrawn',
      withdrawn_at: sql<string>`coalesce(withdrawn_at, ${at})`, updated_at: at,
    })
    .where('id', '=', customerId)
    .execute();
  await db.deleteFrom('customer_addresses').where('customer_id', '=', customerId).execute();
  await db.deleteFrom('customer_tokens').where('customer_id', '=', customerId).execute();
  await db.deleteFrom('sessions').where('customer_id', '=', customerId).execute();
  const res = await db
    .updateTable('orders')
    .set({ ...ANONYMISED_ORDER, updated_at: at })
    .where('customer_id', '=', customerId)
    .where('orderer_name', '!=', ANONYMISED)
    .where('status', 'in', COMPLETE_STATUSES)
    .where('payment_status', 'in', SETTLED_PAYMENTS)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

const LEASE = 'privacy.retention.daily';

/**
 * The retention policy (settings → 個人情報の保存期間) applied: `plan` counts, `run` anonymises
 * and deletes, both audited by the caller's actor. `runIfDue` is the daily job: a lease row makes
 * one process in the whole shop run it once a day.
 */
export class RetentionService {
  private readonly holder = newId('ret');

  constructor(
    private readonly db: Db,
    private readonly settings: SettingsService,
    private readonly audit: AuditLog,
  ) {}

  /** Orders without a living member: guests', and those of anonymised members that were still open then. */
  private guestOrders(db: DbOrTx, c: RetentionCutoffs) {
    return db
      .selectFrom('orders')
      .where((eb) => eb.or([eb('customer_id', 'is', null), eb('customer_id', 'in', db.selectFrom('customers').select('id').where('name', '=', ANONYMISED))]))
      .where('orderer_name', '!=', ANONYMISED)
      .where('status', 'in', COMPLETE_STATUSES)
      .where('payment_status', 'in', SETTLED_PAYMENTS)
      .where('updated_at', '<', c.guestOrdersBefore);
  }

  private withdrawn(db: DbOrTx, c: RetentionCutoffs) {
    return db
      .selectFrom('customers')
      .where('status', '=', 'withdrawn')
      .where('name', '!=', ANONYMISED)
      .where('withdrawn_at', '<', c.withdrawnBefore);
  }

  private catalogRequests(db: DbOrTx, c: RetentionCutoffs) {
    return db.selectFrom('catalog_requests').where('created_at', '<', c.catalogRequestsBefore);
  }

  private outbox(db: DbOrTx, c: RetentionCutoffs) {
    return db
      .selectFrom('outbox')
      .where('status', 'in', ['sent', 'failed'])
      .where('body_text', '!=', '')
      .where((eb) => eb(eb.fn.coalesce('sent_at', 'created_at'), '<', c.outboxBefore));
  }

  /** What a run at `now` would do: counts only, never any personal data. */
  async plan(now = new Date(), db: DbOrTx = this.db): Promise<{ counts: RetentionCounts; cutoffs: RetentionCutoffs; policy: PrivacySettings }> {
    const policy = (await this.settings.get(db)).privacy;
    const c = cutoffs(policy, now);
    const n = (r: { n: number | string | bigint } | undefined) => Number(r?.n ?? 0);
    const withdrawnIds = this.withdrawn(db, c).select('id');
    const counts: RetentionCounts = {
      guestOrders: n(await this.guestOrders(db, c).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst()),
      withdrawnMembers: n(await this.withdrawn(db, c).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst()),
      memberOrders: n(
        await db
          .selectFrom('orders')
          .where('customer_id', 'in', withdrawnIds)
          .where('orderer_name', '!=', ANONYMISED)
          .where('status', 'in', COMPLETE_STATUSES)
          .where('payment_status', 'in', SETTLED_PAYMENTS)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst(),
      ),
      catalogRequests: n(await this.catalogRequests(db, c).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst()),
      outboxMails: n(await this.outbox(db, c).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst()),
    };
    return { counts, cutoffs: c, policy };
  }

  /** Applies the policy as of `now` in one transaction and appends the audit entry (counts only). */
  async run(actor: string, now = new Date()): Promise<RetentionCounts> {
    return this.db.transaction().execute(async (trx) => {
      const c = cutoffs((await this.settings.get(trx)).privacy, now);
      const at = nowIso();
      const guest = await trx
        .updateTable('orders')
        .set({ ...ANONYMISED_ORDER, updated_at: at })
        .where('id', 'in', this.guestOrders(trx, c).select('id'))
        .executeTakeFirst();
      const members = await this.withdrawn(trx, c).select('id').execute();
      let memberOrders = 0;
      for (const m of members) memberOrders += await anonymiseMember(trx, m.id);
      const catalog = await trx.deleteFrom('catalog_requests').where('created_at', '<', c.catalogRequestsBefore).executeTakeFirst();
      const mails = await trx
        .updateTable('outbox')
        .set({ to_address: '', subject: '', body_text: '' })
        .where('id', 'in', this.outbox(trx, c).select('id'))
        .executeTakeFirst();
      const counts: RetentionCounts = {
        guestOrders: Number(guest.numUpdatedRows),
        withdrawnMembers: members.length,
        memberOrders,
        catalogRequests: Number(catalog.numDeletedRows),
        outboxMails: Number(mails.numUpdatedRows),
      };
      await this.audit.append({ actor, action: 'privacy.retention.run', target: null, detail: { counts, cutoffs: c } }, trx);
      return counts;
    });
  }

  /** The daily job: runs when no process has run it in the last 24 hours; returns null when it was not its turn. */
  async runIfDue(now = new Date()): Promise<RetentionCounts | null> {
    const nowS = nowIso(now);
    await this.db.insertInto('leases').values({ name: LEASE, holder: '', expires_at: '1970-01-01T00:00:00.000Z' }).onConflict((oc) => oc.column('name').doNothing()).execute();
    const res = await this.db
      .updateTable('leases')
      .set({ holder: this.holder, expires_at: nowIso(new Date(now.getTime() + 86_400_000)) })
      .where('name', '=', LEASE)
      .where('expires_at', '<=', nowS)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return null;
    return this.run('system:retention', now);
  }
}
