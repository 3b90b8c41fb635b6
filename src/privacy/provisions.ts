import type { Db, DbOrTx } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { newId } from '../shared/ids.js';
import type { PrivacyProvisionTable } from './tables.js';

/** The carriers the shop's exports are made for, and the personal data items each file gives them. */
export const CARRIERS = {
  yamato_b2: {
    recipient: 'ヤマト運輸株式会社（送り状発行システムB2クラウド）',
    items: ['お届け先の氏名', 'お届け先の氏名（カナ）', 'お届け先の電話番号', 'お届け先の郵便番号', 'お届け先の住所', 'お届け希望日・時間帯', '品名', '代金引換額', '注文番号'],
  },
  sagawa_ehiden: {
    recipient: '佐川急便株式会社（e飛伝）',
    items: ['お届け先の氏名', 'お届け先の電話番号', 'お届け先の郵便番号', 'お届け先の住所', 'お届け希望日・時間帯', '品名', '代金引換額', '注文番号'],
  },
} as const;
export type CarrierFormat = keyof typeof CARRIERS;

export const PROVISION_PURPOSE = '商品の配送（送り状の発行）';

export interface ProvisionRecord {
  id: string;
  at: string;
  actor: string;
  recipient: string;
  format: string;
  purpose: string;
  items: string[];
  orderNumbers: string[];
  orderCount: number;
}

function toRecord(r: PrivacyProvisionTable): ProvisionRecord {
  return {
    id: r.id, at: r.at, actor: r.actor, recipient: r.recipient, format: r.format, purpose: r.purpose,
    items: JSON.parse(r.items) as string[], orderNumbers: JSON.parse(r.order_numbers) as string[], orderCount: r.order_count,
  };
}

/**
 * 第三者提供記録: one row per carrier file exported (date, recipient, orders, data items, who).
 * Carriers delivering for the shop are usually 委託先 (APPI 27条5項1号), for whom no record is
 * required; the shop keeps it anyway, so that it can say who received whose data and when.
 */
export class ProvisionRecords {
  constructor(private readonly db: Db) {}

  async record(actor: string, format: CarrierFormat, orderNumbers: readonly string[], db: DbOrTx = this.db): Promise<ProvisionRecord | null> {
    if (orderNumbers.length === 0) return null;
    const c = CARRIERS[format];
    const row: PrivacyProvisionTable = {
      id: newId('prv'), at: nowIso(), actor: actor.slice(0, 200), recipient: c.recipient, format, purpose: PROVISION_PURPOSE,
      items: JSON.stringify(c.items), order_numbers: JSON.stringify(orderNumbers), order_count: orderNumbers.length,
    };
    await db.insertInto('privacy_provisions').values(row).execute();
    return toRecord(row);
  }

  /** Newest first. */
  async list(opts: { limit: number; offset: number }): Promise<{ rows: ProvisionRecord[]; total: number }> {
    const rows = await this.db.selectFrom('privacy_provisions').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(opts.limit).offset(opts.offset).execute();
    const total = await this.db.selectFrom('privacy_provisions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return { rows: rows.map(toRecord), total: Number(total.n) };
  }

  /** The records that include one order (for a disclosure request). */
  async forOrders(orderNumbers: readonly string[], db: DbOrTx = this.db): Promise<ProvisionRecord[]> {
    if (orderNumbers.length === 0) return [];
    const wanted = new Set(orderNumbers);
    const rows = await db.selectFrom('privacy_provisions').selectAll().orderBy('at').execute();
    return rows.map(toRecord).filter((r) => r.orderNumbers.some((n) => wanted.has(n)));
  }
}
