export type OutboxStatus = 'pending' | 'sent' | 'failed';
export interface OutboxTable {
  id: string;
  /** e.g. `order-confirmation:<orderId>`: the same mail is never queued twice. */
  dedupe_key: string;
  kind: string;
  to_address: string;
  subject: string;
  body_text: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  locked_by: string | null;
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}
