import type { CartItemTable, CartTable } from '../cart/tables.js';
import type { CategoryTable, ProductImageTable, ProductTable, VariantTable } from '../catalog/tables.js';
import type { OrderEventTable, OrderLineTable, OrderTable } from '../checkout/tables.js';
import type { BankTransferReceiptTable, OrderNoteTable, OrderShipmentTable } from '../checkout/admin-service.js';
import type { CustomerAddressTable, CustomerTable, CustomerTokenTable, SessionTable } from '../customers/tables.js';
import type { OutboxTable } from '../notify/tables.js';
import type { CspReportTable, IntegrityAlertSourceTable, IntegrityFingerprintTable } from '../integrity/tables.js';
import type { CardPaymentSwitchTable, PaymentEventTable, PaymentTable } from '../payments/tables.js';
import type { PaymentLinkTable } from '../payments/tables.js';
import type { AlertTable } from '../alerts/tables.js';
import type { AuditLogTable, StaffLoginTable, StaffSessionTable, StaffTable } from '../admin/tables.js';
import type { SettingTable } from '../settings/tables.js';
import type { LeaseTable, RateLimitTable } from '../shared/tables.js';

/** The whole database as Kysely sees it; each domain folder owns the tables it declares. */
export interface Database {
  rate_limits: RateLimitTable;
  leases: LeaseTable;
  settings: SettingTable;
  categories: CategoryTable;
  products: ProductTable;
  product_images: ProductImageTable;
  variants: VariantTable;
  customers: CustomerTable;
  customer_addresses: CustomerAddressTable;
  sessions: SessionTable;
  customer_tokens: CustomerTokenTable;
  carts: CartTable;
  cart_items: CartItemTable;
  orders: OrderTable;
  order_lines: OrderLineTable;
  order_events: OrderEventTable;
  payments: PaymentTable;
  payment_events: PaymentEventTable;
  outbox: OutboxTable;
  card_payment_switch: CardPaymentSwitchTable;
  alerts: AlertTable;
  staff: StaffTable;
  staff_sessions: StaffSessionTable;
  staff_logins: StaffLoginTable;
  audit_log: AuditLogTable;
  order_notes: OrderNoteTable;
  order_shipments: OrderShipmentTable;
  bank_transfer_receipts: BankTransferReceiptTable;
  integrity_fingerprints: IntegrityFingerprintTable;
  csp_reports: CspReportTable;
  integrity_alert_sources: IntegrityAlertSourceTable;
  payment_links: PaymentLinkTable;
}
