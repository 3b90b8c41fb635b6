import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/index.js';
import { nfkc, normalise, toKatakana } from '../shared/jp.js';
import type { CustomerTable } from './tables.js';

/** What the admin console shows of a member: never the password hash. */
export type AdminCustomer = Omit<CustomerTable, 'password_hash' | 'email_norm' | 'email_key' | 'phone_key' | 'name_key' | 'postal_key' | 'source' | 'external_id'>;

const COLUMNS = [
  'id', 'email', 'name', 'name_kana', 'postal_code', 'prefecture', 'address1', 'address2', 'phone', 'fax', 'status',
  'email_verified_at', 'created_at', 'updated_at', 'withdrawn_at',
] as const;

/** Separators people type in phone numbers, and full-width digits, as SQL `replace` pairs. */
const PHONE_FOLD: [string, string][] = [
  ...['-', ' ', '(', ')', '+', '.', '\u3000', '\uFF0D', '\u2212', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u30FC', '\uFF08', '\uFF09'].map((c): [string, string] => [c, '']),
  ...Array.from({ length: 10 }, (_, d): [string, string] => [String.fromCharCode(0xff10 + d), String(d)]),
];

/** The stored phone number reduced to its digits, in SQL (the column keeps what the member typed). */
function phoneDigits(column: 'phone' | 'fax' = 'phone'): RawBuilder<string> {
  let expr: RawBuilder<string> = sql<string>`${sql.ref(column)}`;
  for (const [from, to] of PHONE_FOLD) expr = sql<string>`replace(${expr}, ${from}, ${to})`;
  return expr;
}

/** A column without ordinary and ideographic spaces, lower-cased. */
function compact(column: 'name' | 'name_kana'): RawBuilder<string> {
  return sql<string>`lower(replace(replace(${sql.ref(column)}, ' ', ''), '\u3000', ''))`;
}

function likeArg(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** How a query is matched: name and kana ignoring spaces, e-mail, and phone by digits. */
export function customerQueryTerms(q: string): { name: string; kana: string; email: string; digits: string | null } | null {
  const s = nfkc(q).trim();
  if (!s) return null;
  const name = s.replace(/\s/g, '').toLowerCase();
  const digits = normalise.phone(s);
  // Only a query that looks like a phone number is matched by its digits (not "山田3").
  const phoneLike = /^[\d\s()+\-.‐‑‒–—―−ー－（）]+$/.test(s) && digits.length >= 4;
  return { name, kana: toKatakana(name), email: s.toLowerCase(), digits: phoneLike ? digits : null };
}

/**
 * Reading members for the admin console: search and detail. Reads only — every call is audited by
 * the route that shows or exports the result.
 */
export class CustomerAdminService {
  constructor(private readonly db: Db) {}

  async search(q: string, limit: number): Promise<{ rows: AdminCustomer[]; more: boolean }> {
    const t = customerQueryTerms(q);
    if (!t) return { rows: [], more: false };
    const rows = await this.db
      .selectFrom('customers')
      .select([...COLUMNS])
      .where((eb) => {
        const ors = [
          eb('id', '=', q.trim()),
          eb(compact('name'), 'like', sql<string>`${likeArg(t.name)} escape '\\'`),
          eb(compact('name_kana'), 'like', sql<string>`${likeArg(t.kana)} escape '\\'`),
          eb(sql<string>`lower(email)`, 'like', sql<string>`${likeArg(t.email)} escape '\\'`),
        ];
        if (t.digits) ors.push(eb(phoneDigits(), 'like', sql<string>`${likeArg(t.digits)} escape '\\'`));
        // A FAX order: the number on the FAX header finds the member too.
        if (t.digits) ors.push(eb(phoneDigits('fax'), 'like', sql<string>`${likeArg(t.digits)} escape '\\'`));
        return eb.or(ors);
      })
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    return { rows: rows.slice(0, limit), more: rows.length > limit };
  }

  get(id: string): Promise<AdminCustomer | undefined> {
    return this.db.selectFrom('customers').select([...COLUMNS]).where('id', '=', id).executeTakeFirst();
  }
}

// ---- CSV -----------------------------------------------------------------------------------------

export const CUSTOMER_CSV_HEADER = ['会員ID', '氏名', 'フリガナ', 'メールアドレス', '電話番号', 'FAX', '郵便番号', '都道府県', '住所1', '住所2', '状態', '登録日時'];

export function customerCsvRow(c: AdminCustomer): (string | number | null)[] {
  return [c.id, c.name, c.name_kana, c.email, c.phone, c.fax, c.postal_code, c.prefecture, c.address1, c.address2, STATUS_LABELS[c.status] ?? c.status, c.created_at];
}

export const STATUS_LABELS: Record<string, string> = { unverified: 'メール未確認', active: '有効', withdrawn: '退会済み' };
