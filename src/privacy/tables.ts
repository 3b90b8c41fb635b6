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
