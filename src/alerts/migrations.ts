import type { MigrationDb, Migrations } from '../db/migrate.js';

export const migrations: Migrations = {
  '0070_alerts': {
    async up(db: MigrationDb) {
      await db.schema
        .createTable('alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('evidence', 'text')
        .addColumn('dedupe_key', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('first_seen_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('resolved_at', 'text')
        .addColumn('resolved_by', 'text')
        .execute();
      await db.schema.createIndex('alerts_status_idx').on('alerts').columns(['status', 'last_seen_at']).execute();
      await db.schema.createIndex('alerts_dedupe_idx').on('alerts').columns(['dedupe_key', 'status']).execute();
    },
  },
};
