import type { MigrationDb, Migrations } from '../db/migrate.js';

export const migrations: Migrations = {
  '0040_orders': {
    async up(db: MigrationDb) {
      let t = db.schema
        .createTable('orders')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('order_number', 'text', (c) => c.notNull().unique())
        .addColumn('checkout_token', 'text', (c) => c.notNull().unique())
        .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
        .addColumn('channel', 'text', (c) => c.notNull().defaultTo('web'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('payment_method', 'text', (c) => c.notNull())
        .addColumn('payment_status', 'text', (c) => c.notNull());
      for (const col of ['orderer_name', 'orderer_phone', 'orderer_postal_code', 'orderer_prefecture', 'orderer_address1']) {
        t = t.addColumn(col, 'text', (c) => c.notNull());
      }
      for (const col of ['orderer_kana', 'orderer_email', 'orderer_fax', 'orderer_address2']) t = t.addColumn(col, 'text');
      t = t.addColumn('ship_to_orderer', 'integer', (c) => c.notNull());
      for (const col of [
        'shipping_name', 'shipping_kana', 'shipping_phone', 'shipping_postal_code', 'shipping_prefecture',
        'shipping_address1', 'shipping_address2', 'delivery_date', 'delivery_slot', 'note',
      ]) {
        t = t.addColumn(col, 'text');
      }
      for (const col of [
        'items_total_yen', 'shipping_fee_yen', 'cod_fee_yen', 'total_yen',
        'taxable_8_yen', 'tax_8_yen', 'taxable_10_yen', 'tax_10_yen',
      ]) {
        t = t.addColumn(col, 'integer', (c) => c.notNull());
      }
      await t
        .addColumn('rounding', 'text', (c) => c.notNull())
        .addColumn('lang', 'text', (c) => c.notNull())
        .addColumn('access_token_hash', 'text', (c) => c.notNull())
        .addColumn('stock_released', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('placed_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('orders_customer_idx').on('orders').columns(['customer_id', 'placed_at']).execute();
      await db.schema.createIndex('orders_placed_idx').on('orders').column('placed_at').execute();
      await db.schema
        .createTable('order_lines')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
        .addColumn('line_no', 'integer', (c) => c.notNull())
        .addColumn('variant_id', 'text')
        .addColumn('sku', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('unit_price_yen', 'integer', (c) => c.notNull())
        .addColumn('quantity', 'integer', (c) => c.notNull())
        .addColumn('tax_rate', 'integer', (c) => c.notNull())
        .addColumn('line_total_yen', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('order_lines_order_idx').on('order_lines').column('order_id').execute();
      await db.schema
        .createTable('order_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('order_events_order_idx').on('order_events').columns(['order_id', 'at']).execute();
    },
  },
  '0100_order_entered_by': {
    async up(db: MigrationDb) {
      // Orders entered by staff (issue #9) record who entered them; the channel column exists since 0040.
      await db.schema.alterTable('orders').addColumn('entered_by', 'text').execute();
      await db.schema.createIndex('orders_channel_idx').on('orders').columns(['channel', 'placed_at']).execute();
    },
  },
  // Issue #5, Layer 3: orders placed by the external monitor are marked, and left out of sales.
  '0130_orders_monitor': {
    async up(db: MigrationDb) {
      await db.schema.alterTable('orders').addColumn('is_monitor', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
};
