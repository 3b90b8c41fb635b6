import type { MigrationDb, Migrations } from '../db/migrate.js';

export const migrations: Migrations = {
  '0170_privacy_provisions': {
    async up(db: MigrationDb) {
      await db.schema
        .createTable('privacy_provisions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('items', 'text', (c) => c.notNull())
        .addColumn('order_numbers', 'text', (c) => c.notNull())
        .addColumn('order_count', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('privacy_provisions_at').on('privacy_provisions').column('at').execute();
    },
  },
};
