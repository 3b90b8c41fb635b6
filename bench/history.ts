/**
 * History import and incident scoping, measured (not asserted): `node --import tsx bench/history.ts`
 * with HISTORY_CUSTOMERS / HISTORY_ORDERS (default 20,000 / 100,000) and, for PostgreSQL,
 * BENCH_DATABASE_URL. Prints the time of each step and the peak resident memory.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Writable } from 'node:stream';
import pg from 'pg';
import { openDatabase } from '../src/db/index.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { generateDemoHistory } from '../src/incidents/history/demo.js';
import { importHistory } from '../src/incidents/history/import.js';
import { scopeCounts, scopeWithEntries, type ScopeWindows } from '../src/incidents/scope.js';

const customers = Number(process.env.HISTORY_CUSTOMERS ?? 20_000);
const orders = Number(process.env.HISTORY_ORDERS ?? 100_000);
const pgUrl = process.env.BENCH_DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'mamori-bench-history-'));
let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
const time = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
  const t = process.hrtime.bigint();
  const r = await fn();
  console.log(`${label}: ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(2)} s`);
  return r;
};

const file = join(dir, 'history.jsonl');
await time(`generate ${customers} customers / ${orders} orders`, async () => {
  const out = createWriteStream(file);
  await generateDemoHistory({ customers, orders, from: '2015-08-28', to: '2024-07-19', seed: 1 }, out);
  out.end();
  await finished(out);
});
const windows: ScopeWindows = { card: { from: '2021-05-26', to: '2024-07-19' }, personal: { from: '2015-08-28', to: '2024-07-19' } };

for (const dialect of pgUrl ? ['sqlite', 'postgres'] : ['sqlite']) {
  let schema: string | null = null;
  let url: string | null = null;
  if (dialect === 'postgres') {
    schema = `mamori_bench_${Date.now().toString(36)}`;
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`create schema ${schema}`);
    await c.end();
    url = `${pgUrl}${pgUrl!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  }
  const h = openDatabase({ databaseUrl: url, dataDir: join(dir, dialect) });
  await migrateToLatest(h.db);
  peak = 0;
  const r = await time(`[${dialect}] import`, () => importHistory(h.db, createReadStream(file, { encoding: 'utf8' })));
  console.log(`[${dialect}]   ${r.accepted} accepted, ${r.refused} refused; peak RSS ${(peak / 2 ** 20).toFixed(0)} MB`);
  await time(`[${dialect}] import again (nothing changes)`, () => importHistory(h.db, createReadStream(file, { encoding: 'utf8' })));
  peak = 0;
  const c = await time(`[${dialect}] scope (counts)`, () => scopeCounts(h.db, windows));
  console.log(`[${dialect}]   ${JSON.stringify({ card: c.card, personal: c.personal, recipients: c.recipients, total: c.total })}; peak RSS ${(peak / 2 ** 20).toFixed(0)} MB`);
  peak = 0;
  let bytes = 0;
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { bytes += chunk.length; cb(); } });
  await time(`[${dialect}] scope with one line per person (--out)`, () => scopeWithEntries(h.db, windows, {}, sink));
  console.log(`[${dialect}]   ${(bytes / 2 ** 20).toFixed(1)} MB written; peak RSS ${(peak / 2 ** 20).toFixed(0)} MB`);
  await h.close();
  if (schema) {
    const c2 = new pg.Client({ connectionString: pgUrl });
    await c2.connect();
    await c2.query(`drop schema ${schema} cascade`);
    await c2.end();
  }
}
clearInterval(sample);
rmSync(dir, { recursive: true, force: true });
