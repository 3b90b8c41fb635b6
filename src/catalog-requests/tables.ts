export type CatalogRequestStatus = 'new' | 'sent';

/**
 * A paper catalog requested on the storefront (カタログ請求). Personal data: it counts for retention
 * and incident scoping like a customer, registered at `created_at` (the request time).
 */
export interface CatalogRequestTable {
  id: string;
  name: string;
  kana: string | null;
  postal_code: string;
  prefecture: string;
  address1: string;
  address2: string | null;
  email: string | null;
  phone: string | null;
  /** Which consent text the requester accepted (CONSENT_VERSION in service.ts). */
  consent_version: string;
  lang: string;
  status: CatalogRequestStatus;
  /** When staff marked the catalog as posted, and who. */
  sent_at: string | null;
  sent_by: string | null;
  /** web (the storefront form), or how staff took it: phone, fax, postcard, other. */
  channel: string;
  /** The staff member who typed it in (null for the storefront form). */
  entered_by: string | null;
  created_at: string;
}
