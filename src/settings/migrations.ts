import type { MigrationDb, Migrations } from '../db/migrate.js';

export const migrations: Migrations = {
  '0002_settings': {
    async up(db: MigrationDb) {
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
};
