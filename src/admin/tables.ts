export type StaffRole = 'owner' | 'staff' | 'security';
export type StaffStatus = 'invited' | 'active' | 'disabled';

export interface StaffTable {
  id: string;
  email: string;
  email_norm: string;
  name: string;
  role: StaffRole;
  status: StaffStatus;
  /** Argon2id; empty until the invitation is accepted. */
  password_hash: string;
  /** Base32 TOTP secret; null until enrolled. */
  totp_secret: string | null;
  totp_enabled_at: string | null;
  /** JSON array of SHA-256 hashes of unused recovery codes. */
  recovery_codes: string;
  failed_attempts: number;
  locked_until: string | null;
  /** One-time setup link (invitation, 2FA reset): hash only, expiring. */
  setup_token_hash: string | null;
  setup_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface StaffSessionTable {
  token_hash: string;
  staff_id: string;
  /** 1 once the second factor was passed in this session. */
  mfa_passed: number;
  ip: string;
  user_agent: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface StaffLoginTable {
  id: string;
  staff_id: string | null;
  at: string;
  ip: string;
  user_agent: string;
  /** password_ok, password_bad, totp_ok, totp_bad, recovery_used, locked, unknown_email … */
  outcome: string;
}

/** Append-only, hash-chained: each entry's hash covers the previous entry's hash. */
export interface AuditLogTable {
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  /** JSON */
  detail: string | null;
  prev_hash: string;
  hash: string;
}
