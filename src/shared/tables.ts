export interface RateLimitTable {
  key: string;
  window_start: string;
  count: number;
}
export interface LeaseTable {
  name: string;
  holder: string;
  expires_at: string;
}
