import { sql, type Expression, type SqlBool } from 'kysely';
import type { Db, DbOrTx } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { newId } from '../shared/ids.js';
import { nfkc, normalise, toKatakana } from '../shared/jp.js';
import type { CatalogRequestStatus, CatalogRequestTable } from './tables.js';

/**
 * How long a catalog request is kept: the consent text promises it, and retention (issue 7) will
 * erase or anonymise older requests (see `anonymiseOlderThan` in docs/operations.md §9).
 */
export const RETENTION_MONTHS = 24;

/** The version of the consent text below; bump it whenever the text changes. */
export const CONSENT_VERSION = '2026-11-v1';

/** What the requester agrees to, in the language of the page (利用目的 and 保管期間). */
export function consentText(shopName: string, lang: 'ja' | 'en'): string[] {
  if (lang === 'en') {
    return [
      `${shopName} uses the name, address and contact details you enter only to post you our paper catalog and, if needed, to contact you about that delivery.`,
      `We keep them for ${RETENTION_MONTHS / 12} years from your request and then delete them. We do not give them to anyone except the postal or delivery service that carries the catalog.`,
      'You can ask us at any time to stop sending catalogs or to delete your data (see the privacy policy).',
    ];
  }
  return [
    `ご入力いただいたお名前・ご住所・ご連絡先は、${shopName}の紙のカタログをお送りするため、およびそのお届けに関するご連絡のためにのみ利用します。`,
    `ご請求日から${RETENTION_MONTHS / 12}年間保管し、その後削除します。カタログをお届けする郵便・配送事業者を除き、第三者に提供することはありません。`,
    'カタログの送付停止やデータの削除は、いつでもお申し出いただけます（プライバシーポリシーをご覧ください）。',
  ];
}

export interface CatalogRequestInput {
  name: string;
  kana: string | null;
  postalCode: string;
  prefecture: string;
  address1: string;
  address2: string | null;
  email: string | null;
  phone: string | null;
  lang: 'ja' | 'en';
  /** Staff entry (a request by phone, FAX or postcard): the channel and who typed it in. */
  channel?: 'web' | 'phone' | 'fax' | 'postcard' | 'other';
  enteredBy?: string | null;
}

export interface CatalogRequestFilter {
  status: CatalogRequestStatus | null;
  /** Name, フリガナ, e-mail, phone digits, postal code or request id. */
  q: string | null;
}

/** Most requests one export or one bulk action handles. */
export const MAX_EXPORT_REQUESTS = 5000;

const LIKE_ESCAPE = '\\';
function contains(expr: Expression<unknown>, needle: string): Expression<SqlBool> {
  return sql<SqlBool>`${expr} like ${`%${needle.replace(/[\\%_]/g, (c) => `${LIKE_ESCAPE}${c}`)}%`} escape ${LIKE_ESCAPE}`;
}
function stripped(expr: Expression<unknown>, chars: readonly string[]): Expression<string> {
  let e = sql<string>`${expr}`;
  for (const c of chars) e = sql<string>`replace(${e}, ${c}, '')`;
  return e;
}
const SPACES = [' ', '\u3000'] as const;
const PHONE_NOISE = ['-', ' ', '(', ')', '+', '\u3000'] as const;

/**
 * Catalog requests (カタログ請求): taken on the storefront, listed, exported as mailing labels and
 * marked as sent in the admin console. Requesters are personal data: incident scoping reads them
 * with `requestsBetween`, retention will erase them after RETENTION_MONTHS.
 */
export class CatalogRequestService {
  constructor(private readonly db: Db) {}

  async create(input: CatalogRequestInput, db: DbOrTx = this.db): Promise<CatalogRequestTable> {
    const row: CatalogRequestTable = {
      id: newId('crq'),
      name: input.name,
      kana: input.kana,
      postal_code: input.postalCode,
      prefecture: input.prefecture,
      address1: input.address1,
      address2: input.address2,
      email: input.email,
      phone: input.phone,
      consent_version: CONSENT_VERSION,
      lang: input.lang,
      status: 'new',
      sent_at: null,
      sent_by: null,
      channel: input.channel ?? 'web',
      entered_by: input.enteredBy ?? null,
      created_at: nowIso(),
    };
    await db.insertInto('catalog_requests').values(row).execute();
    return row;
  }

  get(id: string): Promise<CatalogRequestTable | undefined> {
    return this.db.selectFrom('catalog_requests').selectAll().where('id', '=', id).executeTakeFirst();
  }

  private filtered(f: CatalogRequestFilter) {
    return this.db.selectFrom('catalog_requests').where((eb) => {
      const and: Expression<SqlBool>[] = [];
      if (f.status) and.push(eb('status', '=', f.status));
      const q = f.q ? nfkc(f.q).trim().toLowerCase() : '';
      if (q) {
        const compact = q.replace(/\s/g, '');
        const or: Expression<SqlBool>[] = [
          eb('id', '=', f.q!.trim()),
          contains(sql`lower(${stripped(eb.ref('name'), SPACES)})`, compact),
          contains(stripped(eb.ref('kana'), SPACES), toKatakana(compact)),
          contains(sql`lower(${eb.ref('email')})`, q),
        ];
        const digits = q.replace(/\D/g, '');
        if (digits.length >= 3 && /^[\d\s()+\-〒]+$/.test(q)) {
          or.push(contains(stripped(eb.ref('phone'), PHONE_NOISE), digits));
          or.push(contains(stripped(eb.ref('postal_code'), ['-']), digits));
        }
        and.push(eb.or(or));
      }
      return eb.and(and);
    });
  }

  /** One page of requests, newest first. */
  async list(f: CatalogRequestFilter, page: number, perPage: number): Promise<{ rows: CatalogRequestTable[]; total: number }> {
    const base = this.filtered(f);
    const count = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    const rows = await base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(perPage).offset((page - 1) * perPage).execute();
    return { rows, total: Number(count?.n ?? 0) };
  }

  /**
   * For each given request, how many other requests have the same postal code and the same name
   * (spaces and widths ignored): a person who asked twice should get one catalog, not two.
   */
  async duplicateCounts(rows: readonly Pick<CatalogRequestTable, 'id' | 'name' | 'postal_code'>[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const postals = [...new Set(rows.map((r) => r.postal_code))];
    if (postals.length === 0) return out;
    const same = await this.db.selectFrom('catalog_requests').select(['id', 'name', 'postal_code']).where('postal_code', 'in', postals).execute();
    const key = (r: { name: string; postal_code: string }) => `${r.postal_code}|${normalise.name(r.name).toLowerCase()}`;
    const counts = new Map<string, number>();
    for (const r of same) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
    for (const r of rows) {
      const others = (counts.get(key(r)) ?? 1) - 1;
      if (others > 0) out.set(r.id, others);
    }
    return out;
  }

  /** Requests for a label export, oldest first (the order they were asked for); `more` when cut at the limit. */
  async forExport(f: CatalogRequestFilter, ids: string[] | null = null): Promise<{ rows: CatalogRequestTable[]; more: boolean }> {
    let q = this.filtered(f).selectAll();
    if (ids) {
      if (ids.length === 0) return { rows: [], more: false };
      q = q.where('id', 'in', ids);
    }
    const rows = await q.orderBy('created_at').orderBy('id').limit(MAX_EXPORT_REQUESTS + 1).execute();
    return { rows: rows.slice(0, MAX_EXPORT_REQUESTS), more: rows.length > MAX_EXPORT_REQUESTS };
  }

  /**
   * Marks requests as sent (the catalog was posted). Only requests still `new` change; the ids of
   * those that did are returned.
   */
  async markSent(ids: string[], actor: string, at = nowIso()): Promise<string[]> {
    if (ids.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const open = await trx.selectFrom('catalog_requests').select('id').where('id', 'in', ids).where('status', '=', 'new').execute();
      const changed = open.map((r) => r.id);
      if (changed.length > 0) {
        await trx.updateTable('catalog_requests').set({ status: 'sent', sent_at: at, sent_by: actor }).where('id', 'in', changed).where('status', '=', 'new').execute();
      }
      return changed;
    });
  }

  /**
   * Requesters registered in `[fromIso, toIso)` (ISO-8601 UTC instants), with every field they gave:
   * for incident scoping, which treats them as personal data registered at the request time.
   */
  requestsBetween(fromIso: string, toIso: string, db: DbOrTx = this.db): Promise<CatalogRequestTable[]> {
    return db
      .selectFrom('catalog_requests')
      .selectAll()
      .where('created_at', '>=', fromIso)
      .where('created_at', '<', toIso)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }
}

// ---- Mailing labels ------------------------------------------------------------------------------

/**
 * The mailing-label CSV (宛名ラベル): one row per request, columns in the order label tools that
 * import "宛名" data expect (郵便番号, 住所1, 住所2, 氏名+敬称 — e.g. Word/Excel 差し込み印刷, ラベル屋さん,
 * 宛名職人). 住所1 is prefecture + street so the label reads as one address.
 */
export const LABEL_CSV_HEADER = ['郵便番号', '住所1', '住所2', '宛名', 'フリガナ', '電話番号', '請求日', '請求ID'] as const;

export function labelCsvRow(r: CatalogRequestTable, requestedOn: (iso: string) => string): string[] {
  return [r.postal_code, `${r.prefecture}${r.address1}`, r.address2 ?? '', `${r.name} 様`, r.kana ?? '', r.phone ?? '', requestedOn(r.created_at), r.id];
}
