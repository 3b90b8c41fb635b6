export type AlertSeverity = 'info' | 'warning' | 'critical';
export interface AlertTable {
  id: string;
  severity: AlertSeverity;
  kind: string;
  message: string;
  /** JSON: what was seen (never card data, never secrets). */
  evidence: string | null;
  /** Same key while open → the same alert, counted, not a new one. */
  dedupe_key: string;
  status: 'open' | 'resolved';
  count: number;
  first_seen_at: string;
  last_seen_at: string;
  resolved_at: string | null;
  resolved_by: string | null;
}
