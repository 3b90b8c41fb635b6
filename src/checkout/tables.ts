export type OrderStatus = 'pending_payment' | 'new' | 'paid' | 'preparing' | 'shipped' | 'delivered' | 'cancelled';
/** `postal_transfer` (郵便振替) is offered on orders entered by staff (phone, FAX, postcard). */
export type PaymentMethod = 'card' | 'bank_transfer' | 'cod' | 'postal_transfer';
export type OrderPaymentStatus = 'pending' | 'paid' | 'failed' | 'refunded' | 'cancelled';
export type OrderChannel = 'web' | 'phone' | 'fax' | 'postcard' | 'other';

export interface OrderTable {
  id: string;
  /** Shown to people; random, never sequential. */
  order_number: string;
  /** Unique per submitted confirmation form: a double-click or refresh finds the same order. */
  checkout_token: string;
  customer_id: string | null;
  channel: OrderChannel;
  status: OrderStatus;
  payment_method: PaymentMethod;
  payment_status: OrderPaymentStatus;
  orderer_name: string;
  orderer_kana: string | null;
  orderer_email: string | null;
  orderer_phone: string;
  orderer_fax: string | null;
  orderer_postal_code: string;
  orderer_prefecture: string;
  orderer_address1: string;
  orderer_address2: string | null;
  /** 1 when the goods go to the orderer's own address (shipping_* are then null). */
  ship_to_orderer: number;
  shipping_name: string | null;
  shipping_kana: string | null;
  shipping_phone: string | null;
  shipping_postal_code: string | null;
  shipping_prefecture: string | null;
  shipping_address1: string | null;
  shipping_address2: string | null;
  delivery_date: string | null;
  delivery_slot: string | null;
  note: string | null;
  items_total_yen: number;
  shipping_fee_yen: number;
  cod_fee_yen: number;
  total_yen: number;
  /** Tax-inclusive amount subject to 8% and the tax contained in it. */
  taxable_8_yen: number;
  tax_8_yen: number;
  taxable_10_yen: number;
  tax_10_yen: number;
  rounding: string;
  lang: string;
  /** SHA-256 of the token in the guest's order link (thank-you page, receipt). */
  access_token_hash: string;
  /** 1 once the reserved stock was given back (payment failed, expired or order cancelled). */
  stock_released: number;
  /** Staff id of whoever entered the order in the admin console (phone, FAX, postcard); null for web orders. */
  entered_by: string | null;
  /** 1 for an order the external monitor placed (never paid, never shipped, not a sale). */
  is_monitor?: number;
  placed_at: string;
  updated_at: string;
  /** Identity keys (src/shared/identity.ts), for incident scoping; shipping_* null when it ships to the orderer. */
  orderer_email_key: string | null;
  orderer_phone_key: string | null;
  orderer_name_key: string | null;
  orderer_postal_key: string | null;
  shipping_name_key: string | null;
  shipping_phone_key: string | null;
  shipping_postal_key: string | null;
  /** Scoping keys (src/shared/identity.ts `orderScopeKeys`), stored at write time. */
  orderer_key: string | null;
  recipient_key: string | null;
  /** 'shop' (placed here) or 'import' (history import: order_number is the id in the imported history). */
  source: string;
}
export interface OrderLineTable {
  id: string;
  order_id: string;
  line_no: number;
  variant_id: string | null;
  sku: string;
  name: string;
  /** Tax-inclusive unit price in yen. */
  unit_price_yen: number;
  quantity: number;
  tax_rate: number;
  line_total_yen: number;
}
export interface OrderEventTable {
  id: string;
  order_id: string;
  at: string;
  type: string;
  detail: string | null;
}
