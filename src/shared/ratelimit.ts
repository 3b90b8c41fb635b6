import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { nowIso } from '../db/index.js';

/**
 * Fixed-window counters in the database, so the limit holds across all shop processes.
 * `hit` counts one attempt and says whether it is still within the limit.
 */
export class RateLimiter {
  constructor(private readonly db: Db) {}

  async hit(key: string, limit: number, windowSeconds: number): Promise<{ allowed: boolean; count: number }> {
    const windowMs = windowSeconds * 1000;
    const start = nowIso(new Date(Math.floor(Date.now() / windowMs) * windowMs));
    const row = await this.db
      .insertInto('rate_limits')
      .values({ key, window_start: start, count: 1 })
      .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet({ count: sql`rate_limits.count + 1` }))
      .returning('count')
      .executeTakeFirstOrThrow();
    return { allowed: row.count <= limit, count: row.count };
  }

  /** How many hits the current window holds, without counting one. */
  async peek(key: string, windowSeconds: number): Promise<number> {
    const windowMs = windowSeconds * 1000;
    const start = nowIso(new Date(Math.floor(Date.now() / windowMs) * windowMs));
    const row = await this.db.selectFrom('rate_limits').select('count').where('key', '=', key).where('window_start', '=', start).executeTakeFirst();
    return row?.count ?? 0;
  }

  async purgeOlderThan(seconds: number): Promise<void> {
    await this.db.deleteFrom('rate_limits').where('window_start', '<', nowIso(new Date(Date.now() - seconds * 1000))).execute();
  }
}
