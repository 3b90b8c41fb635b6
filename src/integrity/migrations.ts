import type { MigrationDb, Migrations } from '../db/migrate.js';

export const migrations: Migrations = {
  '0090_integrity': {
    async up(db: MigrationDb) {
      await db.schema
        .createTable('integrity_fingerprints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('components', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('mac', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('integrity_fingerprints_at_idx').on('integrity_fingerprints').columns(['at', 'id']).execute();
      await db.schema
        .createTable('csp_reports')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
        .addColumn('document_path', 'text', (c) => c.notNull())
        .addColumn('directive', 'text', (c) => c.notNull())
        .addColumn('blocked_uri', 'text', (c) => c.notNull())
        .addColumn('source_file', 'text')
        .addColumn('disposition', 'text', (c) => c.notNull())
        .addColumn('payment_path', 'integer', (c) => c.notNull())
        .addColumn('noise', 'integer', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('first_seen_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('last_ip_hash', 'text', (c) => c.notNull())
        .addColumn('user_agent', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('csp_reports_last_seen_idx').on('csp_reports').columns(['last_seen_at']).execute();
      await db.schema
        .createTable('integrity_alert_sources')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('integrity_alert_sources_pk', ['kind', 'source'])
        .execute();
    },
  },
  '0131_integrity_monitor': {
    async up(db: MigrationDb) {
      await db.schema
        .createTable('monitor_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('observation', 'text', (c) => c.notNull())
        .addColumn('baseline_id', 'text')
        .addColumn('differences', 'text', (c) => c.notNull())
        .addColumn('source_ip', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('monitor_runs_received_idx').on('monitor_runs').columns(['received_at', 'id']).execute();
      await db.schema
        .createTable('monitor_baselines')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('observation', 'text', (c) => c.notNull())
        .addColumn('approved_at', 'text', (c) => c.notNull())
        .addColumn('approved_by', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('monitor_baselines_approved_idx').on('monitor_baselines').columns(['approved_at', 'id']).execute();
    },
  },
};
