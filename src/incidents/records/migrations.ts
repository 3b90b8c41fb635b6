import type { MigrationDb, Migrations } from '../../db/migrate.js';

export const migrations: Migrations = {
  '0160_incidents': {
    async up(db: MigrationDb) {
      await db.schema
        .createTable('incidents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('number', 'text', (c) => c.notNull().unique())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('known_on', 'text', (c) => c.notNull())
        .addColumn('known_via', 'text', (c) => c.notNull())
        .addColumn('known_detail', 'text', (c) => c.notNull())
        .addColumn('cause', 'text', (c) => c.notNull())
        .addColumn('case_sensitive', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('case_financial', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('case_unlawful', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('case_over1000', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('card_from', 'text')
        .addColumn('card_to', 'text')
        .addColumn('personal_from', 'text')
        .addColumn('personal_to', 'text')
        .addColumn('secondary_damage', 'text', (c) => c.notNull())
        .addColumn('measures', 'text', (c) => c.notNull())
        .addColumn('card_reissue_free', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('other_notes', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('incident_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
        .addColumn('on_date', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('incident_events_incident_idx').on('incident_events').columns(['incident_id', 'on_date']).execute();
    },
  },
};
