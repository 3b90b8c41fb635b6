import type { MigrationDb, Migrations } from '../db/migrate.js';

/**
 * Tables of the order back office (issue #4): staff-only notes, shipments with tracking numbers,
 * and bank-transfer receipts. Listed in src/db/migrate.ts after the admin migrations.
 */
export const migrations: Migrations = {
  '0082_order_admin': {
    async up(db: MigrationDb) {
      await db.schema
        .createTable('order_notes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('order_notes_order_idx').on('order_notes').columns(['order_id', 'at']).execute();
      await db.schema
        .createTable('order_shipments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
        .addColumn('carrier', 'text', (c) => c.notNull())
        .addColumn('tracking_number', 'text', (c) => c.notNull())
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .addColumn('recorded_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('order_shipments_order_idx').on('order_shipments').columns(['order_id', 'recorded_at']).execute();
      await db.schema
        .createTable('bank_transfer_receipts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        // One confirmation per order: a second click or a second tab cannot record it twice.
        .addColumn('order_id', 'text', (c) => c.notNull().unique().references('orders.id'))
        .addColumn('amount_yen', 'integer', (c) => c.notNull())
        .addColumn('received_on', 'text', (c) => c.notNull())
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .addColumn('recorded_by', 'text', (c) => c.notNull())
        .execute();
    },
  },
};
