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
  '0161_incident_scopes_notices': {
    async up(db: MigrationDb) {
      await db.schema.alterTable('incidents').addColumn('notice_subject', 'text').execute();
      await db.schema.alterTable('incidents').addColumn('notice_body', 'text').execute();
      await db.schema
        .createTable('incident_scopes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('card_from', 'text')
        .addColumn('card_to', 'text')
        .addColumn('personal_from', 'text')
        .addColumn('personal_to', 'text')
        .addColumn('counts', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('incident_scopes_seq_uq', ['incident_id', 'seq'])
        .execute();
      await db.schema
        .createTable('incident_scope_entries')
        .addColumn('scope_id', 'text', (c) => c.notNull().references('incident_scopes.id'))
        .addColumn('entry_key', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('categories', 'text', (c) => c.notNull())
        .addColumn('first_exposed_on', 'text', (c) => c.notNull())
        .addColumn('entry', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('incident_scope_entries_pk', ['scope_id', 'entry_key'])
        .execute();
      await db.schema
        .createTable('incident_letter_batches')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('letters', 'integer', (c) => c.notNull())
        .addColumn('pages', 'integer', (c) => c.notNull())
        .addColumn('file', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('posted_by', 'text')
        .addColumn('posted_at', 'text')
        .addUniqueConstraint('incident_letter_batches_seq_uq', ['incident_id', 'seq'])
        .execute();
      await db.schema
        .createTable('incident_notices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
        .addColumn('scope_id', 'text', (c) => c.notNull().references('incident_scopes.id'))
        .addColumn('entry_key', 'text', (c) => c.notNull())
        .addColumn('reference', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('letter_reason', 'text')
        .addColumn('outbox_key', 'text')
        .addColumn('letter_batch_id', 'text', (c) => c.references('incident_letter_batches.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('incident_notices_person_uq', ['incident_id', 'entry_key'])
        .execute();
      await db.schema.createIndex('incident_notices_status_idx').on('incident_notices').columns(['incident_id', 'status']).execute();
      await db.schema.createIndex('incident_notices_email_idx').on('incident_notices').column('email').execute();
    },
  },
};
