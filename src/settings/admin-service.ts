import { z } from 'zod';
import type { AuditLog } from '../admin/audit.js';
import type { Db } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { enqueueMail } from '../notify/outbox.js';
import { nfkc, PREFECTURES, REGIONS, type Prefecture } from '../shared/jp.js';
import { formatInstantJa } from '../shared/time.js';
import { field, parseForm, text, type ParseResult } from '../shared/validation.js';
import { DELIVERY_SLOTS, type ShopSettings, type TaxRounding } from './defaults.js';
import { SettingsService } from './service.js';
import { ORDER_MAIL_TEMPLATES } from '../checkout/mails.js';
import { CUSTOMER_MAIL_TEMPLATES } from '../customers/mails.js';
import { RETENTION_MONTHS as CATALOG_RETENTION_MONTHS } from '../catalog-requests/service.js';
import { placeholdersIn, type MailTemplateSpec } from '../notify/template.js';

export type Section = keyof ShopSettings;
export const SECTIONS: readonly Section[] = ['shop', 'legal', 'tax', 'shipping', 'cod', 'bank', 'delivery', 'payments', 'mail', 'postal', 'paymentLinks', 'privacy'];

export const SECTION_LABELS: Record<Section, string> = {
  shop: 'ショップ情報', legal: '規約・法定表示', tax: '消費税', shipping: '送料', cod: '代金引換手数料',
  bank: '振込先口座', delivery: 'お届け日時', payments: 'お支払い方法', mail: 'メールの文面',
  postal: '郵便振替口座', paymentLinks: 'お支払いリンク', privacy: '個人情報の保存期間',
};

/** Sections whose change is mailed to every active owner: where the money goes and how it is taken. */
export const NOTIFY_OWNERS: readonly Section[] = ['payments', 'bank', 'mail', 'postal'];

export const REGION_LABELS: Record<string, string> = {
  hokkaido: '北海道', tohoku: '東北', kanto: '関東（山梨を含む）', chubu: '中部', kinki: '近畿', chugoku_shikoku: '中国・四国', kyushu: '九州', okinawa: '沖縄',
};
export const REGION_KEYS = Object.keys(REGIONS);
export const COD_ROWS = 10;
export const ACCOUNT_TYPES = ['普通', '当座', '貯蓄'] as const;
export const ROUNDINGS: { value: TaxRounding; label: string }[] = [
  { value: 'floor', label: '切り捨て' }, { value: 'round', label: '四捨五入' }, { value: 'ceil', label: '切り上げ' },
];

export const KEY_LABELS: Record<string, string> = {
  name: 'ショップ名', nameEn: 'ショップ名（英語）', company: '販売業者（会社名）', representative: '運営責任者', postalCode: '郵便番号',
  address: '所在地', phone: '電話番号', fax: 'FAX番号', email: 'メールアドレス', hours: '営業時間', invoiceRegistrationNumber: '適格請求書発行事業者登録番号',
  returns: '返品・交換', privacyContact: '個人情報のお問い合わせ窓口', terms: 'ご利用規約', privacyPolicy: 'プライバシーポリシー', extraTokushoho: '特商法表記の追記',
  rounding: '消費税の端数処理', regionFeesYen: '地域別送料', prefectureFeesYen: '都道府県別送料', freeFromYen: '送料無料になる金額',
  feeTable: '手数料表', bankName: '銀行名', branchName: '支店名', accountType: '口座種別', accountNumber: '口座番号', accountHolder: '口座名義', dueDays: 'お支払い期限（日）',
  minDaysAhead: '指定できる最短日（日後）', maxDaysAhead: '指定できる最長日（日後）', slots: '時間帯',
  card: 'クレジットカード', bankTransfer: '銀行振込', cod: '代金引換', overrides: 'メールの文面',
  validDays: 'お支払いリンクの有効期間（日）',
  guestOrderYears: 'ゲスト注文の個人情報（年）', withdrawnMonths: '退会会員の個人情報（月）', catalogRequestMonths: 'カタログ請求（月）',
  outboxDays: '送信済みメール本文（日）', accountingYears: '会計記録（年）', requestDueDays: '開示等請求の対応期限（日）',
};

// ---- parsing: form → section value ----------------------------------------------------------------

/** Yen: digits (full-width and thousands separators accepted), 0..max; optional ones may be blank. */
function yenField(max: number, optional: boolean) {
  return z
    .string({ error: '数値を入力してください。' })
    .optional()
    .transform((v, ctx) => {
      const s = nfkc(v ?? '').trim().replace(/[,円¥]/g, '');
      if (s === '') {
        if (optional) return null;
        ctx.addIssue({ code: 'custom', message: '入力してください。' });
        return z.NEVER;
      }
      if (!/^\d{1,9}$/.test(s)) {
        ctx.addIssue({ code: 'custom', message: '0以上の整数（円）で入力してください。' });
        return z.NEVER;
      }
      const n = Number.parseInt(s, 10);
      if (n > max) {
        ctx.addIssue({ code: 'custom', message: `${max.toLocaleString('ja-JP')}円以下で入力してください。` });
        return z.NEVER;
      }
      return n;
    });
}
// A required field never yields null (blank is an issue), so `?? 0` only narrows the type.
const yen = (max: number) => yenField(max, false).transform((v) => v ?? 0);
const optionalYen = (max: number) => yenField(max, true);
const checkbox = () => z.literal('1', { error: '入力内容が正しくありません。' }).optional().transform((v) => v === '1');

export const invoiceNumber = () =>
  text({ max: 30 })
    .transform((v) => nfkc(v).toUpperCase().replace(/[\s-]/g, ''))
    .refine((v) => /^T\d{13}$/.test(v), '登録番号は「T」に続けて13桁の数字で入力してください（例: T1234567890123）。');

const shopSchema = z
  .object({
    name: text({ max: 60 }), nameEn: text({ max: 60 }), company: text({ max: 100 }), representative: text({ max: 60 }),
    postalCode: field.postalCode(), address: text({ max: 200 }), phone: field.phone(), email: field.email(), hours: text({ max: 100 }),
    fax: field.optionalPhone().transform((v) => v ?? ''),
    invoiceRegistrationNumber: invoiceNumber(),
  })
  .strict();

const legalSchema = z
  .object({
    returns: text({ max: 5000, multiline: true }),
    privacyContact: text({ max: 1000, multiline: true }),
    terms: text({ max: 30000, multiline: true }),
    privacyPolicy: text({ max: 30000, multiline: true }),
    extraTokushoho: text({ max: 5000, min: 0, multiline: true }),
  })
  .strict();

const taxSchema = z.object({ rounding: z.enum(['floor', 'round', 'ceil'], { error: '端数処理を選択してください。' }) }).strict();

const shippingSchema = z
  .object({
    freeFromYen: yen(10_000_000),
    ...Object.fromEntries(REGION_KEYS.map((k) => [`region_${k}`, yen(100_000)])),
    ...Object.fromEntries(PREFECTURES.map((_, i) => [`pref_${i}`, optionalYen(100_000)])),
  })
  .strict()
  .transform((d): ShopSettings['shipping'] => {
    const rec = d as Record<string, number | null>;
    const regionFeesYen: Record<string, number> = {};
    for (const k of REGION_KEYS) regionFeesYen[k] = rec[`region_${k}`] ?? 0;
    const prefectureFeesYen: Partial<Record<Prefecture, number>> = {};
    PREFECTURES.forEach((p, i) => {
      const v = rec[`pref_${i}`];
      if (typeof v === 'number') prefectureFeesYen[p] = v;
    });
    return { regionFeesYen, prefectureFeesYen, freeFromYen: d.freeFromYen };
  });

const codSchema = z
  .object(Object.fromEntries(Array.from({ length: COD_ROWS }, (_, i) => [[`up_${i}`, optionalYen(10_000_000)], [`fee_${i}`, optionalYen(100_000)]]).flat()))
  .strict()
  .superRefine((d, ctx) => {
    const rec = d as Record<string, number | null>;
    let last = 0;
    let rows = 0;
    for (let i = 0; i < COD_ROWS; i++) {
      const up = rec[`up_${i}`] ?? null;
      const fee = rec[`fee_${i}`] ?? null;
      if (up === null && fee === null) continue;
      if (up === null) { ctx.addIssue({ code: 'custom', path: [`up_${i}`], message: '上限金額を入力してください。' }); continue; }
      if (fee === null) { ctx.addIssue({ code: 'custom', path: [`fee_${i}`], message: '手数料を入力してください。' }); continue; }
      if (up <= last) ctx.addIssue({ code: 'custom', path: [`up_${i}`], message: '上限金額は上の行より大きい金額にしてください（小さい順）。' });
      last = Math.max(last, up);
      rows++;
    }
    if (rows === 0) ctx.addIssue({ code: 'custom', path: ['up_0'], message: '少なくとも1行入力してください。' });
  })
  .transform((d): ShopSettings['cod'] => {
    const rec = d as Record<string, number | null>;
    const feeTable: { upToYen: number; feeYen: number }[] = [];
    for (let i = 0; i < COD_ROWS; i++) {
      const up = rec[`up_${i}`];
      const fee = rec[`fee_${i}`];
      if (typeof up === 'number' && typeof fee === 'number') feeTable.push({ upToYen: up, feeYen: fee });
    }
    return { feeTable };
  });

const bankSchema = z
  .object({
    bankName: text({ max: 60 }), branchName: text({ max: 60 }),
    accountType: z.enum(ACCOUNT_TYPES, { error: '口座種別を選択してください。' }),
    accountNumber: text({ max: 20 }).transform((v) => nfkc(v).replace(/[\s-]/g, '')).refine((v) => /^\d{7}$/.test(v), '口座番号は7桁の数字で入力してください。'),
    accountHolder: text({ max: 60 }),
    dueDays: field.int(1, 30),
  })
  .strict();

/** 郵便振替 account: 記号（5桁）-（0〜9）- 番号（1〜7桁）, e.g. 00100-0-123456. */
const postalSchema = z
  .object({
    accountNumber: text({ max: 20 })
      .transform((v) => nfkc(v).replace(/[\s‐－−ー]/g, (c) => (/\s/.test(c) ? '' : '-')))
      .refine((v) => /^\d{5}-\d-\d{1,7}$/.test(v), '口座記号番号は「00100-0-123456」の形式で入力してください。'),
    accountHolder: text({ max: 60 }),
    dueDays: field.int(1, 30),
  })
  .strict();

const paymentLinksSchema = z.object({ validDays: field.int(1, 30) }).strict();

/** Bounds: catalog requests never longer than their consent text promises; accounting at least the 7 years tax law asks. */
const privacySchema = z
  .object({
    guestOrderYears: field.int(1, 10),
    withdrawnMonths: field.int(1, 120),
    catalogRequestMonths: field.int(1, CATALOG_RETENTION_MONTHS),
    outboxDays: field.int(7, 3650),
    accountingYears: field.int(7, 10),
    requestDueDays: field.int(1, 30),
  })
  .strict();

const slotsField = z
  .union([z.string(), z.array(z.string())], { error: '時間帯の指定が正しくありません。' })
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
  .refine((v) => v.every((s) => (DELIVERY_SLOTS as readonly string[]).includes(s)), '時間帯の指定が正しくありません。')
  .transform((v) => DELIVERY_SLOTS.filter((s) => v.includes(s)));

const deliverySchema = z
  .object({ minDaysAhead: field.int(0, 60), maxDaysAhead: field.int(1, 365), slots: slotsField })
  .strict()
  .superRefine((d, ctx) => {
    if (d.maxDaysAhead < d.minDaysAhead) ctx.addIssue({ code: 'custom', path: ['maxDaysAhead'], message: '最短日以降の日数にしてください。' });
    if (d.maxDaysAhead - d.minDaysAhead > 90) ctx.addIssue({ code: 'custom', path: ['maxDaysAhead'], message: '指定できる期間は90日以内にしてください。' });
  });

const paymentsSchema = z
  .object({ card: checkbox(), bankTransfer: checkbox(), cod: checkbox() })
  .strict()
  .superRefine((d, ctx) => {
    if (!d.card && !d.bankTransfer && !d.cod) ctx.addIssue({ code: 'custom', path: ['_form'], message: 'お支払い方法を少なくとも1つ有効にしてください。' });
  });

/** Every mail whose text the owner may change, by key. */
export const MAIL_TEMPLATES: Record<string, MailTemplateSpec> = { ...ORDER_MAIL_TEMPLATES, ...CUSTOMER_MAIL_TEMPLATES };

/**
 * Mail templates: plain text with `{{placeholder}}` slots. Only the template's own placeholders may
 * be used, and those it cannot do without (the link in a verification mail, the order number…) must
 * stay. A template left equal to its default (or emptied) is stored as no override.
 */
const mailSchema = z
  .record(z.string().regex(/^[a-z_]+__(subject|body)$/, '想定外の項目が送信されました。'), z.string().max(20_000, '長すぎます。'))
  .transform((fields, ctx) => {
    const overrides: Record<string, { subject: string; body: string }> = {};
    for (const [key, spec] of Object.entries(MAIL_TEMPLATES)) {
      const subject = (fields[`${key}__subject`] ?? '').replace(/\r\n/g, '\n').trim();
      const body = (fields[`${key}__body`] ?? '').replace(/\r\n/g, '\n').trim();
      if (subject === '' && body === '') continue;
      if (subject === '' || /[\r\n]/.test(subject) || subject.length > 200) {
        ctx.addIssue({ code: 'custom', path: [`${key}__subject`], message: '件名は1行・200文字以内で入力してください。' });
        continue;
      }
      let ok = true;
      for (const [name, textValue] of [[`${key}__subject`, subject], [`${key}__body`, body]] as const) {
        const unknown = placeholdersIn(textValue).filter((p) => !spec.placeholders.includes(p));
        if (unknown.length > 0) {
          ctx.addIssue({ code: 'custom', path: [name], message: `使えない差し込み項目があります: ${unknown.map((u) => `{{${u}}}`).join(' ')}` });
          ok = false;
        }
      }
      const used = new Set([...placeholdersIn(subject), ...placeholdersIn(body)]);
      const missing = spec.required.filter((r) => !used.has(r));
      if (missing.length > 0) {
        ctx.addIssue({ code: 'custom', path: [`${key}__body`], message: `次の差し込み項目は省けません: ${missing.map((m) => `{{${m}}}`).join(' ')}` });
        ok = false;
      }
      if (ok && (subject !== spec.subject || body !== spec.body.trim())) overrides[key] = { subject, body };
    }
    return { overrides };
  });

const SCHEMAS: { [K in Section]: z.ZodType<ShopSettings[K]> } = {
  shop: shopSchema,
  legal: legalSchema,
  tax: taxSchema,
  shipping: shippingSchema,
  cod: codSchema,
  bank: bankSchema,
  delivery: deliverySchema,
  payments: paymentsSchema,
  mail: mailSchema,
  postal: postalSchema,
  paymentLinks: paymentLinksSchema,
  privacy: privacySchema,
};

export function isSection(s: unknown): s is Section {
  return typeof s === 'string' && (SECTIONS as readonly string[]).includes(s);
}

/** Validates one section's form into its complete settings value (no partial updates). */
export function parseSection<K extends Section>(section: K, body: unknown): ParseResult<ShopSettings[K]> {
  return parseForm(SCHEMAS[section], body) as ParseResult<ShopSettings[K]>;
}

// ---- the form's values for a section (the inverse of parsing) -----------------------------------

export type FormValues = Record<string, string | undefined>;

export function sectionValues(section: Section, s: ShopSettings): FormValues {
  switch (section) {
    case 'shop':
    case 'legal':
    case 'bank':
    case 'postal':
    case 'paymentLinks':
    case 'privacy':
      return Object.fromEntries(Object.entries(s[section]).map(([k, v]) => [k, String(v)]));
    case 'tax':
      return { rounding: s.tax.rounding };
    case 'shipping': {
      const out: FormValues = { freeFromYen: String(s.shipping.freeFromYen) };
      for (const k of REGION_KEYS) out[`region_${k}`] = String(s.shipping.regionFeesYen[k] ?? '');
      PREFECTURES.forEach((p, i) => {
        const v = s.shipping.prefectureFeesYen[p];
        out[`pref_${i}`] = v === undefined ? '' : String(v);
      });
      return out;
    }
    case 'cod': {
      const out: FormValues = {};
      s.cod.feeTable.forEach((b, i) => {
        out[`up_${i}`] = String(b.upToYen);
        out[`fee_${i}`] = String(b.feeYen);
      });
      return out;
    }
    case 'delivery':
      return { minDaysAhead: String(s.delivery.minDaysAhead), maxDaysAhead: String(s.delivery.maxDaysAhead), slots: s.delivery.slots.join('\n') };
    case 'payments':
      return { card: s.payments.card ? '1' : undefined, bankTransfer: s.payments.bankTransfer ? '1' : undefined, cod: s.payments.cod ? '1' : undefined };
    case 'mail': {
      const out: FormValues = {};
      for (const [key, spec] of Object.entries(MAIL_TEMPLATES)) {
        const t = s.mail.overrides[key] ?? { subject: spec.subject, body: spec.body };
        out[`${key}__subject`] = t.subject;
        out[`${key}__body`] = t.body;
      }
      return out;
    }
  }
}

// ---- changing a section: audit and owner notice ---------------------------------------------------

export type Changes = Record<string, { before: unknown; after: unknown }>;

/** The keys whose value changed, with before and after (long text shortened). */
export function changedKeys(before: object, after: object): Changes {
  const out: Changes = {};
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const brief = (v: unknown) => (typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}…（${v.length}文字）` : v);
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (JSON.stringify(b[key]) !== JSON.stringify(a[key])) out[key] = { before: brief(b[key]), after: brief(a[key]) };
  }
  return out;
}

function show(v: unknown): string {
  if (typeof v === 'boolean') return v ? '有効' : '無効';
  if (v === undefined || v === null || v === '') return '（なし）';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function describeChanges(changes: Changes): string[] {
  return Object.entries(changes).map(([k, c]) => `${KEY_LABELS[k] ?? k}: ${show(c.before)} → ${show(c.after)}`);
}

/**
 * Changes one settings section as a whole: writes it, appends the audit entry with before/after of
 * the changed keys and — for payment and bank settings — queues a notice to every active owner in
 * the same transaction as the audit entry.
 */
export class SettingsAdminService {
  constructor(
    private readonly db: Db,
    private readonly settings: SettingsService,
    private readonly audit: AuditLog,
  ) {}

  async update<K extends Section>(actor: string, section: K, value: ShopSettings[K]): Promise<Changes> {
    // Read past the cache: "before" is what is stored now, whichever process wrote it.
    const before = (await new SettingsService(this.db, 0).get())[section];
    const changes = changedKeys(before, value);
    if (Object.keys(changes).length === 0) return changes;
    const shopName = (await this.settings.get()).shop.name;
    await this.db.transaction().execute(async (trx) => {
      // The change, its audit entry (and with it the settings fingerprint) and the owners' mail: one transaction.
      await this.settings.set(section, value, trx);
      const entry = await this.audit.append({ actor, action: 'settings.update', target: section, detail: { changes } }, trx);
      if (!NOTIFY_OWNERS.includes(section)) return;
      const owners = await trx.selectFrom('staff').select(['id', 'email', 'name']).where('role', '=', 'owner').where('status', '=', 'active').execute();
      const at = formatInstantJa(nowIso());
      for (const owner of owners) {
        await enqueueMail(trx, {
          dedupeKey: `settings:${entry.id}:${owner.id}`,
          kind: 'admin_settings_changed',
          to: owner.email,
          subject: `【${shopName}】${SECTION_LABELS[section]}の設定が変更されました`,
          text: [
            `${owner.name} 様`,
            '',
            `${shopName} の管理画面で、${SECTION_LABELS[section]}の設定が変更されました。`,
            '',
            `変更者: ${actor}`,
            `日時: ${at}`,
            '変更内容:',
            ...describeChanges(changes).map((l) => `  - ${l}`),
            '',
            '身に覚えのない変更の場合は、直ちに管理画面で設定を元に戻し、スタッフのアカウントと監査ログを確認してください。',
            `監査ログ番号: ${entry.seq}`,
          ].join('\n'),
        });
      }
    });
    return changes;
  }
}

