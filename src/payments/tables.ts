export type PaymentStatus =
  | 'created' | 'pending' | 'authorized' | 'paid' | 'failed' | 'cancelled' | 'expired' | 'refunded' | 'partially_refunded';

/** What Mamori keeps about a card payment: references, brand, last 4 and the 3-D Secure outcome — never more. */
export interface PaymentTable {
  id: string;
  order_id: string;
  provider: string;
  provider_payment_id: string | null;
  idempotency_key: string;
  status: PaymentStatus;
  amount_yen: number;
  refunded_yen: number;
  brand: string | null;
  last4: string | null;
  three_ds: string | null;
  failure_code: string | null;
  redirect_url: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
  /** Who started the attempt, for card-testing limits: keyed hashes, never the raw IP or e-mail. */
  client_ip_hash: string | null;
  session_hash: string | null;
  email_hash: string | null;
}
export interface PaymentEventTable {
  id: string;
  payment_id: string;
  at: string;
  source: string;
  type: string;
  status_from: string | null;
  status_to: string | null;
  /** The provider's event id: a replayed webhook hits the unique index and is ignored. */
  provider_event_id: string | null;
  detail: string | null;
}

export interface CardPaymentSwitchTable {
  id: string;
  at: string;
  state: 'enabled' | 'suspended';
  actor: string;
  reason: string;
}

/**
 * A payment link for a card order entered by staff (phone, FAX, postcard): the buyer opens
 * `/pay/<token>` and pays on the provider's page. Single use (closed once the order is paid),
 * expiring, revoked when a new one is issued. The token itself is never stored.
 */
export interface PaymentLinkTable {
  id: string;
  order_id: string;
  token_hash: string;
  created_at: string;
  /** `staff:<email>` */
  created_by: string;
  expires_at: string;
  revoked_at: string | null;
  /** First time the buyer opened it. */
  opened_at: string | null;
  /** When the order it pays turned paid. */
  used_at: string | null;
}
