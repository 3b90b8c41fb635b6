export type CustomerStatus = 'unverified' | 'active' | 'withdrawn';
export interface CustomerTable {
  id: string;
  email: string;
  /** NFKC, trimmed, lower-cased e-mail: the identity used for login and uniqueness. */
  email_norm: string;
  password_hash: string;
  name: string;
  name_kana: string;
  postal_code: string;
  prefecture: string;
  address1: string;
  address2: string | null;
  phone: string;
  fax: string | null;
  status: CustomerStatus;
  email_verified_at: string | null;
  created_at: string;
  /** Last time the customer changed their own data. */
  updated_at: string;
  withdrawn_at: string | null;
  /** Identity keys (src/shared/identity.ts), for incident scoping. */
  email_key: string | null;
  phone_key: string | null;
  name_key: string | null;
  postal_key: string | null;
  /** 'shop' (registered here) or 'import' (history import); `external_id` is the id in the imported history. */
  source: string;
  external_id: string | null;
}
export interface CustomerAddressTable {
  id: string;
  customer_id: string;
  name: string;
  name_kana: string | null;
  postal_code: string;
  prefecture: string;
  address1: string;
  address2: string | null;
  phone: string;
  created_at: string;
}
export interface SessionTable {
  /** SHA-256 of the cookie token; the token itself is never stored. */
  token_hash: string;
  customer_id: string | null;
  cart_id: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}
export type CustomerTokenPurpose = 'verify_email' | 'reset_password' | 'change_email';
export interface CustomerTokenTable {
  token_hash: string;
  customer_id: string;
  purpose: CustomerTokenPurpose;
  new_email: string | null;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}
