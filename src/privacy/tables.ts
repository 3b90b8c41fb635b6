/**
 * A record of personal data given to another company (第三者提供記録, APPI 29条): which orders,
 * which items, to whom, when, by whom. Carriers delivering for the shop are usually 委託先 (27条5項1号),
 * so the record is kept for accountability rather than because the law requires it.
 */
export interface PrivacyProvisionTable {
  id: string;
  at: string;
  /** `staff:<email>` or `cli:<user>`. */
  actor: string;
  /** e.g. 'ヤマト運輸株式会社'. */
  recipient: string;
  /** e.g. 'yamato_b2'. */
  format: string;
  purpose: string;
  /** JSON array of the data items given (field names in Japanese). */
  items: string;
  /** JSON array of order numbers. */
  order_numbers: string;
  order_count: number;
}

export type PrivacyRequestKind = 'disclosure' | 'correction' | 'suspension' | 'deletion';
export type PrivacyRequestStatus = 'open' | 'done' | 'rejected';

/**
 * A request from a person about their data (APPI 33条 開示, 34条 訂正等, 35条 利用停止等・消去),
 * tracked from receipt to answer: the law asks for 遅滞なく, the shop's setting gives the due date.
 * The person is identified by member id and/or the identity keys of the e-mail and phone given.
 */
export interface PrivacyRequestTable {
  id: string;
  kind: PrivacyRequestKind;
  status: PrivacyRequestStatus;
  customer_id: string | null;
  email_key: string | null;
  phone_key: string | null;
  /** What was asked and how identity was checked (staff's words). */
  detail: string;
  received_on: string;
  due_on: string;
  created_at: string;
  created_by: string;
  handled_at: string | null;
  handled_by: string | null;
  /** What was done, or why it was refused. */
  outcome: string | null;
}

/** 利用停止: a person whose data may no longer be used for marketing or catalog mailings. */
export interface PrivacySuspensionTable {
  id: string;
  customer_id: string | null;
  email_key: string | null;
  phone_key: string | null;
  request_id: string;
  since: string;
}
