import type { DbOrTx } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { DEFAULT_SETTINGS, type ShopSettings } from './defaults.js';

type Section = keyof ShopSettings;

/**
 * Shop settings, stored one JSON document per section. Reads are cached for a couple of seconds:
 * several processes share one database, so a change made by one is seen by all shortly after.
 */
export class SettingsService {
  private cache: { at: number; value: ShopSettings } | null = null;

  constructor(
    private readonly db: DbOrTx,
    private readonly ttlMs = 2000,
  ) {}

  /**
   * Inside a transaction, pass it: on SQLite the one connection belongs to the open transaction, so
   * a query through the main handle would wait for it forever.
   */
  async get(db: DbOrTx = this.db): Promise<ShopSettings> {
    const now = Date.now();
    if (this.cache && now - this.cache.at < this.ttlMs) return this.cache.value;
    const rows = await db.selectFrom('settings').select(['key', 'value']).execute();
    const value: ShopSettings = structuredClone(DEFAULT_SETTINGS);
    for (const row of rows) {
      if (row.key in value) {
        const section = row.key as Section;
        Object.assign(value[section], JSON.parse(row.value) as object);
      }
    }
    this.cache = { at: now, value };
    return value;
  }

  async set<K extends Section>(section: K, patch: Partial<ShopSettings[K]>, db: DbOrTx = this.db): Promise<void> {
    const current = (await this.get(db))[section];
    const next = { ...current, ...patch };
    const value = JSON.stringify(next);
    await db
      .insertInto('settings')
      .values({ key: section, value, updated_at: nowIso() })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: nowIso() }))
      .execute();
    this.cache = null;
  }
}
