import type { IsoDate } from './deadlines.js';

/**
 * What an incident record holds: the facts the PPC report (施行規則第8条第1項), the public notice
 * and the per-person notices are drafted from. Stored by the incidents service; the drafting
 * functions are pure and take this shape.
 */
export type KnownVia = 'police' | 'card_company' | 'payment_provider' | 'own_alert' | 'customer' | 'other';

export const KNOWN_VIA_JA: Record<KnownVia, string> = {
  police: '警察からの連絡',
  card_company: 'クレジットカード会社からの連絡',
  payment_provider: '決済代行会社からの連絡',
  own_alert: '当社の監視システムの警報',
  customer: 'お客様からのお問い合わせ',
  other: 'その他',
};

export type TimelineKind =
  | 'known'
  | 'card_payments_suspended'
  | 'forensics_started'
  | 'forensics_finished'
  | 'police_report'
  | 'ppc_preliminary'
  | 'ppc_final'
  | 'notices_started'
  | 'public_notice'
  | 'card_payments_resumed'
  | 'other';

export const TIMELINE_JA: Record<TimelineKind, string> = {
  known: '事態の把握',
  card_payments_suspended: 'クレジットカード決済の停止',
  forensics_started: '第三者調査機関による調査開始',
  forensics_finished: '第三者調査機関による調査完了',
  police_report: '警察への被害申告',
  ppc_preliminary: '個人情報保護委員会への速報',
  ppc_final: '個人情報保護委員会への確報',
  notices_started: 'ご本人への通知開始',
  public_notice: '公表',
  card_payments_resumed: 'クレジットカード決済の再開',
  other: 'その他',
};

export interface TimelineEvent {
  on: IsoDate;
  kind: TimelineKind;
  note: string;
}

export interface DateWindow {
  from: IsoDate;
  to: IsoDate;
}

/** The report cases of 施行規則第7条 that apply (one is enough to make the report mandatory). */
export interface ReportCases {
  /** 1号: 要配慮個人情報. A shop's order data normally holds none. */
  sensitive: boolean;
  /** 2号: 不正に利用されることにより財産的被害が生じるおそれ (card data). */
  financialDamage: boolean;
  /** 3号: 不正の目的をもって行われたおそれ (an attack; includes data acquired through the shop's forms). */
  unlawfulPurpose: boolean;
  /** 4号: 本人の数が1,000人を超える (computed from the scope). */
  over1000: boolean;
}

export interface ShopFacts {
  company: string;
  shopName: string;
  representative: string;
  postalCode: string;
  address: string;
  phone: string;
  email: string;
  hours: string;
  url: string;
}

export interface IncidentFacts {
  number: string;
  title: string;
  knownOn: IsoDate;
  knownVia: KnownVia;
  knownDetail: string;
  cause: string;
  cases: ReportCases;
  windows: { card: DateWindow | null; personal: DateWindow | null };
  timeline: TimelineEvent[];
  /** 二次被害又はそのおそれの有無及びその内容. */
  secondaryDamage: string;
  /** 再発防止のための措置. */
  measures: string;
  /** The shop asked the card companies to reissue cards without charge. */
  cardReissueFree: boolean;
  /** その他参考となる事項. */
  otherNotes: string;
}

/** The counts of a saved scope snapshot (the `incident scope --json` contract). */
export interface ScopeCounts {
  snapshot: number | null;
  card: { persons: number; payments: number };
  personal: { persons: number };
  recipients: { persons: number };
  total: { persons: number };
}

/** Per-channel progress of the notices to the people affected. */
export interface NoticeProgress {
  emailSent: number;
  emailQueued: number;
  bounced: number;
  lettersGenerated: number;
  lettersPosted: number;
}
