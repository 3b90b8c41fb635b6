import type { MigrationDb, Migrations } from '../db/migrate.js';

export const migrations: Migrations = {
  '0030_cart': {
    async up(db: MigrationDb) {
      await db.schema
        .createTable('carts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('carts_customer_idx').on('carts').column('customer_id').execute();
      await db.schema
        .createTable('cart_items')
        .addColumn('cart_id', 'text', (c) => c.notNull().references('carts.id').onDelete('cascade'))
        .addColumn('variant_id', 'text', (c) => c.notNull().references('variants.id'))
        .addColumn('quantity', 'integer', (c) => c.notNull())
        .addColumn('added_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('cart_items_pk', ['cart_id', 'variant_id'])
        .execute();
    },
  },
};
