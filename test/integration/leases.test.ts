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

    test('a leased job runs in one of several processes, once per interval; another takes over when its holder is gone', async () => {
      const runs: { job: number; takeover: boolean }[] = [];
      const jobs = Array.from({ length: 3 }, (_, i) => new LeasedJob(handle.db, { name: 'periodic', intervalMs: 60_000, leaseMs: 10_000, run: async ({ takeover }) => void runs.push({ job: i, takeover }) }));
      const t0 = Date.now();
      // Every process polls (every 3 s here) through one interval: only the first poll anywhere runs the
      // job; the holder's polls renew its lease.
      for (let round = 0; round < 20; round++) {
        const ran = await Promise.all(jobs.map((j) => j.tick(t0 + round * 3000)));
        assert.equal(ran.filter(Boolean).length, round === 0 ? 1 : 0, `round ${round}`);
      }
      assert.equal(runs.length, 1);
      assert.equal(runs[0]!.takeover, true, 'the first run of a new holder looks at everything');
      const holder = runs[0]!.job;
      // The holder kept renewing its lease: when the interval is over, it runs the job again — alone.
      const ran = await Promise.all(jobs.map((j) => j.tick(t0 + 61_000)));
      assert.deepEqual(ran.map((r, i) => r && i === holder), ran.map((_, i) => i === holder));
      assert.deepEqual(runs[1], { job: holder, takeover: false });
      // The holder dies (it stops polling): once its lease has expired, another process takes over and runs at once.
      const others = jobs.filter((_, i) => i !== holder);
      assert.deepEqual(await Promise.all(others.map((j) => j.tick(t0 + 65_000))), [false, false], 'lease still valid');
      const after = await Promise.all(others.map((j) => j.tick(t0 + 72_000)));
      assert.equal(after.filter(Boolean).length, 1);
      assert.equal(runs[2]!.takeover, true);
      assert.notEqual(runs[2]!.job, holder);
      // A clean stop gives the lease up at once.
      const next = jobs[runs[2]!.job]!;
      await next.stop();
      const rest = jobs.filter((j) => j !== next && j !== jobs[holder]);
      assert.deepEqual(await Promise.all(rest.map((j) => j.tick(t0 + 72_500))), [true]);
    });
  });
}
