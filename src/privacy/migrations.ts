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
  '0171_privacy_requests': {
    async up(db: MigrationDb) {
      await db.schema
        .createTable('privacy_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('customer_id', 'text')
        .addColumn('email_key', 'text')
        .addColumn('phone_key', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('received_on', 'text', (c) => c.notNull())
        .addColumn('due_on', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('handled_at', 'text')
        .addColumn('handled_by', 'text')
        .addColumn('outcome', 'text')
        .execute();
      await db.schema.createIndex('privacy_requests_status_due').on('privacy_requests').columns(['status', 'due_on']).execute();
      await db.schema
        .createTable('privacy_suspensions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('customer_id', 'text')
        .addColumn('email_key', 'text')
        .addColumn('phone_key', 'text')
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('since', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('privacy_suspensions_email').on('privacy_suspensions').column('email_key').execute();
      await db.schema.createIndex('privacy_suspensions_phone').on('privacy_suspensions').column('phone_key').execute();
    },
  },
};
