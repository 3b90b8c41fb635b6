import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type DbHandle } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { LeasedJob, releaseLease, tryAcquireLease } from '../../src/shared/leases.js';
import { DIALECTS, freshPgSchema } from '../helpers/shop.js';

for (const { dialect, skip } of DIALECTS) {
  describe(`named leases on ${dialect}`, { skip }, () => {
    let handle: DbHandle;
    let dir: string;
    let dropSchema: (() => Promise<void>) | null = null;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'mamori-leases-'));
      let url: string | null = null;
      if (dialect === 'postgres') {
        const s = await freshPgSchema();
        url = s.url;
        dropSchema = s.drop;
      }
      handle = openDatabase({ databaseUrl: url, dataDir: dir });
      await migrateToLatest(handle.db);
    });
    after(async () => {
      await handle?.close();
      await dropSchema?.();
      rmSync(dir, { recursive: true, force: true });
    });

    test('one holder at a time; the holder renews; an expired lease is taken over; release frees it', async () => {
      const t0 = new Date('2030-01-01T00:00:00.000Z');
      const at = (ms: number) => new Date(t0.getTime() + ms);
      assert.equal(await tryAcquireLease(handle.db, 'job', 'a', 10_000, t0), true);
      assert.equal(await tryAcquireLease(handle.db, 'job', 'b', 10_000, at(1000)), false, 'held by a');
      assert.equal(await tryAcquireLease(handle.db, 'job', 'a', 10_000, at(5000)), true, 'a renews');
      assert.equal(await tryAcquireLease(handle.db, 'job', 'b', 10_000, at(12_000)), false, 'renewed until 15 s');
      assert.equal(await tryAcquireLease(handle.db, 'job', 'b', 10_000, at(15_001)), true, 'expired: b takes it');
      assert.equal(await tryAcquireLease(handle.db, 'job', 'a', 10_000, at(16_000)), false);
      assert.equal(await tryAcquireLease(handle.db, 'other', 'a', 10_000, at(16_000)), true, 'another name is another lease');
      await releaseLease(handle.db, 'job', 'a'); // not a's: nothing happens
      assert.equal(await tryAcquireLease(handle.db, 'job', 'a', 10_000, at(17_000)), false);
      await releaseLease(handle.db, 'job', 'b');
      assert.equal(await tryAcquireLease(handle.db, 'job', 'a', 10_000, at(17_000)), true);
    });

    test('many contenders at once: exactly one gets a free lease', async () => {
      const now = new Date();
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => tryAcquireLease(handle.db, 'race', `h${i}`, 60_000, now)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    test('a leased job runs in one of several workers per interval, not in each', async () => {
      let runs = 0;
      const jobs = Array.from({ length: 3 }, () => new LeasedJob(handle.db, { name: 'periodic', intervalMs: 60_000, pollMs: 20, run: async () => void runs++ }));
      // Each worker polls several times; within one interval only the first poll anywhere runs the job.
      for (let round = 0; round < 4; round++) {
        const ran = await Promise.all(jobs.map((j) => j.tick()));
        assert.equal(ran.filter(Boolean).length, round === 0 ? 1 : 0, `round ${round}`);
      }
      assert.equal(runs, 1);
      // Once the interval is over (the lease expired), the next poll runs it again.
      await handle.db.updateTable('leases').set({ expires_at: new Date(Date.now() - 1).toISOString() }).where('name', '=', 'periodic').execute();
      const ran = await Promise.all(jobs.map((j) => j.tick()));
      assert.equal(ran.filter(Boolean).length, 1);
      assert.equal(runs, 2);
    });
  });
}
