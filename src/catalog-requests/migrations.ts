import type { MigrationDb, Migrations } from '../db/migrate.js';

export const migrations: Migrations = {
  '0110_catalog_requests': {
    async up(db: MigrationDb) {
      await db.schema
        .createTable('catalog_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kana', 'text')
        .addColumn('postal_code', 'text', (c) => c.notNull())
        .addColumn('prefecture', 'text', (c) => c.notNull())
        .addColumn('address1', 'text', (c) => c.notNull())
        .addColumn('address2', 'text')
        .addColumn('email', 'text')
        .addColumn('phone', 'text')
        .addColumn('consent_version', 'text', (c) => c.notNull())
        .addColumn('lang', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'text')
        .addColumn('sent_by', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('catalog_requests_created_idx').on('catalog_requests').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('catalog_requests_status_idx').on('catalog_requests').columns(['status', 'created_at']).execute();
    },
  },
  '0111_catalog_request_channel': {
    async up(db: MigrationDb) {
      await db.schema.alterTable('catalog_requests').addColumn('channel', 'text', (c) => c.notNull().defaultTo('web')).execute();
      await db.schema.alterTable('catalog_requests').addColumn('entered_by', 'text').execute();
    },
  },
};
