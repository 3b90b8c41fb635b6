/**
 * History import and incident scoping, measured (not asserted): `node --import tsx bench/history.ts`
 * with HISTORY_CUSTOMERS / HISTORY_ORDERS (default 20,000 / 100,000) and, for PostgreSQL,
 * BENCH_DATABASE_URL (HISTORY_DIALECTS=postgres to run only that one). Prints the time of each
 * step and the peak resident memory, and compares the scope with a baseline: the same counts as one hand-written SQL statement over the raw key
 * columns of the same tables (no stored scoping keys), run in the same process on the same data.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { PostgresAdapter, sql } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../src/db/index.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { generateDemoHistory } from '../src/incidents/history/demo.js';
import { importHistory } from '../src/incidents/history/import.js';
import { scopeCounts, scopeWithEntries, windowInstants, type ScopeWindows } from '../src/incidents/scope.js';
import type { Db, DbOrTx } from '../src/db/index.js';

const customers = Number(process.env.HISTORY_CUSTOMERS ?? 20_000);
const orders = Number(process.env.HISTORY_ORDERS ?? 100_000);
const pgUrl = process.env.BENCH_DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'mamori-bench-history-'));
let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
const time = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
  const t = process.hrtime.bigint();
  const r = await fn();
  // better-sqlite3 blocks the event loop for a whole statement: the sampler cannot run during it.
  peak = Math.max(peak, process.memoryUsage().rss);
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

/**
 * The baseline: the scope counts (no catalog requests: the generated history has none) as one
 * plain SQL statement, with the session settings the scope uses on PostgreSQL (no JIT, 64 MB
 * work_mem: with JIT, compiling alone takes longer than the statement at 100,000 orders).
 */
async function baseline(db: Db) {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return db.connection().execute(async (conn) => {
    if (postgres) for (const q of [sql`set jit = off`, sql`set work_mem = '64MB'`]) await q.execute(conn);
    try {
      return await baselineStatement(conn);
    } finally {
      if (postgres) for (const q of [sql`reset jit`, sql`reset work_mem`]) await q.execute(conn);
    }
  });
}

async function baselineStatement(db: DbOrTx) {
  const c = windowInstants(windows.card!);
  const p = windowInstants(windows.personal!);
  const row = (await sql<Record<string, number | string>>`
    select sum(t.card) as card_persons, sum(t.personal) as personal, count(*) as persons,
      (select count(*) from orders o join payments y on y.order_id = o.id where o.placed_at >= ${c.start} and o.placed_at < ${c.end}) as card_payments,
      (select count(distinct o.shipping_name_key || '|' || coalesce(o.shipping_phone_key, '') || '|' || coalesce(o.shipping_postal_key, '')) from orders o
        where o.placed_at >= ${p.start} and o.placed_at < ${p.end} and o.ship_to_orderer = 0 and o.shipping_name_key is not null
          and (o.shipping_name_key <> coalesce(o.orderer_name_key, '') or coalesce(o.shipping_phone_key, '') <> coalesce(o.orderer_phone_key, ''))) as recipients
    from (
      select person, max(card) as card, max(personal) as personal from (
        select
          case when o.customer_id is not null then 'm:' || o.customer_id
               when o.orderer_email_key is not null then coalesce(
                 (select 'm:' || m.id from customers m where m.email_key = o.orderer_email_key order by m.created_at, m.id limit 1), 'e:' || o.orderer_email_key)
               else 'n:' || coalesce(o.orderer_name_key, '') || '|' || coalesce(o.orderer_phone_key, '') end as person,
          case when o.placed_at >= ${c.start} and o.placed_at < ${c.end} and exists (select 1 from payments y where y.order_id = o.id) then 1 else 0 end as card,
          case when o.placed_at >= ${p.start} and o.placed_at < ${p.end} then 1 else 0 end as personal
        from orders o where o.placed_at >= ${p.start < c.start ? p.start : c.start} and o.placed_at < ${p.end > c.end ? p.end : c.end}
        union all
        select 'm:' || m.id, 0, 1 from customers m
          where (m.created_at >= ${p.start} and m.created_at < ${p.end}) or (m.updated_at >= ${p.start} and m.updated_at < ${p.end})
      ) u where card = 1 or personal = 1 group by person
    ) t`.execute(db)).rows[0]!;
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
}
const seconds = async (fn: () => Promise<unknown>) => {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
};

const dialects = process.env.HISTORY_DIALECTS?.split(',') ?? (pgUrl ? ['sqlite', 'postgres'] : ['sqlite']);
for (const dialect of dialects) {
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
  let r!: Awaited<ReturnType<typeof importHistory>>;
  const ti = await seconds(async () => (r = await importHistory(h.db, createReadStream(file, { encoding: 'utf8' }))));
  console.log(`[${dialect}] import: ${ti.toFixed(2)} s, ${(r.lines / ti).toFixed(0)} lines/s`);
  console.log(`[${dialect}]   ${r.accepted} accepted, ${r.refused} refused; peak RSS ${(peak / 2 ** 20).toFixed(0)} MB`);
  await time(`[${dialect}] import again (nothing changes)`, () => importHistory(h.db, createReadStream(file, { encoding: 'utf8' })));
  peak = 0;
  const c = await time(`[${dialect}] scope (counts)`, () => scopeCounts(h.db, windows));
  console.log(`[${dialect}]   ${JSON.stringify({ card: c.card, personal: c.personal, recipients: c.recipients, total: c.total })}; peak RSS ${(peak / 2 ** 20).toFixed(0)} MB`);
  const b = await time(`[${dialect}] baseline: the same counts as one hand-written SQL statement`, () => baseline(h.db));
  const same = b.card_persons === c.card.persons && b.card_payments === c.card.payments && b.personal === c.personal.persons
    && b.persons === c.total.personsExcludingRecipients && b.recipients === c.recipients.persons;
  console.log(`[${dialect}]   ${JSON.stringify(b)}${same ? ' (same counts)' : ' DIFFERENT COUNTS'}`);
  // Alternate the two, three times each, so a busy machine weighs on both alike.
  const ts: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < 3; i++) {
    ts.push(await seconds(() => scopeCounts(h.db, windows)));
    tb.push(await seconds(() => baseline(h.db)));
  }
  const best = (xs: number[]) => Math.min(...xs);
  console.log(`[${dialect}] scope vs baseline (best of 3): ${best(ts).toFixed(2)} s vs ${best(tb).toFixed(2)} s = ${(best(ts) / best(tb)).toFixed(2)}×`);
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
