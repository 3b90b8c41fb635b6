import { sql } from 'kysely';
import type { MigrationDb, Migrations } from '../db/migrate.js';

export const migrations: Migrations = {
  '0010_catalog': {
    async up(db: MigrationDb) {
      await db.schema
        .createTable('categories')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('name_ja', 'text', (c) => c.notNull())
        .addColumn('name_en', 'text', (c) => c.notNull())
        .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('products')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('category_id', 'text', (c) => c.notNull().references('categories.id'))
        .addColumn('name_ja', 'text', (c) => c.notNull())
        .addColumn('name_en', 'text', (c) => c.notNull())
        .addColumn('description_md', 'text', (c) => c.notNull())
        .addColumn('description_md_en', 'text')
        .addColumn('tax_rate', 'integer', (c) => c.notNull().check(sql`tax_rate in (8, 10)`))
        .addColumn('published', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('search_text', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('products_category_idx').on('products').columns(['category_id', 'published']).execute();
      await db.schema
        .createTable('product_images')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
        .addColumn('file', 'text', (c) => c.notNull())
        .addColumn('alt_ja', 'text', (c) => c.notNull())
        .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('product_images_product_idx').on('product_images').column('product_id').execute();
      await db.schema
        .createTable('variants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
        .addColumn('sku', 'text', (c) => c.notNull().unique())
        .addColumn('name_ja', 'text', (c) => c.notNull())
        .addColumn('name_en', 'text', (c) => c.notNull())
        .addColumn('price_yen', 'integer', (c) => c.notNull().check(sql`price_yen >= 0`))
        .addColumn('stock', 'integer', (c) => c.notNull().check(sql`stock >= 0`))
        .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema.createIndex('variants_product_idx').on('variants').column('product_id').execute();
    },
  },
};
