import type { MigrationDb, Migrations } from '../db/migrate.js';

export const migrations: Migrations = {
  '0050_payments': {
    async up(db: MigrationDb) {
      await db.schema
        .createTable('payments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('provider_payment_id', 'text', (c) => c.unique())
        .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('amount_yen', 'integer', (c) => c.notNull())
        .addColumn('refunded_yen', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('brand', 'text')
        .addColumn('last4', 'text')
        .addColumn('three_ds', 'text')
        .addColumn('failure_code', 'text')
        .addColumn('redirect_url', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('payments_order_idx').on('payments').column('order_id').execute();
      await db.schema.createIndex('payments_status_idx').on('payments').columns(['status', 'updated_at']).execute();
      await db.schema
        .createTable('payment_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.id'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('status_from', 'text')
        .addColumn('status_to', 'text')
        .addColumn('provider_event_id', 'text', (c) => c.unique())
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('payment_events_payment_idx').on('payment_events').column('payment_id').execute();
    },
  },
  '0051_payments_kill_switch_and_limits': {
    async up(db: MigrationDb) {
      await db.schema
        .createTable('card_payment_switch')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('card_payment_switch_at_idx').on('card_payment_switch').column('at').execute();
      await db.schema.alterTable('payments').addColumn('client_ip_hash', 'text').execute();
      await db.schema.alterTable('payments').addColumn('session_hash', 'text').execute();
      await db.schema.alterTable('payments').addColumn('email_hash', 'text').execute();
      await db.schema.createIndex('payments_ip_idx').on('payments').columns(['client_ip_hash', 'created_at']).execute();
      await db.schema.createIndex('payments_session_idx').on('payments').columns(['session_hash', 'created_at']).execute();
      await db.schema.createIndex('payments_email_idx').on('payments').columns(['email_hash', 'created_at']).execute();
    },
  },
  '0101_payment_links': {
    async up(db: MigrationDb) {
      // Payment links for card orders entered by staff: only the SHA-256 of the token is kept.
      await db.schema
        .createTable('payment_links')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('opened_at', 'text')
        .addColumn('used_at', 'text')
        .execute();
      await db.schema.createIndex('payment_links_order_idx').on('payment_links').columns(['order_id', 'created_at']).execute();
    },
  },
};
