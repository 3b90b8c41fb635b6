import { Kysely, Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './index.js';
import { migrations as shared } from '../shared/migrations.js';
import { migrations as settings } from '../settings/migrations.js';
import { migrations as catalog } from '../catalog/migrations.js';
import { migrations as customers } from '../customers/migrations.js';
import { migrations as cart } from '../cart/migrations.js';
import { migrations as checkout } from '../checkout/migrations.js';
import { migrations as payments } from '../payments/migrations.js';
import { migrations as notify } from '../notify/migrations.js';
import { migrations as alerts } from '../alerts/migrations.js';
import { migrations as admin } from '../admin/migrations.js';
import { migrations as checkoutAdmin } from '../checkout/admin-migrations.js';
import { migrations as integrity } from '../integrity/migrations.js';
import { migrations as incidentRecords } from '../incidents/records/migrations.js';
import { migrations as catalogRequests } from '../catalog-requests/migrations.js';
import { migrations as incidents } from '../incidents/migrations.js';
import { migrations as privacy } from '../privacy/migrations.js';

/**
 * Migrations are owned by their domain folders; this list fixes the order in which they apply.
 * Names are prefixed with a sortable sequence so Kysely's ordering matches this list.
 */
// Migrations describe schema, not rows: they are written against an untyped Kysely on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type MigrationDb = Kysely<any>;
export type Migrations = Record<string, Migration>;

export const allMigrations: Migrations = {
  ...shared,
  ...settings,
  ...catalog,
  ...customers,
  ...cart,
  ...checkout,
  ...payments,
  ...notify,
  ...alerts,
  ...admin,
  ...checkoutAdmin,
  ...integrity,
  ...incidentRecords,
  ...catalogRequests,
  ...incidents,
  ...privacy,
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return allMigrations;
  }
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  // On PostgreSQL, keep Kysely's own tables in the schema the shop uses (search_path): its
  // existence check looks across all schemas, so another schema's tables would otherwise be taken for ours.
  let migrationTableSchema: string | undefined;
  try {
    const r = await sql<{ s: string }>`select current_schema() as s`.execute(db);
    migrationTableSchema = r.rows[0]?.s;
  } catch {
    migrationTableSchema = undefined; // SQLite has no schemas
  }
  // Domains own numbered ranges and branches land in any order: a database that already ran a
  // later-numbered migration still takes an earlier-numbered one that arrived after it.
  const migrator = new Migrator({ db, provider: new StaticProvider(), migrationTableSchema, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
