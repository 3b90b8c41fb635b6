import type { Prefecture } from '../shared/jp.js';

export type TaxRounding = 'floor' | 'round' | 'ceil';

export interface ShopSettings {
  shop: {
    name: string;
    nameEn: string;
    company: string;
    representative: string;
    postalCode: string;
    address: string;
    phone: string;
    /** FAX number for paper orders (注文用紙, reply sheets); '' when the shop takes no FAX. */
    fax: string;
    email: string;
    hours: string;
    /** 適格請求書発行事業者登録番号: T + 13 digits. */
    invoiceRegistrationNumber: string;
  };
  tax: { rounding: TaxRounding };
  shipping: {
    /** Fee per region in yen (tax-inclusive, 10%). */
    regionFeesYen: Record<string, number>;
    /** Per-prefecture override of the region fee. */
    prefectureFeesYen: Partial<Record<Prefecture, number>>;
    /** Items total (tax-inclusive) from which shipping is free; 0 = never. */
    freeFromYen: number;
  };
  cod: {
    /** Fee by amount collected (items + shipping), ascending `upToYen`; above the last bracket COD is not offered. */
    feeTable: { upToYen: number; feeYen: number }[];
  };
  bank: { bankName: string; branchName: string; accountType: string; accountNumber: string; accountHolder: string; dueDays: number };
  /** 郵便振替 (postal transfer) account, offered on orders entered by staff; shown in the order mail like the bank account. */
  postal: { accountNumber: string; accountHolder: string; dueDays: number };
  /** Payment links for card orders entered by staff (phone, FAX, postcard). */
  paymentLinks: { validDays: number };
  delivery: { minDaysAhead: number; maxDaysAhead: number; slots: string[] };
  payments: { card: boolean; bankTransfer: boolean; cod: boolean };
  legal: { returns: string; privacyContact: string; terms: string; privacyPolicy: string; extraTokushoho: string };
  /** The owner's versions of mail templates, by template key; a template not here uses its default. */
  mail: { overrides: Record<string, MailTemplateText> };
  /** Retention of personal data and the APPI request time limit (docs/privacy.md gives the reasons). */
  privacy: PrivacySettings;
}

/** How long personal data is kept (src/privacy/retention.ts applies it daily). */
export interface PrivacySettings {
  /** Guest orders: names, addresses, phone, e-mail, note anonymised this many years after the order is complete. */
  guestOrderYears: number;
  /** Withdrawn members: their data (and their completed orders') anonymised this many months after withdrawal. */
  withdrawnMonths: number;
  /** Catalog requests deleted this many months after the request (the consent text promises at most 24). */
  catalogRequestMonths: number;
  /** Bodies and addresses of sent mails erased this many days after sending. */
  outboxDays: number;
  /** Accounting figures (totals, tax per rate, lines) are kept at least this many years (法人税法: 7), without names. */
  accountingYears: number;
  /** APPI requests (開示・訂正・利用停止・削除) are due this many days after receipt (「遅滞なく」). */
  requestDueDays: number;
}

/** A mail template: plain text with `{{placeholder}}` slots, never an executable template. */
export interface MailTemplateText {
  subject: string;
  body: string;
}

export const DELIVERY_SLOTS = ['午前中', '14-16', '16-18', '18-20', '19-21'] as const;

/** The demo shop's settings. The owner changes them in the admin console (issue #4). */
export const DEFAULT_SETTINGS: ShopSettings = {
  shop: {
    name: 'まもり茶舗',
    nameEn: 'Mamori Tea House',
    company: '株式会社まもり（デモ）',
    representative: '守 太郎',
    postalCode: '100-0001',
    address: '東京都千代田区千代田1-1 まもりビル2階',
    phone: '03-0000-0000',
    fax: '03-0000-0001',
    email: 'support@example.jp',
    hours: '平日 10:00〜17:00（土日祝・年末年始を除く）',
    invoiceRegistrationNumber: 'T1234567890123',
  },
  tax: { rounding: 'floor' },
  shipping: {
    regionFeesYen: {
      hokkaido: 1210, tohoku: 935, kanto: 825, chubu: 825, kinki: 880, chugoku_shikoku: 990, kyushu: 1100, okinawa: 1650,
    },
    prefectureFeesYen: {},
    freeFromYen: 11000,
  },
  cod: {
    feeTable: [
      { upToYen: 10000, feeYen: 330 },
      { upToYen: 30000, feeYen: 440 },
      { upToYen: 100000, feeYen: 660 },
      { upToYen: 300000, feeYen: 1100 },
    ],
  },
  bank: {
    bankName: 'みずほ銀行（デモ）',
    branchName: '丸の内支店',
    accountType: '普通',
    accountNumber: '1234567',
    accountHolder: 'カ）マモリ',
    dueDays: 7,
  },
  postal: { accountNumber: '00100-0-123456', accountHolder: 'カ）マモリ', dueDays: 7 },
  paymentLinks: { validDays: 7 },
  delivery: { minDaysAhead: 3, maxDaysAhead: 30, slots: [...DELIVERY_SLOTS] },
  payments: { card: true, bankTransfer: true, cod: true },
  legal: {
    returns:
      '商品到着後8日以内にご連絡ください。食品の性質上、お客様都合による返品はお受けできません。不良品・誤配送の場合は送料当社負担で交換いたします。',
    privacyContact: '個人情報保護管理者: 守 太郎（support@example.jp）',
    terms:
      '本規約は、まもり茶舗（以下「当店」）が提供する通信販売サービスの利用条件を定めるものです。ご注文の確定をもって本規約に同意いただいたものとみなします。',
    privacyPolicy:
      '当店は、ご注文の処理、商品の発送、お問い合わせへの対応のためにお客様の個人情報を利用します。クレジットカード番号は当店のサーバーを経由せず、決済代行会社の画面で直接入力され、当店は保持しません。配送のため、配送業者にお名前・ご住所・電話番号を提供します。',
    extraTokushoho: '',
  },
  mail: { overrides: {} },
  privacy: { guestOrderYears: 2, withdrawnMonths: 18, catalogRequestMonths: 24, outboxDays: 90, accountingYears: 7, requestDueDays: 14 },
};
